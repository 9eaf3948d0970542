/**
 * IAM documents of a lake delivery stream's role. Pure (plain strings in, typed documents out), so tests read
 * them statement by statement.
 */
import type * as aws from "@pulumi/aws";
import { type AccountScope, keyViaService } from "../shared/iam-policy";

export interface FirehoseRoleArgs extends AccountScope {
  readonly bucketArn: string;
  /** Key prefixes the stream writes under (data and errors), each ending in "/". */
  readonly writePrefixes: readonly string[];
  /** The lake key the objects are encrypted with. @default - none: the bucket's SSE-S3 needs no key grant */
  readonly kmsKeyArn?: string | undefined;
  /** ARN of the log stream delivery errors are logged to. */
  readonly logStreamArn: string;
  /** The Glue table the stream reads its Parquet schema from. @default - no format conversion */
  readonly schemaTable?: { readonly databaseName: string; readonly tableName: string };
  /** A Kinesis stream the delivery stream reads from, and its key. @default - records are put directly */
  readonly sourceStream?: { readonly arn: string; readonly kmsKeyArn?: string | undefined } | undefined;
}

/** Firehose may assume the role only on behalf of this account (AWS's documented external-ID condition). */
export function firehoseTrustPolicy(accountId: string): aws.iam.PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AssumedByFirehose",
        Effect: "Allow",
        Principal: { Service: "firehose.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "sts:ExternalId": accountId } },
      },
    ],
  };
}

/**
 * The destination permissions Firehose documents for an S3 destination, scoped to the stream's own prefixes,
 * plus the lake key (through S3 only), its log stream and, with Parquet conversion, the schema table.
 */
export function firehoseRolePolicy(args: FirehoseRoleArgs): aws.iam.PolicyDocument {
  for (const prefix of args.writePrefixes) {
    if (!prefix.endsWith("/") || prefix.includes("!{"))
      throw new Error(`write prefix "${prefix}" must be a static prefix ending in "/"`);
  }
  const statements: aws.iam.PolicyStatement[] = [
    {
      Sid: "LocateLakeBucket",
      Effect: "Allow",
      Action: ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
      Resource: args.bucketArn,
    },
    {
      Sid: "WriteOwnPrefixes",
      Effect: "Allow",
      Action: ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"],
      Resource: args.writePrefixes.map((p) => `${args.bucketArn}/${p}*`),
    },
    ...keyViaService("EncryptWithLakeKey", args.region, "s3", args.kmsKeyArn, [
      "kms:GenerateDataKey",
      "kms:Decrypt",
    ]),
    {
      Sid: "LogDeliveryErrors",
      Effect: "Allow",
      Action: "logs:PutLogEvents",
      Resource: args.logStreamArn,
    },
  ];
  if (args.sourceStream) {
    statements.push(
      {
        Sid: "ReadSourceStream",
        Effect: "Allow",
        Action: [
          "kinesis:DescribeStream",
          "kinesis:GetShardIterator",
          "kinesis:GetRecords",
          "kinesis:ListShards",
        ],
        Resource: args.sourceStream.arn,
      },
      ...keyViaService("DecryptSourceStream", args.region, "kinesis", args.sourceStream.kmsKeyArn, [
        "kms:Decrypt",
      ]),
    );
  }
  if (args.schemaTable) {
    const glue = `arn:${args.partition}:glue:${args.region}:${args.accountId}`;
    statements.push({
      Sid: "ReadParquetSchema",
      Effect: "Allow",
      Action: ["glue:GetTable", "glue:GetTableVersion", "glue:GetTableVersions"],
      Resource: [
        `${glue}:catalog`,
        `${glue}:database/${args.schemaTable.databaseName}`,
        `${glue}:table/${args.schemaTable.databaseName}/${args.schemaTable.tableName}`,
      ],
    });
  }
  return { Version: "2012-10-17", Statement: statements };
}
