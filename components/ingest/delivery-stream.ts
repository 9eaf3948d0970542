import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { registerDocument } from "../documents";
import { accountScopeOutput } from "../shared/aws-scope";
import { platformLogGroup } from "../shared/log-group";
import type { BucketRef, StreamRef } from "../shared/resource-refs";
import { bufferingProblems, BufferingSettings } from "./firehose-settings";
import { firehoseRolePolicy, firehoseTrustPolicy } from "./firehose-role";

/** The folder a Firehose prefix writes under: everything up to the last "/" before its first expression. */
export function staticFolder(prefix: string): string {
  const fixed = prefix.includes("!{") ? prefix.slice(0, prefix.indexOf("!{")) : prefix;
  return fixed.slice(0, fixed.lastIndexOf("/") + 1);
}

export interface LakeDeliveryStreamArgs {
  /** Lake bucket the stream writes into. */
  readonly bucket: BucketRef;
  /** Key prefix of delivered objects; may use Firehose expressions (`!{timestamp:...}`, `!{partitionKeyFromQuery:...}`). */
  readonly prefix: string;
  /** Key prefix of records Firehose could not convert or deliver; must contain `!{firehose:error-output-type}`. */
  readonly errorOutputPrefix: string;
  /**
   * The lake key: encrypts the stream at rest (SSE), its error log group and the objects it writes. Without
   * it, Firehose encrypts records at rest with an AWS-owned key, the objects get the bucket's default
   * encryption (SSE-S3 or the bucket's own key, which the bucket's key policy must then grant) and the log
   * group CloudWatch's: no key policy limits who reads the data, and no key use is recorded in CloudTrail. The
   * policy pack's `firehose-encryption` rule flags such a stream.
   * @default - no customer-managed key (AWS-owned key at rest, the bucket's default encryption for objects)
   */
  readonly kmsKeyArn?: pulumi.Input<string> | undefined;
  readonly buffering: BufferingSettings;
  /**
   * Convert JSON records to Parquet with the columns of this Glue table.
   * @default - no conversion: records are written as GZIP-compressed JSON lines
   */
  readonly parquetSchema?: {
    readonly databaseName: pulumi.Input<string>;
    readonly tableName: pulumi.Input<string>;
  };
  /**
   * Partition by keys a JQ 1.6 query extracts from each record, used in `prefix` as `!{partitionKeyFromQuery:<key>}`.
   * @default - no dynamic partitioning
   */
  readonly partitionQuery?: string;
  /**
   * Read records from this Kinesis stream (encrypted with its key) instead of taking them directly. The stream's
   * encryption then protects them at rest.
   * @default - records are put directly (DirectPut), encrypted with `kmsKeyArn`
   */
  readonly sourceStream?: StreamRef | undefined;
  /** Retention of the delivery-error log group, in days. @default 30 */
  readonly logRetentionDays?: number;
  /** Name of this stream in documents (e.g. `telemetry`). @default - the component name */
  readonly label?: string;
  /** Tags merged into every taggable child. @default - none */
  readonly tags?: Record<string, string>;
}

/**
 * A Firehose delivery stream into the lake, with the controls every lake stream has: server-side encryption
 * with the lake key (stream and objects), an error output prefix, delivery-error logging to an encrypted log
 * group, and a role that can write only under its own prefixes.
 */
export class LakeDeliveryStream extends pulumi.ComponentResource {
  public readonly stream: aws.kinesis.FirehoseDeliveryStream;
  public readonly name: pulumi.Output<string>;
  public readonly arn: pulumi.Output<string>;
  public readonly role: aws.iam.Role;
  public readonly logGroup: aws.cloudwatch.LogGroup;

