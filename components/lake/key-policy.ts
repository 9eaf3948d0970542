/** The lake KMS key's key policy. Pure. */
import type * as aws from "@pulumi/aws";
import { keyAdministeredThroughIam, type AccountScope } from "../shared/iam-policy";

/**
 * Key policy: the account administers the key through IAM (so roles get access by IAM policies scoped to
 * this key's ARN), and CloudWatch Logs may use it for this account's log groups in this region only.
 */
export function lakeKeyPolicy(ctx: AccountScope): aws.iam.PolicyDocument {
  const { accountId, partition, region } = ctx;
  return {
    Version: "2012-10-17",
    Statement: [
      keyAdministeredThroughIam(ctx),
      {
        Sid: "AllowCloudWatchLogsKeyWildcard",
        Effect: "Allow",
        Principal: { Service: `logs.${region}.amazonaws.com` },
        Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        Resource: "*",
        Condition: {
          ArnLike: {
            "kms:EncryptionContext:aws:logs:arn": `arn:${partition}:logs:${region}:${accountId}:log-group:*`,
          },
        },
      },
    ],
  };
}
