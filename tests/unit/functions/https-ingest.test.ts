// POST /readings beyond validation (validation-parity.test.ts covers that): limits, Firehose as the target,
// records the stream refuses in part (retried) or in whole (answered per reading, never dropped).
import { expect } from "chai";
import { mockClient } from "aws-sdk-client-mock";
import { FirehoseClient, PutRecordBatchCommand } from "@aws-sdk/client-firehose";
import { KinesisClient, PutRecordsCommand } from "@aws-sdk/client-kinesis";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { ingestEnvironment } from "../../../components/api/routes";
import {
  MAX_QUARANTINED_PAYLOAD_BYTES,
  quarantineRecord,
} from "../../../components/ingest/reading-validation";
import { createIngestHandler, ingestSettingsFromEnv } from "../../../functions/https-ingest/handler";
import type { IngestResponseBody } from "../../../functions/https-ingest/ingest";

const AT = Date.UTC(2026, 11, 7, 10);
const valid = (seq: number, extra: Record<string, unknown> = {}) => ({
  device_id: "gw-1",
  room_id: "lab",
  ts: AT - 1000,
  seq,
  temperature_c: 21,
  ...extra,
});
const post = (body: unknown): APIGatewayProxyEventV2 =>
  ({
    version: "2.0",
    routeKey: "POST /readings",
    rawPath: "/readings",
    headers: {},
    isBase64Encoded: false,
    body: typeof body === "string" ? body : JSON.stringify(body),
    requestContext: { timeEpoch: AT },
  }) as unknown as APIGatewayProxyEventV2;
const answer = async (handler: ReturnType<typeof createIngestHandler>, body: unknown) => {
  const response = await handler(post(body));
  return { status: response.statusCode, body: JSON.parse(response.body!) as IngestResponseBody };
};

