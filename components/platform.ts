import type * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "./config";
import type { LakeDeliveryStream } from "./ingest/delivery-stream";
import { DataLake } from "./lake/lake";
import type { AthenaAnalytics } from "./analytics/athena-analytics";
import type { QuickSightDashboard } from "./analytics/quicksight-dashboard";
import type { AnomalyDetection } from "./ml/anomaly-detection";
import { TelemetryPipeline } from "./iot/telemetry-pipeline";
import { Etl } from "./etl/etl";
import { buildModelSettings } from "./ml/model-settings";
import { demoHistoryRequest } from "./sources/demo-history";
import { SensorFleetRunner, type FleetRunnerImageArgs } from "./fleet-runner/fleet-runner";
import { RealtimeAggregates } from "./streaming/realtime-aggregates";
import type { DeliveryResources } from "./streaming/delivery-resources";
import { TelemetryApi } from "./api/telemetry-api";
import { RestPollers } from "./pollers/rest-pollers";
import { AuditTrail } from "./audit/audit-trail";
import { auditTrailName } from "./audit/audit-documents";
import { Operations } from "./operations/operations";
import { analyticsAreas, platformTimings } from "./platform-analytics";
import type { WatchedFunction, WatchedStateMachine } from "./operations/inventory";
import type { ScheduleExpression } from "./schedule";
import { VARIANT_NAME } from "./ml/ml-layout";

export interface PlatformArgs {
  /** The validated stack configuration (see `components/config/`). */
  readonly config: PlatformConfig;
  /**
   * `anomalyMode: endpoint` only, and required there: whether the anomaly model has been promoted, i.e.
   * `(await findPromotedModel(config.deployment)) !== undefined`. The real-time endpoint is created once it
   * has; see `AnomalyDetectionArgs.modelPromoted`.
   * @default - unset: refused in `endpoint` mode, unused in `batch` mode
   */
  readonly anomalyModelPromoted?: boolean;
  /**
   * How the fleet runner's simulator image is built (only when the config sets `fleetRunner`), relative to the
   * project directory `pulumi up` runs in.
   * @default - this template's layout: context `devices`, `devices/Dockerfile`
   */
  readonly fleetRunnerImage?: FleetRunnerImageArgs;
}

/**
 * The whole sensor analytics platform for one stack, composed from the area components. Each area gets
 * the slice of configuration it needs as typed args, never the raw config.
 */
export class Platform extends pulumi.ComponentResource {
  public readonly lake: DataLake;
  public readonly telemetry: TelemetryPipeline;
  public readonly analytics: AthenaAnalytics;
  /** Present when `quicksightEnabled` is true. */
  public readonly quicksight?: QuickSightDashboard;
  public readonly anomaly: AnomalyDetection;
  public readonly etl: Etl;
  /** Present when the stack sets `fleetRunner` (load tests on ECS Fargate). */
  public readonly fleetRunner?: SensorFleetRunner;
  /** Present with `ingestStream: kinesis`: the latest reading per device and hourly room aggregates. */
  public readonly realtime?: RealtimeAggregates;
  /** Present when the stack sets `httpApi`. */
  public readonly api?: TelemetryApi;
  /** Present when the stack lists `pollers`. */
  public readonly pollers?: RestPollers;
  /** The operations dashboard and the alarms of every failure mode. */
  public readonly operations: Operations;
  /** Present when `auditTrail` is true: CloudTrail data events of the lake buckets. */
  public readonly auditTrail?: AuditTrail;
  /** The key the Platform's lake creates (its default encryption): every component of the stack uses it. */
  private readonly lakeKeyArn: pulumi.Output<string>;

