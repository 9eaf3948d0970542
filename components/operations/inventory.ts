/**
 * What the operations dashboard and alarms watch: the names and dimensions of a stack's resources, as plain
 * values. Generic in the name type: the Operations component fills it with Outputs of the real resources
 * (`pulumi.Input<string>`), the pure builders and tests with strings. Pure.
 */
import type { ScheduleExpression } from "../schedule";

/** A Lambda function the pipeline runs. */
export interface WatchedFunction<N> {
  /** Stable key, part of alarm names (e.g. `anomaly-scoring`). */
  readonly key: string;
  /** What it does, for people (e.g. `anomaly scoring`). */
  readonly label: string;
  readonly name: N;
  readonly logGroup: N;
  /** Its dead-letter queue's name, when it has one. */
  readonly deadLetterQueue?: N;
}

/** A Step Functions state machine. */
export interface WatchedStateMachine<N> {
  readonly key: string;
  readonly label: string;
  readonly arn: N;
  readonly logGroup: N;
  /**
   * The schedule starting it (other starts, such as training after each ETL run, only come on top): its
   * `sfn-not-started-<key>` alarm fires when no execution started for longer than the schedule's longest gap.
   * @default - not scheduled: no such alarm
   */
  readonly schedule?: ScheduleExpression;
  /** The EventBridge Scheduler schedule's name, for that alarm's description. @default - not named there */
  readonly scheduleName?: N;
}

/** A Firehose delivery stream into the lake. */
export interface WatchedStream<N> {
  readonly key: string;
  readonly name: N;
  readonly logGroup: N;
  /** Whether it converts records to Parquet (FailedConversion.Records applies). */
  readonly convertsToParquet: boolean;
}

/** Everything the operations dashboard and alarms of one stack refer to. */
export interface OperationsInventory<N> {
  /** `<app>-<stack>`: alarm names, the pipeline metrics' dimension. */
  readonly deployment: string;
  /** Region of the stack (the dashboard's widgets). */
  readonly region: string;
  readonly ingest: {
    /** Topic rule of valid readings: its TopicMatch counts every message on the telemetry topics. */
    readonly telemetryRule: N;
    /**
     * Every topic rule on the telemetry topics, with the stream its action writes to: the telemetry rule writes
     * the Kinesis ingest stream when there is one, the others a Firehose delivery stream.
     */
    readonly rules: readonly {
      readonly key: string;
      readonly name: N;
      readonly stream: N;
      readonly streamKind: "firehose" | "kinesis";
    }[];
    /** With `ingestStream: kinesis`: the Kinesis stream between ingestion and the lake (Firehose reads it). */
    readonly kinesisStream?: { readonly key: string; readonly name: N };
    readonly telemetryStream: WatchedStream<N>;
    readonly quarantineStream: WatchedStream<N>;
    /** The raw bucket, where quarantined messages and failed deliveries are kept. */
    readonly rawBucket: N;
  };
  readonly stateMachines: readonly WatchedStateMachine<N>[];
  readonly glueJobs: readonly { readonly key: string; readonly name: N }[];
  /**
   * Every platform function, those of the optional sources included (real-time consumer, HTTPS ingestion,
   * latest-state routes, pollers).
   */
  readonly functions: readonly WatchedFunction<N>[];
  /** With `httpApi`: the HTTP API and its stage (`$default`), whose requests API Gateway counts per stage. */
  readonly httpApi?: { readonly key: string; readonly id: N; readonly stage: N };
  /** The EventBridge rule matching failed runs of the Glue jobs, and the log group keeping those events. */
  readonly glueFailures?: { readonly ruleName: N; readonly logGroup: N };
  readonly anomaly: {
    readonly mode: "endpoint" | "batch";
    /** Endpoint mode, once a model is promoted: the endpoint serving it. */
    readonly endpoint?: { readonly name: N; readonly variant: string };
  };
}

/** A CloudWatch metric with its statistic over a period. */
export interface MetricStat<N> {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, N | string>>;
  /** `Sum`, `Maximum`, `Minimum`, `Average`, `SampleCount` or a percentile such as `p90`. */
  readonly stat: string;
  /** Seconds (a multiple of 60). */
  readonly period: number;
}
