import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AWS_MANAGED_KEYS } from "../shared/resource-refs";
import type { StreamCapacityMode } from "./stream-settings";

export interface IngestStreamArgs {
  /**
   * Customer-managed KMS key encrypting the records at rest (the lake key).
   * @default - the AWS-managed `alias/aws/kinesis` key, which producers and consumers of the account use
   * without any `kms:*` permission
   */
  readonly kmsKeyArn?: pulumi.Input<string> | undefined;
  /** @default "on-demand" */
  readonly capacityMode?: StreamCapacityMode;
  /** Shards of a provisioned stream. @default 1 */
  readonly shards?: number;
  /** Hours records stay readable (24-8,760). @default 24 */
  readonly retentionHours?: number;
  /** Tags merged into every taggable child. @default - none */
  readonly tags?: Record<string, string>;
}

/**
 * The ingest stream: a Kinesis Data Stream between ingestion (the topic rule, the HTTP API, the pollers) and its
 * consumers (the telemetry delivery stream into the lake, the real-time consumer), encrypted at rest with a
 * customer-managed key (or the AWS-managed one), on-demand or provisioned, with the retention the stack sets.
 */
export class IngestStream extends pulumi.ComponentResource {
  public readonly stream: aws.kinesis.Stream;
  public readonly name: pulumi.Output<string>;
  public readonly arn: pulumi.Output<string>;
  /**
   * The customer-managed key producers and consumers need (kms:GenerateDataKey / kms:Decrypt through Kinesis),
   * `undefined` with the AWS-managed key.
   */
  public readonly kmsKeyArn: pulumi.Output<string | undefined>;

  constructor(name: string, args: IngestStreamArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:streaming:IngestStream", name, {}, opts);
    const problems = IngestStream.validateArgs(args);
    if (problems.length > 0) throw new pulumi.ResourceError(`${name}: ${problems.join("; ")}`, this);
    const provisioned = args.capacityMode === "provisioned";
    this.stream = new aws.kinesis.Stream(
      `${name}-stream`,
      {
        streamModeDetails: { streamMode: provisioned ? "PROVISIONED" : "ON_DEMAND" },
        ...(provisioned ? { shardCount: args.shards ?? 1 } : {}),
        retentionPeriod: args.retentionHours ?? 24,
        encryptionType: "KMS",
        kmsKeyId: args.kmsKeyArn ?? AWS_MANAGED_KEYS.kinesis,
        // Per-shard metrics show a hot partition key (one chatty device) that stream-level metrics average away.
        shardLevelMetrics: [
          "IncomingRecords",
          "IteratorAgeMilliseconds",
          "WriteProvisionedThroughputExceeded",
        ],
        tags: { ...args.tags },
      },
      { parent: this },
    );
    this.name = this.stream.name;
    this.arn = this.stream.arn;
    this.kmsKeyArn = pulumi.output(args.kmsKeyArn);
    this.registerOutputs({ name: this.name, arn: this.arn });
  }

  /** Problems with the args, each naming the input and the fix; empty when they are usable. */
  static validateArgs(args: IngestStreamArgs): string[] {
    const problems: string[] = [];
    const hours = args.retentionHours ?? 24;
    if (!Number.isInteger(hours) || hours < 24 || hours > 8760)
      problems.push(`retentionHours must be an integer from 24 to 8760 (got ${hours})`);
    if (args.shards !== undefined && args.capacityMode !== "provisioned")
      problems.push(
        `shards (${args.shards}) applies only with capacityMode "provisioned"; remove it or set the mode`,
      );
    if (args.shards !== undefined && (!Number.isInteger(args.shards) || args.shards < 1))
      problems.push(`shards must be a positive integer (got ${args.shards})`);
    return problems;
  }
}