  constructor(name: string, args: PlatformArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:index:Platform", name, {}, opts);
    const { config } = args;
    const tags = {
      ...config.tags,
      "sensor-analytics:stack": config.stack,
      "sensor-analytics:app": config.app,
    };

    this.lake = new DataLake(
      `${name}-lake`,
      {
        rawRetentionDays: config.lake.rawRetentionDays,
        curatedRetentionDays: config.lake.curatedRetentionDays,
        infrequentAccessAfterDays: config.lake.infrequentAccessAfterDays,
        glacierAfterDays: config.lake.glacierAfterDays,
        noncurrentVersionDays: config.lake.noncurrentVersionDays,
        protectData: config.protectData,
        auditTrail: config.audit.enabled
          ? { trailName: auditTrailName(config.deployment), retentionDays: config.audit.retentionDays }
          : undefined,
        tags,
      },
      { parent: this },
    );

    if (!this.lake.kmsKeyArn) throw new pulumi.ResourceError("the platform's lake must have a KMS key", this);
    this.lakeKeyArn = this.lake.kmsKeyArn;

    this.telemetry = new TelemetryPipeline(
      `${name}-telemetry`,
      {
        deployment: config.deployment,
        fleet: config.fleet,
        firehose: config.firehose,
        catalogDatabase: config.lake.catalogDatabase,
        rawBucket: this.lake.buckets.raw,
        kmsKeyArn: this.lakeKeyArn,
        logRetentionDays: config.logRetentionDays,
        protectData: config.protectData,
        iotLogLevel: config.iotLogLevel === "DISABLED" ? false : config.iotLogLevel,
        stream: config.ingestStream,
        tags,
      },
      { parent: this },
    );
    ({
      realtime: this.realtime,
      api: this.api,
      pollers: this.pollers,
    } = this.ingestSources(name, config, tags));

    // One model settings document for every consumer: the named scoring query, the ETL's training SQL, the
    // SageMaker jobs and the scoring function.
    const model = buildModelSettings(config.anomaly);
    const timings = platformTimings(config);
    ({
      analytics: this.analytics,
      quicksight: this.quicksight,
      anomaly: this.anomaly,
    } = analyticsAreas(
      name,
      config,
      {
        buckets: this.lake.buckets,
        kmsKeyArn: this.lakeKeyArn,
        databaseName: this.telemetry.ingest.catalog.databaseName,
        model,
        modelPromoted: args.anomalyModelPromoted,
        timings,
        tags,
      },
      this,
    ));

    this.etl = new Etl(
      `${name}-etl`,
      {
        label: config.deployment,
        buckets: {
          raw: this.lake.buckets.raw,
          curated: this.lake.buckets.curated,
          artifacts: this.lake.buckets.artifacts,
        },
        kmsKeyArn: this.lakeKeyArn,
        lakeDatabaseName: config.lake.catalogDatabase,
        lakeDatabase: this.telemetry.ingest.catalog.database,
        historicalPrefix: config.lake.historicalPrefix,
        glue: config.glue,
        ...(config.glue.existingVpc ? { existingGlueVpc: config.glue.existingVpc } : {}),
        database: config.database,
        demoHistory: demoHistoryRequest(config),
        etl: config.etl,
        features: model.features,
        trainingStateMachineArn: this.anomaly.trainingStateMachineArn,
        alertEmail: config.alertEmail,
        logRetentionDays: config.logRetentionDays,
        protectData: config.protectData,
        configSource: config.stackFile,
        tags,
      },
      { parent: this },
    );

    if (config.fleetRunner) {
      // config/ requires fleetProvisioning with the runner: the fleet file carries the provisioning claim.
      const claim = this.telemetry.devices.credentials.apply((file) => {
        const provisioning = file.provisioning;
        if (!provisioning) throw new pulumi.ResourceError("the fleet runner needs fleetProvisioning", this);
        return {
          templateName: provisioning.templateName,
          claimCertificatePem: provisioning.claimCertificatePem,
          claimPrivateKeyPem: provisioning.claimPrivateKeyPem,
          clientIdPrefix: provisioning.clientIdPrefix ?? "",
        };
      });
      this.fleetRunner = new SensorFleetRunner(
        `${name}-fleet-runner`,
        {
          deployment: config.deployment,
          settings: config.fleetRunner,
          rooms: config.fleet.rooms,
          iotEndpoint: this.telemetry.devices.endpoint,
          claim,
          kmsKeyArn: this.lakeKeyArn,
          // Relative to the project directory, Pulumi's working directory (`npm run fleet:bundle` fills dist/).
          image: args.fleetRunnerImage ?? { context: "devices", dockerfile: "devices/Dockerfile" },
          accessLogBucket: this.lake.buckets.logs,
          logRetentionDays: config.logRetentionDays,
          protectData: config.protectData,
          tags,
        },
        { parent: this },
      );
    }

    if (config.audit.enabled) {
      const { buckets, secureBuckets } = this.lake;
      this.auditTrail = new AuditTrail(
        `${name}-audit`,
        {
          trailName: auditTrailName(config.deployment),
          logBucket: { name: buckets.logs.name, policy: secureBuckets.logs.policy },
          dataBucketArns: [buckets.raw.arn, buckets.curated.arn, buckets.results.arn, buckets.artifacts.arn],
          protectData: config.protectData,
          tags,
        },
        { parent: this },
      );
    }

    this.operations = new Operations(
      `${name}-operations`,
      {
        inventory: this.operationsInventory(config),
        thresholds: timings.thresholds,
        scoringIntervalSeconds: timings.scoringIntervalSeconds,
        // The anomaly pipeline's failure topic is the stack's alert topic: its key admits CloudWatch alarms.
        alarmTopic: { arn: this.anomaly.failureTopic.arn },
        kmsKeyArn: this.lakeKeyArn,
        logRetentionDays: config.logRetentionDays,
        tags,
      },
      { parent: this },
    );

    this.registerOutputs({
      bucketNames: this.lake.bucketNames,
      kmsKeyArn: this.lakeKeyArn,
      dashboardUrl: this.operations.dashboardUrl,
    });
  }

