import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { VARIANT_NAME } from "./ml-layout";

export interface RcfEndpointArgs {
  /** The endpoint's name; fixed because the training state machine and the scoring function address it. */
  readonly endpointName: string;
  /** The region's Random Cut Forest image. */
  readonly image: pulumi.Input<string>;
  readonly sageMakerRoleArn: pulumi.Input<string>;
  /**
   * Artifact the first endpoint serves: the stable `models/current/model.tar.gz` that every training run
   * promotes. It must exist before the endpoint is created, which is why AnomalyDetection declares this
   * component only once `findPromotedModel` finds a promoted model.
   */
  readonly initialModelDataUrl: pulumi.Input<string>;
  readonly instanceType: string;
  /** Instances at creation, and the autoscaling minimum. */
  readonly instanceCount: number;
  /** Autoscaling maximum; equal to `instanceCount` means no autoscaling. */
  readonly maxInstances: number;
  /** Key of the endpoint's ML storage volumes. @default - SageMaker's AWS-managed key */
  readonly kmsKeyArn?: pulumi.Input<string> | undefined;
  /** Topic the alarms notify. */
  readonly alarmTopicArn: pulumi.Input<string>;
  /** Invocations per instance per minute autoscaling aims at. @default 1000 */
  readonly invocationsPerInstanceTarget?: number;
  /** p90 model latency that raises the latency alarm, in milliseconds. @default 500 */
  readonly latencyThresholdMs?: number;
  /** Tags merged into every taggable child. @default - none */
  readonly tags?: Record<string, string>;
}

/** Checks the args before anything is created; returns every problem. */
export function validateRcfEndpointArgs(
  args: Pick<RcfEndpointArgs, "endpointName" | "instanceCount" | "maxInstances">,
): string[] {
  const problems: string[] = [];
  if (!/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/.test(args.endpointName))
    problems.push(`endpoint name "${args.endpointName}" must be 1-63 letters, digits and "-"`);
  if (!Number.isInteger(args.instanceCount) || args.instanceCount < 1)
    problems.push(`instanceCount must be a whole number of at least 1 (got ${args.instanceCount})`);
  if (!Number.isInteger(args.maxInstances) || args.maxInstances < args.instanceCount) {
    problems.push(
      `maxInstances must be a whole number of at least instanceCount ${args.instanceCount} (got ${args.maxInstances}); fix sensor-analytics:inferenceMaxInstances`,
    );
  }
  return problems;
}

/**
 * The real-time Random Cut Forest endpoint: a first model and endpoint config (KMS-encrypted storage) that
 * Pulumi creates once, the endpoint with blue/green updates that roll back on its alarms, alarms on p90
 * latency and 5xx errors, and target-tracking autoscaling on invocations per instance when `maxInstances`
 * exceeds `instanceCount`.
 *
 * After the first deployment the training state machine owns the endpoint's config: each run creates a new
 * model and endpoint config under unique names and calls UpdateEndpoint. The endpoint therefore ignores
 * changes to `endpointConfigName`. Without that, every `pulumi up` would move the endpoint back to the first
 * config (and the first model). And a changed config here would be a replacement, because endpoint configs
 * are immutable: Pulumi would delete the config the endpoint still runs, the failed-update and
 * replacement problem of terraform-provider-aws#40048 and #21811. A changed instance type or count here
 * reaches the endpoint with the next training run, which builds its configs from the same settings.
 */
export class RcfEndpoint extends pulumi.ComponentResource {
  public readonly model: aws.sagemaker.Model;
  public readonly endpointConfig: aws.sagemaker.EndpointConfiguration;
  public readonly endpoint: aws.sagemaker.Endpoint;
  public readonly latencyAlarm: aws.cloudwatch.MetricAlarm;
  public readonly errorAlarm: aws.cloudwatch.MetricAlarm;
  /** Names of the alarms that roll an update back. */
  public readonly rollbackAlarmNames: readonly string[];
  public readonly scalingPolicy?: aws.appautoscaling.Policy;
  public readonly endpointName: pulumi.Output<string>;