  constructor(name: string, args: LakeDeliveryStreamArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:ingest:LakeDeliveryStream", name, {}, opts);
    const problems = LakeDeliveryStream.validateArgs(args);
    if (problems.length > 0) throw new pulumi.ResourceError(`${name}: ${problems.join("; ")}`, this);
    const tags = { ...args.tags };
    const child = { parent: this };
    const label = args.label ?? name;

    const scope = accountScopeOutput(this);

    this.logGroup = platformLogGroup(
      `${name}-logs`,
      {
        name: `/aws/kinesisfirehose/${name}`,
        retentionDays: args.logRetentionDays ?? 30,
        kmsKeyArn: args.kmsKeyArn,
        tags,
      },
      child,
    );
    const logStream = new aws.cloudwatch.LogStream(
      `${name}-delivery-log`,
      { logGroupName: this.logGroup.name, name: "DestinationDelivery" },
      child,
    );

    const writePrefixes = [staticFolder(args.prefix), staticFolder(args.errorOutputPrefix)];
    const schema = args.parquetSchema;
    const source = args.sourceStream;
    const policy = pulumi
      .all([
        scope,
        args.bucket.arn,
        pulumi.output(args.kmsKeyArn),
        this.logGroup.arn,
        schema?.databaseName,
        schema?.tableName,
        source?.arn,
        source?.kmsKeyArn,
      ])
      .apply(([s, bucketArn, kmsKeyArn, logGroupArn, databaseName, tableName, sourceArn, sourceKeyArn]) =>
        firehoseRolePolicy({
          ...s,
          bucketArn,
          writePrefixes,
          kmsKeyArn,
          logStreamArn: `${logGroupArn}:log-stream:DestinationDelivery`,
          schemaTable: databaseName && tableName ? { databaseName, tableName } : undefined,
          sourceStream: sourceArn ? { arn: sourceArn, kmsKeyArn: sourceKeyArn } : undefined,
        }),
      );
    registerDocument(this, `iam-firehose-${label}-role`, "json", policy);
    this.role = new aws.iam.Role(
      `${name}-role`,
      {
        description: `Firehose ${label}: write under its own lake prefixes with the lake key, log errors`,
        assumeRolePolicy: pulumi.jsonStringify(scope.accountId.apply(firehoseTrustPolicy)),
        inlinePolicies: [{ name: "deliver", policy: pulumi.jsonStringify(policy) }],
        tags,
      },
      child,
    );

    const query = args.partitionQuery;
    this.stream = new aws.kinesis.FirehoseDeliveryStream(
      `${name}-stream`,
      {
        destination: "extended_s3",
        // Firehose encrypts records it takes directly; a stream source's records are encrypted by the stream
        // (Firehose refuses server-side encryption on a Kinesis source).
        ...(source
          ? { kinesisSourceConfiguration: { kinesisStreamArn: source.arn, roleArn: this.role.arn } }
          : {
              serverSideEncryption: args.kmsKeyArn
                ? { enabled: true, keyType: "CUSTOMER_MANAGED_CMK", keyArn: args.kmsKeyArn }
                : { enabled: true, keyType: "AWS_OWNED_CMK" },
            }),
        extendedS3Configuration: {
          roleArn: this.role.arn,
          bucketArn: args.bucket.arn,
          prefix: args.prefix,
          errorOutputPrefix: args.errorOutputPrefix,
          customTimeZone: "UTC",
          bufferingInterval: args.buffering.bufferSeconds,
          bufferingSize: args.buffering.bufferMiB,
          // Parquet compresses inside the file (SNAPPY); Firehose requires UNCOMPRESSED around it.
          compressionFormat: schema ? "UNCOMPRESSED" : "GZIP",
          fileExtension: schema ? ".parquet" : ".json.gz",
          kmsKeyArn: args.kmsKeyArn,
          cloudwatchLoggingOptions: {
            enabled: true,
            logGroupName: this.logGroup.name,
            logStreamName: logStream.name,
          },
          dataFormatConversionConfiguration: schema
            ? {
                enabled: true,
                inputFormatConfiguration: { deserializer: { openXJsonSerDe: {} } },
                outputFormatConfiguration: { serializer: { parquetSerDe: { compression: "SNAPPY" } } },
                schemaConfiguration: {
                  databaseName: schema.databaseName,
                  tableName: schema.tableName,
                  roleArn: this.role.arn,
                  region: scope.region,
                  versionId: "LATEST",
                },
              }
            : undefined,
          dynamicPartitioningConfiguration: query ? { enabled: true, retryDuration: 300 } : undefined,
          processingConfiguration: query
            ? {
                enabled: true,
                processors: [
                  {
                    type: "MetadataExtraction",
                    parameters: [
                      { parameterName: "MetadataExtractionQuery", parameterValue: query },
                      { parameterName: "JsonParsingEngine", parameterValue: "JQ-1.6" },
                    ],
                  },
                ],
              }
            : undefined,
        },
        tags,
      },
      child,
    );
    this.name = this.stream.name;
    this.arn = this.stream.arn;
    this.registerOutputs({ name: this.name, arn: this.arn, logGroupName: this.logGroup.name });
  }

  /** Problems with the args, each naming the input and the fix; empty when they are usable. */
  static validateArgs(args: LakeDeliveryStreamArgs): string[] {
    const problems = bufferingProblems(args.buffering, {
      parquet: args.parquetSchema !== undefined,
      dynamicPartitioning: args.partitionQuery !== undefined,
    });
    if (!args.errorOutputPrefix.includes("!{firehose:error-output-type}")) {
      problems.push(
        `errorOutputPrefix "${args.errorOutputPrefix}" must contain !{firehose:error-output-type} (Firehose requires it when prefixes use expressions)`,
      );
    }
    const usesKeys = args.prefix.includes("!{partitionKeyFromQuery:");
    if (usesKeys && !args.partitionQuery)
      problems.push(`prefix "${args.prefix}" uses partitionKeyFromQuery but no partitionQuery is given`);
    if (!usesKeys && args.partitionQuery)
      problems.push(
        `partitionQuery is given but prefix "${args.prefix}" uses no !{partitionKeyFromQuery:...}`,
      );
    return problems;
  }
}
