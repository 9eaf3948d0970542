/**
 * The one Step Functions building block of the platform: the ETL and the anomaly pipeline's training and
 * scoring machines are each a {@link StateMachine}, so they are deployed alike and a fix lands in all of them.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { registerDocument } from "../documents";
import type { StateMachineDefinition } from "./asl/types";
import { accountScopeOutput } from "./aws-scope";
import { type BuildingBlockArgs, childOptions } from "./building-block";
import { type AccountScope, startExecutionPolicy } from "./iam-policy";
import { platformLogGroup } from "./log-group";
import { serviceRole } from "./service-role";

/** The resources a {@link StateMachine} makes, as named in {@link StateMachineArgs.formerly}. */
export type StateMachineChild =
  "stateMachine" | "logGroup" | "role" | "policy" | "schedule" | "scheduleRole" | "schedulePolicy";

/** What the role's permissions are built from. */
export interface StateMachineResources {
  readonly scope: AccountScope;
  /** The machine's own ARN, known before it exists when it has a fixed `machineName`. */
  readonly stateMachineArn?: string;
}

export interface StateMachineArgs extends BuildingBlockArgs<StateMachineChild> {
  readonly definition: pulumi.Input<StateMachineDefinition>;
  /**
   * The role's permissions, scoped to the ARNs the machine's tasks use. Include
   * `executionLogDeliveryStatement()` and `xrayStatement()` (in `iam-policy.ts`): the machine logs and is traced.
   */
  readonly policy: (resources: StateMachineResources) => pulumi.Input<aws.iam.PolicyDocument>;
  /**
   * Name the definition is registered under (`<documentName>`, kind asl), and its role's and schedule role's
   * permissions (`iam-<documentName>`, `iam-<documentName>-schedule`). @default - the component's name
   */
  readonly documentName?: string;
  /** What the machine does (the role's description). @default - none */
  readonly description?: string;
  /**
   * A fixed state machine name (1-80 letters, digits, `-`, `_`): its ARN is then known before it exists, so
   * `policy` gets it (a machine listing its own executions) and other areas can reference it.
   * @default - auto-named by Pulumi
   */
  readonly machineName?: string;
  /**
   * The execution log group's name, or a prefix Pulumi completes. Under `/aws/vendedlogs/states/`, Step
   * Functions' log delivery needs no resource policy per group.
   * @default - `/aws/vendedlogs/states/<machineName>`, or the prefix `/aws/vendedlogs/states/<name>-`
   */
  readonly logGroup?: { readonly name: string } | { readonly namePrefix: string };
  /**
   * An EventBridge Scheduler schedule starting the machine (UTC, retried twice within the hour), with a role
   * that may start this machine only. @default - no schedule
   */
  readonly schedule?: {
    /** EventBridge Scheduler expression, e.g. `cron(0 3 * * ? *)`. */
    readonly expression: string;
    /** The schedule's description (cut to Scheduler's 512 characters). */
    readonly description: string;
    /** The execution input (JSON text). @default "{}" */
    readonly input?: string;
  };
}

/**
 * A STANDARD Step Functions state machine with what every platform machine has: a role assumable only by Step
 * Functions on behalf of this account whose permissions are scoped to the ARNs the caller names, execution
 * history at level ALL with execution data into its own log group with retention (KMS-encrypted when given a
 * key), X-Ray tracing, and optionally a schedule. Children: `<name>` (the machine), `<name>-executions`,
 * `<name>-role`, `<name>-policy`, and `<name>-schedule`, `<name>-schedule-role`, `<name>-schedule-policy`.
 */
export class StateMachine extends pulumi.ComponentResource {
  public readonly stateMachine: aws.sfn.StateMachine;
  public readonly role: aws.iam.Role;
  public readonly logGroup: aws.cloudwatch.LogGroup;
  public readonly schedule?: aws.scheduler.Schedule;
  public readonly arn: pulumi.Output<string>;

