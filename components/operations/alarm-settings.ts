/**
 * Alarm thresholds (stack config `alarms:`) and the values they resolve to for a stack. Pure: the config module
 * validates with {@link readAlarmSettings}, the Operations component builds alarms from
 * {@link resolveAlarmThresholds}, and the cost estimate reads neither.
 *
 * Every field is optional; the default (`{}`) means every threshold at its default. Defaults that depend on
 * the stack (Firehose freshness, scoring lag, model age) are derived from its buffering and schedules.
 */

/** Thresholds a stack sets; `undefined` means "derive it from the stack". */
export interface AlarmSettings {
  /** Minutes without any message on the telemetry topics before the heartbeat alarm fires (1-1440). */
  readonly heartbeatMinutes: number;
  /** Oldest undelivered record in a delivery stream, in seconds. @default 2 × the buffer interval (at least 2 minutes) */
  readonly firehoseFreshnessSeconds?: number;
  /** Lambda errors per function in 5 minutes that raise its alarm. */
  readonly lambdaErrors: number;
  /** Lambda throttles per function in 5 minutes that raise its alarm. */
  readonly lambdaThrottles: number;
  /** Messages in a dead-letter queue that raise its alarm. */
  readonly deadLetterMessages: number;
  /** Share of messages quarantined over 15 minutes, in percent, that raises the quarantine alarm (0-100). */
  readonly quarantinePercent: number;
  /** Scoring watermark behind the clock, in minutes. @default 2 scoring intervals + the ingest delay + 10 minutes */
  readonly scoringLagMinutes?: number;
  /**
   * Age of the model in service, in hours, past which training has stopped replacing it (runs fail, skip for
   * too little data, or their models are not promoted). @default 2 training intervals + 6 hours, at most 8760
   */
  readonly modelAgeHours?: number;
  /** p90 model latency of the real-time endpoint, in milliseconds (endpoint mode). */
  readonly endpointLatencyMs: number;
  /**
   * Age of the oldest record the ingest stream's readers (the real-time consumer, Firehose) have not read yet, in
   * seconds (`ingestStream: kinesis`). @default half the consumer's maxRecordAgeSeconds, at most 5 minutes
   */
  readonly streamIteratorAgeSeconds?: number;
  /** 5xx answers of the HTTP API in 5 minutes that raise its alarm (`httpApi`). */
  readonly apiServerErrors: number;
}

/** What a stack gets for each setting it leaves out (those absent here are derived). */
export const ALARM_DEFAULTS = {
  heartbeatMinutes: 15,
  lambdaErrors: 1,
  lambdaThrottles: 1,
  deadLetterMessages: 1,
  quarantinePercent: 5,
  endpointLatencyMs: 500,
  apiServerErrors: 1,
} as const;

/** Reports one problem with `alarms.<field>` (the caller adds key, stack file and value formatting). */
export type ReportAlarmProblem = (field: string, message: string, fix: string, value?: unknown) => void;

const LIMITS: Readonly<Record<keyof AlarmSettings, readonly [number, number]>> = {
  heartbeatMinutes: [1, 1440],
  firehoseFreshnessSeconds: [60, 86_400],
  lambdaErrors: [1, 1_000_000],
  lambdaThrottles: [1, 1_000_000],
  deadLetterMessages: [1, 1_000_000],
  quarantinePercent: [0, 100],
  scoringLagMinutes: [5, 10_080],
  modelAgeHours: [1, 8_760],
  endpointLatencyMs: [1, 60_000],
  streamIteratorAgeSeconds: [60, 604_800],
  apiServerErrors: [1, 1_000_000],
};

