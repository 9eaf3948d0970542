/**
 * State builders the two anomaly state machines (training, scoring) share: the guard against overlapping
 * executions, Lambda steps, the SNS notify-and-Fail path, and the retry policies of the SageMaker and Athena
 * integrations. Built on the platform's ASL types and retry policies (`components/shared/asl/`). Pure.
 */
import { catchAllTo, ERROR_PATH, RETRY, task } from "../shared/asl/states";
import type {
  ChoiceState,
  FailState,
  PassState,
  PayloadTemplate,
  Retrier,
  States,
  SucceedState,
  TaskState,
  Transition,
  WaitState,
} from "../shared/asl/types";
import { JOB_ATTEMPT_SEPARATOR, SAGEMAKER_JOB_ATTEMPTS } from "./ml-layout";

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
 * not retried, as the same data fails the same way; one that failed for want of instances is run again as a
 * new job by {@link capacityRetried}.
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
  // is created and then finds no capacity fails with "CapacityError" in its FailureReason, which reaches the
  // machine as States.TaskFailed like a data failure: a Retrier cannot tell the two apart, and the job's name is
  // taken, so the training machine runs such a job again under a new name with capacityRetried below.)
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

/**
 * A SageMaker job created and then left without instances fails with a FailureReason starting `CapacityError:
 * Unable to provision requested ML compute capacity`. Through a `.sync` integration that is `States.TaskFailed`
 * whose Cause is the DescribeTrainingJob/DescribeTransformJob JSON, so the FailureReason is inside the Cause.
 * Such a shortage is transient: the job is run again after a wait, a few times, before the run gives up.
 */
export const CAPACITY_RETRY = {
  /** Attempts in all, the first included: {@link SAGEMAKER_JOB_ATTEMPTS}. */
  attempts: SAGEMAKER_JOB_ATTEMPTS,
  /**
   * Between attempts: ten minutes gives a passing shortage of the instance type time to clear without holding
   * the run for long (3 waits: half an hour). A fixed pause, as the local backend runs Wait states by `Seconds`.
   */
  waitSeconds: 600,
  /** `StringMatches` pattern of a capacity failure's Cause (the Describe*Job JSON quoting the FailureReason). */
  causePattern: "*CapacityError*",
} as const;

/**
 * The longest a job run with {@link capacityRetried} can take: every attempt to its Task's timeout, and the
 * waits between them. For the machine's TimeoutSeconds.
 */
export function capacityRetriedSeconds(taskTimeoutSeconds: number): number {
  return (
    CAPACITY_RETRY.attempts * taskTimeoutSeconds + (CAPACITY_RETRY.attempts - 1) * CAPACITY_RETRY.waitSeconds
  );
}

/** The attempt record of a job's first attempt: number 1, under the job's own name (at `jobNamePath`). */
export function firstJobAttempt(jobNamePath: string): PayloadTemplate {
  return { number: 1, "jobName.$": jobNamePath };
}

/** What {@link capacityRetried} needs to know about the job. */
export interface CapacityRetryArgs {
  /** The job's Task state, named `names.task`: it names the job from `${attemptPath}.jobName`. */
  readonly task: TaskState;
  readonly names: {
    readonly task: string;
    /** Choice: a capacity failure with attempts left? */
    readonly shortage: string;
    /** Wait before the next attempt. */
    readonly wait: string;
    /** Pass: the next attempt's number and name. */
    readonly retry: string;
  };
  /**
   * The job's attempt record, `{ number, jobName }`, set to {@link firstJobAttempt} before the first attempt
   * (outside the record, the state's data is left as it is).
   */
  readonly attemptPath: string;
  /** The job's first name: attempt n's is `<it>-a<n>` (see `jobAttemptName`). */
  readonly jobNamePath: string;
  /** Where the job's `States.TaskFailed` error (`{ Error, Cause }`) is written for the Choice. */
  readonly errorPath: string;
  /** Where a TaskFailed goes that is not a capacity failure, or is one on the last attempt. */
  readonly giveUp: string;
}

/**
 * A SageMaker job Task that, when its job fails for want of instances ({@link CAPACITY_RETRY}), waits and runs
 * the job again under a new name, up to `CAPACITY_RETRY.attempts` attempts in all:
 *
 *   Task ─States.TaskFailed→ shortage? ─capacity, attempts left→ wait → retry (number + 1, new name) → Task
 *                                      └─otherwise→ giveUp
 *
 * The Task's own catchers (if any) still take every other error; its TaskFailed catcher comes first. (In a
 * Catch, Step Functions lets States.TaskFailed match any Task error but States.Timeout: such an error's Cause
 * names no CapacityError, so it goes on to `giveUp` as it was, `{ Error, Cause }` unchanged.)
 */
export function capacityRetried(args: CapacityRetryArgs): States {
  const { names } = args;
  const cause = `${args.errorPath}.Cause`;
  const number = `${args.attemptPath}.number`;
  const nextNumber = `States.MathAdd(${number}, 1)`;
  const shortage: ChoiceState = {
    Type: "Choice",
    Comment: `A job left without instances (Cause matches ${CAPACITY_RETRY.causePattern}) is run again, ${CAPACITY_RETRY.attempts} attempts in all; any other failure is not`,
    Choices: [
      {
        And: [
          { Variable: cause, IsPresent: true },
          { Variable: cause, IsString: true },
          { Variable: cause, StringMatches: CAPACITY_RETRY.causePattern },
          { Variable: number, NumericLessThan: CAPACITY_RETRY.attempts },
        ],
        Next: names.wait,
      },
    ],
    Default: args.giveUp,
  };
  const wait: WaitState = {
    Type: "Wait",
    Comment: "Capacity shortages pass: give SageMaker time to find instances",
    Seconds: CAPACITY_RETRY.waitSeconds,
    Next: names.retry,
  };
  const retry: PassState = {
    Type: "Pass",
    Comment: "The next attempt is a new job, named <first name>-a<attempt>: SageMaker job names are unique",
    Parameters: {
      "number.$": nextNumber,
      "jobName.$": `States.Format('{}${escapeIntrinsic(JOB_ATTEMPT_SEPARATOR)}{}', ${args.jobNamePath}, ${nextNumber})`,
    },
    ResultPath: args.attemptPath,
    Next: names.task,
  };
  const taskFailed = { ErrorEquals: ["States.TaskFailed"], ResultPath: args.errorPath, Next: names.shortage };
  return {
    [names.task]: { ...args.task, Catch: [taskFailed, ...(args.task.Catch ?? [])] },
    [names.shortage]: shortage,
    [names.wait]: wait,
    [names.retry]: retry,
  };
}

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
