import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "./config";
import { DataLake } from "./lake/lake";
import { TelemetryPipeline } from "./iot/telemetry-pipeline";

export interface PlatformArgs {
  /** The validated stack configuration (see `components/config.ts`). */
  readonly config: PlatformConfig;
}

/**
 * The whole sensor analytics platform for one stack, composed from the area components. Each area gets
 * the slice of configuration it needs as typed args, never the raw config.
 */
export class Platform extends pulumi.ComponentResource {
  public readonly lake: DataLake;
  public readonly telemetry: TelemetryPipeline;

  constructor(name: string, args: PlatformArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:index:Platform", name, {}, opts);
    const { config } = args;
    const tags = { ...config.tags, "sensor-analytics:stack": config.stack, "sensor-analytics:app": config.app };

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

    this.registerOutputs({ bucketNames: this.lake.bucketNames, kmsKeyArn: this.lake.kmsKey.arn });
  }
}
