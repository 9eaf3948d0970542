/**
 * CloudWatch Logs rules. Sources: cdk-nag (log group encryption), Security Hub CloudWatch.16 (retention), and
 * the cost of logs kept forever by default.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";

const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";

export const logGroupRetention: ResourceValidationPolicy = {
  name: "log-group-retention",
  description: "Log groups expire their events (retentionInDays is set and not 0, which means never).",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== LOG_GROUP) return;
    const days = args.props.retentionInDays;
    if (typeof days !== "number" || days <= 0)
      reportViolation(
        `${args.name}: retentionInDays is ${days ?? "not set"} (kept forever); set it from logRetentionDays`,
      );
  },
};

export const logGroupKms: ResourceValidationPolicy = {
  name: "log-group-kms",
  description:
    'Log groups are encrypted with a customer-managed KMS key (kmsKeyId), like the rest of the platform\'s data. Advisory: CloudWatch Logs encrypts every log group at rest anyway; the key adds key-policy control, which a keyless composition (DataLake encryption "s3-managed") gives up knowingly.',
  enforcementLevel: "advisory",
  validateResource: (args, reportViolation) => {
    if (args.type !== LOG_GROUP) return;
    if (!args.props.kmsKeyId)
      reportViolation(
        `${args.name}: no kmsKeyId; encrypt it with the lake key (whose policy admits CloudWatch Logs)`,
      );
  },
};

export const logsPolicies = [logGroupRetention, logGroupKms];
