// The policy rules of the ingest sources, each both ways: a resource the platform deploys passes, and the same
// resource with the control removed is reported with its fix.
import { expect } from "chai";
import {
  apiRouteAuthorization,
  apiStageAccessLogs,
  apiStageThrottling,
  dynamoDbPointInTimeRecovery,
  dynamoDbTableKms,
  kinesisStreamKms,
  scheduleFunctionDeadLetter,
  sqsQueueEncryption,
  streamMappingFailureHandling,
  streamMappingPartialFailures,
} from "../../../policies/rules/streaming";
import { fakeResource, violationsOf } from "../../helpers/policy";

const KEY = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const STREAM_ARN = "arn:aws:kinesis:eu-west-1:111122223333:stream/ingest";
const QUEUE_ARN = "arn:aws:sqs:eu-west-1:111122223333:dlq";
const FUNCTION_ARN = "arn:aws:lambda:eu-west-1:111122223333:function:poller";

describe("policy pack: ingest source rules", function () {
  it("kinesis-stream-kms: streams encrypt with a customer-managed key", async function () {
    const stream = (inputs: Record<string, unknown>) =>
      fakeResource("aws:kinesis/stream:Stream", "ingest", inputs);
    expect(
      await violationsOf(kinesisStreamKms, [stream({ encryptionType: "KMS", kmsKeyId: KEY })]),
    ).to.deep.equal([]);
    expect(await violationsOf(kinesisStreamKms, [stream({})])).to.deep.equal([
      'ingest does not encrypt records with a customer-managed key (encryptionType NONE, kmsKeyId none); set encryptionType: "KMS" and kmsKeyId to the lake key',
    ]);
    expect(
      await violationsOf(kinesisStreamKms, [
        stream({ encryptionType: "KMS", kmsKeyId: "alias/aws/kinesis" }),
      ]),
    ).to.have.length(1);
  });

  it("dynamodb-table-kms and point-in-time recovery", async function () {
    const table = (inputs: Record<string, unknown>) =>
      fakeResource("aws:dynamodb/table:Table", "realtime", inputs);
    const good = table({
      serverSideEncryption: { enabled: true, kmsKeyArn: KEY },
      pointInTimeRecovery: { enabled: true },
    });
    expect(await violationsOf(dynamoDbTableKms, [good])).to.deep.equal([]);
    expect(await violationsOf(dynamoDbPointInTimeRecovery, [good])).to.deep.equal([]);
    expect(
      await violationsOf(dynamoDbTableKms, [table({ serverSideEncryption: { enabled: true } })]),
    ).to.deep.equal([
      "realtime is not encrypted with a customer-managed key; set serverSideEncryption { enabled: true, kmsKeyArn }",
    ]);
    expect(await violationsOf(dynamoDbPointInTimeRecovery, [table({})])).to.deep.equal([
      "realtime has no point-in-time recovery; set pointInTimeRecovery { enabled: true }",
    ]);
  });

  it("stream mappings: an on-failure destination, bounded retries, bisect, partial batch failures", async function () {
    const mapping = (inputs: Record<string, unknown>) =>
      fakeResource("aws:lambda/eventSourceMapping:EventSourceMapping", "consumer", {
        eventSourceArn: STREAM_ARN,
        startingPosition: "TRIM_HORIZON",
        ...inputs,
      });
    const good = mapping({
      destinationConfig: { onFailure: { destinationArn: QUEUE_ARN } },
      maximumRetryAttempts: 3,
      bisectBatchOnFunctionError: true,
      functionResponseTypes: ["ReportBatchItemFailures"],
    });
    expect(await violationsOf(streamMappingFailureHandling, [good])).to.deep.equal([]);
    expect(await violationsOf(streamMappingPartialFailures, [good])).to.deep.equal([]);
    expect(
      await violationsOf(streamMappingFailureHandling, [mapping({ maximumRetryAttempts: -1 })]),
    ).to.deep.equal([
      "consumer: no destinationConfig.onFailure (failed batches are dropped); retries are unbounded (set maximumRetryAttempts or maximumRecordAgeInSeconds); bisectBatchOnFunctionError is not true",
    ]);
    expect(await violationsOf(streamMappingPartialFailures, [mapping({})])).to.deep.equal([
      "consumer: functionResponseTypes lacks ReportBatchItemFailures",
    ]);
    // A queue source is not a stream: neither rule applies.
    const sqs = fakeResource("aws:lambda/eventSourceMapping:EventSourceMapping", "queue", {
      eventSourceArn: QUEUE_ARN,
    });
    expect(await violationsOf(streamMappingFailureHandling, [sqs])).to.deep.equal([]);
  });

  it("HTTP API stages throttle and log access; routes are authorized", async function () {
    const stage = (inputs: Record<string, unknown>) =>
      fakeResource("aws:apigatewayv2/stage:Stage", "stage", inputs);
    const good = stage({
      defaultRouteSettings: { throttlingRateLimit: 50, throttlingBurstLimit: 100 },
      accessLogSettings: {
        destinationArn: "arn:aws:logs:eu-west-1:111122223333:log-group:access",
        format: "{}",
      },
    });
    expect(await violationsOf(apiStageThrottling, [good])).to.deep.equal([]);
    expect(await violationsOf(apiStageAccessLogs, [good])).to.deep.equal([]);
    expect(
      await violationsOf(apiStageThrottling, [stage({ defaultRouteSettings: { throttlingRateLimit: 50 } })]),
    ).to.deep.equal([
      "stage does not throttle its routes; set defaultRouteSettings { throttlingRateLimit, throttlingBurstLimit } (httpApi rateLimit and burstLimit)",
    ]);
    expect(await violationsOf(apiStageAccessLogs, [stage({})])).to.deep.equal([
      "stage writes no access logs; set accessLogSettings { destinationArn, format }",
    ]);
    const route = (inputs: Record<string, unknown>) =>
      fakeResource("aws:apigatewayv2/route:Route", "post", { routeKey: "POST /readings", ...inputs });
    expect(
      await violationsOf(apiRouteAuthorization, [
        route({ authorizationType: "JWT" }),
        route({ authorizationType: "AWS_IAM" }),
      ]),
    ).to.deep.equal([]);
    expect(await violationsOf(apiRouteAuthorization, [route({})])).to.deep.equal([
      "post (POST /readings) is open: authorizationType NONE; use AWS_IAM or JWT",
    ]);
  });

  it("schedule-function-dead-letter: a schedule invoking a function keeps what it could not deliver", async function () {
    const schedule = (
      target: Record<string, unknown>,
      deps: Record<string, ReturnType<typeof fakeResource>[]> = {},
    ) => fakeResource("aws:scheduler/schedule:Schedule", "poll", { target }, deps);
    expect(
      await violationsOf(scheduleFunctionDeadLetter, [
        schedule({ arn: FUNCTION_ARN, deadLetterConfig: { arn: QUEUE_ARN } }),
      ]),
    ).to.deep.equal([]);
    expect(await violationsOf(scheduleFunctionDeadLetter, [schedule({ arn: FUNCTION_ARN })])).to.deep.equal([
      "poll invokes a function without a dead-letter queue; set target.deadLetterConfig { arn }",
    ]);
    // In a preview the function's ARN is unknown: the dependency still identifies the target.
    const fn = fakeResource("aws:lambda/function:Function", "poller", {});
    expect(
      await violationsOf(scheduleFunctionDeadLetter, [fn, schedule({}, { target: [fn] })]),
    ).to.have.length(1);
    // A schedule starting a state machine is not a function invocation.
    const machine = schedule({ arn: "arn:aws:states:eu-west-1:111122223333:stateMachine:etl" });
    expect(await violationsOf(scheduleFunctionDeadLetter, [machine])).to.deep.equal([]);
  });

  it("sqs-queue-encryption: queues are encrypted with KMS or SSE-SQS", async function () {
    const queue = (inputs: Record<string, unknown>) => fakeResource("aws:sqs/queue:Queue", "dlq", inputs);
    expect(
      await violationsOf(sqsQueueEncryption, [
        queue({ kmsMasterKeyId: KEY }),
        queue({ sqsManagedSseEnabled: true }),
      ]),
    ).to.deep.equal([]);
    expect(await violationsOf(sqsQueueEncryption, [queue({})])).to.deep.equal([
      "dlq is not encrypted; set kmsMasterKeyId (the lake key) or sqsManagedSseEnabled",
    ]);
  });
});
