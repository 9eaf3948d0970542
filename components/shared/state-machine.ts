/**
 * What every platform state machine is deployed with: STANDARD type, execution history at level ALL with
 * execution data into a KMS-encrypted log group with retention, X-Ray tracing, and an EventBridge Scheduler
 * schedule (UTC, retried) that starts it. Shared by the ETL and the anomaly pipeline so both stay alike.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { StateMachineDefinition } from "../shared/asl/types";

export interface LoggedStateMachineArgs {
  /** Logical name of the state machine. */
  readonly logicalName: string;
  /** Fixed state machine name. @default - auto-named by Pulumi */
  readonly machineName?: string;
  /** Logical name of the execution log group. */
  readonly logGroupLogicalName: string;
  /**
   * The log group's name, or a name prefix. Use the `/aws/vendedlogs/states/` prefix: Step Functions' log
   * delivery then needs no per-group resource policy.
   */
  readonly logGroup: { readonly name: string } | { readonly namePrefix: string };
  readonly logRetentionDays: number;
  /** Key of the log group (the lake key). @default - CloudWatch Logs' own encryption */
  readonly kmsKeyArn?: pulumi.Input<string> | undefined;
  readonly definition: pulumi.Input<StateMachineDefinition>;
  readonly roleArn: pulumi.Input<string>;
  /** The role's policy: the machine must not start before it can do its work. */
  readonly rolePolicy: pulumi.Resource;
  readonly tags: Record<string, string>;
}

/** A STANDARD state machine logging every execution (with data) into its own encrypted log group, traced. */
export function loggedStateMachine(
  parent: pulumi.Resource,
  args: LoggedStateMachineArgs,
): { readonly stateMachine: aws.sfn.StateMachine; readonly logGroup: aws.cloudwatch.LogGroup } {
  const logGroup = new aws.cloudwatch.LogGroup(
    args.logGroupLogicalName,
    { ...args.logGroup, retentionInDays: args.logRetentionDays, kmsKeyId: args.kmsKeyArn, tags: args.tags },
    { parent },
  );
  const stateMachine = new aws.sfn.StateMachine(
    args.logicalName,
    {
      ...(args.machineName === undefined ? {} : { name: args.machineName }),
      type: "STANDARD",
      roleArn: args.roleArn,
      definition: pulumi.jsonStringify(args.definition),
      loggingConfiguration: {
        level: "ALL",
        includeExecutionData: true,
        logDestination: pulumi.interpolate`${logGroup.arn}:*`,
      },
      tracingConfiguration: { enabled: true },
      tags: args.tags,
    },
    { parent, dependsOn: [args.rolePolicy] },
  );
  return { stateMachine, logGroup };
}

export interface MachineScheduleArgs {
  /** Logical name of the schedule. */
  readonly logicalName: string;
  /** The schedule's description (cut to Scheduler's 512 characters). */
  readonly description: string;
  /** EventBridge Scheduler expression, evaluated in UTC. */
  readonly expression: string;
  readonly stateMachineArn: pulumi.Input<string>;
  /** Role the scheduler starts executions with. */
  readonly roleArn: pulumi.Input<string>;
  /** The role's policy: the schedule must not fire before the role may start the machine. */
  readonly rolePolicy: pulumi.Resource;
  /** The execution input (JSON text). */
  readonly input: string;
}

/** An enabled EventBridge Scheduler schedule starting a state machine, retried twice within the hour. */
export function machineSchedule(parent: pulumi.Resource, args: MachineScheduleArgs): aws.scheduler.Schedule {
  return new aws.scheduler.Schedule(
    args.logicalName,
    {
      description: args.description.slice(0, 512),
      scheduleExpression: args.expression,
      scheduleExpressionTimezone: "UTC",
      flexibleTimeWindow: { mode: "OFF" },
      target: {
        arn: args.stateMachineArn,
        roleArn: args.roleArn,
        input: args.input,
        retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 3600 },
      },
      state: "ENABLED",
    },
    { parent, dependsOn: [args.rolePolicy] },
  );
}
