import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { registerDocument } from "../documents";
import type { ScheduleExpression } from "../schedule";
import { accountScopeOutput } from "../shared/aws-scope";
import { AWS_MANAGED_KEYS } from "../shared/resource-refs";
import { platformFunction } from "../shared/platform-function";
import { serviceRole } from "../shared/service-role";
import { loggedStateMachine, machineSchedule } from "../shared/state-machine";
import { buildEtlStateMachine, EtlMachineResources, PLANNER_TIMEOUT_SECONDS } from "./asl/etl-machine";
import { PLANNER_ENV } from "./plan";
import { plannerPolicy, schedulerPolicy, stateMachinePolicy } from "./iam-documents";
import type { EtlCrawlerKey, EtlJobKey } from "./transforms";

/** A deployed Glue job or crawler, as the machine needs it. */
export interface GlueResourceRef {
  readonly name: pulumi.Input<string>;
  readonly arn: pulumi.Input<string>;
}

export interface EtlStateMachineArgs {
  /** Short deployment name for the failure notice, e.g. `sensors-dev`. */
  readonly label: string;
  readonly jobs: Readonly<Record<EtlJobKey, GlueResourceRef>>;
  readonly crawlers: Readonly<Record<EtlCrawlerKey, GlueResourceRef>>;
  /** Where historical CSV files land (the planner lists it). */
  readonly landing: { readonly bucketName: pulumi.Input<string>; readonly prefix: string };
  /** Hours after which the JDBC import runs again. @default 24 */
  readonly jdbcRefreshHours?: number;
  /** The model-training state machine to start after curation. @default - no training step */
  readonly trainingStateMachineArn?: pulumi.Input<string>;
  /** Address subscribed to the failure topic. @default - no subscription (the topic still receives) */
  readonly alertEmail?: string;
  /** Key of the log groups and the failure topic. @default - CloudWatch Logs' own encryption, `alias/aws/sns` */
  readonly kmsKeyArn?: pulumi.Input<string> | undefined;
  readonly logRetentionDays: number;
  /** When to run (EventBridge Scheduler, UTC). */
  readonly schedule: ScheduleExpression;
  readonly crawlerPollSeconds: number;
  readonly crawlerMaxPolls: number;
  /** The Glue jobs' timeout, in minutes (the Tasks wait a margin longer). */
  readonly jobTimeoutMinutes: number;
  /** Tags merged into every taggable child. @default - none */
  readonly tags?: Record<string, string>;
}

/**
 * The ETL's orchestration: the planning function, the state machine built by `asl/etl-machine.ts` from the
 * deployed names and ARNs, a KMS-encrypted SNS topic for failures (with the configured e-mail subscribed),
 * the execution log (level ALL, with execution data, into a KMS-encrypted log group), X-Ray tracing, and an
 * EventBridge Scheduler schedule. Each role can do exactly what its definition needs, on those ARNs.
 */
export class EtlStateMachine extends pulumi.ComponentResource {
  public readonly planner: aws.lambda.Function;
  public readonly failureTopic: aws.sns.Topic;
  public readonly stateMachine: aws.sfn.StateMachine;
  public readonly logGroup: aws.cloudwatch.LogGroup;
  public readonly schedule: aws.scheduler.Schedule;
  /** The names and ARNs the definition was built with (what a local run binds to its handlers). */
  public readonly resources: pulumi.Output<EtlMachineResources>;