  /** What the operations dashboard and alarms watch: the real resources' names, as their outputs. */
  private operationsInventory(config: PlatformConfig) {
    const { telemetry, etl, anomaly, lake, realtime, api, pollers } = this;
    const kinesis = telemetry.stream;
    const logGroupOf = (fn: aws.lambda.Function) =>
      pulumi
        .all([fn.loggingConfig, fn.name])
        .apply(([logging, fnName]) => logging?.logGroup ?? `/aws/lambda/${fnName}`);
    const watch = (
      key: string,
      label: string,
      fn: aws.lambda.Function,
      deadLetterQueue?: aws.sqs.Queue,
    ): WatchedFunction<pulumi.Input<string>> => ({
      key,
      label,
      name: fn.name,
      logGroup: logGroupOf(fn),
      ...(deadLetterQueue ? { deadLetterQueue: deadLetterQueue.name } : {}),
    });
    const ml = (
      key: string,
      label: string,
      f: { function: aws.lambda.Function; deadLetterQueue?: aws.sqs.Queue },
    ) => watch(key, label, f.function, f.deadLetterQueue);
    const stream = (key: string, s: LakeDeliveryStream, convertsToParquet: boolean) => ({
      key,
      name: s.name,
      logGroup: s.logGroup.name,
      convertsToParquet,
    });
    // With the expression its schedule was made from: the machine's not-started alarm waits the longest gap.
    const machine = (
      key: string,
      label: string,
      m: {
        stateMachine: aws.sfn.StateMachine;
        logGroup: aws.cloudwatch.LogGroup;
        schedule?: aws.scheduler.Schedule | undefined;
      },
      schedule: ScheduleExpression,
    ): WatchedStateMachine<pulumi.Input<string>> => ({
      key,
      label,
      arn: m.stateMachine.arn,
      logGroup: m.logGroup.name,
      ...(m.schedule ? { schedule, scheduleName: m.schedule.name } : {}),
    });
    const hook = telemetry.devices.provisioning?.hook;
    const adHoc = anomaly.scoring.adHocFunction;
    return {
      deployment: config.deployment,
      region: config.region,
      ingest: {
        telemetryRule: telemetry.rules.telemetryRule.name,
        rules: [
          {
            key: "telemetry",
            rule: telemetry.rules.telemetryRule,
            // With the ingest stream, the telemetry rule writes it (Firehose reads it from there).
            stream: kinesis ?? telemetry.ingest.telemetryStream,
            streamKind: kinesis ? ("kinesis" as const) : ("firehose" as const),
          },
          {
            key: "quarantine",
            rule: telemetry.rules.quarantineRule,
            stream: telemetry.ingest.quarantineStream,
            streamKind: "firehose" as const,
          },
          {
            key: "not-json",
            rule: telemetry.rules.notJsonRule,
            stream: telemetry.ingest.quarantineStream,
            streamKind: "firehose" as const,
          },
        ].map(({ key, rule, stream, streamKind }) => ({
          key,
          name: rule.name,
          stream: stream.name,
          streamKind,
        })),
        ...(kinesis ? { kinesisStream: { key: "ingest", name: kinesis.name } } : {}),
        telemetryStream: stream("telemetry", telemetry.ingest.telemetryStream, true),
        quarantineStream: stream("quarantine", telemetry.ingest.quarantineStream, false),
        rawBucket: lake.buckets.raw.name,
      },
      stateMachines: [
        machine("etl", "ETL", etl.orchestration, config.etl.schedule),
        // Each ETL run starts training too: that only shortens the gaps of its own schedule.
        machine("training", "model training", anomaly.training.machine, config.anomaly.trainingSchedule),
        machine("scoring", "anomaly scoring", anomaly.scoring.machine, config.anomaly.scoringSchedule),
      ],
      glueJobs: Object.entries(etl.jobs.jobs).map(([key, job]) => ({ key, name: job.name })),
      functions: [
        watch("etl-planner", "ETL planner", etl.orchestration.planner),
        ml("model-training", "model training", anomaly.training.function),
        ml("anomaly-scoring", "anomaly scoring", anomaly.scoring.function),
        ...(adHoc ? [ml("adhoc-scoring", "ad-hoc scoring", adHoc)] : []),
        ...(hook ? [watch("pre-provisioning-hook", "pre-provisioning hook", hook)] : []),
        ...(realtime
          ? [watch("realtime-consumer", "real-time consumer", realtime.consumer, realtime.deadLetterQueue)]
          : []),
        ...(api ? [watch("https-ingest", "HTTPS ingestion", api.ingestFunction)] : []),
        ...(api?.latestStateFunction
          ? [watch("latest-state", "latest-state API", api.latestStateFunction)]
          : []),
        ...Object.entries(pollers?.pollers ?? {}).map(([pollerName, p]) =>
          watch(`poller-${pollerName}`, `${pollerName} poller`, p.function, p.deadLetterQueue),
        ),
      ],
      ...(api ? { httpApi: { key: "telemetry", id: api.api.id, stage: api.stage.name } } : {}),
      anomaly: {
        mode: config.anomaly.mode,
        ...(anomaly.endpoint
          ? { endpoint: { name: anomaly.endpoint.endpointName, variant: VARIANT_NAME } }
          : {}),
      },
    };
  }

