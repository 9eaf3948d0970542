import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { registerDocument } from "../documents";
import { accountScopeOutput, serviceTrustPolicy } from "../shared/aws-scope";
import { AWS_MANAGED_KEYS, type TopicRef } from "../shared/resource-refs";
import { notificationKeyPolicy, sageMakerExecutionPolicy } from "./iam-documents";
import {
  EndpointStatus,
  MODEL_KEYS,
  NO_PROMOTED_MODEL,
  planEndpoint,
  promotedModelParameterName,
  sageMakerNamePrefix,
} from "./ml-layout";
import type { AnomalyRunSettings, ModelSettings } from "./model-settings";
import { LakeBuckets, PipelineContext } from "./pipeline-context";
import { RcfEndpoint } from "./rcf-endpoint";
import { ScoringPipeline } from "./scoring-pipeline";
import { TrainingPipeline } from "./training-pipeline";

/** SageMaker's built-in Random Cut Forest image repository. */
export const RCF_REPOSITORY = "randomcutforest";

export interface AnomalyDetectionArgs extends AnomalyRunSettings {
  /** Deployment name (`<app>-<stack>`): names the state machines, the endpoint and the SageMaker runs. */
  readonly deployment: string;
  /** `endpoint`: a real-time endpoint scores; `batch`: a batch transform per scoring run (no 24/7 instance). */
  readonly mode: "endpoint" | "batch";
  /**
   * Endpoint mode, required there: whether training has promoted a model yet, i.e.
   * `(await findPromotedModel(deployment)) !== undefined`. The endpoint serves the promoted model, so while
   * there is none (a new stack has no data to train on) the endpoint, its alarms and autoscaling are left out,
   * both pipelines score in batch transforms, and the first promotion tells the failure topic to run
   * `pulumi up`, which then creates the endpoint.
   * @default - unset: refused in `endpoint` mode, unused in `batch` mode
   */
  readonly modelPromoted?: boolean;
  /** `buildModelSettings(config.anomaly)`: hyperparameters, shingle size, threshold rule. */
  readonly model: ModelSettings;
  /** Lake buckets: raw (telemetry), curated (training CSV, anomalies, scoring state), results (Athena), artifacts (models). */
  readonly buckets: LakeBuckets;
  /**
   * ARN of the lake KMS key: model artifacts, job volumes, endpoint storage, log groups and dead-letter queues.
   * @default - none (a lake with encryption "s3-managed"): SageMaker's AWS-managed keys (`aws/s3` for its
   * outputs), the buckets' SSE-S3, CloudWatch Logs' and SQS's own encryption, and no `kms:*` statement for
   * the lake in any role
   */
  readonly kmsKeyArn?: pulumi.Input<string> | undefined;
  /**
   * How the alert and failure topics are encrypted: `"create-key"` makes a customer-managed key for them whose
   * policy admits CloudWatch, so alarms can notify the failure topic; `"aws-managed"` uses `alias/aws/sns`
   * (no key to manage), which CloudWatch alarms cannot publish to, so it is refused in endpoint mode (its
   * alarms notify the failure topic) and must not be chosen when your own alarms notify `failureTopic`.
   * @default "create-key" with `kmsKeyArn` or in endpoint mode, otherwise "aws-managed"
   */
  readonly topicEncryption?: "create-key" | "aws-managed";
  /**
   * Existing SNS topics to publish to instead of creating them (e.g. the organisation's on-call topic), by ARN
   * and the customer-managed key encrypting them. In endpoint mode the failure topic receives the endpoint's
   * CloudWatch alarms, so its key (if any) must admit `cloudwatch.amazonaws.com`. `alertEmail` is subscribed
   * only to topics created here.
   * @default - both topics are created, encrypted as `topicEncryption` says
   */
  readonly existingTopics?: { readonly alerts?: TopicRef; readonly failures?: TopicRef };
  /** Where scoring queries new readings (the AthenaAnalytics workgroup and the lake database). */
  readonly athena: {
    readonly workGroupName: pulumi.Input<string>;
    readonly workGroupArn: pulumi.Input<string>;
    readonly databaseName: pulumi.Input<string>;
  };
  /** Seconds after arrival a reading may still be missing from the lake (Firehose buffering plus a margin). */
  readonly ingestDelaySeconds: number;
  /** Subscribed to anomaly alerts and pipeline failures. @default - no subscription */
  readonly alertEmail?: string;
  readonly logRetentionDays: number;
  /** Endpoint mode: the p90 model latency, in milliseconds, that raises the endpoint's latency alarm. @default 500 */
  readonly endpointLatencyThresholdMs?: number;
  /** Endpoint mode: an HTTPS function URL with IAM auth for ad-hoc predictions. @default false */
  readonly adHocScoringUrl?: boolean;
  /** Tags merged into every taggable child. @default - none */
  readonly tags?: Record<string, string>;
}

