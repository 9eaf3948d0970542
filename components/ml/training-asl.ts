/**
 * The model-training state machine as a typed ASL object. Pure: the cloud component calls it inside an
 * `apply` with deployed ARNs; tests and the local backend call it with any strings and bind the Task states to
 * local handlers by name ({@link TRAINING_STATES}).
 *
 *   guard (no overlapping runs) → Prepare training set (Lambda) → Enough training data? → Name model jobs
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
 * A training or transform job that fails for want of instances (`CapacityError`) is run again under a new name
 * after a wait, a few times, before its failure goes the same way (`capacityRetried` in asl-common.ts).
 */
import type {
  ChoiceState,
  FailState,
  MapState,
  PassState,
  PayloadTemplate,
  StateMachineDefinition,
  States,
  SucceedState,
  TaskState,
} from "../shared/asl/types";
import {
  type BatchTransformPaths,
  batchTransformParameters,
  capacityRetried,
  capacityRetriedSeconds,
  type CapacityRetryArgs,
  firstJobAttempt,
  kmsKeyField,
  lambdaStep,
  ML_INTEGRATIONS,
  ML_RETRY,
  mlTask,
  notifyAndFail,
  overlapGuard,
  sageMakerTags,
  type TaskOptions,
} from "./asl-common";
import { catchAllTo, ERROR_PATH } from "../shared/asl/states";
import { sageMakerHyperParameters } from "./model-settings";
import { announceStates, endpointStates } from "./training-endpoint-asl";
import {
  TRAINING_STATES,
  type TrainingMachineResources,
  type TrainingMachineSettings,
} from "./training-states";