  constructor(name: string, args: EtlStateMachineArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:etl:EtlStateMachine", name, {}, opts);
    const tags = { ...args.tags };
    const child = { parent: this };
    const scope = accountScopeOutput(this);
    const role = (role: string, service: string, policy: pulumi.Output<aws.iam.PolicyDocument>) =>
      serviceRole(this, {
        service,
        scope,
        policy,
        documentName: `iam-${name}-${role}`,
        roleName: `${name}-${role}`,
        policyName: `${name}-${role}`,
        tags,
      });
    const jobArns = pulumi.all([args.jobs.s3Import.arn, args.jobs.jdbcImport.arn, args.jobs.curate.arn]);

    // Failure notices.
    this.failureTopic = new aws.sns.Topic(
      `${name}-failures`,
      {
        displayName: `ETL failures (${args.label})`,
        kmsMasterKeyId: args.kmsKeyArn ?? AWS_MANAGED_KEYS.sns,
        tags,
      },
      child,
    );
    if (args.alertEmail) {
      new aws.sns.TopicSubscription(
        `${name}-failures-email`,
        { topic: this.failureTopic.arn, protocol: "email", endpoint: args.alertEmail },
        child,
      );
    }

    // Planner.
    const plannerLogs = new aws.cloudwatch.LogGroup(
      `${name}-planner`,
      { retentionInDays: args.logRetentionDays, kmsKeyId: args.kmsKeyArn, tags },
      child,
    );
    const importJobArns = pulumi.all([args.jobs.s3Import.arn, args.jobs.jdbcImport.arn]);
    const plannerAccess = role(
      "planner",
      "lambda.amazonaws.com",
      pulumi
        .all([
          scope,
          importJobArns,
          args.landing.bucketName,
          plannerLogs.arn,
          this.failureTopic.arn,
          pulumi.output(args.kmsKeyArn),
        ])
        .apply(([s, arns, bucket, logGroupArn, failureTopicArn, topicKeyArn]) =>
          plannerPolicy({
            jobArns: arns,
            landingBucket: bucket,
            landingPrefix: args.landing.prefix,
            logGroupArn,
            partition: s.partition,
            failureTopicArn,
            topicKeyArn,
          }),
        ),
    );
    this.planner = platformFunction(this, `${name}-planner`, {
      entry: "etl-planner",
      description: "Plans an ETL run: which historical imports are needed",
      roleArn: plannerAccess.role.arn,
      rolePolicy: plannerAccess.policy,
      timeoutSeconds: PLANNER_TIMEOUT_SECONDS / 2,
      memorySize: 256,
      logGroupName: plannerLogs.name,
      environment: {
        [PLANNER_ENV.s3ImportJobName]: args.jobs.s3Import.name,
        [PLANNER_ENV.jdbcImportJobName]: args.jobs.jdbcImport.name,
        [PLANNER_ENV.landingBucket]: args.landing.bucketName,
        [PLANNER_ENV.landingPrefix]: args.landing.prefix,
        [PLANNER_ENV.jdbcRefreshHours]: String(args.jdbcRefreshHours ?? 24),
        [PLANNER_ENV.trainingEnabled]: String(args.trainingStateMachineArn !== undefined),
      },
      tags,
    });
    // The machine invokes the planner synchronously and handles its errors; an asynchronous invocation
    // (someone testing it by hand) that fails is reported on the failure topic rather than dropped.
    new aws.lambda.FunctionEventInvokeConfig(
      `${name}-planner-async`,
      {
        functionName: this.planner.name,
        maximumRetryAttempts: 0,
        destinationConfig: { onFailure: { destination: this.failureTopic.arn } },
      },
      child,
    );

    // The machine.
    const settings = {
      label: args.label,
      crawlerPollSeconds: args.crawlerPollSeconds,
      crawlerMaxPolls: args.crawlerMaxPolls,
      jobTimeoutMinutes: args.jobTimeoutMinutes,
    };
    this.resources = pulumi
      .output({
        plannerFunctionArn: this.planner.arn,
        s3ImportJobName: args.jobs.s3Import.name,
        jdbcImportJobName: args.jobs.jdbcImport.name,
        curateJobName: args.jobs.curate.name,
        s3HistoryCrawlerName: args.crawlers.s3History.name,
        jdbcHistoryCrawlerName: args.crawlers.jdbcHistory.name,
        curatedCrawlerName: args.crawlers.curated.name,
        failureTopicArn: this.failureTopic.arn,
        trainingStateMachineArn: args.trainingStateMachineArn,
      })
      .apply(({ trainingStateMachineArn, ...deployed }): EtlMachineResources => ({
        ...deployed,
        ...(trainingStateMachineArn ? { trainingStateMachineArn } : {}),
      }));
    const definition = this.resources.apply((r) => buildEtlStateMachine(r, settings));
    registerDocument(this, "etl-state-machine", "asl", definition);

    const machineAccess = role(
      "state-machine",
      "states.amazonaws.com",
      pulumi
        .all([
          this.planner.arn,
          jobArns,
          pulumi.all([args.crawlers.s3History.arn, args.crawlers.jdbcHistory.arn, args.crawlers.curated.arn]),
          this.failureTopic.arn,
          pulumi.output(args.kmsKeyArn),
          args.trainingStateMachineArn,
        ])
        .apply(
          ([plannerFunctionArn, jobs, crawlers, failureTopicArn, topicKeyArn, trainingStateMachineArn]) =>
            stateMachinePolicy({
              plannerFunctionArn,
              jobArns: jobs,
              crawlerArns: crawlers,
              failureTopicArn,
              topicKeyArn,
              trainingStateMachineArn,
            }),
        ),
    );
    const machine = loggedStateMachine(this, {
      logicalName: `${name}-etl`,
      logGroupLogicalName: `${name}-executions`,
      logGroup: { namePrefix: `/aws/vendedlogs/states/${name}-` },
      logRetentionDays: args.logRetentionDays,
      kmsKeyArn: args.kmsKeyArn,
      definition,
      roleArn: machineAccess.role.arn,
      rolePolicy: machineAccess.policy,
      tags,
    });
    this.logGroup = machine.logGroup;
    this.stateMachine = machine.stateMachine;

    // The schedule.
    const schedulerAccess = role(
      "scheduler",
      "scheduler.amazonaws.com",
      this.stateMachine.arn.apply((arn) => schedulerPolicy(arn)),
    );
    this.schedule = machineSchedule(this, {
      logicalName: `${name}-schedule`,
      description: `Runs the sensor analytics ETL (${args.label})`,
      expression: args.schedule.expression,
      stateMachineArn: this.stateMachine.arn,
      roleArn: schedulerAccess.role.arn,
      rolePolicy: schedulerAccess.policy,
      input: "{}",
    });

    this.registerOutputs({
      stateMachineArn: this.stateMachine.arn,
      failureTopicArn: this.failureTopic.arn,
      plannerFunctionName: this.planner.name,
      scheduleName: this.schedule.name,
    });
  }
}
