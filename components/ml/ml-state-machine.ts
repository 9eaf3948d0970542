import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { registerDocument } from "../documents";
import type { StateMachineDefinition } from "../etl/asl/types";
import { serviceTrustPolicy } from "../etl/iam-documents";
import type { ScheduleExpression } from "../schedule";
import { MlScope, startExecutionPolicy } from "./ml-iam";

export interface MlStateMachineArgs {
  /**
   * The state machine's name. Fixed (not auto-named) so its ARN is known before it exists: the role lets the
   * machine list its own executions (the overlap guard) and other areas can reference it.
   */
  readonly machineName: string;
  readonly description: string;
  readonly definition: pulumi.Output<StateMachineDefinition>;
  /** Name of the generated ASL document, e.g. `ml-training-state-machine`. */
  readonly documentName: string;
  /** The role's permissions, given the machine's ARN. */
  readonly policy: (stateMachineArn: string, scope: MlScope) => pulumi.Input<aws.iam.PolicyDocument>;
  /** When to start it (EventBridge Scheduler, UTC). */
  readonly schedule: ScheduleExpression;
  readonly logRetentionDays: number;
  readonly kmsKeyArn: pulumi.Input<string>;
  /** Tags merged into every taggable child. @default - none */
  readonly tags?: Record<string, string>;
}

/**
 * A Step Functions state machine of the anomaly pipeline: STANDARD, execution history at level ALL with
 * execution data into a KMS-encrypted log group, X-Ray tracing, a least-privilege role, and an EventBridge
 * Scheduler schedule whose role may start this machine only.
 */
export class MlStateMachine extends pulumi.ComponentResource {
  public readonly stateMachine: aws.sfn.StateMachine;
  public readonly role: aws.iam.Role;
  public readonly logGroup: aws.cloudwatch.LogGroup;
  public readonly schedule: aws.scheduler.Schedule;
  public readonly arn: pulumi.Output<string>;

  constructor(name: string, args: MlStateMachineArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:ml:MlStateMachine", name, {}, opts);
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(args.machineName)) {
      throw new pulumi.ResourceError(
        `state machine name "${args.machineName}" must be 1-80 letters, digits, "-" or "_"`,
        this,
      );
    }
    const tags = { ...args.tags };
    const child = { parent: this };
    const scope = pulumi
      .all([
        aws.getPartitionOutput({}, child).partition,
        aws.getRegionOutput({}, child).region,
        aws.getCallerIdentityOutput({}, child).accountId,
      ])
      .apply(([partition, region, accountId]): MlScope => ({ partition, region, accountId }));
    const machineArn = scope.apply(
      (s) => `arn:${s.partition}:states:${s.region}:${s.accountId}:stateMachine:${args.machineName}`,
    );
    const trust = (service: string) =>
      pulumi.jsonStringify(scope.apply((s) => serviceTrustPolicy(service, s)));

    registerDocument(args.documentName, "asl", args.definition);
    const policy = pulumi.all([machineArn, scope]).apply(([arn, s]) => pulumi.output(args.policy(arn, s)));
    registerDocument(`iam-${args.documentName}`, "json", policy);
    this.role = new aws.iam.Role(
      `${name}-role`,
      {
        description: `${args.description} (state machine role)`.slice(0, 1000),
        assumeRolePolicy: trust("states.amazonaws.com"),
        tags,
      },
      child,
    );
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-policy`,
      { role: this.role.id, policy: pulumi.jsonStringify(policy) },
      child,
    );

    // Vended-logs prefix: Step Functions' log delivery then needs no per-group resource policy.
    this.logGroup = new aws.cloudwatch.LogGroup(
      `${name}-executions`,
      {
        name: `/aws/vendedlogs/states/${args.machineName}`,
        retentionInDays: args.logRetentionDays,
        kmsKeyId: args.kmsKeyArn,
        tags,
      },
      child,
    );
    this.stateMachine = new aws.sfn.StateMachine(
      name,
      {
        name: args.machineName,
        type: "STANDARD",
        roleArn: this.role.arn,
        definition: pulumi.jsonStringify(args.definition),
        loggingConfiguration: {
          level: "ALL",
          includeExecutionData: true,
          logDestination: pulumi.interpolate`${this.logGroup.arn}:*`,
        },
        tracingConfiguration: { enabled: true },
        tags,
      },
      { parent: this, dependsOn: [rolePolicy] },
    );
    this.arn = this.stateMachine.arn;

    const schedulerPolicy = machineArn.apply(startExecutionPolicy);
    registerDocument(`iam-${args.documentName}-schedule`, "json", schedulerPolicy);
    const schedulerRole = new aws.iam.Role(
      `${name}-schedule-role`,
      {
        description: `Starts ${args.machineName} on its schedule`,
        assumeRolePolicy: trust("scheduler.amazonaws.com"),
        tags,
      },
      child,
    );
    const schedulerRolePolicy = new aws.iam.RolePolicy(
      `${name}-schedule-policy`,
      { role: schedulerRole.id, policy: pulumi.jsonStringify(schedulerPolicy) },
      child,
    );
    this.schedule = new aws.scheduler.Schedule(
      `${name}-schedule`,
      {
        description: `${args.description} (${args.schedule.expression})`.slice(0, 512),
        scheduleExpression: args.schedule.expression,
        scheduleExpressionTimezone: "UTC",
        flexibleTimeWindow: { mode: "OFF" },
        target: {
          arn: this.stateMachine.arn,
          roleArn: schedulerRole.arn,
          input: JSON.stringify({ trigger: "schedule" }),
          retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 3600 },
        },
        state: "ENABLED",
      },
      { parent: this, dependsOn: [schedulerRolePolicy] },
    );

    this.registerOutputs({ arn: this.arn, name: this.stateMachine.name, logGroupName: this.logGroup.name });
  }
}