export {
  TRAINING_STATES,
  type TrainingMachineResources,
  type TrainingMachineSettings,
} from "./training-states";

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
  // SageMaker's own MaxRuntime fires first; the margin covers provisioning and upload.
  const trainTimeoutSeconds = maxTrainingSeconds + 1800;
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
    OutputDataConfig: { "S3OutputPath.$": paths.outputUri, ...kmsKeyField("KmsKeyId", resources.kmsKeyArn) },
    ResourceConfig: {
      InstanceCount: 1,
      InstanceType: settings.trainingInstanceType,
      VolumeSizeInGB: 10,
      ...kmsKeyField("VolumeKmsKeyId", resources.kmsKeyArn),
    },
    StoppingCondition: { MaxRuntimeInSeconds: maxTrainingSeconds },
    // The built-in algorithm needs no network: nothing leaves the container but the artifact.
    EnableNetworkIsolation: true,
    ...withTags,
  });
  const transformParameters = (paths: BatchTransformPaths): PayloadTemplate =>
    batchTransformParameters(paths, settings, resources.kmsKeyArn);
  /** Train, create the model, score its training set: for the run (`$.run`) or one room's model (`$.model`). */
  const modelTasks = (at: "$.run" | "$.model"): ModelTasks => ({
    train: {
      parameters: trainingJob({
        name: `${ATTEMPT.training}.jobName`,
        trainingSetUri: `${at}.trainingSetUri`,
        outputUri: `${at}.outputUri`,
      }),
      resultPath: "$.training",
      timeoutSeconds: trainTimeoutSeconds,
      retry: sageMakerRetry,
    },
    createModel: createModelTask(resources, withTags, `${at}.modelName`),
    scoreTrainingSet: {
      parameters: transformParameters({
        jobName: `${ATTEMPT.scoring}.jobName`,
        modelName: `${at}.modelName`,
        inputUri: `${at}.trainingSetUri`,
        outputUri: `${at}.scoresUri`,
      }),
      resultPath: null,
      timeoutSeconds: SCORE_TIMEOUT_SECONDS,
      retry: sageMakerRetry,
    },
  });
  const run = modelTasks("$.run");

  const states: States = {
    ...overlapGuard(S, S.prepare),
    [S.prepare]: lambdaStep(
      fn,
      { action: "prepare", "executionName.$": "$$.Execution.Name", "startTime.$": "$$.Execution.StartTime" },
      "$.run",
      onError,
      { Next: S.enoughData },
    ),
    [S.enoughData]: {
      Type: "Choice",
      Choices: [
        { Variable: "$.run.enough", BooleanEquals: true, Next: roomScope ? S.trainRooms : S.nameJobs },
      ],
      Default: S.notEnoughData,
    } satisfies ChoiceState,
    [S.notEnoughData]: {
      Type: "Succeed",
      Comment: "Fewer training vectors than num_samples_per_tree; the model in service stays",
    } satisfies SucceedState,
    ...(roomScope
      ? roomStates(resources.trainingFunctionArn, modelTasks("$.model"))
      : {
          [S.nameJobs]: {
            Type: "Pass",
            Comment:
              "Attempt 1 of the training and the scoring job, under the run's names; a capacity retry renames its job",
            Parameters: firstAttempts("$.run"),
            ResultPath: ATTEMPTS,
            Next: S.train,
          } satisfies PassState,
          ...retriedJob(
            "training",
            "$.run",
            { task: S.train, shortage: S.trainShortage, wait: S.waitTrainCapacity, retry: S.retryTrain },
            mlTask(
              ML_INTEGRATIONS.createTrainingJobSync,
              {
                ...run.train,
                resultSelector: {
                  "trainingJobName.$": "$.TrainingJobName",
                  "modelDataUrl.$": "$.ModelArtifacts.S3ModelArtifacts",
                },
                onError,
              },
              { Next: S.createModel },
            ),
            S.jobFailed,
          ),
          [S.createModel]: mlTask(
            ML_INTEGRATIONS.createModel,
            {
              ...run.createModel,
              onError,
            },
            { Next: S.scoreTrainingSet },
          ),
          ...retriedJob(
            "scoring",
            "$.run",
            {
              task: S.scoreTrainingSet,
              shortage: S.scoreShortage,
              wait: S.waitScoreCapacity,
              retry: S.retryScore,
            },
            mlTask(
              ML_INTEGRATIONS.createTransformJobSync,
              {
                comment: "Scores every training vector once; the threshold is mean + z sigma of these scores",
                ...run.scoreTrainingSet,
                onError,
              },
              { Next: S.threshold },
            ),
            S.jobFailed,
          ),
          [S.jobFailed]: {
            Type: "Pass",
            Comment:
              "A job failed on its data, or short of capacity at its last attempt: its error goes to the failure notice",
            InputPath: ATTEMPT.error,
            ResultPath: ERROR_PATH,
            Next: onError,
          } satisfies PassState,
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
          : {
              "modelDataUrl.$": "$.training.modelDataUrl",
              // The job that made the model: a capacity retry runs it under another name.
              "trainingJobName.$": "$.training.trainingJobName",
              "threshold.$": "$.threshold",
            }),
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
      S,
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
    // The sum of every task's own timeout, rounded up: a stuck execution still ends. The two SageMaker jobs
    // count every attempt a capacity shortage can cost, and the waits between them.
    TimeoutSeconds:
      capacityRetriedSeconds(trainTimeoutSeconds) + capacityRetriedSeconds(SCORE_TIMEOUT_SECONDS) + 4 * 3600,
    States: states,
  };
}

/**
 * modelScope room: the same steps as one model, for each room of `$.run.models` (the rooms with enough data),
 * a few rooms at a time. An error in any room ends the Map, whose Catch sends it to the failure notice.
 */
