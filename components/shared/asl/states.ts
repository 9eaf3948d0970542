/**
 * Small typed builders for the states every platform state machine repeats: service-integration tasks with
 * their retry policies, and the catch-all that sends an error to the failure path. Pure.
 */
import type { Catcher, PayloadTemplate, Retrier, TaskState, Transition } from "./types";

/** Service integration ARNs (partition-independent: Step Functions resolves `arn:aws:states:::` itself). */
export const INTEGRATIONS = {
  lambdaInvoke: "arn:aws:states:::lambda:invoke",
  glueStartJobRunSync: "arn:aws:states:::glue:startJobRun.sync",
  glueStartCrawler: "arn:aws:states:::aws-sdk:glue:startCrawler",
  glueGetCrawler: "arn:aws:states:::aws-sdk:glue:getCrawler",
  snsPublish: "arn:aws:states:::sns:publish",
  sfnStartExecution: "arn:aws:states:::states:startExecution",
} as const;

export type Integration = (typeof INTEGRATIONS)[keyof typeof INTEGRATIONS];

/**
 * Retry policies by service. Only transient errors are retried: throttling, service faults and Glue's
 * concurrent-run limit (another run of the same job still finishing). A job that fails on its data
 * (`States.TaskFailed`) is not retried: running it again would fail the same way and double the cost.
 * Full jitter spreads the retries of parallel branches so they do not collide again.
 */
export const RETRY = {
  glueJob: {
    ErrorEquals: [
      "Glue.ConcurrentRunsExceededException",
      "Glue.ThrottlingException",
      "Glue.InternalServiceException",
      "Glue.OperationTimeoutException",
    ],
    IntervalSeconds: 30,
    BackoffRate: 2,
    MaxAttempts: 4,
    MaxDelaySeconds: 300,
    JitterStrategy: "FULL",
  },
  glueApi: {
    ErrorEquals: [
      "Glue.ThrottlingException",
      "Glue.InternalServiceException",
      "Glue.OperationTimeoutException",
    ],
    IntervalSeconds: 5,
    BackoffRate: 2,
    MaxAttempts: 5,
    MaxDelaySeconds: 60,
    JitterStrategy: "FULL",
  },
  // The errors AWS recommends retrying for every Lambda task (the service, not the function, failed).
  lambda: {
    ErrorEquals: [
      "Lambda.ServiceException",
      "Lambda.AWSLambdaException",
      "Lambda.SdkClientException",
      "Lambda.TooManyRequestsException",
    ],
    IntervalSeconds: 2,
    BackoffRate: 2,
    MaxAttempts: 4,
    MaxDelaySeconds: 30,
    JitterStrategy: "FULL",
  },
  sns: {
    ErrorEquals: [
      "SNS.ThrottledException",
      "SNS.InternalErrorException",
      // The SDK's casing (KMSThrottlingException): ErrorEquals matches names exactly.
      "SNS.KMSThrottlingException",
      "States.Timeout",
    ],
    IntervalSeconds: 2,
    BackoffRate: 2,
    MaxAttempts: 3,
    JitterStrategy: "FULL",
  },
  stepFunctions: {
    ErrorEquals: [
      "StepFunctions.ExecutionLimitExceededException",
      "StepFunctions.SdkClientException",
      "StepFunctions.AWSStepFunctionsException",
    ],
    IntervalSeconds: 5,
    BackoffRate: 2,
    MaxAttempts: 3,
    JitterStrategy: "FULL",
  },
} as const satisfies Record<string, Retrier>;

/** Where a caught error is written for the failure path to report: `{ Error, Cause }`. */
export const ERROR_PATH = "$.error";

/** A catcher sending every error to `next` with the error at {@link ERROR_PATH}. */
export function catchAllTo(next: string): Catcher[] {
  return [{ ErrorEquals: ["States.ALL"], ResultPath: ERROR_PATH, Next: next }];
}

export interface TaskArgs {
  /**
   * What the Task calls: one of {@link INTEGRATIONS} (or another area's integration ARNs), or a Lambda
   * function's ARN (invoked directly, so the state's result is the handler's return value).
   */
  readonly resource: Integration | (string & NonNullable<unknown>);
  readonly parameters: PayloadTemplate;
  readonly timeoutSeconds: number;
  readonly retry: readonly Retrier[];
  /** Where the result goes. @default null (the result is discarded and the input passes through) */
  readonly resultPath?: string | null;
  /** Shapes the task's result before `resultPath`. @default - the whole result */
  readonly resultSelector?: PayloadTemplate;
  /** Catchers, most specific first. @default - none (errors fail the enclosing branch or machine) */
  readonly catch?: readonly Catcher[];
  /** The state's `Comment`. @default - none */
  readonly comment?: string;
}

/** A service-integration Task state. */
export function task(args: TaskArgs, transition: Transition): TaskState {
  if (!Number.isInteger(args.timeoutSeconds) || args.timeoutSeconds < 1) {
    throw new Error(`task timeoutSeconds must be a positive integer (got ${args.timeoutSeconds})`);
  }
  return {
    Type: "Task",
    ...(args.comment ? { Comment: args.comment } : {}),
    Resource: args.resource,
    Parameters: args.parameters,
    ...(args.resultSelector ? { ResultSelector: args.resultSelector } : {}),
    ResultPath: args.resultPath ?? null,
    TimeoutSeconds: args.timeoutSeconds,
    Retry: args.retry,
    ...(args.catch && args.catch.length > 0 ? { Catch: args.catch } : {}),
    ...transition,
  };
}

/** `{ Next: name }`. */
export const next = (name: string): Transition => ({ Next: name });
/** `{ End: true }`. */
export const end: Transition = { End: true };
