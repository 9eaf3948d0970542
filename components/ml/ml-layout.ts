/**
 * Where the anomaly pipeline keeps its objects, and the small JSON documents it passes between runs. Pure:
 * the state machines, the functions and the local backend all use these keys.
 *
 *   artifacts bucket  models/runs/<run>/output/<job>/output/model.tar.gz   SageMaker's model artifact
 *                     models/runs/<run>/training-scores/             batch transform scores of the training set
 *                     models/runs/<run>/threshold.json               mean, sigma, z and threshold
 *                     models/current.json                            the model in service (see ModelPointer)
 *                     models/current/model.tar.gz                    its artifact, at a stable key
 *   curated bucket    training/room_id=<room>/...                    per-room training CSV from the curate job:
 *                                                                    shingled feature vectors, no header (input)
 *                     anomalies/room_id=<room>/dt=<day>/<window>.json   anomaly records (output)
 *                     state/anomaly-scoring/watermark.json           what has been scored (see ScoringWatermark)
 *                     state/anomaly-scoring/batches/<window>/        batch transform input, row keys, output
 */
import { LAKE_ZONES } from "../lake/layout";
import type { FeatureSettings } from "./feature-sql";
import type { DeviceStream } from "./incidents";

const MODELS = LAKE_ZONES.models.prefix;
/** Prefix of the scoring state in the curated bucket (outside every table location, so no query reads it). */
export const SCORING_STATE_PREFIX = "state/anomaly-scoring/";

/** A run ID: UTC time of the run plus a suffix from the execution name, safe in every SageMaker name. */
export const RUN_ID_PATTERN = /^\d{8}t\d{6}-[a-z0-9]{1,12}$/;

/** Builds a run ID from the start time and the Step Functions execution name. */
export function runId(startedAt: Date, executionName: string): string {
  const stamp = startedAt.toISOString().replace(/[-:]/g, "").slice(0, 15).toLowerCase();
  const suffix =
    executionName
      .toLowerCase()
      .replace(/[^a-z0-9]/g, "")
      .slice(-8) || "run";
  return `${stamp}-${suffix}`;
}

function checkRun(run: string): string {
  if (!RUN_ID_PATTERN.test(run))
    throw new Error(`run ID "${run}" must look like 20240131t020000-abc123 (see runId())`);
  return run;
}

function checkRoom(room: string): string {
  if (!/^[A-Za-z0-9_]{1,32}$/.test(room))
    throw new Error(`room_id "${room}" is not a valid room ID (1-32 letters, digits or '_')`);
  return room;
}

export const MODEL_KEYS = {
  runPrefix: (run: string) => `${MODELS}runs/${checkRun(run)}/`,
  trainingOutputPrefix: (run: string) => `${MODEL_KEYS.runPrefix(run)}output/`,
  /** Scores of the training set (a room's model: of its room, under a folder of its own). */
  trainingScoresPrefix: (run: string, room?: string) =>
    `${MODEL_KEYS.runPrefix(run)}training-scores/${room ? `${checkRoom(room)}/` : ""}`,
  threshold: (run: string, room?: string) =>
    `${MODEL_KEYS.runPrefix(run)}threshold${room ? `-${checkRoom(room)}` : ""}.json`,
  /** The pointer to the model in service. */
  current: `${MODELS}current.json`,
  /** The artifact of the model in service, at a stable key (the Pulumi-managed first model reads it). */
  currentArtifact: `${MODELS}current/model.tar.gz`,
} as const;

export const SCORING_KEYS = {
  watermark: `${SCORING_STATE_PREFIX}watermark.json`,
  batchPrefix: (window: string) => `${SCORING_STATE_PREFIX}batches/${window}/`,
  batchInput: (window: string) => `${SCORING_KEYS.batchPrefix(window)}input/features.csv`,
  batchRows: (window: string) => `${SCORING_KEYS.batchPrefix(window)}rows.json`,
  batchOutputPrefix: (window: string) => `${SCORING_KEYS.batchPrefix(window)}output/`,
  /** modelScope room: a room's vectors and its transform's output. */
  roomBatchInput: (window: string, room: string) =>
    `${SCORING_KEYS.batchPrefix(window)}input/${checkRoom(room)}/features.csv`,
  roomBatchOutputPrefix: (window: string, room: string) =>
    `${SCORING_KEYS.batchPrefix(window)}output/${checkRoom(room)}/`,
} as const;

