// Validation parity: the HTTPS ingest function and the topic rules judge every reading alike. The same mutated
// readings go (a) as MQTT payloads through the rule SQL, evaluated by the local IoT SQL evaluator (local/rule/),
// (b) through the TypeScript evaluation of the same generated checks, and (c) through the HTTPS handler with
// aws-sdk-client-mock clients; verdicts, reasons, accepted records and quarantined bytes must agree.
import { expect } from "chai";
import { mockClient } from "aws-sdk-client-mock";
import { FirehoseClient, PutRecordBatchCommand } from "@aws-sdk/client-firehose";
import { KinesisClient, PutRecordsCommand } from "@aws-sdk/client-kinesis";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { NOT_JSON_REASON } from "../../../components/iot/rule-sql";
import {
  decodeReadingPayload,
  ruleVerdict,
  type ReadingVerdict,
} from "../../../components/ingest/reading-validation";
import { PAYLOAD_FIELDS } from "../../../components/telemetry/schema";
import { dataTopic } from "../../../components/telemetry/topics";
import { Prng } from "../../../devices/prng";
import { createIngestHandler } from "../../../functions/https-ingest/handler";
import type { IngestResponseBody } from "../../../functions/https-ingest/ingest";
import { TopicRules } from "../../../local/rule/topic-rules";

const DEPLOYMENT = "sensors-dev";
const DEVICE = "sensors-dev-lab-001";
const ROOM = "lab";
const RECEIVED_AT = Date.UTC(2026, 11, 7, 9, 30, 0);
const BASE: Record<string, unknown> = {
  device_id: DEVICE,
  room_id: ROOM,
  ts: Date.UTC(2026, 11, 7, 9, 29, 58),
  seq: 1042,
  temperature_c: 21.37,
  humidity_pct: 41.5,
  battery_pct: 87.2,
  rssi_dbm: -61,
  status: "ok",
};

/** Values a field is replaced with: every type, the bounds and just past them, non-integers. */
function fieldMutations(name: string): unknown[] {
  const field = PAYLOAD_FIELDS.find((f) => f.name === name)!;
  const values: unknown[] = [
    null,
    "text",
    "12.5",
    "",
    true,
    false,
    {},
    [],
    [1],
    { value: 1 },
    0,
    -1,
    1.5,
    1e308,
    -1e308,
  ];
  if (field.min !== undefined) values.push(field.min, field.min - 1, field.min - 0.001, field.min + 0.5);
  if (field.max !== undefined) values.push(field.max, field.max + 1, field.max + 0.001, field.max - 0.5);
  if (field.allowed) values.push(...field.allowed, "OK", "broken", " ok");
  if (field.origin === "topic") values.push("sensors-dev-office-002", "office", DEVICE, ROOM, "lab/001");
  return values;
}

type Case =
  { readonly label: string; readonly value: unknown } | { readonly label: string; readonly bytes: Buffer };

function cases(): Case[] {
  const out: Case[] = [{ label: "the base reading", value: BASE }];
  for (const field of PAYLOAD_FIELDS) {
    const { [field.name]: _removed, ...without } = BASE;
    out.push({ label: `${field.name} removed`, value: without });
    for (const v of fieldMutations(field.name))
      out.push({ label: `${field.name} = ${JSON.stringify(v)}`, value: { ...BASE, [field.name]: v } });
  }
  out.push({ label: "an extra field", value: { ...BASE, firmware: "1.2.3" } });
  for (const v of [42, null, true, [], [BASE], {}, { nested: BASE }])
    out.push({ label: `payload ${JSON.stringify(v)}`, value: v });
  for (const text of ['{"ts": 1', "hello", "", '"a JSON string"', "NaN", "{'single': 'quotes'}"])
    out.push({ label: `not JSON: ${JSON.stringify(text)}`, bytes: Buffer.from(text) });
  out.push({ label: "not JSON: invalid UTF-8", bytes: Buffer.from([0xff, 0xfe, 0x7b, 0x7d]) });
  // Several mutations at once, drawn from a seeded stream so every run tests the same readings.
  const prng = new Prng("validation-parity", "combinations");
  for (let i = 0; i < 300; i++) {
    const reading: Record<string, unknown> = { ...BASE };
    const changes: string[] = [];
    for (let k = 0; k < 1 + (prng.nextUint32() % 3); k++) {
      const field = PAYLOAD_FIELDS[prng.nextUint32() % PAYLOAD_FIELDS.length]!.name;
      const options = [undefined, ...fieldMutations(field)];
      const v = options[prng.nextUint32() % options.length];
      if (v === undefined) delete reading[field];
      else reading[field] = v;
      changes.push(`${field}=${JSON.stringify(v)}`);
    }
    out.push({ label: `combination ${changes.join(", ")}`, value: reading });
  }
  return out;
}

