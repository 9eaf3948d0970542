/**
 * The training state machine's state names and inputs: shared by its builder (training-asl.ts), the parts
 * built beside it (training-endpoint-asl.ts) and the local backend, which binds Task states by these names.
 */
import type { ModelSettings } from "./model-settings";

export const TRAINING_STATES = {
  checkRunning: "Check for a running training",
  anotherRunning: "Is another training running?",
  skipRunning: "Skip: training already running",
  prepare: "Prepare training set",
  enoughData: "Enough training data?",
  notEnoughData: "Not enough training data yet",
  nameJobs: "Name model jobs",
  train: "Train model",
  trainShortage: "Training short of capacity?",
  waitTrainCapacity: "Wait for training capacity",
  retryTrain: "Retry training job",
  createModel: "Create model",
  scoreTrainingSet: "Score training set",
  scoreShortage: "Scoring short of capacity?",
  waitScoreCapacity: "Wait for scoring capacity",
  retryScore: "Retry scoring job",
  jobFailed: "Model job failed",
  threshold: "Compute threshold",
  createEndpointConfig: "Create endpoint config",
  updateEndpoint: "Update endpoint",
  startPolls: "Start endpoint polls",
  waitForEndpoint: "Wait for endpoint",
  checkEndpoint: "Check endpoint",
  endpointUpdated: "Endpoint updated?",
  countPoll: "Count endpoint poll",
  pollsLeft: "Endpoint polls left?",
  endpointFailed: "Endpoint update failed",
  endpointTimedOut: "Endpoint update timed out",
  trainRooms: "Train room models",
  roomTrain: "Train room model",
  roomTrainShortage: "Room training short of capacity?",
  waitRoomTrainCapacity: "Wait for room training capacity",
  retryRoomTrain: "Retry room training job",
  roomCreateModel: "Create room model",
  roomScore: "Score room training set",
  roomScoreShortage: "Room scoring short of capacity?",
  waitRoomScoreCapacity: "Wait for room scoring capacity",
  retryRoomScore: "Retry room scoring job",
  roomJobFailed: "Room model job failed",
  roomThreshold: "Compute room threshold",
  roomDone: "Room model ready",
  promote: "Promote model",
  announce: "Announce first model",
  succeeded: "Training succeeded",
  notify: "Notify failure",
  failed: "Training failed",
} as const;

/** The deployed things the machine drives, as plain strings. */
export interface TrainingMachineResources {
  /** The model-training Lambda (functions/model-training). */
  readonly trainingFunctionArn: string;
  /** Role SageMaker assumes for the training job, the model and the transform job. */
  readonly sageMakerRoleArn: string;
  /** The region's Random Cut Forest image (`aws.sagemaker.getPrebuiltEcrImage`). */
  readonly trainingImage: string;
  /**
   * KMS key for job volumes, model artifacts, transform output and the endpoint's storage.
   * @default - none: SageMaker's AWS-managed keys and the buckets' default encryption
   */
  readonly kmsKeyArn?: string | undefined;
  readonly failureTopicArn: string;
  /** Endpoint mode: the endpoint retraining updates. @default - batch mode (no endpoint) */
  readonly endpointName?: string;
  /**
   * Endpoint mode before any model was promoted: the endpoint the next `pulumi up` creates. The machine runs
   * as in batch mode and, after promoting, tells the failure topic's operators to run `pulumi up`. Exclusive
   * with `endpointName`. @default - none
   */
  readonly awaitingEndpointName?: string;
  /** Alarms that roll an endpoint update back automatically. @default - none */
  readonly rollbackAlarmNames?: readonly string[];
}

export interface TrainingMachineSettings {
  /** Deployment label for notifications, e.g. `sensors-prod`. */
  readonly label: string;
  readonly model: ModelSettings;
  readonly trainingInstanceType: string;
  /** Instance type of the training-set transform and of the endpoint. */
  readonly inferenceInstanceType: string;
  /** Endpoint mode: instances of a new endpoint config (autoscaling keeps its own count on update). */
  readonly inferenceInstanceCount: number;
  /** Training job limit. @default 60 */
  readonly maxTrainingMinutes?: number;
  /** @default 60 */
  readonly endpointPollSeconds?: number;
  /** @default 60 (an hour at the default interval) */
  readonly endpointMaxPolls?: number;
  /** Tags for the SageMaker jobs, models and endpoint configs the machine creates. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}