/** The model in service, written by the training state machine after a successful run. */
export interface ModelPointer {
  readonly runId: string;
  /** SageMaker model name (batch transform uses it). */
  readonly modelName: string;
  readonly trainingJobName: string;
  /** S3 URI of the run's model.tar.gz. */
  readonly modelDataUrl: string;
  /** Endpoint config the endpoint was moved to (endpoint mode only). */
  readonly endpointConfigName?: string;
  readonly threshold: number;
  readonly mean: number;
  readonly sigma: number;
  readonly z: number;
  /** Training vectors scored to compute the threshold. */
  readonly trainingVectors: number;
  /** The model settings the run trained with (the features must match at scoring). */
  readonly featureDim: number;
  readonly shingleSize: number;
  /** The feature settings of the training set. @default - absent in pointers written before features existed */
  readonly features?: FeatureSettings;
  /**
   * modelScope room: each room's model (its sensors are scored by it alone); the one-model fields above then
   * describe the room with the most training vectors. @default - absent: one model for the fleet
   */
  readonly rooms?: Readonly<Record<string, RoomModel>>;
  readonly promotedAt: string;
}

/** One room's model in a room-scoped pointer. */
export interface RoomModel {
  readonly modelName: string;
  /** The training job that made it (a capacity retry's `-a<n>` name); absent in pointers written before. */
  readonly trainingJobName?: string;
  readonly modelDataUrl: string;
  /** The alert policy's floor for the room's sensors. */
  readonly threshold: number;
  readonly mean: number;
  readonly sigma: number;
  readonly trainingVectors: number;
}

/** What scoring has covered, so a second run over the same data scores nothing twice. */
export interface ScoringWatermark {
  /** Every reading that arrived (received_at) at or before this epoch-ms time has been scored. */
  readonly scoredThroughMs: number;
  /**
   * The window a run planned and has not finished. The next run scores exactly this window again (same
   * bounds, same object keys), so a failed run never leaves duplicates behind.
   */
  readonly pending?: { readonly sinceMs: number; readonly untilMs: number; readonly attempt: number };
  /** The window that advanced the watermark last. */
  readonly lastWindowId: string;
  /**
   * Per device, the alert policy's stream (score distribution, open incident), so scoring in many windows
   * judges like scoring in one, and an incident continuing into the next window is not alerted twice.
   * @default - none (a watermark written before the alert policy; devices start from the model's prior)
   */
  readonly streams?: Readonly<Record<string, DeviceStream>>;
  /** Run ID of the model whose scores the streams learned. */
  readonly streamsModel?: string;
  readonly updatedAt: string;
}

/** ID of a scoring window: its bounds (base 36), so scoring the same window again writes the same objects. */
export function windowId(sinceMs: number, untilMs: number): string {
  return `w${sinceMs.toString(36)}-${untilMs.toString(36)}`;
}

/** SageMaker's limit on the names of training jobs, transform jobs, models and endpoint configs. */
export const SAGEMAKER_NAME_MAX_LENGTH = 63;

/**
 * Attempts the training machine makes at a training or transform job that fails for want of instances
 * (`CapacityError`): the first and 3 retries, so a shortage that clears within about half an hour (3 waits of
 * 10 minutes, see `CAPACITY_RETRY` in asl-common.ts) does not cost the run, and a lasting one still ends it in
 * the failure notice rather than holding it. A retry is a new job (names are unique per account and region):
 * see {@link jobAttemptName}.
 */
export const SAGEMAKER_JOB_ATTEMPTS = 4;

/** What separates a job's name from the number of its retry: `<name>-a2`, like the scoring function's transforms. */
export const JOB_ATTEMPT_SEPARATOR = "-a";

/**
 * The name of attempt `attempt` at the job first named `name`: `name` itself for the first, `<name>-a<attempt>`
 * for a retry (the training machine builds the same with `States.Format`).
 */
export function jobAttemptName(name: string, attempt: number): string {
  return attempt === 1 ? name : `${name}${JOB_ATTEMPT_SEPARATOR}${attempt}`;
}

/**
 * Prefix of the SageMaker names a deployment's runs create (training jobs, models, endpoint configs,
 * transform jobs). SageMaker names are at most {@link SAGEMAKER_NAME_MAX_LENGTH} characters; the prefix
 * leaves room for a run or window ID (and a job's retry suffix, {@link jobAttemptName}).
 */
