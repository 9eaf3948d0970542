/**
 * Rules for the ingest sources beyond MQTT: the Kinesis ingest stream, the real-time table, stream event source
 * mappings, the HTTP API, schedules that invoke functions, and queues. Sources: Security Hub Kinesis.1
 * (encryption), DynamoDB.2 (point-in-time recovery) and DynamoDB.3-style KMS checks, APIGateway.1 (access
 * logging) and APIGateway.8-style authorization, cdk-nag AwsSolutions-APIG2/APIG4, SQS.1 (encryption), and
 * Lambda's guidance for stream sources (an on-failure destination, bounded retries, bisect on error) and
 * asynchronous invocations (a dead-letter queue).
 */
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";

const KINESIS_STREAM = "aws:kinesis/stream:Stream";
const TABLE = "aws:dynamodb/table:Table";
const MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping";
const STAGE = "aws:apigatewayv2/stage:Stage";
const ROUTE = "aws:apigatewayv2/route:Route";
const SCHEDULE = "aws:scheduler/schedule:Schedule";
const QUEUE = "aws:sqs/queue:Queue";
const FUNCTION = "aws:lambda/function:Function";

/** A key given as an AWS-managed alias (`alias/aws/...`) is not customer-managed. */
const awsManaged = (key: unknown) => typeof key === "string" && /(^|:)alias\/aws\//.test(key);

export const kinesisStreamEncrypted: ResourceValidationPolicy = {
  name: "kinesis-stream-encrypted",
  description:
    "Kinesis data streams encrypt records at rest (encryptionType KMS, with a key or the aws/kinesis alias).",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== KINESIS_STREAM) return;
    if (args.props.encryptionType !== "KMS" || !args.props.kmsKeyId)
      reportViolation(
        `${args.name} does not encrypt records at rest (encryptionType ${String(args.props.encryptionType ?? "NONE")}); set encryptionType: "KMS" and kmsKeyId to the lake key or "alias/aws/kinesis"`,
      );
  },
};

export const kinesisStreamKms: ResourceValidationPolicy = {
  name: "kinesis-stream-kms",
  description:
    "Kinesis data streams encrypt records at rest with a customer-managed KMS key. Advisory: the AWS-managed aws/kinesis key also encrypts; kinesis-stream-encrypted refuses a clear stream.",
  enforcementLevel: "advisory",
  validateResource: (args, reportViolation) => {
    if (args.type !== KINESIS_STREAM) return;
    const key = args.props.kmsKeyId;
    if (args.props.encryptionType !== "KMS" || !key || awsManaged(key))
      reportViolation(
        `${args.name} does not encrypt records with a customer-managed key (encryptionType ${String(args.props.encryptionType ?? "NONE")}, kmsKeyId ${String(key ?? "none")}); set encryptionType: "KMS" and kmsKeyId to the lake key`,
      );
  },
};

export const dynamoDbTableKms: ResourceValidationPolicy = {
  name: "dynamodb-table-kms",
  description:
    "DynamoDB tables encrypt at rest with a customer-managed KMS key (not the AWS-owned default). Advisory: DynamoDB encrypts every table at rest anyway.",
  enforcementLevel: "advisory",
  validateResource: (args, reportViolation) => {
    if (args.type !== TABLE) return;
    const sse = args.props.serverSideEncryption as { enabled?: boolean; kmsKeyArn?: string } | undefined;
    if (!(sse?.enabled === true && sse.kmsKeyArn && !awsManaged(sse.kmsKeyArn)))
      reportViolation(
        `${args.name} is not encrypted with a customer-managed key; set serverSideEncryption { enabled: true, kmsKeyArn }`,
      );
  },
};

export const dynamoDbPointInTimeRecovery: ResourceValidationPolicy = {
  name: "dynamodb-point-in-time-recovery",
  description: "DynamoDB tables keep point-in-time recovery (35 days of restorable state).",
  enforcementLevel: "advisory",
  validateResource: (args, reportViolation) => {
    if (args.type !== TABLE) return;
    const pitr = args.props.pointInTimeRecovery as { enabled?: boolean } | undefined;
    if (pitr?.enabled !== true)
      reportViolation(
        `${args.name} has no point-in-time recovery; set pointInTimeRecovery { enabled: true }`,
      );
  },
};

/** Whether a mapping reads a stream (Kinesis or DynamoDB Streams), where a failing batch blocks its shard. */
function readsStream(props: Record<string, unknown>): boolean {
  const source = props.eventSourceArn;
  // A stream source has a starting position; queues (SQS) do not.
  return (
    (typeof source === "string" && /:(kinesis|dynamodb):/.test(source)) ||
    props.startingPosition !== undefined
  );
}

