/**
 * The ML functions' environment contract: the variable names, and one builder per function that the Pulumi
 * components (on the Lambdas) and the local backend (on the same handlers' settings readers) both call, so the
 * two backends hand the functions the same values under the same names. The handlers read the names from
 * {@link ML_ENV}; like the ETL planner's `PLANNER_ENV` (components/etl/plan.ts).
 *
 * Generic over the value type: the components pass Pulumi outputs (bucket names, topic ARNs), the local backend
 * plain strings.
 */
import type { ModelSettings } from "./model-settings";

/** Environment variables of the ML functions (anomaly scoring, model training, ad-hoc scoring). */
export const ML_ENV = {
  deployment: "DEPLOYMENT",
  curatedBucket: "CURATED_BUCKET",
  artifactsBucket: "ARTIFACTS_BUCKET",
  alertTopicArn: "ALERT_TOPIC_ARN",
  /** JSON of buildModelSettings(...). */
  modelSettings: "MODEL_SETTINGS",
  /** Seconds a reading may take to reach the lake; see {@link ingestDelaySeconds}. */
  ingestDelaySeconds: "INGEST_DELAY_SECONDS",
  /** Endpoint mode only. */
  endpointName: "ENDPOINT_NAME",
  /** Optional: the longest window one scoring run catches up (default 6 hours). */
  maxWindowSeconds: "MAX_WINDOW_SECONDS",
  /** Optional: below this many bytes of training data, training counts rows exactly (default 64 MiB). */
  exactCountBytes: "EXACT_COUNT_BYTES",
  /** Optional: model versions kept in the artifacts bucket (default 3). */
  keepModels: "KEEP_MODELS",
  /** SSM parameter that records the promoted model. */
  promotedModelParameter: "PROMOTED_MODEL_PARAMETER",
} as const;

/**
 * How long after a reading's time it may still be missing from the lake, so a scoring window ends that long
 * before "now": one Firehose buffer interval (Firehose holds records up to `bufferSeconds` before it writes), plus
 * five minutes for what comes after the buffer: Parquet conversion, the S3 write, and Firehose's own retries of a
 * failed delivery (it retries S3 for minutes before giving up to the error prefix). Scoring a window before its
 * readings land would miss them for good: the next window starts where this one ended.
 */
export function ingestDelaySeconds(firehoseBufferSeconds: number): number {
  if (!Number.isInteger(firehoseBufferSeconds) || firehoseBufferSeconds < 0)
    throw new RangeError(
      `firehose buffer must be a whole number of seconds, 0 or more (got ${firehoseBufferSeconds})`,
    );
  return firehoseBufferSeconds + 300;
}

/** Values of the anomaly-scoring function's environment. */
export interface ScoringFunctionValues<T> {
  readonly deployment: string;
  readonly curatedBucket: T;
  readonly artifactsBucket: T;
  readonly alertTopicArn: T;
  readonly model: ModelSettings;
  /** Seconds; {@link ingestDelaySeconds} of the platform's Firehose buffer, 0 when everything is delivered. */
  readonly ingestDelaySeconds: number;
  /** Endpoint mode only. */
  readonly endpointName?: T;
}

/** The anomaly-scoring function's environment. */
export function scoringFunctionEnvironment<T>(v: ScoringFunctionValues<T>): Record<string, T | string> {
  return {
    [ML_ENV.deployment]: v.deployment,
    [ML_ENV.curatedBucket]: v.curatedBucket,
    [ML_ENV.artifactsBucket]: v.artifactsBucket,
    [ML_ENV.alertTopicArn]: v.alertTopicArn,
    [ML_ENV.modelSettings]: JSON.stringify(v.model),
    [ML_ENV.ingestDelaySeconds]: String(v.ingestDelaySeconds),
    ...(v.endpointName !== undefined ? { [ML_ENV.endpointName]: v.endpointName } : {}),
  };
}

/** Values of the model-training function's environment. */
export interface TrainingFunctionValues<T> {
  readonly deployment: string;
  readonly curatedBucket: T;
  readonly artifactsBucket: T;
  readonly model: ModelSettings;
  readonly promotedModelParameter: T;
}

/** The model-training function's environment. */
export function trainingFunctionEnvironment<T>(v: TrainingFunctionValues<T>): Record<string, T | string> {
  return {
    [ML_ENV.deployment]: v.deployment,
    [ML_ENV.curatedBucket]: v.curatedBucket,
    [ML_ENV.artifactsBucket]: v.artifactsBucket,
    [ML_ENV.modelSettings]: JSON.stringify(v.model),
    [ML_ENV.promotedModelParameter]: v.promotedModelParameter,
  };
}

/** Values of the ad-hoc scoring function's environment. */
export interface AdHocScoringValues<T> {
  readonly artifactsBucket: T;
  readonly endpointName: T;
  readonly model: ModelSettings;
}

/** The ad-hoc scoring function's environment. */
export function adHocScoringEnvironment<T>(v: AdHocScoringValues<T>): Record<string, T | string> {
  return {
    [ML_ENV.artifactsBucket]: v.artifactsBucket,
    [ML_ENV.endpointName]: v.endpointName,
    [ML_ENV.modelSettings]: JSON.stringify(v.model),
  };
}
