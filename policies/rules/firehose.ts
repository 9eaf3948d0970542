/**
 * Firehose rules. Sources: cdk-nag AwsSolutions-KDF1 (server-side encryption), Security Hub DataFirehose.1,
 * aws-solutions-constructs' Firehose-to-S3 defaults (error output prefix, CloudWatch logging).
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";

const STREAM = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream";

interface ExtendedS3 {
  kmsKeyArn?: string;
  errorOutputPrefix?: string;
  cloudwatchLoggingOptions?: { enabled?: boolean; logGroupName?: string; logStreamName?: string };
}

const extendedS3 = (props: Record<string, unknown>): ExtendedS3 | undefined =>
  props.destination === "extended_s3"
    ? ((props.extendedS3Configuration as ExtendedS3 | undefined) ?? {})
    : undefined;

type StreamEncryption = { enabled?: boolean; keyType?: string; keyArn?: string } | undefined;

const directPut = (props: Record<string, unknown>) =>
  props.kinesisSourceConfiguration === undefined && props.mskSourceConfiguration === undefined;

export const firehoseEncryption: ResourceValidationPolicy = {
  name: "firehose-encryption",
  description:
    "Delivery streams fed directly (DirectPut) encrypt records at rest (server-side encryption on, with a customer-managed or the AWS-owned key).",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== STREAM) return;
    const sse = args.props.serverSideEncryption as StreamEncryption;
    if (directPut(args.props) && sse?.enabled !== true)
      reportViolation(
        `${args.name} does not encrypt records at rest; set serverSideEncryption { enabled: true, keyType: "CUSTOMER_MANAGED_CMK", keyArn } (or keyType "AWS_OWNED_CMK" without a key)`,
      );
  },
};

export const firehoseCustomerManagedKey: ResourceValidationPolicy = {
  name: "firehose-customer-managed-key",
  description:
    "Delivery streams encrypt records at rest with a customer-managed KMS key, and S3 destinations encrypt the objects they write with a KMS key. Advisory: without them Firehose uses an AWS-owned key and the bucket's default encryption (SSE-S3), a keyless composition's choice.",
  enforcementLevel: "advisory",
  validateResource: (args, reportViolation) => {
    if (args.type !== STREAM) return;
    const sse = args.props.serverSideEncryption as StreamEncryption;
    if (
      directPut(args.props) &&
      !(sse?.enabled === true && sse.keyType === "CUSTOMER_MANAGED_CMK" && sse.keyArn)
    ) {
      reportViolation(
        `${args.name} does not encrypt records at rest with a customer-managed key; set serverSideEncryption { enabled: true, keyType: "CUSTOMER_MANAGED_CMK", keyArn }`,
      );
    }
    const s3 = extendedS3(args.props);
    if (s3 && !s3.kmsKeyArn)
      reportViolation(
        `${args.name} writes S3 objects without extendedS3Configuration.kmsKeyArn; set it to the lake key`,
      );
  },
};

export const firehoseErrorPrefix: ResourceValidationPolicy = {
  name: "firehose-error-prefix",
  description:
    "S3 delivery streams write records they cannot convert or deliver under an error output prefix that names the error type, apart from good data.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== STREAM) return;
    const s3 = extendedS3(args.props);
    if (!s3) return;
    if (!s3.errorOutputPrefix) {
      reportViolation(
        `${args.name} has no errorOutputPrefix; failed records would mix with data; use e.g. errors/firehose/<stream>/!{firehose:error-output-type}/`,
      );
    } else if (!s3.errorOutputPrefix.includes("!{firehose:error-output-type}")) {
      reportViolation(
        `${args.name} errorOutputPrefix "${s3.errorOutputPrefix}" does not contain !{firehose:error-output-type}, so conversion and delivery failures cannot be told apart`,
      );
    }
  },
};

export const firehoseLogging: ResourceValidationPolicy = {
  name: "firehose-logging",
  description: "S3 delivery streams log delivery errors to CloudWatch Logs (a log group and stream).",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== STREAM) return;
    const s3 = extendedS3(args.props);
    if (!s3) return;
    const logging = s3.cloudwatchLoggingOptions;
    if (!(logging?.enabled === true && logging.logGroupName && logging.logStreamName)) {
      reportViolation(
        `${args.name} does not log delivery errors; set extendedS3Configuration.cloudwatchLoggingOptions { enabled: true, logGroupName, logStreamName }`,
      );
    }
  },
};

export const firehosePolicies = [
  firehoseEncryption,
  firehoseCustomerManagedKey,
  firehoseErrorPrefix,
  firehoseLogging,
];
