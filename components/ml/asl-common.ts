/**
 * State builders the two anomaly state machines (training, scoring) share: the guard against overlapping
 * executions, Lambda steps, the SNS notify-and-Fail path, and the retry policies of the SageMaker and Athena
 * integrations. Built on the platform's ASL types and retry policies (`components/shared/asl/`). Pure.
 */
import { catchAllTo, ERROR_PATH, RETRY, task } from "../shared/asl/states";
import type {
  ChoiceState,
  FailState,
  PayloadTemplate,
  Retrier,
  States,
  SucceedState,
  TaskState,
  Transition,
} from "../shared/asl/types";

/** Service integrations used by the anomaly state machines (`arn:aws:states:::` is partition-independent). */
export const ML_INTEGRATIONS = {
  createTrainingJobSync: "arn:aws:states:::sagemaker:createTrainingJob.sync",
  createTransformJobSync: "arn:aws:states:::sagemaker:createTransformJob.sync",
  createModel: "arn:aws:states:::sagemaker:createModel",
  createEndpointConfig: "arn:aws:states:::sagemaker:createEndpointConfig",
  updateEndpoint: "arn:aws:states:::sagemaker:updateEndpoint",
  describeEndpoint: "arn:aws:states:::aws-sdk:sagemaker:describeEndpoint",
  athenaStartQueryExecutionSync: "arn:aws:states:::athena:startQueryExecution.sync",
  listExecutions: "arn:aws:states:::aws-sdk:sfn:listExecutions",
  snsPublish: "arn:aws:states:::sns:publish",
} as const;

/**
 * Retry policies of the anomaly machines' integrations. Only transient failures are retried: throttling,
 * capacity and service faults. A training or transform job that fails on its data (`States.TaskFailed`) is
 * not retried, as the same data fails the same way.
 */
export const ML_RETRY = {
  sageMakerApi: {
    ErrorEquals: [
      "SageMaker.ThrottlingException",
      "SageMaker.AmazonSageMakerException",
      "SageMaker.InternalFailure",
    ],
    IntervalSeconds: 5,
    BackoffRate: 2,
    MaxAttempts: 4,
    MaxDelaySeconds: 60,
    JitterStrategy: "FULL",
  },
  // The account's limit for the instance type is reached: worth waiting longer before trying again. (A job that
  // starts and then finds no capacity fails with "CapacityError" in its FailureReason, which reaches the machine
  // as States.TaskFailed like a data failure, so it is not retried here.)
  sageMakerCapacity: {
    ErrorEquals: ["SageMaker.ResourceLimitExceededException"],
    IntervalSeconds: 120,
    BackoffRate: 2,
    MaxAttempts: 3,
    MaxDelaySeconds: 900,
    JitterStrategy: "FULL",
  },
  athena: {
    ErrorEquals: [
      "Athena.TooManyRequestsException",
      "Athena.InternalServerException",
      "Athena.AmazonAthenaException",
    ],
    IntervalSeconds: 5,
    BackoffRate: 2,
    MaxAttempts: 4,
    MaxDelaySeconds: 60,
    JitterStrategy: "FULL",
  },
  stepFunctionsApi: {
    ErrorEquals: ["Sfn.SfnException", "Sfn.ThrottlingException"],
    IntervalSeconds: 2,
    BackoffRate: 2,
    MaxAttempts: 3,
    JitterStrategy: "FULL",
  },
  lambda: RETRY.lambda,
  sns: RETRY.sns,
} as const satisfies Record<string, Retrier>;

export interface TaskOptions {
  readonly parameters: PayloadTemplate;
  readonly timeoutSeconds: number;
  readonly retry: readonly Retrier[];
  readonly resultPath?: string | null;
  readonly resultSelector?: PayloadTemplate;
  /** Where errors go. @default - the failure path named by the machine */
  readonly onError?: string;
  readonly comment?: string;
}

/** A Task state with a timeout, retries, and every error sent to `onError` with the error at `$.error`. */
export function mlTask(resource: string, options: TaskOptions, transition: Transition): TaskState {
  const { onError, ...taskOptions } = options;
  return task({ resource, ...taskOptions, ...(onError ? { catch: catchAllTo(onError) } : {}) }, transition);
}

/** Lambda steps are invoked by function ARN, so the state's result is the handler's return value. */
export function lambdaStep(
  functionArn: string,
  payload: PayloadTemplate,
  resultPath: string | null,
  onError: string,
  transition: Transition,
  timeoutSeconds = 900,
): TaskState {
  return mlTask(
    functionArn,
    { parameters: payload, timeoutSeconds, retry: [ML_RETRY.lambda], resultPath, onError },
    transition,
  );
}

/**
 * The guard: an execution that finds another execution of the same machine still running ends at once, so a
 * schedule that overlaps a slow run (or the ETL starting training during a scheduled run) never races it.
 */
