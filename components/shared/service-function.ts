/**
 * A platform Lambda function with what every one of them has: the handler bundled from `functions/`, its own
 * KMS-encrypted log group with retention, a least-privilege role given the log group's ARN, X-Ray tracing, and
 * either a dead-letter queue for failed asynchronous invocations or the tag saying it is only ever invoked
 * synchronously (an event source mapping, API Gateway), whose caller sees and keeps the failure.
 */
import type { LambdaHandlerName } from "./package-assets";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type AccountScope, accountScopeOutput } from "./aws-scope";
import { REALTIME_TABLE } from "../streaming/realtime-layout";
import { platformFunction } from "./platform-function";
import { serviceRole } from "./service-role";

/** Tag of a function invoked only synchronously (the policy pack's lambda rule reads it). */
export const SYNCHRONOUS_INVOCATION_TAG = { "sensor-analytics:invocation": "synchronous" } as const;

export interface ServiceFunctionArgs {
  /** The shipped handler bundle to run, e.g. `"latest-state"` (`functions/latest-state/handler.ts`). */
  readonly entry: LambdaHandlerName;
  readonly description: string;
  /** The role's permissions, given its log group's ARN. */
  readonly policy: (resources: {
    readonly logGroupArn: string;
    readonly scope: AccountScope;
  }) => pulumi.Input<aws.iam.PolicyDocument>;
  /** Name of the generated IAM document (`iam-<name>`). */
  readonly documentName: string;
  readonly environment: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Log group name, e.g. `/sensor-analytics/sensors-dev/https-ingest`. */
  readonly logGroupName: string;
  readonly logRetentionDays: number;
  /** Key of the log group. @default - CloudWatch Logs' own encryption */
  readonly kmsKeyArn?: pulumi.Input<string> | undefined;
  readonly timeoutSeconds: number;
  readonly memorySize: number;
  /** Where failed asynchronous invocations go. @default - none: tagged as invoked synchronously only */
  readonly deadLetterQueueArn?: pulumi.Input<string>;
  /** Concurrent executions reserved (and allowed at most). @default - unreserved */
  readonly reservedConcurrency?: number;
  readonly tags: Record<string, string>;
}

/** The function, its role and log group, children of `parent` named `<name>`, `<name>-role`, `<name>-logs`. */
export function serviceFunction(
  parent: pulumi.Resource,
  name: string,
  args: ServiceFunctionArgs,
): {
  readonly function: aws.lambda.Function;
  readonly role: aws.iam.Role;
  readonly logGroup: aws.cloudwatch.LogGroup;
} {
  const scope = accountScopeOutput(parent);
  const logGroup = new aws.cloudwatch.LogGroup(
    `${name}-logs`,
    {
      name: args.logGroupName,
      retentionInDays: args.logRetentionDays,
      kmsKeyId: args.kmsKeyArn,
      tags: args.tags,
    },
    { parent },
  );
  const access = serviceRole(parent, {
    service: "lambda.amazonaws.com",
    scope,
    policy: pulumi
      .all([scope, logGroup.arn])
      .apply(([s, logGroupArn]) => pulumi.output(args.policy({ logGroupArn, scope: s }))),
    documentName: `iam-${args.documentName}`,
    roleName: `${name}-role`,
    policyName: `${name}-policy`,
    description: args.description,
    tags: args.tags,
  });
  const fn = platformFunction(parent, name, {
    entry: args.entry,
    description: args.description,
    roleArn: access.role.arn,
    rolePolicy: access.policy,
    timeoutSeconds: args.timeoutSeconds,
    memorySize: args.memorySize,
    environment: args.environment,
    logGroupName: logGroup.name,
    deadLetterQueueArn: args.deadLetterQueueArn,
    reservedConcurrency: args.reservedConcurrency,
    tags: args.deadLetterQueueArn === undefined ? { ...args.tags, ...SYNCHRONOUS_INVOCATION_TAG } : args.tags,
  });
  return { function: fn, role: access.role, logGroup };
}

/**
 * An SQS queue for failed deliveries and invocations, messages kept 14 days: encrypted with `kmsKeyArn`, or
 * with SQS-managed keys (SSE-SQS, no permission needed) without one.
 */
export function deadLetterQueue(
  parent: pulumi.Resource,
  name: string,
  kmsKeyArn: pulumi.Input<string> | undefined,
  tags: Record<string, string>,
): aws.sqs.Queue {
  return new aws.sqs.Queue(
    name,
    {
      ...(kmsKeyArn === undefined
        ? { sqsManagedSseEnabled: true }
        : // One data key per 5 minutes keeps KMS requests (and their cost) low for a queue that is rarely written.
          { kmsMasterKeyId: kmsKeyArn, kmsDataKeyReusePeriodSeconds: 300 }),
      messageRetentionSeconds: 14 * 24 * 3600,
      tags,
    },
    { parent },
  );
}

/**
 * A DynamoDB table keyed `pk` (partition) and `sk` (sort), both strings, with TTL on `expiresAt`: on-demand,
 * encrypted with `kmsKeyArn`, point-in-time recovery on, deletion protection with `protectData`.
 */
export function keyValueTable(
  parent: pulumi.Resource,
  name: string,
  args: {
    /** @default - DynamoDB's AWS-owned key */
    readonly kmsKeyArn?: pulumi.Input<string> | undefined;
    readonly protectData: boolean;
    readonly tags: Record<string, string>;
  },
): aws.dynamodb.Table {
  return new aws.dynamodb.Table(
    name,
    {
      billingMode: "PAY_PER_REQUEST",
      hashKey: REALTIME_TABLE.partitionKey,
      rangeKey: REALTIME_TABLE.sortKey,
      attributes: [
        { name: REALTIME_TABLE.partitionKey, type: "S" },
        { name: REALTIME_TABLE.sortKey, type: "S" },
      ],
      ttl: { attributeName: REALTIME_TABLE.ttlAttribute, enabled: true },
      ...(args.kmsKeyArn === undefined
        ? {}
        : { serverSideEncryption: { enabled: true, kmsKeyArn: args.kmsKeyArn } }),
      pointInTimeRecovery: { enabled: true },
      deletionProtectionEnabled: args.protectData,
      tags: args.tags,
    },
    { parent, protect: args.protectData, retainOnDelete: args.protectData },
  );
}
