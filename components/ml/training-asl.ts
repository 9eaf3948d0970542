/**
 * The model-training state machine as a typed ASL object. Pure: the cloud component calls it inside an
 * `apply` with deployed ARNs; tests and the local backend call it with any strings and bind the Task states to
 * local handlers by name ({@link TRAINING_STATES}).
 *
 *   guard (no overlapping runs) → Prepare training set (Lambda) → Enough training data?
 *   → Train model (createTrainingJob.sync) → Create model
 *   → Score training set (createTransformJob.sync) → Compute threshold (Lambda: mean + z sigma)
 *   → [endpoint mode: Create endpoint config → Update endpoint (blue/green, auto-rollback on alarms)
 *      → Wait → Check endpoint → Endpoint updated? (poll up to a limit)]
 *   → Promote model (Lambda: pointer + stable artifact + promotion record)
 *   → [endpoint awaiting its first model: Announce first model (SNS)] → Training succeeded
 *
 * modelScope room (batch mode): Train room models (Map over the rooms with enough data: train, create, score
 * the room's training set, its threshold) → Promote model (every room's model) → Training succeeded.
 *
 * Every Task has a timeout and retries transient errors; every error ends in Notify failure (SNS) → Fail.
 */
import type {
  ChoiceState,
  MapState,
  PassState,
  Retrier,
  PayloadTemplate,
  StateMachineDefinition,
  States,
  SucceedState,
  WaitState,
} from "../etl/asl/types";
import {
  batchTransformParameters,
  escapeIntrinsic,
  lambdaStep,
  ML_INTEGRATIONS,
  ML_RETRY,
  mlTask,
  notifyAndFail,
  overlapGuard,
  sageMakerTags,
} from "./asl-common";
import { catchAllTo } from "../etl/asl/states";
import { VARIANT_NAME } from "./ml-layout";
import { ModelSettings, sageMakerHyperParameters } from "./model-settings";

