/**
 * The audit trail's naming, key policy and event selectors. Pure: the DataLake needs the trail's ARN for the
 * log bucket's policy before the trail exists, so the name is fixed and the ARN derived from it.
 */
import type * as aws from "@pulumi/aws";
import { LAKE_ZONES } from "../lake/layout";
import { keyAdministeredThroughIam, type AccountScope } from "../shared/iam-policy";

/** Key prefix of the trail's log files in the log bucket (CloudTrail adds `/AWSLogs/<account>/...`). */
export const AUDIT_LOG_PREFIX = LAKE_ZONES.auditTrail.prefix.replace(/\/$/, "");

/** The trail's name: one trail per deployment. */
export function auditTrailName(deployment: string): string {
  return `${deployment}-audit`;
}

/** The trail's ARN, known before it exists. */
export function auditTrailArn(scope: AccountScope, trailName: string): string {
  return `arn:${scope.partition}:cloudtrail:${scope.region}:${scope.accountId}:trail/${trailName}`;
}

/**
 * The trail key's policy: the account administers the key through IAM (readers of the logs need kms:Decrypt
 * granted by IAM), and CloudTrail may encrypt log files for this trail only.
 */
export function auditTrailKeyPolicy(scope: AccountScope, trailArn: string): aws.iam.PolicyDocument {
  const { accountId, partition } = scope;
  return {
    Version: "2012-10-17",
    Statement: [
      keyAdministeredThroughIam(scope),
      {
        Sid: "AllowCloudTrailEncryptLogsKeyWildcard",
        Effect: "Allow",
        Principal: { Service: "cloudtrail.amazonaws.com" },
        Action: "kms:GenerateDataKey*",
        Resource: "*",
        Condition: {
          StringEquals: { "aws:SourceArn": trailArn },
          StringLike: {
            "kms:EncryptionContext:aws:cloudtrail:arn": `arn:${partition}:cloudtrail:*:${accountId}:trail/*`,
          },
        },
      },
      {
        Sid: "AllowCloudTrailDescribeKeyWildcard",
        Effect: "Allow",
        Principal: { Service: "cloudtrail.amazonaws.com" },
        Action: "kms:DescribeKey",
        Resource: "*",
        Condition: { StringEquals: { "aws:SourceArn": trailArn } },
      },
    ],
  };
}

/** Advanced event selectors: object-level (data) events on the given buckets, reads and writes. */
export function lakeDataEventSelectors(bucketArns: readonly string[]) {
  return [
    {
      name: "Lake object-level events",
      fieldSelectors: [
        { field: "eventCategory", equals: ["Data"] },
        { field: "resources.type", equals: ["AWS::S3::Object"] },
        { field: "resources.ARN", startsWiths: bucketArns.map((arn) => `${arn}/`) },
      ],
    },
  ];
}