  constructor(name: string, args: RcfEndpointArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:ml:RcfEndpoint", name, {}, opts);
    const problems = validateRcfEndpointArgs(args);
    if (problems.length > 0)
      throw new pulumi.ResourceError(`RcfEndpoint ${name}: ${problems.join("; ")}`, this);
    const tags = { ...args.tags };
    const child = { parent: this };

    // Alarms first: the endpoint's deployment policy names them.
    const dimensions = { EndpointName: args.endpointName, VariantName: VARIANT_NAME };
    const alarm = (
      role: string,
      props: Omit<
        aws.cloudwatch.MetricAlarmArgs,
        "name" | "namespace" | "dimensions" | "alarmActions" | "okActions" | "tags"
      >,
    ) =>
      new aws.cloudwatch.MetricAlarm(
        `${name}-${role}`,
        {
          name: `${args.endpointName}-${role}`,
          namespace: "AWS/SageMaker",
          dimensions,
          alarmActions: [args.alarmTopicArn],
          okActions: [args.alarmTopicArn],
          tags,
          ...props,
        },
        child,
      );
    this.latencyAlarm = alarm("latency", {
      alarmDescription: `p90 model latency of ${args.endpointName} above ${args.latencyThresholdMs ?? 500} ms for 3 minutes`,
      metricName: "ModelLatency",
      extendedStatistic: "p90",
      period: 60,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      // ModelLatency is reported in microseconds.
      threshold: (args.latencyThresholdMs ?? 500) * 1000,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
    });
    this.errorAlarm = alarm("5xx", {
      alarmDescription: `${args.endpointName} answered with server errors in 2 of the last 3 minutes`,
      metricName: "Invocation5XXErrors",
      statistic: "Sum",
      period: 60,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
    });
    this.rollbackAlarmNames = [`${args.endpointName}-5xx`, `${args.endpointName}-latency`];

    this.model = new aws.sagemaker.Model(
      `${name}-initial-model`,
      {
        executionRoleArn: args.sageMakerRoleArn,
        primaryContainer: { image: args.image, modelDataUrl: args.initialModelDataUrl },
        enableNetworkIsolation: true,
        tags,
      },
      child,
    );
    this.endpointConfig = new aws.sagemaker.EndpointConfiguration(
      `${name}-initial-config`,
      {
        kmsKeyArn: args.kmsKeyArn,
        productionVariants: [
          {
            variantName: VARIANT_NAME,
            modelName: this.model.name,
            instanceType: args.instanceType,
            initialInstanceCount: args.instanceCount,
          },
        ],
        tags,
      },
      child,
    );
    this.endpoint = new aws.sagemaker.Endpoint(
      `${name}-endpoint`,
      {
        name: args.endpointName,
        endpointConfigName: this.endpointConfig.name,
        deploymentConfig: {
          blueGreenUpdatePolicy: {
            trafficRoutingConfiguration: { type: "ALL_AT_ONCE", waitIntervalInSeconds: 0 },
            terminationWaitInSeconds: 300,
            maximumExecutionTimeoutInSeconds: 3600,
          },
          autoRollbackConfiguration: { alarms: this.rollbackAlarmNames.map((alarmName) => ({ alarmName })) },
        },
        tags,
      },
      // Retraining swaps in new endpoint configs (see the class comment): Pulumi must not move it back.
      {
        parent: this,
        ignoreChanges: ["endpointConfigName"],
        dependsOn: [this.latencyAlarm, this.errorAlarm],
      },
    );
    this.endpointName = this.endpoint.name;

    if (args.maxInstances > args.instanceCount) {
      const target = new aws.appautoscaling.Target(
        `${name}-scaling-target`,
        {
          serviceNamespace: "sagemaker",
          resourceId: pulumi.interpolate`endpoint/${this.endpoint.name}/variant/${VARIANT_NAME}`,
          scalableDimension: "sagemaker:variant:DesiredInstanceCount",
          minCapacity: args.instanceCount,
          maxCapacity: args.maxInstances,
          tags,
        },
        child,
      );
      this.scalingPolicy = new aws.appautoscaling.Policy(
        `${name}-scaling-policy`,
        {
          policyType: "TargetTrackingScaling",
          serviceNamespace: target.serviceNamespace,
          resourceId: target.resourceId,
          scalableDimension: target.scalableDimension,
          targetTrackingScalingPolicyConfiguration: {
            predefinedMetricSpecification: { predefinedMetricType: "SageMakerVariantInvocationsPerInstance" },
            targetValue: args.invocationsPerInstanceTarget ?? 1000,
            // Scale out fast on a burst, scale in slowly (a new instance takes minutes to come up).
            scaleOutCooldown: 60,
            scaleInCooldown: 600,
          },
        },
        child,
      );
    }

    this.registerOutputs({ endpointName: this.endpointName, rollbackAlarmNames: this.rollbackAlarmNames });
  }
}
