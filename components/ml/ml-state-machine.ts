import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { registerDocument } from "../documents";
import type { StateMachineDefinition } from "../shared/asl/types";
import type { ScheduleExpression } from "../schedule";
import { type AccountScope, accountScopeOutput } from "../shared/aws-scope";
import { serviceRole } from "../shared/service-role";
import { loggedStateMachine, machineSchedule } from "../shared/state-machine";
import { startExecutionPolicy } from "./iam-documents";

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
  readonly policy: (stateMachineArn: string, scope: AccountScope) => pulumi.Input<aws.iam.PolicyDocument>;
  /** When to start it (EventBridge Scheduler, UTC). */
  readonly schedule: ScheduleExpression;
  readonly logRetentionDays: number;
  readonly kmsKeyArn?: pulumi.Input<string> | undefined;
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
    const scope = accountScopeOutput(this);
    const machineArn = scope.apply(
      (s) => `arn:${s.partition}:states:${s.region}:${s.accountId}:stateMachine:${args.machineName}`,
    );

    registerDocument(this, args.documentName, "asl", args.definition);
    const machineAccess = serviceRole(this, {
      service: "states.amazonaws.com",
      scope,
      policy: pulumi.all([machineArn, scope]).apply(([arn, s]) => pulumi.output(args.policy(arn, s))),
      documentName: `iam-${args.documentName}`,
      roleName: `${name}-role`,
      policyName: `${name}-policy`,
      description: `${args.description} (state machine role)`,
      tags,
    });
    this.role = machineAccess.role;

    const machine = loggedStateMachine(this, {
      logicalName: name,
      machineName: args.machineName,
      logGroupLogicalName: `${name}-executions`,
      logGroup: { name: `/aws/vendedlogs/states/${args.machineName}` },
      logRetentionDays: args.logRetentionDays,
      kmsKeyArn: args.kmsKeyArn,
      definition: args.definition,
      roleArn: this.role.arn,
      rolePolicy: machineAccess.policy,
      tags,
    });
    this.logGroup = machine.logGroup;
    this.stateMachine = machine.stateMachine;
    this.arn = this.stateMachine.arn;

    const schedulerAccess = serviceRole(this, {
      service: "scheduler.amazonaws.com",
      scope,
      policy: machineArn.apply(startExecutionPolicy),
      documentName: `iam-${args.documentName}-schedule`,
      roleName: `${name}-schedule-role`,
      policyName: `${name}-schedule-policy`,
      description: `Starts ${args.machineName} on its schedule`,
      tags,
    });
    this.schedule = machineSchedule(this, {
      logicalName: `${name}-schedule`,
      description: `${args.description} (${args.schedule.expression})`,
      expression: args.schedule.expression,
      stateMachineArn: this.stateMachine.arn,
      roleArn: schedulerAccess.role.arn,
      rolePolicy: schedulerAccess.policy,
      input: JSON.stringify({ trigger: "schedule" }),
    });

    this.registerOutputs({ arn: this.arn, name: this.stateMachine.name, logGroupName: this.logGroup.name });
  }
}