/** Reads the `alarms` map; returns `undefined` when there were problems (each reported). */
export function readAlarmSettings(raw: unknown, report: ReportAlarmProblem): AlarmSettings | undefined {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    report(
      "",
      "must be a map of thresholds",
      "write it as a YAML map, e.g. alarms: { heartbeatMinutes: 30 }",
      raw,
    );
    return undefined;
  }
  const value = raw as Record<string, unknown>;
  let problems = 0;
  const fields = Object.keys(LIMITS);
  for (const key of Object.keys(value)) {
    if (!fields.includes(key)) {
      problems++;
      report(key, "is not an alarm setting", `use one of ${fields.join(", ")}`, value[key]);
    }
  }
  const number = (field: keyof AlarmSettings, integer: boolean): number | undefined => {
    const given = value[field];
    if (given === undefined) return undefined;
    // `pulumi config set --path` stores numbers as text.
    const v = typeof given === "string" && /^\d+(\.\d+)?$/.test(given) ? Number(given) : given;
    const [min, max] = LIMITS[field];
    if (
      typeof v !== "number" ||
      !Number.isFinite(v) ||
      (integer && !Number.isInteger(v)) ||
      v < min ||
      v > max
    ) {
      problems++;
      report(
        field,
        `must be ${integer ? "an integer" : "a number"} from ${min} to ${max}`,
        `set it to a value in that range, or remove it for the default`,
        given,
      );
      return undefined;
    }
    return v;
  };
  const freshness = number("firehoseFreshnessSeconds", true);
  const lag = number("scoringLagMinutes", true);
  const modelAge = number("modelAgeHours", true);
  const iteratorAge = number("streamIteratorAgeSeconds", true);
  const settings: AlarmSettings = {
    heartbeatMinutes: number("heartbeatMinutes", true) ?? ALARM_DEFAULTS.heartbeatMinutes,
    lambdaErrors: number("lambdaErrors", true) ?? ALARM_DEFAULTS.lambdaErrors,
    lambdaThrottles: number("lambdaThrottles", true) ?? ALARM_DEFAULTS.lambdaThrottles,
    deadLetterMessages: number("deadLetterMessages", true) ?? ALARM_DEFAULTS.deadLetterMessages,
    quarantinePercent: number("quarantinePercent", false) ?? ALARM_DEFAULTS.quarantinePercent,
    endpointLatencyMs: number("endpointLatencyMs", true) ?? ALARM_DEFAULTS.endpointLatencyMs,
    apiServerErrors: number("apiServerErrors", true) ?? ALARM_DEFAULTS.apiServerErrors,
    // Absent means derived from the stack (resolveAlarmThresholds).
    ...(freshness === undefined ? {} : { firehoseFreshnessSeconds: freshness }),
    ...(lag === undefined ? {} : { scoringLagMinutes: lag }),
    ...(modelAge === undefined ? {} : { modelAgeHours: modelAge }),
    ...(iteratorAge === undefined ? {} : { streamIteratorAgeSeconds: iteratorAge }),
  };
  return problems === 0 ? settings : undefined;
}

/** Every threshold of a stack, resolved. */
export type AlarmThresholds = Required<AlarmSettings>;

/** What the derived defaults depend on. */
export interface AlarmContext {
  /** Firehose buffering interval of the stack (`firehoseBufferSeconds`). */
  readonly firehoseBufferSeconds: number;
  /** Seconds between scoring runs (from `scoringSchedule`). */
  readonly scoringIntervalSeconds: number;
  /** Seconds between scheduled training runs (from `trainingSchedule`). @default 86400 (the default daily schedule) */
  readonly trainingIntervalSeconds?: number;
  /** How long after arrival scoring waits for a reading to be in the lake. */
  readonly ingestDelaySeconds: number;
  /**
   * The real-time consumer's `maxRecordAgeSeconds` (older records go to its dead-letter queue unread).
   * @default 3600 (the consumer's default)
   */
  readonly streamMaxRecordAgeSeconds?: number;
}

/** The thresholds a stack's alarms use: its settings, with the stack-dependent defaults derived. */
export function resolveAlarmThresholds(settings: AlarmSettings, context: AlarmContext): AlarmThresholds {
  return {
    ...settings,
    firehoseFreshnessSeconds:
      settings.firehoseFreshnessSeconds ?? 2 * Math.max(60, context.firehoseBufferSeconds),
    // Well before records age out of the consumer unread, and within minutes for a real-time reader.
    streamIteratorAgeSeconds:
      settings.streamIteratorAgeSeconds ??
      Math.max(60, Math.min(300, Math.floor((context.streamMaxRecordAgeSeconds ?? 3600) / 2))),
    scoringLagMinutes:
      settings.scoringLagMinutes ??
      Math.ceil((2 * context.scoringIntervalSeconds + context.ingestDelaySeconds) / 60) + 10,
    // One missed scheduled run is ordinary (a day with too little data); two in a row, plus the hours a
    // training run and its promotion may take, means training has stopped replacing the model. A one-off
    // (`at(...)`) schedule has no interval: the bar is then the setting's maximum, a year.
    modelAgeHours:
      settings.modelAgeHours ??
      Math.min(
        LIMITS.modelAgeHours[1],
        Math.ceil((2 * (context.trainingIntervalSeconds ?? 86_400)) / 3600) + 6,
      ),
  };
}
