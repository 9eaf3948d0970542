import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { deadLetterQueue } from "../shared/dead-letter-queue";
import { LambdaFunction } from "../shared/lambda-function";
import type { StreamRef } from "../shared/resource-refs";
import { consumerFunctionPolicy } from "./iam-documents";
import { keyValueTable } from "./key-value-table";
import { realtimeConsumerEnvironment } from "./realtime-layout";
import { STREAM_DEFAULTS, type StreamConsumerSettings } from "./stream-settings";

export interface RealtimeAggregatesArgs {
  /** `<app>-<stack>`: names the log group. */
  readonly deployment: string;
  /** The ingest stream the consumer reads (its key is needed to decrypt). */
  readonly stream: StreamRef;
  /** Key of the table, the dead-letter queue and the log group (the lake key). */
  /** @default - DynamoDB's AWS-owned key, SSE-SQS, CloudWatch Logs' own encryption: no `kms:*` statement */
  readonly kmsKeyArn?: pulumi.Input<string> | undefined;
  /** How the event source mapping reads. @default - `STREAM_DEFAULTS` (100 records, 5 s window, 3 retries, 1 h) */
  readonly consumer?: StreamConsumerSettings;
  /** Days an hourly aggregate is kept after its hour. @default 30 */
  readonly aggregateTtlDays?: number;
  /** Days a device's latest reading is kept after it was taken. @default 30 */
  readonly latestTtlDays?: number;
  /** @default 30 */
  readonly logRetentionDays?: number;
  /** Deletion protection on the table (and protect/retain in Pulumi). @default false */
  readonly protectData?: boolean;
  /** Tags merged into every taggable child. @default - none */
  readonly tags?: Record<string, string>;
}

/**
 * Real-time aggregates from the ingest stream: a DynamoDB table (KMS, TTL, point-in-time recovery) holding the
 * latest reading per device and per-room hourly min/avg/max/count, kept by a consumer function on a Kinesis
 * event source mapping with a batch size and window, bisect on error, a bounded number of retries and record
 * age, partial batch failure reporting, and an encrypted dead-letter queue as its on-failure destination.
 */
export class RealtimeAggregates extends pulumi.ComponentResource {
  public readonly table: aws.dynamodb.Table;
  public readonly consumer: aws.lambda.Function;
  public readonly deadLetterQueue: aws.sqs.Queue;
  public readonly eventSourceMapping: aws.lambda.EventSourceMapping;
  public readonly tableName: pulumi.Output<string>;
  public readonly tableArn: pulumi.Output<string>;

  constructor(name: string, args: RealtimeAggregatesArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:streaming:RealtimeAggregates", name, {}, opts);
    const tags = { ...args.tags };
    const d = STREAM_DEFAULTS;
    const consumer = args.consumer ?? {
      batchSize: d.batchSize,
      batchWindowSeconds: d.batchWindowSeconds,
      retryAttempts: d.retryAttempts,
      maxRecordAgeSeconds: d.maxRecordAgeSeconds,
    };
    this.table = keyValueTable(this, `${name}-table`, {
      kmsKeyArn: args.kmsKeyArn,
      protectData: args.protectData ?? false,
      tags,
    });
    this.deadLetterQueue = deadLetterQueue(this, `${name}-dlq`, args.kmsKeyArn, tags);
    // Invoked by the event source mapping only (synchronously): failed batches go to the queue as records.
    const fn = new LambdaFunction(
      `${name}-consumer`,
      {
        entry: "realtime-consumer",
        description: `Keeps the latest reading per device and hourly room aggregates of ${args.deployment} from the ingest stream`,
        documentName: "realtime-consumer-function",
        logGroupName: `/sensor-analytics/${args.deployment}/realtime-consumer`,
        logRetentionDays: args.logRetentionDays ?? 30,
        kmsKeyArn: args.kmsKeyArn,
        policy: ({ logGroupArn, scope }) =>
          pulumi
            .all([
              args.stream.arn,
              pulumi.output(args.stream.kmsKeyArn),
              pulumi.output(args.kmsKeyArn),
              this.table.arn,
              this.deadLetterQueue.arn,
            ])
            .apply(([streamArn, streamKmsKeyArn, kmsKeyArn, tableArn, deadLetterQueueArn]) =>
              consumerFunctionPolicy({
                scope,
                logGroupArn,
                streamArn,
                streamKmsKeyArn,
                kmsKeyArn,
                tableArn,
                deadLetterQueueArn,
              }),
            ),
        environment: this.table.name.apply((tableName) =>
          realtimeConsumerEnvironment({
            tableName,
            aggregateTtlDays: args.aggregateTtlDays ?? d.aggregateTtlDays,
            latestTtlDays: args.latestTtlDays ?? d.latestTtlDays,
          }),
        ),
        timeoutSeconds: 60,
        memorySize: 512,
        formerly: { parent: this },
        tags,
      },
      { parent: this },
    );
    this.consumer = fn.function;
    this.eventSourceMapping = new aws.lambda.EventSourceMapping(
      `${name}-mapping`,
      {
        eventSourceArn: args.stream.arn,
        functionName: this.consumer.arn,
        startingPosition: "TRIM_HORIZON",
        batchSize: consumer.batchSize,
        maximumBatchingWindowInSeconds: consumer.batchWindowSeconds,
        bisectBatchOnFunctionError: true,
        maximumRetryAttempts: consumer.retryAttempts,
        maximumRecordAgeInSeconds: consumer.maxRecordAgeSeconds,
        // One batch per shard at a time: an hour's aggregate is written in sequence order (see the consumer).
        parallelizationFactor: 1,
        functionResponseTypes: ["ReportBatchItemFailures"],
        destinationConfig: { onFailure: { destinationArn: this.deadLetterQueue.arn } },
        tags,
      },
      { parent: this },
    );
    this.tableName = this.table.name;
    this.tableArn = this.table.arn;
    this.registerOutputs({
      tableName: this.tableName,
      tableArn: this.tableArn,
      consumerArn: this.consumer.arn,
      deadLetterQueueUrl: this.deadLetterQueue.url,
    });
  }
}