describe("HTTPS ingest function", function () {
  const kinesis = mockClient(KinesisClient);
  const firehose = mockClient(FirehoseClient);
  const clients = {
    kinesis: new KinesisClient({ region: "eu-west-1" }),
    firehose: new FirehoseClient({ region: "eu-west-1" }),
    sleep: async () => undefined,
  };
  const env = ingestEnvironment({
    rooms: ["lab", "office"],
    maxBatchSize: 3,
    targets: { telemetry: { kind: "kinesis", streamName: "ingest" }, quarantineDeliveryStream: "quarantine" },
  });
  const toStream = createIngestHandler(ingestSettingsFromEnv(env), clients);
  const toFirehose = createIngestHandler(
    ingestSettingsFromEnv({ ...env, TELEMETRY_TARGET: "firehose:sensors-dev-telemetry" }),
    clients,
  );
  const firehoseOk = (input: { Records: unknown[] }) => ({
    FailedPutCount: 0,
    RequestResponses: input.Records.map(() => ({ RecordId: "r" })),
  });
  beforeEach(function () {
    kinesis.reset();
    firehose.reset();
    firehose.on(PutRecordBatchCommand).callsFake(firehoseOk);
  });

  it("reads its settings from the environment the component builds, naming a bad variable", function () {
    expect(ingestSettingsFromEnv(env)).to.deep.equal({
      rooms: ["lab", "office"],
      maxBatchSize: 3,
      targets: {
        telemetry: { kind: "kinesis", streamName: "ingest" },
        quarantineDeliveryStream: "quarantine",
      },
    });
    expect(() => ingestSettingsFromEnv({ ...env, TELEMETRY_TARGET: "s3:bucket" })).to.throw(
      'environment variable TELEMETRY_TARGET must be kinesis:<stream> or firehose:<delivery stream> (got "s3:bucket")',
    );
  });

  it("refuses an empty or too large batch without keeping anything, and says how to fix it", async function () {
    expect(await answer(toStream, [])).to.deep.equal({
      status: 400,
      body: { error: "the batch is empty: send at least one reading" },
    });
    const big = await answer(toStream, [valid(1), valid(2), valid(3), valid(4)]);
    expect(big).to.deep.equal({
      status: 413,
      body: { error: "the batch has 4 readings; the limit is 3: split it into several requests" },
    });
    expect(firehose.commandCalls(PutRecordBatchCommand)).to.have.length(0);
  });

  it("sends a single reading to the telemetry delivery stream, newline-terminated, when there is no ingest stream", async function () {
    const { status, body } = await answer(toFirehose, valid(7));
    expect(status).to.equal(200);
    expect(body.results).to.deep.equal([{ index: 0, status: "accepted", device_id: "gw-1", seq: 7 }]);
    const [call] = firehose.commandCalls(PutRecordBatchCommand);
    expect(call!.args[0].input.DeliveryStreamName).to.equal("sensors-dev-telemetry");
    const data = Buffer.from(call!.args[0].input.Records![0]!.Data!).toString();
    expect(data.endsWith("\n")).to.equal(true);
    expect(JSON.parse(data)).to.deep.equal({ ...valid(7), received_at: AT });
  });

  it("retries the records Kinesis refused and answers 200 once they are in", async function () {
    let calls = 0;
    kinesis.on(PutRecordsCommand).callsFake((input: { Records: { PartitionKey: string }[] }) => {
      calls++;
      return {
        FailedRecordCount: calls === 1 ? 1 : 0,
        Records: input.Records.map((_, i) =>
          calls === 1 && i === 1
            ? { ErrorCode: "ProvisionedThroughputExceededException", ErrorMessage: "slow down" }
            : { SequenceNumber: String(i), ShardId: "s" },
        ),
      };
    });
    const { status, body } = await answer(toStream, [valid(1), valid(2), valid(3, { room_id: "cellar" })]);
    expect(status).to.equal(200);
    expect(body).to.deep.include({ accepted: 2, quarantined: 1, failed: 0 });
    const calls2 = kinesis.commandCalls(PutRecordsCommand);
    expect(calls2.map((c) => c.args[0].input.Records!.length)).to.deep.equal([2, 1]);
    expect(calls2[0]!.args[0].input.Records![0]!.PartitionKey).to.equal("gw-1");
  });

  it("answers 503 with the readings it could not deliver marked failed, the others accepted", async function () {
    kinesis
      .on(PutRecordsCommand)
      .rejects(Object.assign(new Error("service unavailable"), { name: "InternalFailure" }));
    const response = await toStream(post([valid(1), valid(2, { temperature_c: 500 })]));
    const body = JSON.parse(response.body!) as IngestResponseBody;
    expect(response.statusCode).to.equal(503);
    expect(response.headers).to.include({ "retry-after": "1" });
    expect(body.results).to.deep.equal([
      { index: 0, status: "failed", device_id: "gw-1", reason: "InternalFailure: service unavailable" },
      { index: 1, status: "quarantined", device_id: "gw-1", reason: "temperature_c: above 125" },
    ]);
    expect(kinesis.commandCalls(PutRecordsCommand)).to.have.length(4);
  });

  it("does not retry a call refused for good (access denied): one call, every reading marked failed with why", async function () {
    kinesis.on(PutRecordsCommand).rejects(
      Object.assign(new Error("not authorized to perform kinesis:PutRecords"), {
        name: "AccessDeniedException",
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const response = await toStream(post([valid(1), valid(2)]));
    const body = JSON.parse(response.body!) as IngestResponseBody;
    expect(response.statusCode).to.equal(503);
    expect(body.results.map((r) => [r.status, r.reason])).to.deep.equal([
      ["failed", "AccessDeniedException: not authorized to perform kinesis:PutRecords"],
      ["failed", "AccessDeniedException: not authorized to perform kinesis:PutRecords"],
    ]);
    expect(kinesis.commandCalls(PutRecordsCommand)).to.have.length(1);
  });

  it("quarantines a reading larger than IoT Core's message limit, keeping it whole", async function () {
    const huge = valid(1, { note: "x".repeat(140 * 1024) });
    const { body } = await answer(toStream, [huge]);
    expect(body.results[0]).to.deep.equal({
      index: 0,
      status: "quarantined",
      device_id: "gw-1",
      reason: "payload: larger than 131072 bytes",
    });
    const record = JSON.parse(
      Buffer.from(
        firehose.commandCalls(PutRecordBatchCommand)[0]!.args[0].input.Records![0]!.Data!,
      ).toString(),
    ) as { payload_base64: string };
    expect(JSON.parse(Buffer.from(record.payload_base64, "base64").toString())).to.deep.equal(huge);
  });

  it("refuses (413) what quarantine could not keep whole in one Firehose record, keeping nothing", async function () {
    // Firehose takes records of at most 1,000 KiB; a payload travels base64-encoded, 4/3 of its size.
    const notJson = await answer(toStream, "x".repeat(MAX_QUARANTINED_PAYLOAD_BYTES + 1));
    expect(notJson.status).to.equal(413);
    expect(notJson.body.error).to.contain("not JSON").and.to.contain(String(MAX_QUARANTINED_PAYLOAD_BYTES));
    const giant = valid(2, { note: "x".repeat(MAX_QUARANTINED_PAYLOAD_BYTES) });
    const oneTooLarge = await answer(toStream, [valid(1), giant]);
    expect(oneTooLarge.status).to.equal(413);
    expect(oneTooLarge.body.error).to.match(/^reading 1 is \d+ bytes/);
    expect(firehose.commandCalls(PutRecordBatchCommand)).to.have.length(0);
    expect(kinesis.commandCalls(PutRecordsCommand)).to.have.length(0);
    // The largest payload kept whole makes a record Firehose takes.
    const record = quarantineRecord({
      source: "https",
      receivedAt: AT,
      reason: "payload: not JSON",
      payload: Buffer.alloc(MAX_QUARANTINED_PAYLOAD_BYTES, 0xff),
    });
    expect(Buffer.byteLength(JSON.stringify(record) + "\n")).to.be.at.most(1000 * 1024);
  });

  it("keeps the first bytes of a larger payload in quarantine and says so (the poller's responses)", function () {
    const payload = Buffer.alloc(MAX_QUARANTINED_PAYLOAD_BYTES + 10, 0x61);
    const record = quarantineRecord({
      source: "poller",
      receivedAt: AT,
      reason: "payload: not JSON",
      payload,
    });
    expect(Buffer.from(record.payload_base64, "base64")).to.have.length(MAX_QUARANTINED_PAYLOAD_BYTES);
    expect(record.reason).to.equal(
      `payload: not JSON (the first ${MAX_QUARANTINED_PAYLOAD_BYTES} of ${MAX_QUARANTINED_PAYLOAD_BYTES + 10} bytes kept)`,
    );
  });
});
