import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { registerDocument } from "../documents";
import { bundleLambda } from "../iot/lambda-bundle";
import type { ScheduleExpression } from "../schedule";
import { buildEtlStateMachine, EtlMachineResources, PLANNER_TIMEOUT_SECONDS } from "./asl/etl-machine";
import { PLANNER_ENV } from "./plan";
import {
  AccountScope,
  plannerPolicy,
  schedulerPolicy,
  serviceTrustPolicy,
  stateMachinePolicy,
} from "./iam-documents";
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
  /** Key of the log groups and the failure topic. */
  readonly kmsKeyArn: pulumi.Input<string>;
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
    const scope: pulumi.Output<AccountScope> = pulumi
      .all([
        aws.getCallerIdentityOutput({}, child).accountId,
        aws.getPartitionOutput({}, child).partition,
        aws.getRegionOutput({}, child).region,
      ])
      .apply(([accountId, partition, region]) => ({ accountId, partition, region }));
    const role = (role: string, service: string, document: pulumi.Output<aws.iam.PolicyDocument>) => {
      registerDocument(`iam-${name}-${role}`, "json", document);
      const created = new aws.iam.Role(
        `${name}-${role}`,
        { assumeRolePolicy: pulumi.jsonStringify(scope.apply((s) => serviceTrustPolicy(service, s))), tags },
        child,
      );
      const policy = new aws.iam.RolePolicy(
        `${name}-${role}`,
        { role: created.id, policy: pulumi.jsonStringify(document) },
        child,
      );
      return { role: created, policy };
    };
    const jobArns = pulumi.all([args.jobs.s3Import.arn, args.jobs.jdbcImport.arn, args.jobs.curate.arn]);

    // Failure notices.
    this.failureTopic = new aws.sns.Topic(
      `${name}-failures`,
      { displayName: `ETL failures (${args.label})`, kmsMasterKeyId: args.kmsKeyArn, tags },
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
          args.kmsKeyArn,
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
    const bundle = bundleLambda("functions/etl-planner/handler.ts");
    this.planner = new aws.lambda.Function(
      `${name}-planner`,
      {
        description: "Plans an ETL run: which historical imports are needed",
        runtime: aws.lambda.Runtime.NodeJS24dX,
        architectures: ["arm64"],
        handler: bundle.handler,
        code: bundle.archive,
        role: plannerAccess.role.arn,
        timeout: PLANNER_TIMEOUT_SECONDS / 2,
        memorySize: 256,
        tracingConfig: { mode: "Active" },
        loggingConfig: { logFormat: "JSON", logGroup: plannerLogs.name },
        environment: {
          variables: {
            [PLANNER_ENV.s3ImportJobName]: args.jobs.s3Import.name,
            [PLANNER_ENV.jdbcImportJobName]: args.jobs.jdbcImport.name,
            [PLANNER_ENV.landingBucket]: args.landing.bucketName,
            [PLANNER_ENV.landingPrefix]: args.landing.prefix,
            [PLANNER_ENV.jdbcRefreshHours]: String(args.jdbcRefreshHours ?? 24),
            [PLANNER_ENV.trainingEnabled]: String(args.trainingStateMachineArn !== undefined),
          },
        },
        tags,
      },
      { parent: this, dependsOn: [plannerAccess.policy] },
    );
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
    const names = pulumi.all([
      this.planner.arn,
      args.jobs.s3Import.name,
      args.jobs.jdbcImport.name,
      args.jobs.curate.name,
      args.crawlers.s3History.name,
      args.crawlers.jdbcHistory.name,
      args.crawlers.curated.name,
      this.failureTopic.arn,
    ]);
    this.resources = pulumi
      .all([names, pulumi.output(args.trainingStateMachineArn)])
      .apply(
        ([
          [
            plannerFunctionArn,
            s3ImportJobName,
            jdbcImportJobName,
            curateJobName,
            s3HistoryCrawlerName,
            jdbcHistoryCrawlerName,
            curatedCrawlerName,
            failureTopicArn,
          ],
          trainingStateMachineArn,
        ]): EtlMachineResources => ({
          plannerFunctionArn,
          s3ImportJobName,
          jdbcImportJobName,
          curateJobName,
          s3HistoryCrawlerName,
          jdbcHistoryCrawlerName,
          curatedCrawlerName,
          failureTopicArn,
          ...(trainingStateMachineArn ? { trainingStateMachineArn } : {}),
        }),
      );
    const definition = this.resources.apply((r) => buildEtlStateMachine(r, settings));
    registerDocument("etl-state-machine", "asl", definition);

    const machineAccess = role(
      "state-machine",
      "states.amazonaws.com",
      pulumi
        .all([
          this.planner.arn,
          jobArns,
          pulumi.all([args.crawlers.s3History.arn, args.crawlers.jdbcHistory.arn, args.crawlers.curated.arn]),
          this.failureTopic.arn,
          args.kmsKeyArn,
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
    // Vended-logs prefix: Step Functions' log delivery then needs no per-group resource policy.
    this.logGroup = new aws.cloudwatch.LogGroup(
      `${name}-executions`,
      {
        namePrefix: `/aws/vendedlogs/states/${name}-`,
        retentionInDays: args.logRetentionDays,
        kmsKeyId: args.kmsKeyArn,
        tags,
      },
      child,
    );
    this.stateMachine = new aws.sfn.StateMachine(
      `${name}-etl`,
      {
        type: "STANDARD",
        roleArn: machineAccess.role.arn,
        definition: pulumi.jsonStringify(definition),
        loggingConfiguration: {
          level: "ALL",
          includeExecutionData: true,
          logDestination: pulumi.interpolate`${this.logGroup.arn}:*`,
        },
        tracingConfiguration: { enabled: true },
        tags,
      },
      { parent: this, dependsOn: [machineAccess.policy] },
    );

    // The schedule.
    const schedulerAccess = role(
      "scheduler",
      "scheduler.amazonaws.com",
      this.stateMachine.arn.apply((arn) => schedulerPolicy(arn)),
    );
    this.schedule = new aws.scheduler.Schedule(
      `${name}-schedule`,
      {
        description: `Runs the sensor analytics ETL (${args.label})`,
        scheduleExpression: args.schedule.expression,
        scheduleExpressionTimezone: "UTC",
        flexibleTimeWindow: { mode: "OFF" },
        target: {
          arn: this.stateMachine.arn,
          roleArn: schedulerAccess.role.arn,
          input: "{}",
          retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 3600 },
        },
        state: "ENABLED",
      },
      { parent: this, dependsOn: [schedulerAccess.policy] },
    );

    this.registerOutputs({
      stateMachineArn: this.stateMachine.arn,
      failureTopicArn: this.failureTopic.arn,
      plannerFunctionName: this.planner.name,
      scheduleName: this.schedule.name,
    });
  }
}
