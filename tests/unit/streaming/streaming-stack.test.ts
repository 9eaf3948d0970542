// The streaming stack (Pulumi.streaming.yaml: ingestStream kinesis, the HTTP API with JWT, one poller) under
// mocks: a KMS-encrypted stream that the topic rule writes and Firehose reads, a DynamoDB table with TTL kept by
// the consumer's event source mapping, an HTTP API with authorization, throttling and access logs, a
// scheduler-driven poller with a dead-letter queue, and no mandatory policy violation. A variant without the
// stream and with IAM authorization shows the options are independent.
import { expect } from "chai";
import { parsePlatformConfig } from "../../../components/config";
import { evaluatePolicies } from "../../../policies/harness";
import { runPlatform, stackConfig, type Recorded, type ProgramRun } from "../../helpers/mocks";
import type { PlatformConfig } from "../../../components/config";

type Run = ProgramRun<PlatformConfig> & Recorded;
const STREAM = "aws:kinesis/stream:Stream";
const FIREHOSE = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream";
const RULE = "aws:iot/topicRule:TopicRule";
const TABLE = "aws:dynamodb/table:Table";
const MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping";
const ROUTE = "aws:apigatewayv2/route:Route";
const SCHEDULE = "aws:scheduler/schedule:Schedule";
const FUNCTION = "aws:lambda/function:Function";
const env = (run: Run, name: string) =>
  (run.named(FUNCTION, name).inputs.environment as { variables: Record<string, string> }).variables;
const doc = (run: Run, name: string) =>
  run.documents.find((d) => d.name === name)!.content as {
    Statement: { Sid: string; Action: string | string[]; Resource: string | string[] }[];
  };

