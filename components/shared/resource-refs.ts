/**
 * The one shape in which every component takes an existing resource: names and ARNs, never a resource object,
 * so a platform team can pass a bucket made by our `DataLake`, by its own program, by `aws.s3.Bucket.get(...)`
 * or as plain strings. Keys are passed as their ARN (`kmsKeyArn`) everywhere.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/**
 * The AWS-managed keys components fall back to without a customer-managed `kmsKeyArn`: principals of the
 * account use them through their service without any `kms:*` permission (and no key policy to manage).
 */
export const AWS_MANAGED_KEYS = { sns: "alias/aws/sns", kinesis: "alias/aws/kinesis" } as const;

/** An S3 bucket by name and ARN. */
export interface BucketRef {
  /** The bucket's name (`aws.s3.Bucket#bucket`). */
  readonly name: pulumi.Input<string>;
  /** The bucket's ARN (`arn:<partition>:s3:::<name>`). */
  readonly arn: pulumi.Input<string>;
}

/** The {@link BucketRef} of a bucket resource, created here or looked up with `aws.s3.Bucket.get(...)`. */
export function bucketRef(bucket: {
  readonly bucket: pulumi.Input<string>;
  readonly arn: pulumi.Input<string>;
}): BucketRef {
  return { name: bucket.bucket, arn: bucket.arn };
}

/**
 * The {@link BucketRef} of a bucket known only by name: its ARN in the partition of `parent`'s provider
 * (`aws`, `aws-cn`, `aws-us-gov`), or of the default provider without `parent`.
 */
export function bucketRefFromName(name: pulumi.Input<string>, parent?: pulumi.Resource): BucketRef {
  const partition = aws.getPartitionOutput({}, parent ? { parent } : {}).partition;
  return { name, arn: pulumi.interpolate`arn:${partition}:s3:::${name}` };
}

/** A Kinesis data stream by ARN, with the customer-managed key encrypting it. */
export interface StreamRef {
  /** The stream's ARN. */
  readonly arn: pulumi.Input<string>;
  /**
   * The customer-managed key encrypting the stream: readers and writers get `kms:*` on it through Kinesis.
   * @default - none: the stream uses the AWS-managed `aws/kinesis` key, which needs no permission
   */
  readonly kmsKeyArn?: pulumi.Input<string | undefined> | undefined;
}

/** An SNS topic by ARN, with the customer-managed key encrypting it. */
export interface TopicRef {
  /** The topic's ARN. */
  readonly arn: pulumi.Input<string>;
  /**
   * The customer-managed key the topic is encrypted with: publishers get `kms:GenerateDataKey`/`kms:Decrypt`
   * on it. CloudWatch alarms can notify the topic only if this key's policy admits `cloudwatch.amazonaws.com`.
   * @default - none: the topic is unencrypted or uses `alias/aws/sns` (publishers need no permission, but
   * CloudWatch alarms cannot publish to it)
   */
  readonly kmsKeyArn?: pulumi.Input<string | undefined> | undefined;
}

/** A VPC by ID, with the route tables of the subnets that must reach a peer (peering adds routes to them). */
export interface VpcRef {
  /** The VPC's ID (`vpc-...`). */
  readonly vpcId: pulumi.Input<string>;
  /** Route tables of the subnets that must reach the peer (`rtb-...`). */
  readonly routeTableIds: readonly pulumi.Input<string>[];
}

/** A relational database in a VPC: where it listens, the security group in front of it, its credentials. */
export interface DatabaseRef {
  /** The database's VPC. */
  readonly vpc: VpcRef;
  /** Host name or address the database listens on inside its VPC. */
  readonly host: pulumi.Input<string>;
  /** The security group in front of the database (a rule admitting the peer is added to it). */
  readonly securityGroupId: pulumi.Input<string>;
  /** Secrets Manager secret with `username` and `password`, which Glue's JDBC connection reads. */
  readonly secretArn: pulumi.Input<string>;
  /**
   * The customer-managed key encrypting the secret: the Glue role gets `kms:Decrypt` on it.
   * @default - none: the secret uses `aws/secretsmanager`, which needs no permission
   */
  readonly secretKmsKeyArn?: pulumi.Input<string | undefined> | undefined;
}