  /** The ways in besides MQTT (HTTPS, pollers) and the real-time aggregates of the ingest stream. */
  private ingestSources(
    name: string,
    config: PlatformConfig,
    tags: Record<string, string>,
  ): { realtime?: RealtimeAggregates; api?: TelemetryApi; pollers?: RestPollers } {
    const { stream, ingest } = this.telemetry;
    const common = {
      deployment: config.deployment,
      kmsKeyArn: this.lakeKeyArn,
      logRetentionDays: config.logRetentionDays,
      tags,
    };
    const realtime =
      stream && config.ingestStream
        ? new RealtimeAggregates(
            `${name}-realtime`,
            {
              ...common,
              stream: { arn: stream.arn, kmsKeyArn: stream.kmsKeyArn },
              consumer: config.ingestStream.consumer,
              aggregateTtlDays: config.ingestStream.aggregateTtlDays,
              latestTtlDays: config.ingestStream.latestTtlDays,
              protectData: config.protectData,
            },
            { parent: this },
          )
        : undefined;
    const delivery: DeliveryResources = {
      telemetry: stream
        ? { kind: "kinesis", name: stream.name, arn: stream.arn, kmsKeyArn: stream.kmsKeyArn }
        : { kind: "firehose", name: ingest.telemetryStream.name, arn: ingest.telemetryStream.arn },
      quarantine: { name: ingest.quarantineStream.name, arn: ingest.quarantineStream.arn },
    };
    const api =
      config.httpApi &&
      new TelemetryApi(
        `${name}-api`,
        {
          ...common,
          settings: config.httpApi,
          rooms: config.fleet.rooms,
          delivery,
          realtimeTable: realtime && { name: realtime.tableName, arn: realtime.tableArn },
        },
        { parent: this },
      );
    const pollers =
      config.pollers.length > 0
        ? new RestPollers(
            `${name}-pollers`,
            {
              ...common,
              pollers: config.pollers,
              rooms: config.fleet.rooms,
              delivery,
              protectData: config.protectData,
            },
            { parent: this },
          )
        : undefined;
    return { realtime, api, pollers };
  }
}