const bytesOf = (c: Case) => ("bytes" in c ? c.bytes : Buffer.from(JSON.stringify(c.value)));
const rules = new TopicRules(DEPLOYMENT);
const topic = dataTopic(DEPLOYMENT, ROOM, DEVICE);

/** The rule SQL's verdict, evaluated by the local IoT SQL evaluator. */
function sqlVerdict(c: Case): { verdict: ReadingVerdict; payloadBase64?: string } {
  const outcome = rules.route({ topic, payload: bytesOf(c), receivedAt: RECEIVED_AT });
  if (outcome.kind === "telemetry") return { verdict: { kind: "telemetry", record: outcome.record } };
  if (outcome.kind === "quarantine")
    return {
      verdict: { kind: "quarantine", reason: outcome.record.reason },
      payloadBase64: outcome.record.payload_base64,
    };
  throw new Error(`${c.label}: ignored by the rules`);
}

function event(body: Buffer): APIGatewayProxyEventV2 {
  return {
    version: "2.0",
    routeKey: "POST /readings",
    rawPath: "/readings",
    rawQueryString: "",
    headers: { "content-type": "application/json" },
    isBase64Encoded: true,
    body: body.toString("base64"),
    requestContext: { timeEpoch: RECEIVED_AT } as APIGatewayProxyEventV2["requestContext"],
  };
}