  constructor(name: string, args: StateMachineArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:shared:StateMachine", name, {}, opts);
    const { machineName } = args;
    if (machineName !== undefined && !/^[A-Za-z0-9_-]{1,80}$/.test(machineName)) {
      throw new pulumi.ResourceError(
        `state machine name "${machineName}" must be 1-80 letters, digits, "-" or "_"`,
        this,
      );
    }
    const tags = { ...args.tags };
    const childOf = (child: StateMachineChild, childName: string) =>
      childOptions(this, args.formerly, child, childName);
    const documentName = args.documentName ?? name;
    const scope = accountScopeOutput(this);
    const ownArn =
      machineName === undefined
        ? undefined
        : scope.apply(
            (s) => `arn:${s.partition}:states:${s.region}:${s.accountId}:stateMachine:${machineName}`,
          );

    registerDocument(this, documentName, "asl", args.definition);
    const access = serviceRole(this, {
      service: "states.amazonaws.com",
      scope,
      policy: pulumi
        .all([scope, ownArn])
        .apply(([s, stateMachineArn]) =>
          pulumi.output(
            args.policy({ scope: s, ...(stateMachineArn === undefined ? {} : { stateMachineArn }) }),
          ),
        ),
      documentName: `iam-${documentName}`,
      roleName: `${name}-role`,
      policyName: `${name}-policy`,
      ...(args.description === undefined ? {} : { description: `${args.description} (state machine role)` }),
      tags,
      aliases: {
        role: childOf("role", `${name}-role`).aliases,
        policy: childOf("policy", `${name}-policy`).aliases,
      },
    });
    this.role = access.role;

    const logGroup =
      args.logGroup ??
      (machineName === undefined
        ? { namePrefix: `/aws/vendedlogs/states/${name}-` }
        : { name: `/aws/vendedlogs/states/${machineName}` });
    this.logGroup = platformLogGroup(
      `${name}-executions`,
      { ...logGroup, retentionDays: args.logRetentionDays ?? 30, kmsKeyArn: args.kmsKeyArn, tags },
      childOf("logGroup", `${name}-executions`),
    );
    this.stateMachine = new aws.sfn.StateMachine(
      name,
      {
        ...(machineName === undefined ? {} : { name: machineName }),
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
      // The machine must not start before it can do its work.
      { ...childOf("stateMachine", name), dependsOn: [access.policy] },
    );
    this.arn = this.stateMachine.arn;

    if (args.schedule !== undefined) {
      const schedulerAccess = serviceRole(this, {
        service: "scheduler.amazonaws.com",
        scope,
        policy: (ownArn ?? this.arn).apply(startExecutionPolicy),
        documentName: `iam-${documentName}-schedule`,
        roleName: `${name}-schedule-role`,
        policyName: `${name}-schedule-policy`,
        description: `Starts ${machineName ?? name} on its schedule`,
        tags,
        aliases: {
          role: childOf("scheduleRole", `${name}-schedule-role`).aliases,
          policy: childOf("schedulePolicy", `${name}-schedule-policy`).aliases,
        },
      });
      this.schedule = new aws.scheduler.Schedule(
        `${name}-schedule`,
        {
          description: args.schedule.description.slice(0, 512),
          scheduleExpression: args.schedule.expression,
          scheduleExpressionTimezone: "UTC",
          flexibleTimeWindow: { mode: "OFF" },
          target: {
            arn: this.arn,
            roleArn: schedulerAccess.role.arn,
            input: args.schedule.input ?? "{}",
            retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 3600 },
          },
          state: "ENABLED",
        },
        // The schedule must not fire before its role may start the machine.
        { ...childOf("schedule", `${name}-schedule`), dependsOn: [schedulerAccess.policy] },
      );
    }
    this.registerOutputs({ arn: this.arn, name: this.stateMachine.name, logGroupName: this.logGroup.name });
  }
}

/** The machine's own ARN a machine with a fixed name is given; throws for an auto-named one. */
export function ownStateMachineArn(resources: StateMachineResources): string {
  if (resources.stateMachineArn === undefined) {
    throw new Error("an auto-named state machine's ARN is not known before it exists: set machineName");
  }
  return resources.stateMachineArn;
}
