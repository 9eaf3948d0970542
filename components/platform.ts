import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "./config";
import { DataLake } from "./lake/lake";

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

    this.registerOutputs({ bucketNames: this.lake.bucketNames, kmsKeyArn: this.lake.kmsKey.arn });
  }
}