export const streamMappingFailureHandling: ResourceValidationPolicy = {
  name: "stream-mapping-failure-handling",
  description:
    "Event source mappings on streams send batches that keep failing to an on-failure destination, bound their retries (retry attempts or record age), and bisect a failing batch, so one bad record neither blocks its shard forever nor disappears.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== MAPPING || !readsStream(args.props)) return;
    const p = args.props;
    const onFailure = (p.destinationConfig as { onFailure?: { destinationArn?: string } } | undefined)
      ?.onFailure;
    const problems: string[] = [];
    if (!onFailure?.destinationArn)
      problems.push("no destinationConfig.onFailure (failed batches are dropped)");
    const retries = p.maximumRetryAttempts;
    const age = p.maximumRecordAgeInSeconds;
    if ((retries === undefined || retries === -1) && (age === undefined || age === -1))
      problems.push("retries are unbounded (set maximumRetryAttempts or maximumRecordAgeInSeconds)");
    if (p.bisectBatchOnFunctionError !== true) problems.push("bisectBatchOnFunctionError is not true");
    if (problems.length > 0) reportViolation(`${args.name}: ${problems.join("; ")}`);
  },
};

export const streamMappingPartialFailures: ResourceValidationPolicy = {
  name: "stream-mapping-partial-failures",
  description:
    "Event source mappings on streams let the function report the records that failed (ReportBatchItemFailures), so a retry starts there instead of at the start of the batch.",
  enforcementLevel: "advisory",
  validateResource: (args, reportViolation) => {
    if (args.type !== MAPPING || !readsStream(args.props)) return;
    const types = args.props.functionResponseTypes;
    if (!Array.isArray(types) || !types.includes("ReportBatchItemFailures"))
      reportViolation(`${args.name}: functionResponseTypes lacks ReportBatchItemFailures`);
  },
};

export const apiStageThrottling: ResourceValidationPolicy = {
  name: "api-stage-throttling",
  description:
    "HTTP API stages throttle every route (a steady rate and a burst), so one caller cannot exhaust the account's limit.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== STAGE) return;
    const route = args.props.defaultRouteSettings as
      { throttlingRateLimit?: number; throttlingBurstLimit?: number } | undefined;
    if (!((route?.throttlingRateLimit ?? 0) > 0 && (route?.throttlingBurstLimit ?? 0) > 0))
      reportViolation(
        `${args.name} does not throttle its routes; set defaultRouteSettings { throttlingRateLimit, throttlingBurstLimit } (httpApi rateLimit and burstLimit)`,
      );
  },
};

export const apiStageAccessLogs: ResourceValidationPolicy = {
  name: "api-stage-access-logs",
  description: "HTTP API stages write access logs (a destination log group and a format).",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== STAGE) return;
    const logs = args.props.accessLogSettings as { destinationArn?: string; format?: string } | undefined;
    if (!(logs?.destinationArn && logs.format))
      reportViolation(`${args.name} writes no access logs; set accessLogSettings { destinationArn, format }`);
  },
};

export const apiRouteAuthorization: ResourceValidationPolicy = {
  name: "api-route-authorization",
  description:
    "Every HTTP API route is authorized (AWS_IAM, JWT or a Lambda authorizer); none is open to the internet.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== ROUTE) return;
    const type = args.props.authorizationType;
    if (type !== "AWS_IAM" && type !== "JWT" && type !== "CUSTOM")
      reportViolation(
        `${args.name} (${String(args.props.routeKey)}) is open: authorizationType ${String(type ?? "NONE")}; use AWS_IAM or JWT`,
      );
  },
};

/** Whether a schedule's target is a Lambda function (by ARN, or through the engine's dependency on one). */
function targetsFunction(schedule: PolicyResource): boolean {
  const arn = (schedule.props.target as { arn?: unknown } | undefined)?.arn;
  if (typeof arn === "string") return /^arn:[^:]+:lambda:/.test(arn);
  // In a preview the ARN of a function being created is not known yet: the engine still says what it refers to.
  return (schedule.propertyDependencies?.target ?? []).some((d) => d.type === FUNCTION);
}

export const scheduleFunctionDeadLetter: StackValidationPolicy = {
  name: "schedule-function-dead-letter",
  description:
    "EventBridge Scheduler schedules that invoke a Lambda function (asynchronously) have a dead-letter queue, so an invocation the scheduler could not deliver after its retries is kept.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    for (const schedule of args.resources.filter((r) => r.type === SCHEDULE)) {
      if (!targetsFunction(schedule)) continue;
      const target = schedule.props.target as { deadLetterConfig?: { arn?: string } } | undefined;
      if (!target?.deadLetterConfig?.arn)
        reportViolation(
          `${schedule.name} invokes a function without a dead-letter queue; set target.deadLetterConfig { arn }`,
          schedule.urn,
        );
    }
  },
};

export const sqsQueueEncryption: ResourceValidationPolicy = {
  name: "sqs-queue-encryption",
  description: "SQS queues (dead-letter queues hold readings and failure records) are encrypted at rest.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== QUEUE) return;
    if (!args.props.kmsMasterKeyId && args.props.sqsManagedSseEnabled !== true)
      reportViolation(
        `${args.name} is not encrypted; set kmsMasterKeyId (the lake key) or sqsManagedSseEnabled`,
      );
  },
};

export const streamingPolicies = [
  kinesisStreamEncrypted,
  kinesisStreamKms,
  dynamoDbTableKms,
  dynamoDbPointInTimeRecovery,
  streamMappingFailureHandling,
  streamMappingPartialFailures,
  apiStageThrottling,
  apiStageAccessLogs,
  apiRouteAuthorization,
  scheduleFunctionDeadLetter,
  sqsQueueEncryption,
];
