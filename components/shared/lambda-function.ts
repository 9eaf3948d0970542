/**
 * The one Lambda function building block of the platform: every function (ETL planner, anomaly scoring and
 * training, real-time consumer, HTTPS ingestion, latest state, pollers, demo database seed) is a
 * {@link LambdaFunction}, so they are deployed alike and a fix lands in all of them.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { accountScopeOutput } from "./aws-scope";
import { type BuildingBlockArgs, childOptions } from "./building-block";
import type { AccountScope } from "./iam-policy";
import { lambdaBundle } from "./lambda-bundle";
import { platformLogGroup } from "./log-group";
import type { LambdaHandlerName } from "./package-assets";
import { serviceRole } from "./service-role";

/** Tag of a function invoked only synchronously (the policy pack's lambda rule reads it). */
export const SYNCHRONOUS_INVOCATION_TAG = { "sensor-analytics:invocation": "synchronous" } as const;

/** The resources a {@link LambdaFunction} makes, as named in {@link LambdaFunctionArgs.formerly}. */
export type LambdaFunctionChild =
  "function" | "logGroup" | "role" | "policy" | "deadLetterQueue" | "invokeConfig";

/** What the role's permissions are built from: the ARNs of the function's own resources. */
export interface LambdaFunctionResources {
  readonly logGroupArn: string;
  /** The dead-letter queue's ARN, when the function has one. */
  readonly deadLetterQueueArn?: string;
  readonly scope: AccountScope;
}

export interface LambdaFunctionArgs extends BuildingBlockArgs<LambdaFunctionChild> {
  /** The shipped handler bundle to run, e.g. `"etl-planner"` (`functions/etl-planner/handler.ts`). */
  readonly entry: LambdaHandlerName;
  /** The function's description (cut to Lambda's 256 characters). */
  readonly description: string;
  /**
   * The role's permissions, scoped to the ARNs it is given. Include `writeOwnLogsStatement(logGroupArn)` and,
   * the function being traced, `xrayStatement()` (both in `iam-policy.ts`).
   */
  readonly policy: (resources: LambdaFunctionResources) => pulumi.Input<aws.iam.PolicyDocument>;
  /** Name the permissions are registered under (`iam-<documentName>`). @default - the component's name */
  readonly documentName?: string;
  /**
   * The name of the role's permissions in IAM. Give a function whose role had them as an entry of its
   * `inlinePolicies` that entry's name: removing an entry from `inlinePolicies` leaves the policy on the role,
   * and a policy of the same name replaces it instead of standing beside it.
   * @default - auto-named by Pulumi
   */
  readonly inlinePolicyName?: string;
  /** The role's description. @default - the function's description */
  readonly roleDescription?: string;
  /** Environment variables. @default - none */
  readonly environment?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** The log group's name, e.g. `/sensor-analytics/sensors-dev/https-ingest`. @default - auto-named */
  readonly logGroupName?: pulumi.Input<string>;
  /** @default 60 */
  readonly timeoutSeconds?: number;
  /** @default 256 */
  readonly memorySize?: number;
  /**
   * Where failed asynchronous invocations go: a queue (by ARN), or `"own"` for a queue of this function
   * (`<name>-dlq`, messages kept 14 days, SQS-managed encryption, its ARN given to `policy`).
   * @default - none
   */
  readonly deadLetterQueue?: { readonly arn: pulumi.Input<string> } | "own";
  /**
   * Where a failed asynchronous invocation is reported (a `FunctionEventInvokeConfig`, `<name>-async`), and
   * how often Lambda retries it first. Without this and without `deadLetterQueue` the function is tagged as
   * invoked synchronously only (an event source mapping, API Gateway, the stack): its caller sees the failure.
   * @default - none
   */
  readonly onFailure?: {
    readonly destinationArn: pulumi.Input<string>;
    /** @default 0 */
    readonly maximumRetryAttempts?: number;
    /** @default - Lambda's (6 hours) */
    readonly maximumEventAgeSeconds?: number;
  };
  /** Concurrent executions reserved (and allowed at most). @default - unreserved */
  readonly reservedConcurrency?: number;
  /** Subnets and security groups to run in, for a function that reaches into a VPC. @default - no VPC */
  readonly vpcConfig?: {
    readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
    readonly securityGroupIds: pulumi.Input<pulumi.Input<string>[]>;
  };
}

/**
 * A Lambda function with what every platform function has: the handler bundled from `functions/` (Node.js 24
 * on arm64), its own log group with retention (KMS-encrypted when given a key) receiving JSON logs, a role
 * assumable only by Lambda on behalf of this account whose permissions are scoped to the ARNs the caller
 * names, X-Ray tracing, and an answer for failed asynchronous invocations (a dead-letter queue, an on-failure
 * destination, or the tag saying there are none). Children: `<name>` (function), `<name>-logs`, `<name>-role`,
 * `<name>-policy`, and `<name>-dlq` / `<name>-async` when asked for.
 */
