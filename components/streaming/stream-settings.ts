/**
 * The ingest stream option (stack config `ingestStream: none | kinesis` and `ingestStreamSettings`). Pure: the
 * config module validates with {@link readStreamSettings}; the components and the local backend read the
 * result.
 *
 * With `kinesis`, every valid reading (from the topic rule, the HTTPS API and the pollers) goes into one
 * KMS-encrypted Kinesis Data Stream; the telemetry delivery stream reads from it into the lake, and a consumer
 * function keeps the latest reading per device and per-room hourly aggregates in DynamoDB.
 */
import { isSettingsMap, SettingsReader, type ReportProblem } from "../shared/settings-reader";

export type IngestStreamKind = "none" | "kinesis";
export const INGEST_STREAM_KINDS: readonly IngestStreamKind[] = ["none", "kinesis"];

export type StreamCapacityMode = "on-demand" | "provisioned";

/** How the consumer function reads the stream (the event source mapping). */
export interface StreamConsumerSettings {
  /** Records per invocation (1-10,000). */
  readonly batchSize: number;
  /** Seconds the mapping gathers records before invoking (0-300). */
  readonly batchWindowSeconds: number;
  /** Retries of a failed batch before it goes to the on-failure destination (0-10,000). */
  readonly retryAttempts: number;
  /** Records older than this go to the on-failure destination unprocessed (60-604,800 s). */
  readonly maxRecordAgeSeconds: number;
}

/** Validated `ingestStreamSettings` of a stack with `ingestStream: kinesis`. */
export interface StreamSettings {
  /** On-demand (scales itself, billed per GB) or provisioned (fixed shards, billed per shard-hour). */
  readonly capacityMode: StreamCapacityMode;
  /** Shards of a provisioned stream (1 MB/s or 1,000 records/s in each). */
  readonly shards: number;
  /** Hours records stay readable (24-8,760); longer than a day is billed extra. */
  readonly retentionHours: number;
  readonly consumer: StreamConsumerSettings;
  /** Days an hourly aggregate is kept in DynamoDB after its hour (TTL). */
  readonly aggregateTtlDays: number;
  /** Days a device's latest reading is kept after it was taken (TTL): a silent device drops out after that. */
  readonly latestTtlDays: number;
}

/** What a stack gets for each setting it leaves out. */
export const STREAM_DEFAULTS = {
  capacityMode: "on-demand",
  shards: 1,
  retentionHours: 24,
  batchSize: 100,
  batchWindowSeconds: 5,
  retryAttempts: 3,
  maxRecordAgeSeconds: 3600,
  aggregateTtlDays: 30,
  latestTtlDays: 30,
} as const;

const FIELDS = Object.keys(STREAM_DEFAULTS);

/**
 * Reads `ingestStreamSettings` for the chosen stream kind. Returns `undefined` when the stream is off (or when
 * there were problems, each reported).
 */
export function readStreamSettings(
  kind: IngestStreamKind,
  raw: unknown,
  report: ReportProblem,
): StreamSettings | undefined {
  if (!isSettingsMap(raw)) {
    report(
      "",
      "must be a map of settings",
      "write it as a YAML map, e.g. ingestStreamSettings: { retentionHours: 48 }",
      raw,
    );
    return undefined;
  }
  if (kind === "none") {
    if (Object.keys(raw).length > 0)
      report(
        "",
        "applies only when ingestStream is kinesis",
        "remove it, or set sensor-analytics:ingestStream to kinesis",
        raw,
      );
    return undefined;
  }
  const r = new SettingsReader(raw, FIELDS, report);
  const d = STREAM_DEFAULTS;
  const capacityMode = r.oneOf("capacityMode", d.capacityMode, ["on-demand", "provisioned"] as const);
  if (capacityMode === "on-demand" && r.has("shards"))
    r.problem(
      "shards",
      "applies only to a provisioned stream (on-demand scales its own shards)",
      "remove it, or set capacityMode: provisioned",
      raw.shards,
    );
  const settings: StreamSettings = {
    capacityMode,
    shards: r.int("shards", d.shards, 1, 500),
    retentionHours: r.int("retentionHours", d.retentionHours, 24, 8760),
    consumer: {
      batchSize: r.int("batchSize", d.batchSize, 1, 10_000),
      batchWindowSeconds: r.int("batchWindowSeconds", d.batchWindowSeconds, 0, 300),
      retryAttempts: r.int("retryAttempts", d.retryAttempts, 0, 10_000),
      maxRecordAgeSeconds: r.int("maxRecordAgeSeconds", d.maxRecordAgeSeconds, 60, 604_800),
    },
    aggregateTtlDays: r.int("aggregateTtlDays", d.aggregateTtlDays, 1, 3650),
    latestTtlDays: r.int("latestTtlDays", d.latestTtlDays, 1, 3650),
  };
  return r.problems === 0 ? settings : undefined;
}
