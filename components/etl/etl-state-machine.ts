import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ScheduleExpression } from "../schedule";
import { LambdaFunction } from "../shared/lambda-function";
import { AWS_MANAGED_KEYS, type TopicRef } from "../shared/resource-refs";
import { StateMachine } from "../shared/state-machine";
import { buildEtlStateMachine, EtlMachineResources, PLANNER_TIMEOUT_SECONDS } from "./asl/etl-machine";
import { PLANNER_ENV } from "./plan";
import { plannerPolicy, stateMachinePolicy } from "./iam-documents";
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
  /**
   * An existing topic for failure notices (e.g. the team's on-call topic): nothing is created or subscribed,
   * and the roles may use only its key. @default - a topic is created, encrypted with `kmsKeyArn`
   */
  readonly existingFailureTopic?: TopicRef;
  /**
   * Key of the log groups and the failure topic.
   * @default - CloudWatch Logs' own encryption, `alias/aws/sns` for the topic: no `kms:*` statement
   */
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
  /** The planning function with its role and log group. */
  public readonly plannerFunction: LambdaFunction;
  public readonly planner: aws.lambda.Function;
  /** The state machine with its role, log group and schedule. */
  public readonly machine: StateMachine;
  /** The failure topic, created or given (`existingFailureTopic`). */
  public readonly failureTopic: TopicRef;
  public readonly stateMachine: aws.sfn.StateMachine;
  public readonly logGroup: aws.cloudwatch.LogGroup;
  public readonly schedule: aws.scheduler.Schedule;
  /** The names and ARNs the definition was built with (what a local run binds to its handlers). */
  public readonly resources: pulumi.Output<EtlMachineResources>;

  constructor(name: string, args: EtlStateMachineArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:etl:EtlStateMachine", name, {}, opts);
    const tags = { ...args.tags };
    const child = { parent: this };
    const jobArns = pulumi.all([args.jobs.s3Import.arn, args.jobs.jdbcImport.arn, args.jobs.curate.arn]);

    // Failure notices.
    this.failureTopic = args.existingFailureTopic ?? this.createFailureTopic(name, args, tags);

    // Planner. Its role, policy and log group were named `<name>-planner` before it became a LambdaFunction.
    const plannerName = `${name}-planner`;
    const importJobArns = pulumi.all([args.jobs.s3Import.arn, args.jobs.jdbcImport.arn]);
    this.plannerFunction = new LambdaFunction(
      plannerName,
      {
        entry: "etl-planner",
        description: "Plans an ETL run: which historical imports are needed",
        policy: ({ logGroupArn, scope: s }) =>
          pulumi
            .all([
              importJobArns,
              args.landing.bucketName,
              this.failureTopic.arn,
              pulumi.output(this.failureTopic.kmsKeyArn),
            ])
            .apply(([arns, bucket, failureTopicArn, topicKeyArn]) =>
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
        timeoutSeconds: PLANNER_TIMEOUT_SECONDS / 2,
        memorySize: 256,
        logRetentionDays: args.logRetentionDays,
        kmsKeyArn: args.kmsKeyArn,
        environment: {
          [PLANNER_ENV.s3ImportJobName]: args.jobs.s3Import.name,
          [PLANNER_ENV.jdbcImportJobName]: args.jobs.jdbcImport.name,
          [PLANNER_ENV.landingBucket]: args.landing.bucketName,
          [PLANNER_ENV.landingPrefix]: args.landing.prefix,
          [PLANNER_ENV.jdbcRefreshHours]: String(args.jdbcRefreshHours ?? 24),
          [PLANNER_ENV.trainingEnabled]: String(args.trainingStateMachineArn !== undefined),
        },
        // The machine invokes the planner synchronously and handles its errors; an asynchronous invocation
        // (someone testing it by hand) that fails is reported on the failure topic rather than dropped.
        onFailure: { destinationArn: this.failureTopic.arn },
        formerly: { parent: this, names: { logGroup: plannerName, role: plannerName, policy: plannerName } },
        tags,
      },
      child,
    );
    this.planner = this.plannerFunction.function;

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
    // The machine and its schedule. Before they became a StateMachine the roles were named
    // `<name>-state-machine` and `<name>-scheduler` (role and policy alike), the log group `<name>-executions`.
    this.machine = new StateMachine(
      `${name}-etl`,
      {
        definition,
        documentName: "etl-state-machine",
        policy: () =>
          pulumi
            .all([
              this.planner.arn,
              jobArns,
              pulumi.all([
                args.crawlers.s3History.arn,
                args.crawlers.jdbcHistory.arn,
                args.crawlers.curated.arn,
              ]),
              this.failureTopic.arn,
              pulumi.output(this.failureTopic.kmsKeyArn),
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
        logGroup: { namePrefix: `/aws/vendedlogs/states/${name}-` },
        logRetentionDays: args.logRetentionDays,
        kmsKeyArn: args.kmsKeyArn,
        schedule: {
          expression: args.schedule.expression,
          description: `Runs the sensor analytics ETL (${args.label})`,
        },
        formerly: {
          parent: this,
          names: {
            role: `${name}-state-machine`,
            policy: `${name}-state-machine`,
            logGroup: `${name}-executions`,
            schedule: `${name}-schedule`,
            scheduleRole: `${name}-scheduler`,
            schedulePolicy: `${name}-scheduler`,
          },
        },
        tags,
      },
      child,
    );
    this.stateMachine = this.machine.stateMachine;
    this.logGroup = this.machine.logGroup;
    this.schedule = this.machine.schedule!;

    this.registerOutputs({
      stateMachineArn: this.stateMachine.arn,
      failureTopicArn: this.failureTopic.arn,
      plannerFunctionName: this.planner.name,
      scheduleName: this.schedule.name,
    });
  }

  /** The failure topic, encrypted with `kmsKeyArn` (or `alias/aws/sns`), with `alertEmail` subscribed. */
  private createFailureTopic(
    name: string,
    args: EtlStateMachineArgs,
    tags: Record<string, string>,
  ): TopicRef {
    const topic = new aws.sns.Topic(
      `${name}-failures`,
      {
        displayName: `ETL failures (${args.label})`,
        kmsMasterKeyId: args.kmsKeyArn ?? AWS_MANAGED_KEYS.sns,
        tags,
      },
      { parent: this },
    );
    if (args.alertEmail)
      new aws.sns.TopicSubscription(
        `${name}-failures-email`,
        { topic: topic.arn, protocol: "email", endpoint: args.alertEmail },
        { parent: this },
      );
    return { arn: topic.arn, kmsKeyArn: args.kmsKeyArn };
  }
}