export class LambdaFunction extends pulumi.ComponentResource {
  public readonly function: aws.lambda.Function;
  public readonly role: aws.iam.Role;
  /** The role's inline policy: depend on it before invoking the function. */
  public readonly rolePolicy: aws.iam.RolePolicy;
  public readonly logGroup: aws.cloudwatch.LogGroup;
  /** The function's own dead-letter queue (`deadLetterQueue: "own"`). */
  public readonly deadLetterQueue?: aws.sqs.Queue;
  public readonly arn: pulumi.Output<string>;
  public readonly functionName: pulumi.Output<string>;

  constructor(name: string, args: LambdaFunctionArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:shared:LambdaFunction", name, {}, opts);
    const tags = { ...args.tags };
    const childOf = (child: LambdaFunctionChild, childName: string) =>
      childOptions(this, args.formerly, child, childName);
    const scope = accountScopeOutput(this);

    this.logGroup = platformLogGroup(
      `${name}-logs`,
      {
        name: args.logGroupName,
        retentionDays: args.logRetentionDays ?? 30,
        kmsKeyArn: args.kmsKeyArn,
        tags,
      },
      childOf("logGroup", `${name}-logs`),
    );
    if (args.deadLetterQueue === "own") {
      this.deadLetterQueue = new aws.sqs.Queue(
        `${name}-dlq`,
        { messageRetentionSeconds: 14 * 24 * 3600, sqsManagedSseEnabled: true, tags },
        childOf("deadLetterQueue", `${name}-dlq`),
      );
    }
    const deadLetterQueueArn =
      args.deadLetterQueue === "own" ? this.deadLetterQueue!.arn : args.deadLetterQueue?.arn;

    const access = serviceRole(this, {
      service: "lambda.amazonaws.com",
      scope,
      policy: pulumi.all([scope, this.logGroup.arn, deadLetterQueueArn]).apply(([s, logGroupArn, queueArn]) =>
        pulumi.output(
          args.policy({
            logGroupArn,
            scope: s,
            ...(queueArn === undefined ? {} : { deadLetterQueueArn: queueArn }),
          }),
        ),
      ),
      documentName: `iam-${args.documentName ?? name}`,
      roleName: `${name}-role`,
      policyName: `${name}-policy`,
      ...(args.inlinePolicyName === undefined ? {} : { inlinePolicyName: args.inlinePolicyName }),
      description: args.roleDescription ?? args.description,
      tags,
      aliases: {
        role: childOf("role", `${name}-role`).aliases,
        policy: childOf("policy", `${name}-policy`).aliases,
      },
    });
    this.role = access.role;
    this.rolePolicy = access.policy;

    const synchronousOnly = deadLetterQueueArn === undefined && args.onFailure === undefined;
    const bundle = lambdaBundle(args.entry);
    this.function = new aws.lambda.Function(
      name,
      {
        description: args.description.slice(0, 256),
        runtime: "nodejs24.x",
        architectures: ["arm64"],
        code: bundle.archive,
        handler: bundle.handler,
        role: this.role.arn,
        timeout: args.timeoutSeconds ?? 60,
        memorySize: args.memorySize ?? 256,
        environment: { variables: args.environment ?? {} },
        ...(deadLetterQueueArn === undefined ? {} : { deadLetterConfig: { targetArn: deadLetterQueueArn } }),
        ...(args.reservedConcurrency === undefined
          ? {}
          : { reservedConcurrentExecutions: args.reservedConcurrency }),
        ...(args.vpcConfig === undefined ? {} : { vpcConfig: args.vpcConfig }),
        tracingConfig: { mode: "Active" },
        loggingConfig: { logFormat: "JSON", logGroup: this.logGroup.name },
        tags: synchronousOnly ? { ...tags, ...SYNCHRONOUS_INVOCATION_TAG } : tags,
      },
      // The function must not run before it can write its logs.
      { ...childOf("function", name), dependsOn: [access.policy] },
    );
    if (args.onFailure !== undefined) {
      const { destinationArn, maximumRetryAttempts, maximumEventAgeSeconds } = args.onFailure;
      new aws.lambda.FunctionEventInvokeConfig(
        `${name}-async`,
        {
          functionName: this.function.name,
          maximumRetryAttempts: maximumRetryAttempts ?? 0,
          ...(maximumEventAgeSeconds === undefined
            ? {}
            : { maximumEventAgeInSeconds: maximumEventAgeSeconds }),
          destinationConfig: { onFailure: { destination: destinationArn } },
        },
        childOf("invokeConfig", `${name}-async`),
      );
    }
    this.arn = this.function.arn;
    this.functionName = this.function.name;
    this.registerOutputs({
      arn: this.arn,
      functionName: this.functionName,
      logGroupName: this.logGroup.name,
    });
  }
}

/** The dead-letter queue's ARN a function with one (`deadLetterQueue` set) is given; throws for one without. */
export function ownDeadLetterQueueArn(resources: LambdaFunctionResources): string {
  if (resources.deadLetterQueueArn === undefined) {
    throw new Error("this function has no dead-letter queue: set deadLetterQueue in its LambdaFunctionArgs");
  }
  return resources.deadLetterQueueArn;
}
