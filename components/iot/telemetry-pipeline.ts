import * as pulumi from "@pulumi/pulumi";
import type { BucketRef } from "../shared/resource-refs";
import type { PlatformConfig } from "../config";
import { TelemetryIngest } from "../ingest/telemetry-ingest";
import { IngestStream } from "../streaming/ingest-stream";
import type { StreamSettings } from "../streaming/stream-settings";
import { DeviceFleet } from "./device-fleet";
import { IotLogLevel, TelemetryRules } from "./telemetry-rules";

export interface TelemetryPipelineArgs {
  /** `<app>-<stack>` (`PlatformConfig.deployment`). */
  readonly deployment: string;
  /** Rooms, sensors and how they register (`PlatformConfig.fleet`). */
  readonly fleet: Pick<PlatformConfig["fleet"], "rooms" | "devices" | "fleetProvisioning">;
  /** Buffering and partitioning of the delivery streams (`PlatformConfig.firehose`). */
  readonly firehose: PlatformConfig["firehose"];
  /** Glue database of the lake (`PlatformConfig.lake.catalogDatabase`). */
  readonly catalogDatabase: string;
  /** The lake's raw bucket. */
  readonly rawBucket: BucketRef;
  /**
   * The lake KMS key (streams, objects, log groups).
   * @default - none: AWS-managed encryption everywhere (Firehose's AWS-owned key, the bucket's SSE-S3, the
   * `aws/kinesis` key, CloudWatch Logs' own encryption) and no `kms:*` statement in any role
   */
  readonly kmsKeyArn?: pulumi.Input<string> | undefined;
  /** Retention of the pipeline's log groups, in days. @default 30 */
  readonly logRetentionDays?: number;
  /** Protect the catalog database and table from deletion. @default false */
  readonly protectData?: boolean;
  /**
   * Put a Kinesis ingest stream between the topic rule and the telemetry delivery stream
   * (`PlatformConfig.ingestStream`). @default - none: the rule writes to the delivery stream
   */
  readonly stream?: Pick<StreamSettings, "capacityMode" | "shards" | "retentionHours">;
  /** IoT Core logging level (account-wide), or `false` to leave it to someone else. @default "ERROR" */
  readonly iotLogLevel?: IotLogLevel | false;
  /** Tags merged into every taggable child. @default - none */
  readonly tags?: Record<string, string>;
}

/**
 * The ingest path from sensor to lake: device identity on IoT Core ({@link DeviceFleet}), the Glue catalog and
 * delivery streams into the raw bucket ({@link TelemetryIngest}), and the topic rules between them
 * ({@link TelemetryRules}).
 */
export class TelemetryPipeline extends pulumi.ComponentResource {
  public readonly devices: DeviceFleet;
  public readonly ingest: TelemetryIngest;
  public readonly rules: TelemetryRules;
  /** The ingest stream, when `stream` is set. */
  public readonly stream?: IngestStream;

  constructor(name: string, args: TelemetryPipelineArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:iot:TelemetryPipeline", name, {}, opts);
    const child = { parent: this };
    const { deployment, tags } = args;

    if (args.stream) {
      this.stream = new IngestStream(
        `${name}-stream`,
        {
          kmsKeyArn: args.kmsKeyArn,
          capacityMode: args.stream.capacityMode,
          shards: args.stream.capacityMode === "provisioned" ? args.stream.shards : undefined,
          retentionHours: args.stream.retentionHours,
          tags,
        },
        child,
      );
    }
    const source = this.stream && { arn: this.stream.arn, kmsKeyArn: this.stream.kmsKeyArn };
    this.ingest = new TelemetryIngest(
      `${name}-firehose`,
      {
        rawBucket: args.rawBucket,
        kmsKeyArn: args.kmsKeyArn,
        catalogDatabase: args.catalogDatabase,
        rooms: args.fleet.rooms,
        bufferSeconds: args.firehose.bufferSeconds,
        bufferMiB: args.firehose.bufferMiB,
        dynamicPartitioning: args.firehose.dynamicPartitioning,
        sourceStream: source,
        logRetentionDays: args.logRetentionDays,
        protectData: args.protectData,
        tags,
      },
      child,
    );
    this.devices = new DeviceFleet(
      `${name}-fleet`,
      {
        deployment,
        rooms: args.fleet.rooms,
        devices: args.fleet.devices,
        fleetProvisioning: args.fleet.fleetProvisioning,
        logRetentionDays: args.logRetentionDays,
        logsKmsKeyArn: args.kmsKeyArn,
        tags,
      },
      child,
    );
    this.rules = new TelemetryRules(
      `${name}-rules`,
      {
        deployment,
        telemetryStream: { name: this.ingest.telemetryStream.name, arn: this.ingest.telemetryStream.arn },
        quarantineStream: { name: this.ingest.quarantineStream.name, arn: this.ingest.quarantineStream.arn },
        ingestStream: this.stream && { ...source!, name: this.stream.name },
        errorBucket: args.rawBucket,
        kmsKeyArn: args.kmsKeyArn,
        iotLogLevel: args.iotLogLevel,
        tags,
      },
      child,
    );

    this.registerOutputs({
      iotEndpoint: this.devices.endpoint,
      deviceFleetFile: this.devices.credentials,
      telemetryStreamName: this.ingest.telemetryStream.name,
      quarantineStreamName: this.ingest.quarantineStream.name,
      ruleNames: this.rules.ruleNames,
      ingestStreamName: this.stream?.name,
    });
  }
}
