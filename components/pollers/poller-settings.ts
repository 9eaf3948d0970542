/**
 * Scheduled REST pollers (stack config `pollers`): each polls a URL on an EventBridge Scheduler schedule, maps
 * the response to readings with JSONPath, and sends them through the same validation as every other source.
 * Pure: the config module validates with {@link readPollerSettings}; the component, the poller function (from
 * its environment) and the local backend read the result.
 */
import { parseSchedule, type ScheduleExpression } from "../schedule";
import { PAYLOAD_FIELDS } from "../telemetry/schema";
import { isSettingsMap, SettingsReader, type ReportProblem } from "../shared/settings-reader";
import { JsonPathError, parseJsonPath } from "./jsonpath";
import { VALUE_FORMATS, type FieldMapping, type PollerMapping, type ValueFormat } from "./mapping";

/** One validated poller. */
export interface PollerSettings {
  /** Names the function, schedule and queue, and the source of its readings (`poller/<name>`). */
  readonly name: string;
  /** The REST endpoint (GET), https. */
  readonly url: string;
  readonly schedule: ScheduleExpression;
  /**
   * Secrets Manager secret holding the credentials, as JSON: `{"headers": {"x-api-key": "..."}}`,
   * `{"bearerToken": "..."}` or `{"username": "...", "password": "..."}` (basic). @default - no credentials
   */
  readonly secretArn?: string;
  /** Seconds one HTTP request may take. */
  readonly timeoutSeconds: number;
  /** HTTP retries after a failed request (network error, 429 or 5xx), with exponential backoff. */
  readonly retries: number;
  /** Days a (device, timestamp) is remembered, so a reading returned by several polls is sent once. */
  readonly dedupDays: number;
  readonly mapping: PollerMapping;
}

export const POLLER_DEFAULTS = { timeoutSeconds: 10, retries: 2, dedupDays: 7, records: "$" } as const;

/** Fields every mapping must give: the identity, the de-duplication key and the required measurement. */
export const REQUIRED_MAPPED_FIELDS = ["device_id", "room_id", "ts", "temperature_c"] as const;

const NAME = /^[a-z][a-z0-9-]{0,31}$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;
const FIELDS = [
  "name",
  "url",
  "schedule",
  "secretArn",
  "timeoutSeconds",
  "retries",
  "dedupDays",
  "records",
  "fields",
];
const MAPPABLE = PAYLOAD_FIELDS.map((f) => f.name);

/**
 * Reads the `pollers` list. Problems are reported as `pollers[<i>].<field>`; returns the pollers without
 * problems (all of them when the list is valid).
 */
export function readPollerSettings(raw: unknown, report: ReportProblem): PollerSettings[] {
  if (!Array.isArray(raw)) {
    report(
      "",
      "must be a list of pollers",
      "write it as a YAML list of maps, each with name, url, schedule and fields",
      raw,
    );
    return [];
  }
  const pollers: PollerSettings[] = [];
  raw.forEach((entry, i) => {
    const at = (field: string) => (field === "" ? `[${i}]` : `[${i}].${field}`);
    if (!isSettingsMap(entry)) {
      report(
        at(""),
        "must be a map with name, url, schedule and fields",
        "write the poller as a YAML map",
        entry,
      );
      return;
    }
    const r = new SettingsReader(entry, FIELDS, (field, ...rest) => report(at(field), ...rest));
    const poller = readOne(r);
    if (poller && pollers.some((p) => p.name === poller.name)) {
      r.problem("name", "is used by another poller", "give every poller its own name", poller.name);
      return;
    }
    if (poller && r.problems === 0) pollers.push(poller);
  });
  return pollers;
}

function readOne(r: SettingsReader): PollerSettings | undefined {
  const name = r.string("name", {
    pattern: NAME,
    describe: "1-32 lowercase letters, digits or '-', starting with a letter",
    example: "weather-station",
    required: true,
  });
  const url = r.string("url", {
    pattern: /^https:\/\/[A-Za-z0-9.-]+(:\d{1,5})?(\/[^\s]*)?$/,
    describe: "an https URL",
    example: "https://api.example.com/v1/observations",
    required: true,
  });
  const scheduleText = r.string("schedule", {
    pattern: /^(rate|cron|at)\(.*\)$/,
    describe: "an EventBridge Scheduler expression",
    example: '"rate(5 minutes)"',
    required: true,
  });
  let schedule: ScheduleExpression | undefined;
  if (scheduleText !== undefined) {
    const parsed = parseSchedule(scheduleText);
    if (typeof parsed === "string")
      r.problem(
        "schedule",
        `must be an EventBridge Scheduler expression: ${parsed}`,
        'use e.g. "rate(5 minutes)" (Scheduler runs at most once a minute)',
        scheduleText,
      );
    else schedule = parsed;
  }
  const secretArn = r.string("secretArn", {
    pattern: SECRET_ARN,
    describe: "a Secrets Manager secret ARN",
    example: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:weather-api-AbCdEf",
  });
  const timeoutSeconds = r.int("timeoutSeconds", POLLER_DEFAULTS.timeoutSeconds, 1, 60);
  const retries = r.int("retries", POLLER_DEFAULTS.retries, 0, 5);
  const dedupDays = r.int("dedupDays", POLLER_DEFAULTS.dedupDays, 1, 365);
  const records =
    r.string("records", {
      pattern: /^\$/,
      describe: "a JSONPath starting with $",
      example: "$.observations[*]",
    }) ?? POLLER_DEFAULTS.records;
  checkPath(r, "records", records);
  const fields = readFields(r);
  if (r.problems > 0 || !name || !url || !schedule || !fields) return undefined;
  return {
    name,
    url,
    schedule,
    ...(secretArn ? { secretArn } : {}),
    timeoutSeconds,
    retries,
    dedupDays,
    mapping: { records, fields },
  };
}

