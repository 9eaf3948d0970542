/**
 * What the training and scoring pipelines share, passed down from {@link AnomalyDetection}: the deployment's
 * names, the model settings, the lake, the account scope and the notification topics.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ScheduleExpression } from "../schedule";
import type { AccountScope } from "../shared/iam-policy";
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
  /** ARN of the lake key. */
  readonly kmsKeyArn: pulumi.Input<string>;
  readonly scope: pulumi.Output<AccountScope>;
  /** Topic for failures and alarms, and the key the topics are encrypted with. */
  readonly failureTopicArn: pulumi.Input<string>;
  readonly topicKeyArn: pulumi.Input<string>;
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
  readonly kmsKeyArn: string;
}

export function lakeArns(context: PipelineContext): pulumi.Output<LakeArns> {
  const b = context.buckets;
  return pulumi
    .all([b.raw.arn, b.curated.arn, b.results.arn, b.artifacts.arn, context.kmsKeyArn])
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

/** The schedule of a pipeline's state machine: described with its expression, executions marked as scheduled. */
export function mlSchedule(
  description: string,
  schedule: ScheduleExpression,
): { readonly expression: string; readonly description: string; readonly input: string } {
  return {
    expression: schedule.expression,
    description: `${description} (${schedule.expression})`,
    input: JSON.stringify({ trigger: "schedule" }),
  };
}
