/**
 * Operations rules. Sources: an alarm that notifies nobody is a failure mode nobody hears about (cdk-nag has
 * no rule for it; Security Hub CloudWatch.15 asks for alarm actions); CloudTrail log integrity and encryption
 * from Security Hub CloudTrail.2 and CloudTrail.4.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";

const METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const TRAIL = "aws:cloudtrail/trail:Trail";

export const alarmHasAction: ResourceValidationPolicy = {
  name: "cloudwatch-alarm-actions",
  description:
    "Every CloudWatch alarm notifies someone: alarmActions names a target and actions are enabled.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== METRIC_ALARM) return;
    const actions = Array.isArray(args.props.alarmActions) ? (args.props.alarmActions as unknown[]) : [];
    if (actions.filter((a) => typeof a === "string" && a !== "").length === 0)
      reportViolation(
        `${args.name}: no alarmActions, so nobody hears when it fires; add the stack's alert topic (Operations' alarmTopic)`,
      );
    if (args.props.actionsEnabled === false)
      reportViolation(`${args.name}: actionsEnabled is false; its actions never run. Remove the setting`);
  },
};

export const trailIntegrity: ResourceValidationPolicy = {
  name: "cloudtrail-integrity",
  description:
    "CloudTrail trails validate their log files (signed digests), so a changed or deleted file shows.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== TRAIL) return;
    if (args.props.enableLogFileValidation !== true)
      reportViolation(`${args.name}: enableLogFileValidation is not true; set it so tampering shows`);
  },
};

export const trailKms: ResourceValidationPolicy = {
  name: "cloudtrail-kms",
  description:
    'CloudTrail trails encrypt their log files with a customer-managed key. Advisory: without one (AuditTrail encryption "s3-managed") the files take the log bucket\'s SSE-S3, and S3 permissions alone govern reading them.',
  enforcementLevel: "advisory",
  validateResource: (args, reportViolation) => {
    if (args.type !== TRAIL) return;
    if (!args.props.kmsKeyId)
      reportViolation(`${args.name}: no kmsKeyId; encrypt the log files with a customer-managed key`);
  },
};

export const operationsPolicies = [alarmHasAction, trailIntegrity, trailKms];
