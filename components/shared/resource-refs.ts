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

/** A subnet by ID, with its availability zone (Glue connections and RDS subnet groups need the zone). */
export interface SubnetRef {
  /** The subnet's ID (`subnet-...`). */
  readonly id: pulumi.Input<string>;
  /** The subnet's availability zone, e.g. `eu-west-1a`. */
  readonly availabilityZone: pulumi.Input<string>;
}

/**
 * An existing VPC: its ID, its IPv4 block, the route tables of its subnets and its private subnets. Components
 * that would otherwise create a VPC of their own (the Glue VPC, the demo database's, the fleet runner's) take
 * one as `existingVpc` and then create no VPC, subnet, route table, flow log, internet gateway or VPC endpoint:
 * the VPC's owner provides the way to AWS services (NAT or endpoints). Which fields a component needs, and
 * which it refuses to go without, its `existingVpc` documentation says.
 */
export interface VpcRef {
  /** The VPC's ID (`vpc-...`). */
  readonly vpcId: pulumi.Input<string>;
  /**
   * Route tables of the subnets that must reach a peer (`rtb-...`): VPC peering adds a route to each.
   * @default - none (only valid where nothing is peered: the fleet runner)
   */
  readonly routeTableIds?: readonly pulumi.Input<string>[];
  /**
   * The VPC's primary IPv4 block, e.g. `10.40.0.0/16`: the other side of a peering routes it, security group
   * rules name it. A plain string, so overlaps are refused before anything is created.
   * @default - none (only valid where nothing is peered: the fleet runner)
   */
  readonly cidrBlock?: string;
  /**
   * Private subnets (no public IP on launch) the component places its network interfaces in, first one first:
   * the Glue connection uses the first; RDS needs two in different zones; the fleet runner's tasks use all.
   * @default - none (only valid for an existing database's VPC, where nothing is placed)
   */
  readonly privateSubnets?: readonly SubnetRef[];
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

/** What a component needs of an existing VPC, checked by {@link vpcRefProblems}. */
export interface VpcRefNeeds {
  /** The component peers the VPC: `routeTableIds` and `cidrBlock` are required. */
  readonly peering: boolean;
  /** Private subnets the component needs at least (0: none). */
  readonly privateSubnets: number;
  /** Why, in the component's words (ends the message), e.g. "the Glue connection runs in the first". */
  readonly why: string;
}

/**
 * Problems of an existing VPC for a component, each naming the field (`field` is where the caller took the
 * VpcRef, e.g. `existingVpc`) and the fix; empty when the VPC fits. Zones given as plain strings are checked
 * to be distinct when two subnets are needed (RDS subnet groups span two zones).
 */
export function vpcRefProblems(ref: VpcRef, field: string, needs: VpcRefNeeds): string[] {
  const problems: string[] = [];
  const subnets = ref.privateSubnets ?? [];
  if (subnets.length < needs.privateSubnets) {
    problems.push(
      `${field}.privateSubnets has ${subnets.length} subnet(s), ${needs.privateSubnets} needed: ${needs.why}; pass the VPC's private subnets as { id, availabilityZone }`,
    );
  }
  if (needs.privateSubnets >= 2) {
    const zones = subnets.map((s) => s.availabilityZone).filter((z): z is string => typeof z === "string");
    if (zones.length === subnets.length && subnets.length >= 2 && new Set(zones).size < 2) {
      problems.push(
        `${field}.privateSubnets are all in ${zones[0]}: ${needs.why}; add a private subnet of another zone`,
      );
    }
  }
  if (needs.peering) {
    if (!ref.routeTableIds || ref.routeTableIds.length === 0) {
      problems.push(
        `${field}.routeTableIds is empty: VPC peering routes the other side from them, without them no answer comes back; pass the route table of every subnet that must reach the peer`,
      );
    }
    if (ref.cidrBlock === undefined) {
      problems.push(
        `${field}.cidrBlock is missing: the other side of the peering routes it; pass the VPC's IPv4 block, e.g. "10.40.0.0/16"`,
      );
    }
  }
  return problems;
}
