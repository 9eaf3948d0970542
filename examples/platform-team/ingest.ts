// The team's own component: sensors to the team's existing landing bucket. It composes three pieces of
// @sensor-analytics/components (device identity, Firehose ingest, topic rules) without their Platform.
import * as pulumi from "@pulumi/pulumi";
import {
  bucketRefFromName,
  DeviceFleet,
  fleetDevices,
  TelemetryIngest,
  TelemetryRules,
} from "@sensor-analytics/components";

export interface FactoryIngestArgs {
  /** `<app>-<stack>`: the prefix of every thing name and the MQTT topics' second segment. */
  readonly deployment: string;
  /** Sensors per room; rooms may differ. */
  readonly sensorsByRoom: Readonly<Record<string, number>>;
  /** The team's existing landing bucket. */
  readonly landingBucket: string;
  /** The KMS key the landing bucket is encrypted with; leave it out for an SSE-S3 bucket (no key, no kms:*). */
  readonly landingKeyArn?: string | undefined;
  /** Glue database for the telemetry table. */
  readonly catalogDatabase: string;
  readonly tags: Readonly<Record<string, string>>;
}

export class FactoryIngest extends pulumi.ComponentResource {
  readonly devices: DeviceFleet;
  readonly ingest: TelemetryIngest;
  readonly rules: TelemetryRules;

  constructor(name: string, args: FactoryIngestArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("acme:factory:FactoryIngest", name, {}, opts);
    const child = { parent: this };
    const tags = { ...args.tags };
    // The landing bucket by name; its ARN in the partition of this component's provider.
    const bucket = bucketRefFromName(args.landingBucket, this);

    this.ingest = new TelemetryIngest(
      `${name}-firehose`,
      {
        rawBucket: bucket,
        kmsKeyArn: args.landingKeyArn,
        catalogDatabase: args.catalogDatabase,
        rooms: Object.keys(args.sensorsByRoom),
        bufferSeconds: 300,
        bufferMiB: 128,
        tags,
      },
      child,
    );
    this.devices = new DeviceFleet(
      `${name}-devices`,
      { deployment: args.deployment, devices: fleetDevices(args.deployment, args.sensorsByRoom), tags },
      child,
    );
    this.rules = new TelemetryRules(
      `${name}-rules`,
      {
        deployment: args.deployment,
        telemetryStream: { name: this.ingest.telemetryStream.name, arn: this.ingest.telemetryStream.arn },
        quarantineStream: { name: this.ingest.quarantineStream.name, arn: this.ingest.quarantineStream.arn },
        errorBucket: bucket,
        kmsKeyArn: args.landingKeyArn,
        // IoT Core logging is one setting per account and region; another team owns it here.
        iotLogLevel: false,
        tags,
      },
      child,
    );
    this.registerOutputs({ endpoint: this.devices.endpoint });
  }
}