function roomStates(trainingFunctionArn: string, room: ModelTasks): States {
  const S = TRAINING_STATES;
  const iteration: States = {
    ...retriedJob(
      "training",
      "$.model",
      {
        task: S.roomTrain,
        shortage: S.roomTrainShortage,
        wait: S.waitRoomTrainCapacity,
        retry: S.retryRoomTrain,
      },
      mlTask(
        ML_INTEGRATIONS.createTrainingJobSync,
        {
          ...room.train,
          resultSelector: {
            "trainingJobName.$": "$.TrainingJobName",
            "modelDataUrl.$": "$.ModelArtifacts.S3ModelArtifacts",
          },
        },
        { Next: S.roomCreateModel },
      ),
      S.roomJobFailed,
    ),
    [S.roomCreateModel]: mlTask(ML_INTEGRATIONS.createModel, room.createModel, { Next: S.roomScore }),
    ...retriedJob(
      "scoring",
      "$.model",
      {
        task: S.roomScore,
        shortage: S.roomScoreShortage,
        wait: S.waitRoomScoreCapacity,
        retry: S.retryRoomScore,
      },
      mlTask(
        ML_INTEGRATIONS.createTransformJobSync,
        {
          comment: "Scores every training vector of the room once; its threshold is mean + z sigma of these",
          ...room.scoreTrainingSet,
        },
        { Next: S.roomThreshold },
      ),
      S.roomJobFailed,
    ),
    [S.roomJobFailed]: {
      Type: "Fail",
      Comment:
        "A job failed on its data, or short of capacity at its last attempt: the Map's catcher sends the error to the failure notice",
      ErrorPath: `${ATTEMPT.error}.Error`,
      CausePath: `${ATTEMPT.error}.Cause`,
    } satisfies FailState,
    [S.roomThreshold]: mlTask(
      trainingFunctionArn,
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
        "trainingJobName.$": "$.training.trainingJobName",
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
      ItemSelector: {
        "model.$": "$$.Map.Item.Value",
        "runId.$": "$.run.runId",
        attempts: firstAttempts("$$.Map.Item.Value"),
      },
      MaxConcurrency: 4,
      ItemProcessor: { ProcessorConfig: { Mode: "INLINE" }, StartAt: S.roomTrain, States: iteration },
      ResultPath: "$.models",
      Catch: catchAllTo(S.notify),
      Next: S.promote,
    } satisfies MapState,
  };
}

/** The training-set transform's timeout: the largest training set scores well within an hour. */
const SCORE_TIMEOUT_SECONDS = 3600;

/**
 * Where a model's two SageMaker jobs keep their attempt records (`{ number, jobName }`, see `capacityRetried`):
 * beside the data the later states read, never in it. The last TaskFailed of either job is kept at `error`.
 */
const ATTEMPTS = "$.attempts";
const ATTEMPT = {
  training: `${ATTEMPTS}.training`,
  scoring: `${ATTEMPTS}.scoring`,
  error: `${ATTEMPTS}.error`,
} as const;

/** Where a model's record (`$.run` or `$.model`) names each job's first attempt. */
const JOB_NAME_FIELD = { training: "trainingJobName", scoring: "transformJobName" } as const;

/** The attempt records before the first attempts: attempt 1 of each job, under the model's names at `at`. */
function firstAttempts(at: string): PayloadTemplate {
  return {
    training: firstJobAttempt(`${at}.${JOB_NAME_FIELD.training}`),
    scoring: firstJobAttempt(`${at}.${JOB_NAME_FIELD.scoring}`),
  };
}

/**
 * A model's training or scoring job Task (naming its job from its attempt record), run again under a new
 * name when it finds no capacity; other failures, and the last capacity failure, go to `giveUp`.
 */
function retriedJob(
  job: keyof typeof JOB_NAME_FIELD,
  at: string,
  names: CapacityRetryArgs["names"],
  task: TaskState,
  giveUp: string,
): States {
  return capacityRetried({
    task,
    names,
    attemptPath: ATTEMPT[job],
    jobNamePath: `${at}.${JOB_NAME_FIELD[job]}`,
    errorPath: ATTEMPT.error,
    giveUp,
  });
}

/** The options of the tasks that make one model (the machine adds where errors go and what it keeps). */
type ModelTaskOptions = Pick<TaskOptions, "parameters" | "resultPath" | "timeoutSeconds" | "retry">;
interface ModelTasks {
  readonly train: ModelTaskOptions;
  readonly createModel: ModelTaskOptions;
  readonly scoreTrainingSet: ModelTaskOptions;
}

/** The options of a `createModel` Task for the model just trained (`$.training.modelDataUrl`), named from `modelNamePath`. */
function createModelTask(
  resources: TrainingMachineResources,
  withTags: PayloadTemplate,
  modelNamePath: string,
): ModelTaskOptions {
  return {
    parameters: {
      "ModelName.$": modelNamePath,
      PrimaryContainer: { Image: resources.trainingImage, "ModelDataUrl.$": "$.training.modelDataUrl" },
      ExecutionRoleArn: resources.sageMakerRoleArn,
      EnableNetworkIsolation: true,
      ...withTags,
    },
    resultPath: null,
    timeoutSeconds: 120,
    retry: [ML_RETRY.sageMakerApi],
  };
}
