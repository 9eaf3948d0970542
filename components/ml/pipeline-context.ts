/**
 * What the training and scoring pipelines share, passed down from {@link AnomalyDetection}: the deployment's
 * names, the model settings, the lake, the account scope and the notification topics.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ScheduleExpression } from "../schedule";
import type { AccountScope } from "../shared/iam-policy";
import {
  LambdaFunction,
  type LambdaFunctionArgs,
  type LambdaFunctionResources,
  ownDeadLetterQueueArn,
} from "../shared/lambda-function";
import { StateMachine, type StateMachineArgs } from "../shared/state-machine";
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

/**
 * An anomaly-pipeline function: a dead-letter queue of its own, the context's logs and tags, known by its former
 * component type so `pulumi up` keeps its resources. Unless `args` says otherwise it is a pipeline step: up to
 * 15 minutes (a run's Athena results and model artifacts) with 2 GB of memory.
 */
export function mlFunction(
  name: string,
  parent: pulumi.Resource,
  c: PipelineContext,
  args: Omit<LambdaFunctionArgs, "deadLetterQueue" | "logRetentionDays" | "kmsKeyArn" | "tags">,
): LambdaFunction {
  return new LambdaFunction(
    name,
    {
      ...args,
      deadLetterQueue: "own",
      logRetentionDays: c.logRetentionDays,
      kmsKeyArn: c.kmsKeyArn,
      tags: c.tags,
    },
    formerMlType(parent, "MlFunction"),
  );
}

/**
 * An anomaly pipeline's state machine: a fixed name (`<deployment>-<suffix>`, so the role can name the machine's
 * own ARN), the schedule described with its expression and its executions marked as scheduled, the context's
 * logs and tags, known by its former component type so `pulumi up` keeps its resources.
 */
export function mlStateMachine(
  name: string,
  parent: pulumi.Resource,
  c: PipelineContext,
  machine: Pick<StateMachineArgs, "definition" | "policy" | "description" | "documentName"> & {
    readonly nameSuffix: string;
    readonly description: string;
    readonly schedule: ScheduleExpression;
  },
): StateMachine {
  return new StateMachine(
    name,
    {
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
      definition: machine.definition,
      policy: machine.policy,
    },
    formerMlType(parent, "MlStateMachine"),
  );
}

/** Tags of the SageMaker jobs, models and endpoints a pipeline's runs create: the context's, and the deployment. */
export function runTags(c: PipelineContext): Record<string, string> {
  return { ...c.tags, "sensor-analytics:deployment": c.deployment };
}

/**
 * What every pipeline function's policy starts from: its own resources and dead-letter queue, the lake key,
 * and the curated and artifacts buckets it reads.
 */
export function lakeFunctionAccess(r: LambdaFunctionResources, a: LakeArns) {
  return {
    ...r,
    deadLetterQueueArn: ownDeadLetterQueueArn(r),
    kmsKeyArn: a.kmsKeyArn,
    curatedBucketArn: a.curated,
    artifactsBucketArn: a.artifacts,
  };
}
