import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "./config";
import { DataLake } from "./lake/lake";
import { TelemetryPipeline } from "./iot/telemetry-pipeline";
import { Etl } from "./etl/etl";
import { AthenaAnalytics } from "./analytics/athena-analytics";
import { QuickSightDashboard } from "./analytics/quicksight-dashboard";
import { AnomalyDetection } from "./ml/anomaly-detection";
import { buildModelSettings } from "./ml/model-settings";
import { demoHistoryRequest } from "./sources/demo-history";
import { SensorFleetRunner } from "./fleet-runner/fleet-runner";

export interface PlatformArgs {
  /** The validated stack configuration (see `components/config.ts`). */
  readonly config: PlatformConfig;
  /**
   * `anomalyMode: endpoint` only, and required there: whether the anomaly model has been promoted, i.e.
   * `(await findPromotedModel(config.deployment)) !== undefined`. The real-time endpoint is created once it
   * has; see `AnomalyDetectionArgs.modelPromoted`.
   */
  readonly anomalyModelPromoted?: boolean;
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
        tags,
      },
      { parent: this },
    );

    this.telemetry = new TelemetryPipeline(
      `${name}-telemetry`,
      {
        deployment: config.deployment,
        fleet: config.fleet,
        firehose: config.firehose,
        catalogDatabase: config.lake.catalogDatabase,
        rawBucket: { name: this.lake.buckets.raw.bucket, arn: this.lake.buckets.raw.arn },
        kmsKeyArn: this.lake.kmsKey.arn,
        logRetentionDays: config.logRetentionDays,
        protectData: config.protectData,
        iotLogLevel: config.iotLogLevel === "DISABLED" ? false : config.iotLogLevel,
        tags,
      },
      { parent: this },
    );

    // One model settings document for every consumer: the named scoring query, the ETL's training SQL, the
    // SageMaker jobs and the scoring function.
    const model = buildModelSettings(config.anomaly);
    this.analytics = new AthenaAnalytics(
      `${name}-analytics`,
      {
        deployment: config.deployment,
        databaseName: this.telemetry.ingest.catalog.databaseName,
        resultsBucket: this.lake.buckets.results,
        curatedBucket: this.lake.buckets.curated,
        kmsKey: this.lake.kmsKey,
        rooms: config.fleet.rooms,
        bytesScannedCutoffPerQuery: config.athena.bytesScannedCutoffPerQuery,
        model,
        protectData: config.protectData,
        tags,
      },
      { parent: this },
    );

    if (config.quicksight.enabled) {
      this.quicksight = new QuickSightDashboard(
        `${name}-quicksight`,
        {
          deployment: config.deployment,
          principals: config.quicksight.principals,
          workGroupName: this.analytics.workGroupName,
          workGroupArn: this.analytics.workGroupArn,
          databaseName: this.analytics.databaseName,
          buckets: {
            raw: this.lake.buckets.raw,
            curated: this.lake.buckets.curated,
            results: this.lake.buckets.results,
          },
          kmsKey: this.lake.kmsKey,
          dependsOn: Object.values(this.analytics.views),
          tags,
        },
        { parent: this },
      );
    }

    this.anomaly = new AnomalyDetection(
      `${name}-anomaly`,
      {
        deployment: config.deployment,
        mode: config.anomaly.mode,
        modelPromoted: args.anomalyModelPromoted,
        model,
        trainingInstanceType: config.anomaly.trainingInstanceType,
        inferenceInstanceType: config.anomaly.inferenceInstanceType,
        inferenceInstanceCount: config.anomaly.inferenceInstanceCount,
        inferenceMaxInstances: config.anomaly.inferenceMaxInstances,
        trainingSchedule: config.anomaly.trainingSchedule,
        scoringSchedule: config.anomaly.scoringSchedule,
        buckets: {
          raw: this.lake.buckets.raw,
          curated: this.lake.buckets.curated,
          results: this.lake.buckets.results,
          artifacts: this.lake.buckets.artifacts,
        },
        kmsKey: this.lake.kmsKey,
        athena: {
          workGroupName: this.analytics.workGroupName,
          workGroupArn: this.analytics.workGroupArn,
          databaseName: this.analytics.databaseName,
        },
        // Score a window only once Firehose has flushed it (buffer interval plus a margin for delivery).
        ingestDelaySeconds: config.firehose.bufferSeconds + 300,
        alertEmail: config.alertEmail,
        logRetentionDays: config.logRetentionDays,
        adHocScoringUrl: config.anomaly.scoringUrl,
        tags,
      },
      { parent: this },
    );

    this.etl = new Etl(
      `${name}-etl`,
      {
        label: config.deployment,
        buckets: {
          raw: this.lake.buckets.raw,
          curated: this.lake.buckets.curated,
          artifacts: this.lake.buckets.artifacts,
        },
        kmsKeyArn: this.lake.kmsKey.arn,
        lakeDatabaseName: config.lake.catalogDatabase,
        lakeDatabase: this.telemetry.ingest.catalog.database,
        historicalPrefix: config.lake.historicalPrefix,
        glue: config.glue,
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
      // config.ts requires fleetProvisioning with the runner: the fleet file carries the provisioning claim.
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
          kmsKeyArn: this.lake.kmsKey.arn,
          // Relative to the project directory, Pulumi's working directory (`npm run fleet:bundle` fills dist/).
          image: { context: "devices", dockerfile: "devices/Dockerfile" },
          accessLogBucket: this.lake.buckets.logs,
          logRetentionDays: config.logRetentionDays,
          protectData: config.protectData,
          tags,
        },
        { parent: this },
      );
    }

    this.registerOutputs({ bucketNames: this.lake.bucketNames, kmsKeyArn: this.lake.kmsKey.arn });
  }
}
