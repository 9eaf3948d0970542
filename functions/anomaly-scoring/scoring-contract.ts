/**
 * What the scoring steps take and give: their settings (from the Lambda environment), their injected clients,
 * and the plan and outcome the scoring state machine carries from step to step (`scoring.ts` runs the steps).
 */
import type { S3Client } from "@aws-sdk/client-s3";
import type { SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import type { SNSClient } from "@aws-sdk/client-sns";
import type { ModelSettings } from "../../components/ml/model-settings";
import type { MetricsPublisher } from "../ml-common/metrics";
import type { RetryOptions } from "../ml-common/retry";

/** Settings of the scoring functions (from the Lambda environment). */
export interface ScoringSettings {
  /** Deployment label for alert subjects and SageMaker names, e.g. `sensors-prod`. */
  readonly deployment: string;
  readonly curatedBucket: string;
  readonly artifactsBucket: string;
  readonly alertTopicArn: string;
  /** Endpoint mode: the endpoint to invoke. @default - batch mode */
  readonly endpointName?: string;
  readonly model: ModelSettings;
  /** How long after arrival a reading may still be missing from S3 (Firehose buffering plus margin). */
  readonly ingestDelayMs: number;
  /** Largest window one run scores; a backlog is worked off over several runs. @default 6 hours */
  readonly maxWindowMs?: number;
  /** How far back the very first run looks. @default 1 day */
  readonly firstWindowMs?: number;
  /**
   * How far before a window readings are read as context (baseline, shingle and gaps of the window's first
   * readings): enough for `baselineReadings + shingleSize` readings at the sensors' interval. @default 6 hours
   */
  readonly contextMs?: number;
  /** How much older than its arrival a reading's own date may be (the query prunes dt partitions by it). @default 1 day */
  readonly latenessMs?: number;
  /** Alerts per run; beyond it one summary is sent. @default 20 */
  readonly maxAlertsPerRun?: number;
  /** Largest InvokeEndpoint body, in bytes (SageMaker's limit is 6 MB). @default MAX_REQUEST_BYTES (5 MiB) */
  readonly maxRequestBytes?: number;
  /** Most rows per InvokeEndpoint request. @default 10000 */
  readonly maxRowsPerRequest?: number;
}

export interface ScoringClients {
  readonly s3: S3Client;
  readonly sns: SNSClient;
  /** Endpoint mode only. */
  readonly runtime?: SageMakerRuntimeClient;
  /** @default Date.now */
  readonly now?: () => number;
  /** Retry behaviour of InvokeEndpoint (tests pass a sleep that does not wait). */
  readonly retry?: RetryOptions;
  /**
   * Where the pipeline metrics go (`PIPELINE_METRICS`: readings scored, anomalies, lag, model age). The Lambda
   * handler writes them as EMF lines to its log; the local backend to its CloudWatch stand-in.
   * @default - not published
   */
  readonly metrics?: MetricsPublisher;
}

/** The plan step's output, carried through the state machine. */
export interface ScoringPlan {
  readonly skip: boolean;
  readonly reason?: string;
  readonly windowId?: string;
  readonly sinceMs?: number;
  readonly untilMs?: number;
  readonly attempt?: number;
  /** Values for the scoring_input query's `?` markers, as Athena literals. */
  readonly athenaParameters?: string[];
  /** ETag of the watermark after pinning the window; the last step writes only if it is unchanged. */
  readonly watermarkEtag?: string;
  readonly model?: {
    readonly name: string;
    readonly version: string;
    /** The alert policy's floor: mean + z sigma of the training scores. */
    readonly threshold: number;
    /** Mean and sigma of the training scores: where a device's score distribution starts. */
    readonly mean: number;
    readonly sigma: number;
    /** modelScope room: each room's model, floor and prior (its sensors are scored by it alone). */
    readonly rooms?: Readonly<
      Record<
        string,
        { readonly name: string; readonly threshold: number; readonly mean: number; readonly sigma: number }
      >
    >;
  };
  /** Batch mode: a transform job name unique to this window and attempt. */
  readonly transformJobName?: string;
}

export interface ScoringOutcome {
  readonly windowId: string;
  readonly vectors: number;
  readonly anomalies: number;
  readonly incidents: number;
  readonly alerts: number;
  readonly anomalyObjects: string[];
  readonly scoredThroughMs: number;
}

/** Thrown when the watermark changed between planning and finishing (another run got there first). */
export class WatermarkMovedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WatermarkMovedError";
  }
}
