/**
 * Every assumption the cost estimate makes that neither the stack's configuration nor its synth decides, with
 * its default, unit and why. The CLI sets the common ones by name (`--devices`, `--interval`, ...) and any of
 * them with `--assume <key>=<value>`; the output prints each next to the figure it drives. Pure.
 */

export interface AssumptionDefinition {
  readonly default: number;
  readonly unit: string;
  readonly description: string;
}

export const ASSUMPTIONS = {
  intervalSeconds: {
    default: 60,
    unit: "s",
    description: "each sensor publishes one reading this often (--interval)",
  },
  payloadBytes: {
    default: 180,
    unit: "bytes",
    description: "size of one reading's MQTT payload (the simulator's JSON readings are about 180 bytes)",
  },
  ruleAddedBytes: {
    default: 60,
    unit: "bytes",
    description:
      "what the topic rule adds to a record for Firehose (device and room from the topic, receive time)",
  },
  quarantinePercent: {
    default: 0.1,
    unit: "%",
    description: "share of messages the rules quarantine",
  },
  parquetBytesPerReading: {
    default: 40,
    unit: "bytes",
    description: "a reading's size in the raw zone's Parquet (Snappy, dictionary-encoded IDs)",
  },
  parquetObjectOverheadBytes: {
    default: 2048,
    unit: "bytes",
    description: "footer and metadata of each Parquet object Firehose writes",
  },
  curatedBytesPerReading: {
    default: 60,
    unit: "bytes",
    description: "a reading's size in the curated zone (Parquet for BI plus the training CSV row)",
  },
  glueJobMinutes: {
    default: 10,
    unit: "min",
    description: "billed time of one Glue job run (Glue bills per second, at least 1 minute)",
  },
  crawlerMinutes: {
    default: 10,
    unit: "min",
    description: "billed time of one crawler run (Glue bills at least 10 minutes per crawl)",
  },
  crawlerDpus: { default: 1, unit: "DPU", description: "DPUs a crawler run uses" },
  jdbcImportsPerDay: {
    default: 1,
    unit: "runs/day",
    description: "JDBC history imports (the planner refreshes the database copy once a day)",
  },
  trainingMinutes: {
    default: 8,
    unit: "min",
    description: "billed time of one SageMaker training job, start-up included",
  },
  transformMinutes: {
    default: 6,
    unit: "min",
    description: "billed time of one batch transform job, instance start-up included",
  },
  lambdaMilliseconds: {
    default: 1000,
    unit: "ms",
    description: "average duration of a pipeline Lambda invocation",
  },
  lambdaLogKb: { default: 2, unit: "KB", description: "log output of one Lambda invocation" },
  stateMachineLogKb: {
    default: 2,
    unit: "KB",
    description: "execution log per state transition (log level ALL with execution data)",
  },
  glueLogMb: { default: 5, unit: "MB", description: "continuous logs of one Glue job run" },
  flowLogMbPerDay: { default: 10, unit: "MB/day", description: "VPC flow logs of one mostly idle VPC" },
  jqMicrosecondsPerRecord: {
    default: 10,
    unit: "µs",
    description:
      "JQ time per record for dynamic partitioning (measure with Firehose's JQProcessing.Duration)",
  },
  endpointGbPerMonth: {
    default: 1,
    unit: "GB",
    description: "traffic through each interface endpoint (API calls of Glue, Logs, KMS, Secrets Manager)",
  },
  accessLogBytesPerRequest: {
    default: 350,
    unit: "bytes",
    description: "S3 server access log record per request on a lake bucket",
  },
  trailBytesPerEvent: {
    default: 250,
    unit: "bytes",
    description: "a CloudTrail data event in the gzipped log files",
  },
  kmsBaselineRequests: {
    default: 10_000,
    unit: "requests",
    description:
      "KMS requests a month besides S3 (log groups, topics, SageMaker volumes, Lambda environment)",
  },
  imageGb: { default: 0.3, unit: "GB", description: "size of the fleet runner's container image in ECR" },
  apiRequestsPerMonth: {
    default: 100_000,
    unit: "requests",
    description: "HTTP API requests a month (gateways posting readings, latest-state reads), with httpApi",
  },
  pollerRecordsPerPoll: {
    default: 10,
    unit: "readings",
    description:
      "readings one poll of a REST poller returns (each checked against the de-duplication table; those new since the last poll, one per intervalSeconds, go on)",
  },
  sourceLambdaMilliseconds: {
    default: 100,
    unit: "ms",
    description: "average duration of a real-time consumer batch, a poll or an HTTP API request's function",
  },
  tableItemBytes: {
    default: 300,
    unit: "bytes",
    description: "a real-time table item (a device's latest reading, a room's hourly aggregate)",
  },
} as const satisfies Record<string, AssumptionDefinition>;

export type AssumptionKey = keyof typeof ASSUMPTIONS;
export type Assumptions = Readonly<Record<AssumptionKey, number>>;

/** The defaults with some values replaced. @throws Error naming an unknown key or a bad value. */
export function assumptionsWith(overrides: Readonly<Record<string, number>> = {}): Assumptions {
  const values = Object.fromEntries(
    Object.entries(ASSUMPTIONS).map(([key, a]) => [key, a.default]),
  ) as Record<AssumptionKey, number>;
  for (const [key, value] of Object.entries(overrides)) {
    if (!(key in ASSUMPTIONS))
      throw new Error(
        `unknown assumption "${key}"; the assumptions are ${Object.keys(ASSUMPTIONS).join(", ")}`,
      );
    if (!Number.isFinite(value) || value < 0)
      throw new Error(`assumption ${key} must be a number of 0 or more (got ${value})`);
    values[key as AssumptionKey] = value;
  }
  if (values.intervalSeconds <= 0) throw new Error("intervalSeconds must be more than 0");
  return values;
}