describe("validation parity: HTTPS ingest and the topic rules", function () {
  const all = cases();
  const kinesis = mockClient(KinesisClient);
  const firehose = mockClient(FirehoseClient);
  const handler = createIngestHandler(
    {
      rooms: ["lab", "office"],
      maxBatchSize: 500,
      targets: {
        telemetry: { kind: "kinesis", streamName: "ingest" },
        quarantineDeliveryStream: "quarantine",
      },
    },
    {
      kinesis: new KinesisClient({ region: "eu-west-1" }),
      firehose: new FirehoseClient({ region: "eu-west-1" }),
    },
  );

  beforeEach(function () {
    kinesis.reset();
    firehose.reset();
    kinesis.on(PutRecordsCommand).callsFake((input: { Records: unknown[] }) => ({
      Records: input.Records.map((_, i) => ({ SequenceNumber: String(i), ShardId: "shardId-000000000000" })),
    }));
    firehose.on(PutRecordBatchCommand).callsFake((input: { Records: unknown[] }) => ({
      FailedPutCount: 0,
      RequestResponses: input.Records.map((_, i) => ({ RecordId: String(i) })),
    }));
  });

  it(`tests a spread of readings: ${all.length} cases, valid and invalid for every check`, function () {
    const verdicts = all.map((c) => sqlVerdict(c).verdict);
    const reasons = new Set(
      verdicts.filter((v) => v.kind === "quarantine").map((v) => (v as { reason: string }).reason),
    );
    expect(verdicts.filter((v) => v.kind === "telemetry").length).to.be.greaterThan(20);
    // Every check of the rules fires at least once (missing, types, ranges, enum, topic match, not JSON).
    for (const reason of [
      "ts: missing",
      "seq: not an integer",
      "temperature_c: above 125",
      "rssi_dbm: below -130",
      "status: not one of ok|degraded|fault",
      "humidity_pct: not a number",
      "room_id: not a string",
      NOT_JSON_REASON,
    ])
      expect([...reasons], reason).to.include(reason);
    expect([...reasons].some((r) => r.startsWith("device_id: does not match topic"))).to.equal(true);
  });

  it("the TypeScript evaluation of the generated checks gives the rule SQL's verdict, reason and record on every case", function () {
    for (const c of all) {
      const decoded = decodeReadingPayload(bytesOf(c));
      const ts = decoded.json
        ? ruleVerdict(decoded.value, { deviceId: DEVICE, roomId: ROOM }, RECEIVED_AT)
        : { kind: "quarantine", reason: NOT_JSON_REASON };
      expect(ts, c.label).to.deep.equal(sqlVerdict(c).verdict);
    }
  });

  it("the HTTPS handler answers each reading of a batch as the rules route it, and sends the same records", async function () {
    // Readings that name the topic's identity themselves (HTTPS has no topic: identity comes from the reading).
    const own = all.filter(
      (c): c is { label: string; value: Record<string, unknown> } =>
        "value" in c &&
        typeof c.value === "object" &&
        c.value !== null &&
        !Array.isArray(c.value) &&
        (c.value as Record<string, unknown>).device_id === DEVICE &&
        (c.value as Record<string, unknown>).room_id === ROOM,
    );
    expect(own.length).to.be.greaterThan(200);
    const response = await handler(event(Buffer.from(JSON.stringify(own.map((c) => c.value)))));
    expect(response.statusCode).to.equal(200);
    const body = JSON.parse(response.body!) as IngestResponseBody;
    const sent = kinesis
      .commandCalls(PutRecordsCommand)
      .flatMap((call) =>
        call.args[0].input.Records!.map((r) => JSON.parse(Buffer.from(r.Data!).toString()) as unknown),
      );
    const quarantined = firehose
      .commandCalls(PutRecordBatchCommand)
      .flatMap((call) =>
        call.args[0].input.Records!.map(
          (r) => JSON.parse(Buffer.from(r.Data!).toString()) as { reason: string; payload_base64: string },
        ),
      );
    let accepted = 0;
    let rejected = 0;
    own.forEach((c, i) => {
      const { verdict, payloadBase64 } = sqlVerdict(c);
      const result = body.results[i]!;
      if (verdict.kind === "telemetry") {
        expect(result.status, c.label).to.equal("accepted");
        expect(sent[accepted++], c.label).to.deep.equal(verdict.record);
      } else {
        expect({ status: result.status, reason: result.reason }, c.label).to.deep.equal({
          status: "quarantined",
          reason: verdict.reason,
        });
        const record = quarantined[rejected++]!;
        expect(record.reason, c.label).to.equal(verdict.reason);
        expect(record.payload_base64, c.label).to.equal(payloadBase64);
      }
    });
    expect(body.accepted).to.equal(accepted);
    expect(body.quarantined).to.equal(rejected);
    expect(sent).to.have.length(accepted);
  });

  it("a body that is not JSON is quarantined by HTTPS with the not-JSON rule's reason and the same bytes", async function () {
    for (const c of all.filter((c) => "bytes" in c)) {
      firehose.resetHistory();
      const response = await handler(event(bytesOf(c)));
      const { verdict, payloadBase64 } = sqlVerdict(c);
      expect(verdict, c.label).to.deep.equal({ kind: "quarantine", reason: NOT_JSON_REASON });
      expect(response.statusCode, c.label).to.equal(400);
      const [call] = firehose.commandCalls(PutRecordBatchCommand);
      const record = JSON.parse(Buffer.from(call!.args[0].input.Records![0]!.Data!).toString()) as Record<
        string,
        unknown
      >;
      expect(record, c.label).to.include({
        topic: "https/readings",
        reason: NOT_JSON_REASON,
        payload_base64: payloadBase64,
        received_at: RECEIVED_AT,
      });
    }
  });

  it("where the topic gives MQTT its identity, HTTPS requires the reading's own: present, a topic segment, a room of the stack", async function () {
    const items = [
      { ...BASE, device_id: undefined },
      { ...BASE, room_id: null },
      { ...BASE, device_id: 7 },
      { ...BASE, device_id: "lab/001" },
      { ...BASE, room_id: "cellar" },
      { ...BASE, room_id: "office", device_id: "gw-7" },
    ];
    const response = await handler(event(Buffer.from(JSON.stringify(items))));
    const body = JSON.parse(response.body!) as IngestResponseBody;
    expect(body.results.map((r) => r.reason ?? r.status)).to.deep.equal([
      "device_id: missing",
      "room_id: missing",
      "device_id: not a string",
      'device_id: not 1-64 letters, digits, "_" or "-"',
      "room_id: not one of lab|office",
      "accepted",
    ]);
    // The rules accept the same readings when a topic names the device: only the identity's source differs.
    expect(sqlVerdict({ label: "", value: items[0] }).verdict.kind).to.equal("telemetry");
  });
});