/** Checks the args before anything is created; returns every problem. */
export function validateAnomalyDetectionArgs(
  args: Pick<
    AnomalyDetectionArgs,
    | "mode"
    | "modelPromoted"
    | "adHocScoringUrl"
    | "ingestDelaySeconds"
    | "logRetentionDays"
    | "topicEncryption"
    | "existingTopics"
  >,
): string[] {
  const problems: string[] = [];
  if (args.mode === "endpoint" && args.topicEncryption === "aws-managed" && !args.existingTopics?.failures)
    problems.push(
      'topicEncryption "aws-managed" cannot be used in endpoint mode: the endpoint\'s CloudWatch alarms notify the failure topic, and CloudWatch cannot publish to a topic under alias/aws/sns; set it to "create-key" or leave it out',
    );
  if (args.mode === "endpoint" && args.modelPromoted === undefined)
    problems.push(
      "modelPromoted must be set in endpoint mode: pass (await findPromotedModel(deployment)) !== undefined, " +
        "since the endpoint can only be created once training has promoted a model for it to serve",
    );
  if (args.adHocScoringUrl && args.mode !== "endpoint")
    problems.push(
      "adHocScoringUrl needs mode endpoint (batch mode has no endpoint to ask); set sensor-analytics:anomalyMode to endpoint or turn the URL off",
    );
  if (!Number.isInteger(args.ingestDelaySeconds) || args.ingestDelaySeconds < 0)
    problems.push(
      `ingestDelaySeconds must be a whole number of seconds, 0 or more (got ${args.ingestDelaySeconds})`,
    );
  if (!Number.isInteger(args.logRetentionDays) || args.logRetentionDays < 1)
    problems.push(`logRetentionDays must be a whole number of days (got ${args.logRetentionDays})`);
  return problems;
}

/**
 * Anomaly detection with SageMaker's Random Cut Forest: the training pipeline (train, threshold from the
 * training scores, blue/green endpoint update, promote), the scoring pipeline (watermark window, Athena,
 * endpoint or batch transform, anomaly records, alerts), both on schedules; in endpoint mode, once a model is
 * promoted, the endpoint with alarms and autoscaling; encrypted SNS topics for anomaly alerts and for
 * failures; the SSM parameter recording the promoted model.
 */
export class AnomalyDetection extends pulumi.ComponentResource {
  /** The alert topic, created or given (`existingTopics.alerts`). */
  public readonly alertTopic: TopicRef;
  /** The failure and alarm topic, created or given (`existingTopics.failures`). */
  public readonly failureTopic: TopicRef;
  public readonly sageMakerRole: aws.iam.Role;
  public readonly training: TrainingPipeline;
  public readonly scoring: ScoringPipeline;
  public readonly endpoint?: RcfEndpoint;
  public readonly endpointStatus: EndpointStatus;
  /** Records the promoted model; read by `findPromotedModel` at the next `pulumi up`. */
  public readonly promotedModelParameter: aws.ssm.Parameter;
  /** Endpoint mode with `adHocScoringUrl`: the IAM-authenticated HTTPS URL. */
  public readonly scoringUrl?: pulumi.Output<string>;
  public readonly trainingStateMachineArn: pulumi.Output<string>;
  public readonly scoringStateMachineArn: pulumi.Output<string>;

