import * as pulumi from "@pulumi/pulumi";
import type { BucketRef, StreamRef } from "../shared/resource-refs";
import { LakeDeliveryStream } from "./delivery-stream";
import { TelemetryCatalog } from "./telemetry-catalog";
import {
  firehoseErrorPrefix,
  quarantineFirehosePrefix,
  TELEMETRY_PARTITION_JQ,
  telemetryFirehosePrefix,
} from "./firehose-settings";

export interface TelemetryIngestArgs {
  /** The raw lake bucket (`DataLake#buckets.raw`, or an existing bucket by name and ARN). */
  readonly rawBucket: BucketRef;
  /**
   * ARN of the lake KMS key, for both delivery streams (see `LakeDeliveryStreamArgs.kmsKeyArn` for what
   * leaving it out costs).
   * @default - no customer-managed key: an AWS-owned key at rest, the bucket's default encryption for objects
   */
  readonly kmsKeyArn?: pulumi.Input<string> | undefined;
  /** Glue database of the lake (`PlatformConfig.lake.catalogDatabase`). */
  readonly catalogDatabase: string;
  /** Rooms of the fleet (partition projection values). */
  readonly rooms: readonly string[];
  /** Seconds Firehose buffers before writing (0-900). */
  readonly bufferSeconds: number;
  /** MiB Firehose buffers before writing (64-128: the telemetry stream converts to Parquet). */
  readonly bufferMiB: number;
  /**
   * Partition telemetry by room and reading date (JQ metadata extraction) rather than by arrival date only.
   * @default true
   */
  readonly dynamicPartitioning?: boolean;
  /**
   * The ingest stream the telemetry delivery stream reads from (with `ingestStream: kinesis`).
   * @default - the topic rule puts readings into the telemetry delivery stream directly
   */
  readonly sourceStream?: StreamRef | undefined;
  /** Retention of the delivery-error log groups, in days. @default 30 */
  readonly logRetentionDays?: number;
  /** Protect the catalog database and table from deletion. @default false */
  readonly protectData?: boolean;
  /** Tags merged into every taggable child. @default - none */
  readonly tags?: Record<string, string>;
}

/**
 * Telemetry ingest into the lake: the Glue catalog with the telemetry table (Parquet schema and partition
 * projection), the telemetry delivery stream (dynamic partitioning by room and reading date, Parquet) and the
 * quarantine delivery stream (rejected messages as GZIP JSON lines). The topic rules write into both streams.
 */
export class TelemetryIngest extends pulumi.ComponentResource {
  public readonly catalog: TelemetryCatalog;
  public readonly telemetryStream: LakeDeliveryStream;
  public readonly quarantineStream: LakeDeliveryStream;

  constructor(name: string, args: TelemetryIngestArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:ingest:TelemetryIngest", name, {}, opts);
    const child = { parent: this };
    const dynamicPartitioning = args.dynamicPartitioning ?? true;
    const common = {
      bucket: args.rawBucket,
      kmsKeyArn: args.kmsKeyArn,
      logRetentionDays: args.logRetentionDays,
      tags: args.tags,
    };
    const buffering = { bufferSeconds: args.bufferSeconds, bufferMiB: args.bufferMiB };

    this.catalog = new TelemetryCatalog(
      `${name}-catalog`,
      {
        databaseName: args.catalogDatabase,
        bucketName: args.rawBucket.name,
        rooms: args.rooms,
        dynamicPartitioning,
        protectData: args.protectData,
        tags: args.tags,
      },
      child,
    );
    this.telemetryStream = new LakeDeliveryStream(
      `${name}-telemetry`,
      {
        ...common,
        label: "telemetry",
        prefix: telemetryFirehosePrefix(dynamicPartitioning),
        errorOutputPrefix: firehoseErrorPrefix("telemetry"),
        buffering,
        parquetSchema: { databaseName: this.catalog.databaseName, tableName: this.catalog.tableName },
        partitionQuery: dynamicPartitioning ? TELEMETRY_PARTITION_JQ : undefined,
        sourceStream: args.sourceStream,
      },
      child,
    );
    this.quarantineStream = new LakeDeliveryStream(
      `${name}-quarantine`,
      {
        ...common,
        label: "quarantine",
        prefix: quarantineFirehosePrefix(),
        errorOutputPrefix: firehoseErrorPrefix("quarantine"),
        buffering,
      },
      child,
    );
    this.registerOutputs({
      databaseName: this.catalog.databaseName,
      telemetryTableName: this.catalog.tableName,
      telemetryStreamName: this.telemetryStream.name,
      telemetryStreamArn: this.telemetryStream.arn,
      quarantineStreamName: this.quarantineStream.name,
      quarantineStreamArn: this.quarantineStream.arn,
    });
  }
}