describe("streaming stack: the ingest stream, real-time aggregates, HTTP API and pollers", function () {
  let streaming: Run;
  let plain: Run;
  before(async function () {
    streaming = await runPlatform("streaming");
    plain = await runPlatform("streaming", {
      ingestStream: "none",
      ingestStreamSettings: {},
      httpApi: { authorization: "iam", rateLimit: 20, burstLimit: 40 },
    });
  });

  it("encrypts the ingest stream with the lake key; the topic rule writes it by device and Firehose reads it into the lake", function () {
    const [stream] = streaming.ofType(STREAM);
    const keyArn = streaming.ofType("aws:kms/key:Key")[0]!.state.arn;
    expect(stream!.inputs).to.deep.include({ encryptionType: "KMS", kmsKeyId: keyArn, retentionPeriod: 48 });
    expect(stream!.inputs.streamModeDetails).to.deep.equal({ streamMode: "ON_DEMAND" });
    const rule = streaming.named(RULE, "sensors-streaming-telemetry-rules-telemetry").inputs;
    expect(rule.firehoses).to.equal(undefined);
    expect(rule.kineses).to.deep.equal([
      {
        streamName: stream!.state.name,
        partitionKey: "${topic(4)}",
        roleArn: (rule.kineses as { roleArn: string }[])[0]!.roleArn,
      },
    ]);
    // Quarantine keeps going straight to its delivery stream.
    expect(
      streaming.named(RULE, "sensors-streaming-telemetry-rules-quarantine").inputs.firehoses,
    ).to.have.length(1);
    const telemetry = streaming.named(
      FIREHOSE,
      "sensors-streaming-telemetry-firehose-telemetry-stream",
    ).inputs;
    expect(telemetry.kinesisSourceConfiguration).to.deep.include({ kinesisStreamArn: stream!.state.arn });
    expect(telemetry.serverSideEncryption).to.equal(undefined);
    // Partitioning, Parquet and the error output are those of the direct stream.
    const s3 = telemetry.extendedS3Configuration as Record<string, unknown>;
    expect(s3.prefix).to.equal(
      "telemetry/room_id=!{partitionKeyFromQuery:room_id}/dt=!{partitionKeyFromQuery:dt}/",
    );
    expect(s3.errorOutputPrefix).to.match(/!\{firehose:error-output-type\}/);
    expect((s3.dataFormatConversionConfiguration as { enabled: boolean }).enabled).to.equal(true);
    const firehoseRole = doc(streaming, "iam-firehose-telemetry-role");
    expect(firehoseRole.Statement.find((s) => s.Sid === "ReadSourceStream")!.Resource).to.equal(
      stream!.state.arn,
    );
    const ruleRole = doc(streaming, "iam-telemetry-rule-role");
    expect(ruleRole.Statement.map((s) => s.Sid)).to.include.members([
      "PutRecordsIntoIngestStream",
      "EncryptIngestRecords",
    ]);
  });

  it("keeps real-time aggregates in a KMS-encrypted table with TTL, fed by a bounded, bisecting mapping with a dead-letter destination", function () {
    const table = streaming.named(TABLE, "sensors-streaming-realtime-table").inputs;
    expect(table.ttl).to.deep.equal({ attributeName: "expiresAt", enabled: true });
    expect(table.serverSideEncryption).to.deep.equal({
      enabled: true,
      kmsKeyArn: streaming.ofType("aws:kms/key:Key")[0]!.state.arn,
    });
    expect(table.pointInTimeRecovery).to.deep.equal({ enabled: true });
    const [mapping] = streaming.ofType(MAPPING);
    const dlq = streaming.named("aws:sqs/queue:Queue", "sensors-streaming-realtime-dlq");
    expect(mapping!.inputs).to.deep.include({
      eventSourceArn: streaming.ofType(STREAM)[0]!.state.arn,
      batchSize: 200,
      maximumBatchingWindowInSeconds: 5,
      bisectBatchOnFunctionError: true,
      maximumRetryAttempts: 3,
      maximumRecordAgeInSeconds: 3600,
      parallelizationFactor: 1,
      startingPosition: "TRIM_HORIZON",
    });
    expect(mapping!.inputs.functionResponseTypes).to.deep.equal(["ReportBatchItemFailures"]);
    expect(mapping!.inputs.destinationConfig).to.deep.equal({ onFailure: { destinationArn: dlq.state.arn } });
    expect(dlq.inputs.kmsMasterKeyId).to.be.a("string");
    expect(env(streaming, "sensors-streaming-realtime-consumer")).to.deep.equal({
      REALTIME_TABLE: streaming.named(TABLE, "sensors-streaming-realtime-table").state.name,
      AGGREGATE_TTL_DAYS: "35",
      LATEST_TTL_DAYS: "14",
    });
  });

  it("serves an HTTP API whose every route has a JWT authorizer with its scopes, throttled, with KMS-encrypted access logs", function () {
    const routes = streaming.ofType(ROUTE).map((r) => r.inputs);
    expect(routes.map((r) => r.routeKey).sort()).to.deep.equal([
      "GET /devices/{id}/latest",
      "GET /rooms/{room}/summary",
      "POST /readings",
    ]);
    const authorizer = streaming.ofType("aws:apigatewayv2/authorizer:Authorizer")[0]!;
    expect(authorizer.inputs.jwtConfiguration).to.deep.equal({
      issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example123",
      audiences: ["sensor-gateways"],
    });
    for (const r of routes) {
      expect(r.authorizationType, String(r.routeKey)).to.equal("JWT");
      expect(r.authorizerId).to.equal(authorizer.id);
      expect(r.authorizationScopes).to.deep.equal(
        r.routeKey === "POST /readings" ? ["telemetry/write"] : ["telemetry/read"],
      );
    }
    const stage = streaming.ofType("aws:apigatewayv2/stage:Stage")[0]!.inputs;
    expect(stage.defaultRouteSettings).to.deep.include({
      throttlingRateLimit: 50,
      throttlingBurstLimit: 100,
    });
    const logs = streaming.named("aws:cloudwatch/logGroup:LogGroup", "sensors-streaming-api-access-logs");
    expect((stage.accessLogSettings as { destinationArn: string }).destinationArn).to.equal(logs.state.arn);
    expect(logs.inputs).to.deep.include({
      retentionInDays: 14,
      kmsKeyId: streaming.ofType("aws:kms/key:Key")[0]!.state.arn,
    });
    // Valid readings go to the stream; the latest-state function only reads the table.
    expect(env(streaming, "sensors-streaming-api-ingest").TELEMETRY_TARGET).to.equal(
      `kinesis:${streaming.ofType(STREAM)[0]!.state.name}`,
    );
    const read = doc(streaming, "iam-api-latest-state-function").Statement.find(
      (s) => s.Sid === "ReadRealtimeTable",
    )!;
    expect(read.Action).to.deep.equal(["dynamodb:GetItem", "dynamodb:Query"]);
  });

  it("polls on an EventBridge Scheduler schedule with retries and a KMS dead-letter queue; the function keeps one poll at a time", function () {
    const schedule = streaming.named(SCHEDULE, "sensors-streaming-pollers-roof-weather-schedule").inputs;
    const dlq = streaming.named("aws:sqs/queue:Queue", "sensors-streaming-pollers-roof-weather-dlq");
    const fn = streaming.named(FUNCTION, "sensors-streaming-pollers-roof-weather");
    expect(schedule.scheduleExpression).to.equal("rate(2 minutes)");
    expect(schedule.target).to.deep.include({
      arn: fn.state.arn,
      retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 3600 },
      deadLetterConfig: { arn: dlq.state.arn },
    });
    expect(fn.inputs.reservedConcurrentExecutions).to.equal(1);
    expect(fn.inputs.deadLetterConfig).to.deep.equal({ targetArn: dlq.state.arn });
    const poller = JSON.parse(env(streaming, "sensors-streaming-pollers-roof-weather").POLLER) as {
      url: string;
      mapping: { records: string };
    };
    expect(poller.url).to.equal("https://weather.example.com/v1/stations/roof-1/observations?latest=10");
    expect(poller.mapping.records).to.equal("$.observations[*]");
    const policy = doc(streaming, "iam-poller-roof-weather-function");
    expect(policy.Statement.find((s) => s.Sid === "ReadCredentials")!.Resource).to.equal(
      "arn:aws:secretsmanager:eu-west-1:111122223333:secret:roof-weather-api-AbCdEf",
    );
    expect(streaming.named(TABLE, "sensors-streaming-pollers-dedup").inputs.ttl).to.deep.equal({
      attributeName: "expiresAt",
      enabled: true,
    });
  });

  it("has no mandatory policy violation", async function () {
    const report = await evaluatePolicies(streaming.resources);
    expect(report.mandatory).to.deep.equal([]);
    expect(report.results.map((r) => r.policy)).to.include.members([
      "kinesis-stream-kms",
      "api-route-authorization",
      "schedule-function-dead-letter",
    ]);
    expect((await evaluatePolicies(plain.resources)).mandatory).to.deep.equal([]);
  });

  it("without the stream: readings go to the telemetry delivery stream, ingestion only, IAM routes and client policies", function () {
    expect(plain.ofType(STREAM)).to.have.length(0);
    expect(plain.ofType(MAPPING)).to.have.length(0);
    expect(plain.ofType(TABLE).map((t) => t.name)).to.deep.equal(["sensors-streaming-pollers-dedup"]);
    const telemetry = plain.named(FIREHOSE, "sensors-streaming-telemetry-firehose-telemetry-stream");
    expect(env(plain, "sensors-streaming-api-ingest").TELEMETRY_TARGET).to.equal(
      `firehose:${telemetry.state.name}`,
    );
    expect(env(plain, "sensors-streaming-pollers-roof-weather").TELEMETRY_TARGET).to.equal(
      `firehose:${telemetry.state.name}`,
    );
    const routes = plain.ofType(ROUTE).map((r) => r.inputs);
    expect(routes.map((r) => [r.routeKey, r.authorizationType])).to.deep.equal([
      ["POST /readings", "AWS_IAM"],
    ]);
    const client = plain.named("aws:iam/policy:Policy", "sensors-streaming-api-ingest-client");
    const apiId = plain.ofType("aws:apigatewayv2/api:Api")[0]!.id;
    expect(JSON.parse(client.inputs.policy as string)).to.deep.equal({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "PostReadings",
          Effect: "Allow",
          Action: "execute-api:Invoke",
          Resource: [`arn:aws:execute-api:eu-west-1:111122223333:${apiId}/$default/POST/readings`],
        },
      ],
    });
  });

  it("leaves the shipped stacks as they were: no stream, no API, no pollers unless a stack sets them", function () {
    for (const stack of ["dev", "prod", "loadtest"]) {
      const config = parsePlatformConfig(stackConfig(stack));
      expect([config.ingestStream, config.httpApi, config.pollers], stack).to.deep.equal([
        undefined,
        undefined,
        [],
      ]);
    }
  });
});
