/**
 * What the training and scoring pipelines share, passed down from {@link AnomalyDetection}: the deployment's
 * names, the model settings, the lake, the account scope and the notification topics.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ScheduleExpression } from "../schedule";
import type { AccountScope } from "../shared/iam-policy";
import type { LambdaFunctionArgs } from "../shared/lambda-function";
import type { StateMachineArgs } from "../shared/state-machine";
import type { BucketRef } from "../shared/resource-refs";
import type { ModelSettings } from "./model-settings";

/** The lake buckets the pipelines read and write, by name and ARN (e.g. `DataLake#buckets`). */
export interface LakeBuckets {
  readonly raw: BucketRef;
  readonly curated: BucketRef;
  readonly results: BucketRef;
  readonly artifacts: BucketRef;
}

export interface PipelineContext {
  /** Deployment name (`<app>-<stack>`). */
  readonly deployment: string;
  /** Prefix of the SageMaker names runs create (`sageMakerNamePrefix(deployment)`). */
  readonly namePrefix: string;
  readonly model: ModelSettings;
  readonly buckets: LakeBuckets;
  /** ARN of the lake key. @default - none: SSE-S3 lake, AWS-managed keys, no `kms:*` statement */
  readonly kmsKeyArn?: pulumi.Input<string> | undefined;
  readonly scope: pulumi.Output<AccountScope>;
  /** Topic for failures and alarms, and the customer-managed key it is encrypted with (if any). */
  readonly failureTopicArn: pulumi.Input<string>;
  readonly topicKeyArn?: pulumi.Input<string | undefined> | undefined;
  /** Endpoint mode: the endpoint's name. @default - batch mode */
  readonly endpointName?: string;
  readonly logRetentionDays: number;
  readonly tags: Record<string, string>;
}

/** Bucket ARNs and the lake key, resolved, for the function policies. */
export interface LakeArns {
  readonly raw: string;
  readonly curated: string;
  readonly results: string;
  readonly artifacts: string;
  readonly kmsKeyArn: string | undefined;
}

export function lakeArns(context: PipelineContext): pulumi.Output<LakeArns> {
  const b = context.buckets;
  return pulumi
    .all([b.raw.arn, b.curated.arn, b.results.arn, b.artifacts.arn, pulumi.output(context.kmsKeyArn)])
    .apply(([raw, curated, results, artifacts, kmsKeyArn]) => ({
      raw,
      curated,
      results,
      artifacts,
      kmsKeyArn,
    }));
}

/**
 * Resource options of an anomaly-pipeline function or machine: a child of `parent`, known to stacks deployed
 * before the shared building blocks by its former component type (`MlFunction`, `MlStateMachine`), so
 * `pulumi up` keeps its resources.
 */
export function formerMlType(
  parent: pulumi.Resource,
  type: "MlFunction" | "MlStateMachine",
): pulumi.ComponentResourceOptions {
  return { parent, aliases: [{ type: `sensor-analytics:ml:${type}` }] };
}

/** What every anomaly-pipeline function shares: a dead-letter queue of its own, the context's logs and tags. */
export function mlFunctionArgs(c: PipelineContext) {
  return {
    deadLetterQueue: "own",
    logRetentionDays: c.logRetentionDays,
    kmsKeyArn: c.kmsKeyArn,
    tags: c.tags,
  } as const satisfies Partial<LambdaFunctionArgs>;
}

/**
 * What both pipelines' state machines share: a fixed name (`<deployment>-<suffix>`, so the role can name the
 * machine's own ARN), the schedule described with its expression and its executions marked as scheduled, the
 * context's logs and tags.
 */
export function mlMachineArgs(
  c: PipelineContext,
  machine: {
    readonly nameSuffix: string;
    readonly description: string;
    readonly documentName: string;
    readonly schedule: ScheduleExpression;
  },
): Omit<StateMachineArgs, "definition" | "policy"> {
  return {
    machineName: `${c.deployment}-${machine.nameSuffix}`,
    description: machine.description,
    documentName: machine.documentName,
    schedule: {
      expression: machine.schedule.expression,
      description: `${machine.description} (${machine.schedule.expression})`,
      input: JSON.stringify({ trigger: "schedule" }),
    },
    logRetentionDays: c.logRetentionDays,
    kmsKeyArn: c.kmsKeyArn,
    tags: c.tags,
  };
}