export const TRAINING_STATES = {
  checkRunning: "Check for a running training",
  anotherRunning: "Is another training running?",
  skipRunning: "Skip: training already running",
  prepare: "Prepare training set",
  enoughData: "Enough training data?",
  notEnoughData: "Not enough training data yet",
  train: "Train model",
  createModel: "Create model",
  scoreTrainingSet: "Score training set",
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
  roomCreateModel: "Create room model",
  roomScore: "Score room training set",
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
  /** KMS key for job volumes, model artifacts, transform output and the endpoint's storage. */
  readonly kmsKeyArn: string;
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

/** Builds the definition. Endpoint mode when `resources.endpointName` is set, batch mode otherwise. */
export function buildTrainingStateMachine(
  resources: TrainingMachineResources,
  settings: TrainingMachineSettings,
): StateMachineDefinition {
  const S = TRAINING_STATES;
  const onError = S.notify;
  const fn = resources.trainingFunctionArn;
  const endpointMode = resources.endpointName !== undefined;
  const awaiting = resources.awaitingEndpointName;
  if (endpointMode && awaiting !== undefined)
    throw new Error(
      `training machine: endpointName (${resources.endpointName}) and awaitingEndpointName (${awaiting}) exclude each other`,
    );
  const maxTrainingSeconds = (settings.maxTrainingMinutes ?? 60) * 60;
  const withTags = sageMakerTags(settings.tags);
  const sageMakerRetry = [ML_RETRY.sageMakerCapacity, ML_RETRY.sageMakerApi];
  const roomScope = settings.model.scope === "room";
  if (roomScope && (endpointMode || awaiting !== undefined))
    throw new Error(
      "training machine: modelScope room needs batch mode (a real-time endpoint serves one model); set anomalyMode to batch or anomalyModelScope to fleet",
    );
  const trainingJob = (paths: {
    name: string;
    trainingSetUri: string;
    outputUri: string;
  }): PayloadTemplate => ({
    [`TrainingJobName.$`]: paths.name,
    AlgorithmSpecification: { TrainingImage: resources.trainingImage, TrainingInputMode: "File" },
    RoleArn: resources.sageMakerRoleArn,
    HyperParameters: sageMakerHyperParameters(settings.model),
    InputDataConfig: [
      {
        ChannelName: "train",
        ContentType: settings.model.contentTypes.training,
        DataSource: {
          // Random Cut Forest requires ShardedByS3Key on its train channel.
          S3DataSource: {
            S3DataType: "S3Prefix",
            "S3Uri.$": paths.trainingSetUri,
            S3DataDistributionType: "ShardedByS3Key",
          },
        },
      },
    ],
    OutputDataConfig: { "S3OutputPath.$": paths.outputUri, KmsKeyId: resources.kmsKeyArn },
    ResourceConfig: {
      InstanceCount: 1,
      InstanceType: settings.trainingInstanceType,
      VolumeSizeInGB: 10,
      VolumeKmsKeyId: resources.kmsKeyArn,
    },
    StoppingCondition: { MaxRuntimeInSeconds: maxTrainingSeconds },
    // The built-in algorithm needs no network: nothing leaves the container but the artifact.
    EnableNetworkIsolation: true,
    ...withTags,
  });
  const transformParameters = (paths: {
    jobName: string;
    modelName: string;
    inputUri: string;
    outputUri: string;
  }): PayloadTemplate =>
    batchTransformParameters(
      paths,
      {
        contentType: settings.model.contentTypes.inference,
        instanceType: settings.inferenceInstanceType,
        kmsKeyArn: resources.kmsKeyArn,
      },
      withTags,
    );

  const states: States = {
    ...overlapGuard(
      { check: S.checkRunning, decide: S.anotherRunning, skip: S.skipRunning },
      onError,
      S.prepare,
    ),
    [S.prepare]: lambdaStep(
      fn,
      { action: "prepare", "executionName.$": "$$.Execution.Name", "startTime.$": "$$.Execution.StartTime" },
      "$.run",
      onError,
      { Next: S.enoughData },
    ),
    [S.enoughData]: {
      Type: "Choice",
      Choices: [{ Variable: "$.run.enough", BooleanEquals: true, Next: roomScope ? S.trainRooms : S.train }],
      Default: S.notEnoughData,
    } satisfies ChoiceState,
    [S.notEnoughData]: {
      Type: "Succeed",
      Comment: "Fewer training vectors than num_samples_per_tree; the model in service stays",
    } satisfies SucceedState,
    ...(roomScope
      ? roomStates(resources, withTags, maxTrainingSeconds, sageMakerRetry, trainingJob, transformParameters)
      : {
          [S.train]: mlTask(
            ML_INTEGRATIONS.createTrainingJobSync,
            {
              parameters: trainingJob({
                name: "$.run.trainingJobName",
                trainingSetUri: "$.run.trainingSetUri",
                outputUri: "$.run.outputUri",
              }),
              resultSelector: {
                "trainingJobName.$": "$.TrainingJobName",
                "modelDataUrl.$": "$.ModelArtifacts.S3ModelArtifacts",
              },
              resultPath: "$.training",
              // SageMaker's own MaxRuntime fires first; the margin covers provisioning and upload.
              timeoutSeconds: maxTrainingSeconds + 1800,
              retry: sageMakerRetry,
              onError,
            },
            { Next: S.createModel },
          ),
          [S.createModel]: mlTask(
            ML_INTEGRATIONS.createModel,
            {
              parameters: {
                "ModelName.$": "$.run.modelName",
                PrimaryContainer: {
                  Image: resources.trainingImage,
                  "ModelDataUrl.$": "$.training.modelDataUrl",
                },
                ExecutionRoleArn: resources.sageMakerRoleArn,
                EnableNetworkIsolation: true,
                ...withTags,
              },
              resultPath: null,
              timeoutSeconds: 120,
              retry: [ML_RETRY.sageMakerApi],
              onError,
            },
            { Next: S.scoreTrainingSet },
          ),
          [S.scoreTrainingSet]: mlTask(
            ML_INTEGRATIONS.createTransformJobSync,
            {
              comment: "Scores every training vector once; the threshold is mean + z sigma of these scores",
              parameters: transformParameters({
                jobName: "$.run.transformJobName",
                modelName: "$.run.modelName",
                inputUri: "$.run.trainingSetUri",
                outputUri: "$.run.scoresUri",
              }),
              resultPath: null,
              timeoutSeconds: 3600,
              retry: sageMakerRetry,
              onError,
            },
            { Next: S.threshold },
          ),
          [S.threshold]: lambdaStep(fn, { action: "threshold", "run.$": "$.run" }, "$.threshold", onError, {
            Next: endpointMode ? S.createEndpointConfig : S.promote,
          }),
        }),
    ...(endpointMode ? endpointStates(resources, settings, withTags) : {}),
    [S.promote]: lambdaStep(
      fn,
      {
        action: "promote",
        "run.$": "$.run",
        ...(roomScope
          ? { "models.$": "$.models" }
          : { "modelDataUrl.$": "$.training.modelDataUrl", "threshold.$": "$.threshold" }),
        ...(endpointMode
          ? { "endpointConfigName.$": "$.run.endpointConfigName", endpointName: resources.endpointName! }
          : {}),
        "promotedAt.$": "$$.State.EnteredTime",
      },
      "$.promoted",
      onError,
      { Next: awaiting !== undefined ? S.announce : S.succeeded },
    ),
    ...(awaiting !== undefined ? announceStates(awaiting, resources.failureTopicArn, settings.label) : {}),
    [S.succeeded]: { Type: "Succeed" } satisfies SucceedState,
    ...notifyAndFail(
      { notify: S.notify, fail: S.failed },
      resources.failureTopicArn,
      `[${settings.label}] Model training failed`,
      "Model training",
    ),
  };

  const mode = roomScope
    ? "batch, one model per room"
    : endpointMode
      ? "endpoint"
      : awaiting !== undefined
        ? "endpoint awaiting its first model, batch until then"
        : "batch";
  return {
    Comment: `Random Cut Forest training (${settings.label}, ${mode} mode): prepare, train, score the training set for the threshold, ${endpointMode ? "update the endpoint, " : ""}promote`,
    StartAt: S.checkRunning,
    // The sum of every task's own timeout, rounded up: a stuck execution still ends.
    TimeoutSeconds: maxTrainingSeconds + 1800 + 3600 + 4 * 3600,
    States: states,
  };
}

/**
 * The announcement that the endpoint can now be created. An operator action is needed (Pulumi owns the
 * endpoint), so it goes to the topic operators watch. The model is already in service for batch scoring, so a
 * failed announcement does not fail the run.
 */
function announceStates(endpointName: string, topicArn: string, label: string): States {
  const S = TRAINING_STATES;
  const publish = mlTask(
    ML_INTEGRATIONS.snsPublish,
    {
      parameters: {
        TopicArn: topicArn,
        Subject: `[${label}] First anomaly model promoted: run pulumi up`.slice(0, 100),
        "Message.$": `States.Format('Model {} (run {}) is promoted and scores readings in batch transforms. Run pulumi up for deployment ${escapeIntrinsic(label)} to create the real-time endpoint ${escapeIntrinsic(endpointName)}; scoring moves to it then.', $.promoted.modelName, $.promoted.runId)`,
      },
      resultPath: null,
      timeoutSeconds: 30,
      retry: [ML_RETRY.sns],
    },
    { Next: S.succeeded },
  );
  return {
    [S.announce]: {
      ...publish,
      Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.announceError", Next: S.succeeded }],
    },
  };
}

function endpointStates(
  resources: TrainingMachineResources,
  settings: TrainingMachineSettings,
  withTags: PayloadTemplate,
): States {
  const S = TRAINING_STATES;
  const onError = S.notify;
  const alarms = resources.rollbackAlarmNames ?? [];
  return {
    [S.createEndpointConfig]: mlTask(
      ML_INTEGRATIONS.createEndpointConfig,
      {
        parameters: {
          "EndpointConfigName.$": "$.run.endpointConfigName",
          ProductionVariants: [
            {
              VariantName: VARIANT_NAME,
              "ModelName.$": "$.run.modelName",
              InstanceType: settings.inferenceInstanceType,
              InitialInstanceCount: settings.inferenceInstanceCount,
            },
          ],
          KmsKeyId: resources.kmsKeyArn,
          ...withTags,
        },
        resultPath: null,
        timeoutSeconds: 120,
        retry: [ML_RETRY.sageMakerApi],
        onError,
      },
      { Next: S.updateEndpoint },
    ),
    [S.updateEndpoint]: mlTask(
      ML_INTEGRATIONS.updateEndpoint,
      {
        comment:
          "Blue/green: SageMaker brings up the new fleet, shifts traffic, and rolls back if an alarm fires",
        parameters: {
          EndpointName: resources.endpointName!,
          "EndpointConfigName.$": "$.run.endpointConfigName",
          // Keep the instance count autoscaling chose instead of resetting it to the config's initial count.
          RetainAllVariantProperties: true,
          DeploymentConfig: {
            BlueGreenUpdatePolicy: {
              TrafficRoutingConfiguration: { Type: "ALL_AT_ONCE", WaitIntervalInSeconds: 0 },
              TerminationWaitInSeconds: 300,
              MaximumExecutionTimeoutInSeconds: 3600,
            },
            ...(alarms.length > 0
              ? { AutoRollbackConfiguration: { Alarms: alarms.map((AlarmName) => ({ AlarmName })) } }
              : {}),
          },
        },
        resultPath: null,
        timeoutSeconds: 120,
        retry: [ML_RETRY.sageMakerApi],
        onError,
      },
      { Next: S.startPolls },
    ),
    [S.startPolls]: {
      Type: "Pass",
      Result: { count: 0 },
      ResultPath: "$.polls",
      Next: S.waitForEndpoint,
    } satisfies PassState,
    [S.waitForEndpoint]: {
      Type: "Wait",
      Seconds: settings.endpointPollSeconds ?? 60,
      Next: S.checkEndpoint,
    } satisfies WaitState,
    [S.checkEndpoint]: mlTask(
      ML_INTEGRATIONS.describeEndpoint,
      {
        parameters: { EndpointName: resources.endpointName! },
        resultSelector: { "status.$": "$.EndpointStatus" },
        resultPath: "$.endpoint",
        timeoutSeconds: 30,
        retry: [ML_RETRY.sageMakerApi],
        onError,
      },
      { Next: S.endpointUpdated },
    ),
    [S.endpointUpdated]: {
      Type: "Choice",
      Comment: "InService after a rollback runs the old config: Promote model checks which config is live",
      Choices: [
        { Variable: "$.endpoint.status", StringEquals: "InService", Next: S.promote },
        {
          Or: [
            { Variable: "$.endpoint.status", StringEquals: "Failed" },
            { Variable: "$.endpoint.status", StringEquals: "UpdateRollbackFailed" },
            { Variable: "$.endpoint.status", StringEquals: "OutOfService" },
          ],
          Next: S.endpointFailed,
        },
      ],
      Default: S.countPoll,
    } satisfies ChoiceState,
    [S.countPoll]: {
      Type: "Pass",
      Parameters: { "count.$": "States.MathAdd($.polls.count, 1)" },
      ResultPath: "$.polls",
      Next: S.pollsLeft,
    } satisfies PassState,
    [S.pollsLeft]: {
      Type: "Choice",
      Choices: [
        {
          Variable: "$.polls.count",
          NumericGreaterThanEquals: settings.endpointMaxPolls ?? 60,
          Next: S.endpointTimedOut,
        },
      ],
      Default: S.waitForEndpoint,
    } satisfies ChoiceState,
    [S.endpointFailed]: {
      Type: "Pass",
      Parameters: {
        Error: "EndpointUpdateFailed",
        "Cause.$": `States.Format('Endpoint ${escapeIntrinsic(resources.endpointName!)} is {} after the update to {}', $.endpoint.status, $.run.endpointConfigName)`,
      },
      ResultPath: "$.error",
      Next: S.notify,
    } satisfies PassState,
    [S.endpointTimedOut]: {
      Type: "Pass",
      Parameters: {
        Error: "EndpointUpdateTimedOut",
        "Cause.$": `States.Format('Endpoint ${escapeIntrinsic(resources.endpointName!)} still {} after {} status checks', $.endpoint.status, $.polls.count)`,
      },
      ResultPath: "$.error",
      Next: S.notify,
    } satisfies PassState,
  };
}

/**
 * modelScope room: the same steps as one model, for each room of `$.run.models` (the rooms with enough data),
 * a few rooms at a time. An error in any room ends the Map, whose Catch sends it to the failure notice.
 */
function roomStates(
  resources: TrainingMachineResources,
  withTags: PayloadTemplate,
  maxTrainingSeconds: number,
  sageMakerRetry: Retrier[],
  trainingJob: (paths: { name: string; trainingSetUri: string; outputUri: string }) => PayloadTemplate,
  transformParameters: (paths: {
    jobName: string;
    modelName: string;
    inputUri: string;
    outputUri: string;
  }) => PayloadTemplate,
): States {
  const S = TRAINING_STATES;
  const iteration: States = {
    [S.roomTrain]: mlTask(
      ML_INTEGRATIONS.createTrainingJobSync,
      {
        parameters: trainingJob({
          name: "$.model.trainingJobName",
          trainingSetUri: "$.model.trainingSetUri",
          outputUri: "$.model.outputUri",
        }),
        resultSelector: { "modelDataUrl.$": "$.ModelArtifacts.S3ModelArtifacts" },
        resultPath: "$.training",
        timeoutSeconds: maxTrainingSeconds + 1800,
        retry: sageMakerRetry,
      },
      { Next: S.roomCreateModel },
    ),
    [S.roomCreateModel]: mlTask(
      ML_INTEGRATIONS.createModel,
      {
        parameters: {
          "ModelName.$": "$.model.modelName",
          PrimaryContainer: { Image: resources.trainingImage, "ModelDataUrl.$": "$.training.modelDataUrl" },
          ExecutionRoleArn: resources.sageMakerRoleArn,
          EnableNetworkIsolation: true,
          ...withTags,
        },
        resultPath: null,
        timeoutSeconds: 120,
        retry: [ML_RETRY.sageMakerApi],
      },
      { Next: S.roomScore },
    ),
    [S.roomScore]: mlTask(
      ML_INTEGRATIONS.createTransformJobSync,
      {
        comment: "Scores every training vector of the room once; its threshold is mean + z sigma of these",
        parameters: transformParameters({
          jobName: "$.model.transformJobName",
          modelName: "$.model.modelName",
          inputUri: "$.model.trainingSetUri",
          outputUri: "$.model.scoresUri",
        }),
        resultPath: null,
        timeoutSeconds: 3600,
        retry: sageMakerRetry,
      },
      { Next: S.roomThreshold },
    ),
    [S.roomThreshold]: mlTask(
      resources.trainingFunctionArn,
      {
        parameters: {
          action: "threshold",
          run: { "runId.$": "$.runId", "vectors.$": "$.model.vectors" },
          "room.$": "$.model.room",
        },
        resultPath: "$.threshold",
        timeoutSeconds: 900,
        retry: [ML_RETRY.lambda],
      },
      { Next: S.roomDone },
    ),
    [S.roomDone]: {
      Type: "Pass",
      Parameters: {
        "room.$": "$.model.room",
        "modelName.$": "$.model.modelName",
        "modelDataUrl.$": "$.training.modelDataUrl",
        "threshold.$": "$.threshold",
      },
      End: true,
    } satisfies PassState,
  };
  return {
    [S.trainRooms]: {
      Type: "Map",
      Comment:
        "One model per room (modelScope room): each trained, scored and thresholded on its room's data",
      ItemsPath: "$.run.models",
      ItemSelector: { "model.$": "$$.Map.Item.Value", "runId.$": "$.run.runId" },
      MaxConcurrency: 4,
      ItemProcessor: { ProcessorConfig: { Mode: "INLINE" }, StartAt: S.roomTrain, States: iteration },
      ResultPath: "$.models",
      Catch: catchAllTo(S.notify),
      Next: S.promote,
    } satisfies MapState,
  };
}