export function overlapGuard(
  names: {
    readonly checkRunning: string;
    readonly anotherRunning: string;
    readonly skipRunning: string;
    readonly notify: string;
  },
  proceed: string,
): States {
  const onError = names.notify;
  const check = mlTask(
    ML_INTEGRATIONS.listExecutions,
    {
      parameters: { "StateMachineArn.$": "$$.StateMachine.Id", StatusFilter: "RUNNING", MaxResults: 2 },
      resultSelector: { "running.$": "$.Executions" },
      resultPath: "$.guard",
      timeoutSeconds: 30,
      retry: [ML_RETRY.stepFunctionsApi],
      onError,
    },
    { Next: names.anotherRunning },
  );
  const decide: ChoiceState = {
    Type: "Choice",
    Comment: "This execution is one of the running ones; a second one means another run is in progress",
    Choices: [{ Variable: "$.guard.running[1]", IsPresent: true, Next: names.skipRunning }],
    Default: proceed,
  };
  const skip: SucceedState = {
    Type: "Succeed",
    Comment: "Another execution is running; it covers this one's work",
  };
  return { [names.checkRunning]: check, [names.anotherRunning]: decide, [names.skipRunning]: skip };
}

/** The failure path: publish the error to the failure topic, then fail with the original Error and Cause. */
export function notifyAndFail(
  names: { readonly notify: string; readonly failed: string },
  topicArn: string,
  subject: string,
  what: string,
): States {
  const notify = mlTask(
    ML_INTEGRATIONS.snsPublish,
    {
      parameters: {
        TopicArn: topicArn,
        Subject: subject.slice(0, 100),
        "Message.$": `States.Format('${escapeIntrinsic(what)} failed in execution {}. Error: {}. Cause: {}', $$.Execution.Id, ${ERROR_PATH}.Error, ${ERROR_PATH}.Cause)`,
      },
      resultPath: null,
      timeoutSeconds: 30,
      retry: [ML_RETRY.sns],
    },
    { Next: names.failed },
  );
  // If the notification itself fails, the execution still ends in the Fail state (with the SNS error).
  const notifyWithCatch: TaskState = {
    ...notify,
    Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: null, Next: names.failed }],
  };
  const fail: FailState = {
    Type: "Fail",
    Comment: `${what} failed; the error was published to the failure topic`,
    ErrorPath: `${ERROR_PATH}.Error`,
    CausePath: `${ERROR_PATH}.Cause`,
  };
  return { [names.notify]: notifyWithCatch, [names.failed]: fail };
}

/** The `Tags` parameter of a SageMaker create call with these tags, or nothing when there are none. */
export function sageMakerTags(tags: Readonly<Record<string, string>> = {}): PayloadTemplate {
  const list = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
  return list.length > 0 ? { Tags: list } : {};
}

/** JSONPaths (into the state's input) of what differs between the machines' batch transforms. */
export interface BatchTransformPaths {
  readonly jobName: string;
  readonly modelName: string;
  readonly inputUri: string;
  readonly outputUri: string;
}

/**
 * `{ [field]: kmsKeyArn }`, or nothing without a key: SageMaker then encrypts volumes with its AWS-managed key
 * and writes outputs under the account's AWS-managed S3 key (`aws/s3`), which the roles use without `kms:*` permissions.
 */
export function kmsKeyField<F extends string>(
  field: F,
  kmsKeyArn: string | undefined,
): Partial<Record<F, string>> {
  return kmsKeyArn ? ({ [field]: kmsKeyArn } as Record<F, string>) : {};
}

/** What a machine's batch transforms share: the model's inference content type, the instance and the tags. */
export interface BatchTransformSettings {
  readonly model: { readonly contentTypes: { readonly inference: string } };
  readonly inferenceInstanceType: string;
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * Parameters of a `createTransformJob.sync` Task scoring JSON Lines records with the model: one instance,
 * output and volume encrypted with `kmsKeyArn` (when there is one).
 */
export function batchTransformParameters(
  paths: BatchTransformPaths,
  settings: BatchTransformSettings,
  kmsKeyArn: string | undefined,
): PayloadTemplate {
  return {
    "TransformJobName.$": paths.jobName,
    "ModelName.$": paths.modelName,
    BatchStrategy: "MultiRecord",
    MaxPayloadInMB: 6,
    TransformInput: {
      DataSource: { S3DataSource: { S3DataType: "S3Prefix", "S3Uri.$": paths.inputUri } },
      ContentType: settings.model.contentTypes.inference,
      SplitType: "Line",
    },
    TransformOutput: {
      "S3OutputPath.$": paths.outputUri,
      Accept: "application/jsonlines",
      AssembleWith: "Line",
      ...kmsKeyField("KmsKeyId", kmsKeyArn),
    },
    TransformResources: {
      InstanceType: settings.inferenceInstanceType,
      InstanceCount: 1,
      ...kmsKeyField("VolumeKmsKeyId", kmsKeyArn),
    },
    ...sageMakerTags(settings.tags),
  };
}

/** Escapes text for a string literal inside an intrinsic function (`'`, `{`, `}` and `\\` are special there). */
export function escapeIntrinsic(text: string): string {
  return text.replace(/[\\'{}]/g, (c) => `\\${c}`);
}