function checkPath(r: SettingsReader, field: string, path: string): void {
  try {
    parseJsonPath(path);
  } catch (err) {
    if (!(err instanceof JsonPathError)) throw err;
    r.problem(field, err.message, "write a path such as $.observations[*] or $.temperature.value", path);
  }
}

function readFields(r: SettingsReader): Record<string, FieldMapping> | undefined {
  const raw = r.value.fields;
  if (!isSettingsMap(raw)) {
    r.problem(
      "fields",
      "must map telemetry fields to JSONPaths or values",
      "e.g. fields: { device_id: $.stationId, ts: { path: $.time, format: iso8601 }, temperature_c: $.temp }",
      raw,
    );
    return undefined;
  }
  const fields: Record<string, FieldMapping> = {};
  for (const [name, spec] of Object.entries(raw)) {
    const at = `fields.${name}`;
    if (!MAPPABLE.includes(name)) {
      r.problem(at, "is not a field readings carry", `map only ${MAPPABLE.join(", ")}`, spec);
      continue;
    }
    if (typeof spec === "string") {
      checkPath(r, at, spec);
      fields[name] = { path: spec };
    } else if (
      isSettingsMap(spec) &&
      (typeof spec.value === "string" || typeof spec.value === "number") &&
      Object.keys(spec).length === 1
    ) {
      fields[name] = { value: spec.value };
    } else if (isSettingsMap(spec) && typeof spec.path === "string") {
      const unknown = Object.keys(spec).filter((k) => !["path", "from", "format"].includes(k));
      const from = spec.from ?? "record";
      const format = spec.format;
      if (unknown.length > 0)
        r.problem(at, `has unknown keys ${unknown.join(", ")}`, "use path, from and format", spec);
      if (from !== "record" && from !== "document")
        r.problem(
          `${at}.from`,
          "must be record or document",
          "set it to record (the default) or document",
          from,
        );
      if (format !== undefined && !VALUE_FORMATS.includes(format as ValueFormat))
        r.problem(
          `${at}.format`,
          `must be one of ${VALUE_FORMATS.join(", ")}`,
          "pick one of them, or leave it out to take the value as it is",
          format,
        );
      checkPath(r, `${at}.path`, spec.path);
      fields[name] = {
        path: spec.path,
        from: from as "record" | "document",
        ...(format === undefined ? {} : { format: format as ValueFormat }),
      };
    } else {
      r.problem(
        at,
        "must be a JSONPath, { path, from?, format? } or { value }",
        `e.g. ${name}: $.${name}`,
        spec,
      );
    }
  }
  const missing = REQUIRED_MAPPED_FIELDS.filter((f) => !(f in raw));
  if (missing.length > 0)
    r.problem(
      "fields",
      `must map ${missing.join(", ")} (identity, de-duplication key and required measurement)`,
      `add ${missing.map((f) => `${f}: $.${f}`).join(", ")}`,
      Object.keys(raw),
    );
  return fields;
}

/**
 * Retries of a failed poll, by the schedule's retry policy and by Lambda's asynchronous invocation (each then
 * sends the event to the poller's dead-letter queue). The local backend retries as often.
 */
export const POLLER_INVOCATION_RETRIES = 2;

/** The poller function's environment variables (besides the delivery targets of `delivery-targets.ts`). */
export const POLLER_ENV = { poller: "POLLER", dedupTable: "DEDUP_TABLE", rooms: "ROOMS" } as const;

/** What the poller function needs of its settings (the schedule is the scheduler's business). */
export type PollerRuntimeSettings = Omit<PollerSettings, "schedule">;

/** The poller function's environment, without the delivery targets. */
export function pollerEnvironment(args: {
  readonly poller: PollerSettings;
  readonly dedupTable: string;
  readonly rooms: readonly string[];
}): Record<string, string> {
  const { schedule: _schedule, ...runtime } = args.poller;
  return {
    [POLLER_ENV.poller]: JSON.stringify(runtime satisfies PollerRuntimeSettings),
    [POLLER_ENV.dedupTable]: args.dedupTable,
    [POLLER_ENV.rooms]: args.rooms.join(","),
  };
}
