/** Bucket policy statements shared by every bucket. Pure: plain ARNs in, IAM statements out. */
import type * as aws from "@pulumi/aws";

/** Denies every request that does not use TLS (cdk-nag AwsSolutions-S10, Security Hub S3.5). */
export function tlsOnlyStatement(bucketArn: string): aws.iam.PolicyStatement {
  return {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: [bucketArn, `${bucketArn}/*`],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}

/**
 * Lets the S3 logging service deliver server access logs from this account's matching buckets (the pattern, and
 * adopted buckets by exact ARN), and nothing else
 * (the service-principal form AWS recommends over the legacy log-delivery ACL).
 */
export function accessLogDeliveryStatement(
  logBucketArn: string,
  sources: {
    readonly sourceArnPattern: string;
    readonly sourceArns?: readonly string[] | undefined;
    readonly accountId: string;
  },
): aws.iam.PolicyStatement {
  const extra = sources.sourceArns ?? [];
  return {
    Sid: "AllowServerAccessLogDelivery",
    Effect: "Allow",
    Principal: { Service: "logging.s3.amazonaws.com" },
    Action: "s3:PutObject",
    Resource: `${logBucketArn}/*`,
    Condition: {
      ArnLike: {
        "aws:SourceArn": extra.length > 0 ? [sources.sourceArnPattern, ...extra] : sources.sourceArnPattern,
      },
      StringEquals: { "aws:SourceAccount": sources.accountId },
    },
  };
}

/**
 * Lets CloudTrail deliver one trail's log files under `<prefix>/AWSLogs/<account>/` and check the bucket's ACL
 * first, as CloudTrail requires; `aws:SourceArn` limits both to that trail.
 */
export function cloudTrailDeliveryStatements(
  logBucketArn: string,
  trail: { readonly trailArn: string; readonly accountId: string; readonly prefix: string },
): aws.iam.PolicyStatement[] {
  return [
    {
      Sid: "AllowCloudTrailAclCheck",
      Effect: "Allow",
      Principal: { Service: "cloudtrail.amazonaws.com" },
      Action: "s3:GetBucketAcl",
      Resource: logBucketArn,
      Condition: { StringEquals: { "aws:SourceArn": trail.trailArn } },
    },
    {
      Sid: "AllowCloudTrailLogDelivery",
      Effect: "Allow",
      Principal: { Service: "cloudtrail.amazonaws.com" },
      Action: "s3:PutObject",
      Resource: `${logBucketArn}/${trail.prefix}/AWSLogs/${trail.accountId}/*`,
      Condition: {
        StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trail.trailArn },
      },
    },
  ];
}