export function sageMakerNamePrefix(deployment: string): string {
  const prefix = deployment
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .slice(0, 24)
    .replace(/-+$/, "");
  if (!/^[a-z0-9]/.test(prefix))
    throw new Error(`deployment "${deployment}" must start with a letter or digit to name SageMaker jobs`);
  return prefix;
}

/**
 * The deployment's record of the promoted model, an SSM parameter (String) under {@link promotedModelPath}.
 * The component creates it holding {@link NO_PROMOTED_MODEL}; every promotion overwrites it with a
 * {@link PromotedModel}. `pulumi up` reads it to decide whether the real-time endpoint can exist yet: the
 * endpoint serves the promoted model, and before the first training run there is none. SSM rather than the S3
 * pointer because the program knows the parameter's name before the (auto-named) buckets exist.
 */
export function promotedModelPath(deployment: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(deployment))
    throw new Error(
      `deployment "${deployment}" must be letters, digits, ".", "_" and "-" to name its SSM parameters`,
    );
  return `/sensor-analytics/${deployment}/anomaly-model`;
}

export function promotedModelParameterName(deployment: string): string {
  return `${promotedModelPath(deployment)}/promoted`;
}

/** The parameter's value before any promotion. */
export const NO_PROMOTED_MODEL = "none";

/** What the promoted-model parameter records: enough to tell an operator which run is in service. */
export interface PromotedModel {
  readonly runId: string;
  readonly modelName: string;
  readonly promotedAt: string;
}

/**
 * Reads the promoted-model parameter's value: `undefined` for {@link NO_PROMOTED_MODEL}. Anything else that
 * is not a {@link PromotedModel} is an error naming the parameter, since guessing would either create an
 * endpoint with no model behind it or leave a working one out.
 */
export function parsePromotedModel(parameterName: string, value: string): PromotedModel | undefined {
  if (value.trim() === NO_PROMOTED_MODEL) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = undefined;
  }
  const record = parsed as Partial<Record<keyof PromotedModel, unknown>> | undefined;
  if (
    typeof record !== "object" ||
    record === null ||
    typeof record.runId !== "string" ||
    !RUN_ID_PATTERN.test(record.runId) ||
    typeof record.modelName !== "string" ||
    record.modelName === "" ||
    typeof record.promotedAt !== "string"
  ) {
    throw new Error(
      `SSM parameter ${parameterName} holds ${JSON.stringify(value.slice(0, 120))}, neither "${NO_PROMOTED_MODEL}" nor a promoted model ` +
        `({"runId","modelName","promotedAt"}); the training state machine writes it when it promotes a model. ` +
        `Run the training again, or set it to "${NO_PROMOTED_MODEL}" if no model has been promoted`,
    );
  }
  return { runId: record.runId, modelName: record.modelName, promotedAt: record.promotedAt };
}

/**
 * Where the real-time endpoint stands: `serving` once a model is promoted (the endpoint exists and both
 * pipelines use it), `awaiting-first-model` in endpoint mode before that (batch transforms score, and the
 * first promotion announces that the next deployment creates the endpoint), `batch-mode` otherwise.
 */
export type EndpointStatus = "serving" | "awaiting-first-model" | "batch-mode";

/** What a deployment does with the endpoint; both backends deploy from this. */
export interface EndpointPlan {
  readonly status: EndpointStatus;
  /** Set once `serving`: the endpoint to create, that scoring uses and retraining updates. */
  readonly endpointName?: string;
  /** Set while `awaiting-first-model`: the endpoint the training machine announces after promoting. */
  readonly awaitingEndpointName?: string;
}

export function planEndpoint(
  deployment: string,
  mode: "endpoint" | "batch",
  modelPromoted: boolean,
): EndpointPlan {
  if (mode === "batch") return { status: "batch-mode" };
  const name = rcfEndpointName(deployment);
  return modelPromoted
    ? { status: "serving", endpointName: name }
    : { status: "awaiting-first-model", awaitingEndpointName: name };
}

/** The real-time endpoint's name: fixed, because the training machine and the scoring function address it. */
export function rcfEndpointName(deployment: string): string {
  return `${sageMakerNamePrefix(deployment)}-rcf`;
}

/** The endpoint's one production variant (Pulumi's first endpoint config and every retraining config). */
export const VARIANT_NAME = "AllTraffic";