  constructor(name: string, args: AnomalyDetectionArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:ml:AnomalyDetection", name, {}, opts);
    const problems = validateAnomalyDetectionArgs(args);
    if (problems.length > 0)
      throw new pulumi.ResourceError(`AnomalyDetection ${name}: ${problems.join("; ")}`, this);
    const tags = { ...args.tags };
    const child = { parent: this };
    const { deployment, buckets } = args;
    const namePrefix = sageMakerNamePrefix(deployment);
    // Everything below that uses the endpoint sees it only once it can exist.
    const { status, endpointName, awaitingEndpointName } = planEndpoint(
      deployment,
      args.mode,
      args.modelPromoted === true,
    );
    this.endpointStatus = status;
    if (awaitingEndpointName)
      void pulumi.log.info(
        `endpoint ${awaitingEndpointName} waits for the first promoted model: scoring runs in batch transforms until then; ` +
          "after the first training run, pulumi up creates the endpoint (the failure topic is told when)",
        this,
      );
    const scope = accountScopeOutput(this);
    const image = aws.sagemaker.getPrebuiltEcrImageOutput({ repositoryName: RCF_REPOSITORY }, child);
    registerDocument(this, "ml-model-settings", "json", args.model);

    // Topics: anomaly alerts (people watching rooms) apart from failures and alarms (people running the platform).
    const topicEncryption =
      args.topicEncryption ??
      (args.kmsKeyArn !== undefined || args.mode === "endpoint" ? "create-key" : "aws-managed");
    const given = args.existingTopics ?? {};
    let topicKey: aws.kms.Key | undefined;
    if (topicEncryption === "create-key" && !(given.alerts && given.failures)) {
      const keyPolicy = scope.apply(notificationKeyPolicy);
      registerDocument(this, "kms-ml-notifications-key-policy", "json", keyPolicy);
      topicKey = new aws.kms.Key(
        `${name}-topics-key`,
        {
          description: `Anomaly alert and ML failure topics (${deployment})`,
          enableKeyRotation: true,
          deletionWindowInDays: 30,
          policy: pulumi.jsonStringify(keyPolicy),
          tags,
        },
        child,
      );
    }
    const topic = (role: "alerts" | "failures", displayName: string): TopicRef => {
      const existing = given[role];
      if (existing) return existing;
      const t = new aws.sns.Topic(
        `${name}-${role}`,
        { displayName, kmsMasterKeyId: topicKey?.arn ?? AWS_MANAGED_KEYS.sns, tags },
        child,
      );
      if (args.alertEmail)
        new aws.sns.TopicSubscription(
          `${name}-${role}-email`,
          { topic: t.arn, protocol: "email", endpoint: args.alertEmail },
          child,
        );
      return { arn: t.arn, kmsKeyArn: topicKey?.arn };
    };
    this.alertTopic = topic("alerts", `Sensor anomalies (${deployment})`);
    this.failureTopic = topic("failures", `Anomaly pipeline failures and alarms (${deployment})`);

    // The role SageMaker assumes for training, models and transforms.
    const sageMakerPolicy = pulumi
      .all([
        scope,
        buckets.curated.arn,
        buckets.artifacts.arn,
        pulumi.output(args.kmsKeyArn),
        image.registryId,
      ])
      .apply(([s, curatedBucketArn, artifactsBucketArn, kmsKeyArn, registryId]) =>
        sageMakerExecutionPolicy({
          scope: s,
          curatedBucketArn,
          artifactsBucketArn,
          kmsKeyArn,
          imageRepositoryArn: `arn:${s.partition}:ecr:${s.region}:${registryId}:repository/${RCF_REPOSITORY}`,
        }),
      );
    registerDocument(this, "iam-ml-sagemaker-role", "json", sageMakerPolicy);
    this.sageMakerRole = new aws.iam.Role(
      `${name}-sagemaker-role`,
      {
        description: `SageMaker trains and serves the ${deployment} anomaly model with this role`,
        assumeRolePolicy: pulumi.jsonStringify(
          scope.apply((s) => serviceTrustPolicy("sagemaker.amazonaws.com", s)),
        ),
        tags,
      },
      child,
    );
    const sageMakerRolePolicy = new aws.iam.RolePolicy(
      `${name}-sagemaker-policy`,
      { role: this.sageMakerRole.id, policy: pulumi.jsonStringify(sageMakerPolicy) },
      child,
    );

    // Created holding "none"; each promotion overwrites it, so Pulumi must not set it back.
    this.promotedModelParameter = new aws.ssm.Parameter(
      `${name}-promoted-model`,
      {
        name: promotedModelParameterName(deployment),
        description: `The ${deployment} anomaly model in service, written by each training run; pulumi up creates the endpoint once it names a model`,
        type: "String",
        insecureValue: NO_PROMOTED_MODEL,
        tags,
      },
      { parent: this, ignoreChanges: ["insecureValue", "value"] },
    );

    if (endpointName) {
      this.endpoint = new RcfEndpoint(
        `${name}-endpoint`,
        {
          endpointName,
          image: image.registryPath,
          sageMakerRoleArn: this.sageMakerRole.arn,
          initialModelDataUrl: pulumi.interpolate`s3://${buckets.artifacts.name}/${MODEL_KEYS.currentArtifact}`,
          instanceType: args.inferenceInstanceType,
          instanceCount: args.inferenceInstanceCount,
          maxInstances: args.inferenceMaxInstances,
          kmsKeyArn: args.kmsKeyArn,
          alarmTopicArn: this.failureTopic.arn,
          latencyThresholdMs: args.endpointLatencyThresholdMs,
          tags,
        },
        { parent: this, dependsOn: [sageMakerRolePolicy] },
      );
    }

    const context: PipelineContext = {
      deployment,
      namePrefix,
      model: args.model,
      buckets,
      kmsKeyArn: args.kmsKeyArn,
      scope,
      failureTopicArn: this.failureTopic.arn,
      topicKeyArn: this.failureTopic.kmsKeyArn,
      endpointName,
      logRetentionDays: args.logRetentionDays,
      tags,
    };
    // In endpoint mode both pipelines use the endpoint: it must exist first.
    const afterEndpoint = { parent: this, dependsOn: this.endpoint ? [this.endpoint] : [] };
    this.training = new TrainingPipeline(
      `${name}-training`,
      {
        context,
        sageMakerRoleArn: this.sageMakerRole.arn,
        image: image.registryPath,
        trainingInstanceType: args.trainingInstanceType,
        inferenceInstanceType: args.inferenceInstanceType,
        inferenceInstanceCount: args.inferenceInstanceCount,
        schedule: args.trainingSchedule,
        rollbackAlarmNames: this.endpoint?.rollbackAlarmNames,
        awaitingEndpointName,
        promotedModelParameter: {
          name: this.promotedModelParameter.name,
          arn: this.promotedModelParameter.arn,
        },
      },
      afterEndpoint,
    );
    this.scoring = new ScoringPipeline(
      `${name}-scoring`,
      {
        context,
        alertTopicArn: this.alertTopic.arn,
        alertTopicKeyArn: this.alertTopic.kmsKeyArn,
        athena: args.athena,
        inferenceInstanceType: args.inferenceInstanceType,
        schedule: args.scoringSchedule,
        ingestDelaySeconds: args.ingestDelaySeconds,
        adHocScoringUrl: args.adHocScoringUrl,
      },
      afterEndpoint,
    );
    this.scoringUrl = this.scoring.url;
    this.trainingStateMachineArn = this.training.stateMachineArn;
    this.scoringStateMachineArn = this.scoring.stateMachineArn;
    this.registerOutputs({
      trainingStateMachineArn: this.trainingStateMachineArn,
      scoringStateMachineArn: this.scoringStateMachineArn,
      alertTopicArn: this.alertTopic.arn,
      failureTopicArn: this.failureTopic.arn,
      endpointName: this.endpoint?.endpointName,
      endpointStatus: this.endpointStatus,
      promotedModelParameter: this.promotedModelParameter.name,
      scoringUrl: this.scoringUrl,
    });
  }
}
