// The real-time consumer and the latest-state routes: against aws-sdk-client-mock for the calls they make and
// how failures are reported, and together over the local DynamoDB stand-in for what the table ends up holding
// when batches are retried, bisected and replayed.
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { mockClient } from "aws-sdk-client-mock";
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ProvisionedThroughputExceededException,
} from "@aws-sdk/client-dynamodb";
import type { APIGatewayProxyEventV2, KinesisStreamEvent } from "aws-lambda";
import { createConsumerHandler, consumerSettingsFromEnv } from "../../../functions/realtime-consumer/handler";
import { createLatestStateHandler } from "../../../functions/latest-state/handler";
import { LocalDynamoDb } from "../../../local/aws/dynamodb";
import type { TelemetryRecord } from "../../../components/telemetry/schema";

const HOUR = Date.UTC(2026, 11, 7, 9);
const SETTINGS = { tableName: "realtime", aggregateTtlDays: 30, latestTtlDays: 14 };
const reading = (
  device: string,
  room: string,
  seq: number,
  temperature: number,
  minute = seq,
): TelemetryRecord => ({
  device_id: device,
  room_id: room,
  ts: HOUR + minute * 60_000,
  seq,
  temperature_c: temperature,
  humidity_pct: 40,
  received_at: HOUR + minute * 60_000 + 500,
});
function event(readings: readonly (TelemetryRecord | string)[], firstSequence = 1000): KinesisStreamEvent {
  return {
    Records: readings.map((r, i) => {
      const sequenceNumber = String(firstSequence + i);
      return {
        kinesis: {
          kinesisSchemaVersion: "1.0",
          partitionKey: typeof r === "string" ? "x" : r.device_id,
          sequenceNumber,
          data: Buffer.from(typeof r === "string" ? r : JSON.stringify(r)).toString("base64"),
          approximateArrivalTimestamp: HOUR / 1000,
        },
        eventSource: "aws:kinesis",
        eventVersion: "1.0",
        eventID: `shardId-000000000000:${sequenceNumber}`,
        eventName: "aws:kinesis:record",
        invokeIdentityArn: "arn:aws:iam::111122223333:role/consumer",
        awsRegion: "eu-west-1",
        eventSourceARN: "arn:aws:kinesis:eu-west-1:111122223333:stream/ingest",
      };
    }),
  };
}
const get = (
  routeKey: string,
  pathParameters: Record<string, string>,
  query: Record<string, string> = {},
): APIGatewayProxyEventV2 =>
  ({
    version: "2.0",
    routeKey,
    rawPath: "/",
    rawQueryString: "",
    headers: {},
    pathParameters,
    queryStringParameters: query,
    isBase64Encoded: false,
    requestContext: {},
  }) as unknown as APIGatewayProxyEventV2;

describe("real-time consumer and latest-state routes", function () {
  describe("against aws-sdk-client-mock", function () {
    const dynamodb = mockClient(DynamoDBClient);
    const consume = createConsumerHandler(SETTINGS, {
      dynamodb: new DynamoDBClient({ region: "eu-west-1" }),
      log: () => undefined,
    });
    beforeEach(() => dynamodb.reset());

    it("reads its settings from the environment, naming a missing variable", function () {
      expect(
        consumerSettingsFromEnv({ REALTIME_TABLE: "t", AGGREGATE_TTL_DAYS: "30", LATEST_TTL_DAYS: "7" }),
      ).to.deep.equal({
        tableName: "t",
        aggregateTtlDays: 30,
        latestTtlDays: 7,
      });
      expect(() => consumerSettingsFromEnv({ REALTIME_TABLE: "t", AGGREGATE_TTL_DAYS: "x" })).to.throw(
        'environment variable AGGREGATE_TTL_DAYS must be a whole number of days (got "x")',
      );
    });

    it("puts each device's latest reading conditionally and one aggregate per room and hour", async function () {
      dynamodb.on(GetItemCommand).resolves({});
      dynamodb.on(PutItemCommand).resolves({});
      const out = await consume(
        event([reading("a", "lab", 1, 20), reading("a", "lab", 2, 22), reading("b", "office", 1, 18)]),
      );
      expect(out.batchItemFailures).to.deep.equal([]);
      const puts = dynamodb.commandCalls(PutItemCommand).map((c) => c.args[0].input);
      const latest = puts.filter((p) => p.Item!.sk!.S === "latest");
      expect(latest.map((p) => [p.Item!.pk!.S, p.Item!.seq!.N])).to.deep.equal([
        ["device#a", "2"],
        ["device#b", "1"],
      ]);
      expect(latest[0]!.ConditionExpression).to.equal(
        "attribute_not_exists(#pk) OR #ts < :ts OR (#ts = :ts AND #seq < :seq)",
      );
      expect(latest[0]!.Item!.expiresAt!.N).to.equal(String((HOUR + 2 * 60_000) / 1000 + 14 * 86_400));
      const hours = puts.filter((p) => p.Item!.sk!.S!.startsWith("hour#"));
      expect(
        hours.map((p) => [p.Item!.pk!.S, p.Item!.count!.N, p.Item!.min!.N, p.Item!.max!.N, p.Item!.sum!.N]),
      ).to.deep.equal([
        ["room#lab", "2", "20", "22", "42"],
        ["room#office", "1", "18", "18", "18"],
      ]);
      expect(hours[0]!.Item!.sk!.S).to.equal("hour#2026-12-07T09#shardId-000000000000");
      expect(hours[0]!.ConditionExpression).to.equal("attribute_not_exists(#pk)");
    });

    it("a newer stored reading is not an error; a throttled write reports the lowest sequence number to retry from", async function () {
      dynamodb.on(GetItemCommand).resolves({});
      dynamodb.on(PutItemCommand).callsFake((input: { Item: Record<string, { S?: string }> }) => {
        if (input.Item.sk!.S === "latest")
          throw new ConditionalCheckFailedException({ message: "newer", $metadata: {} });
        if (input.Item.pk!.S === "room#office")
          throw new ProvisionedThroughputExceededException({ message: "slow down", $metadata: {} });
        return {};
      });
      const out = await consume(
        event([reading("a", "lab", 1, 20), reading("b", "office", 1, 18), reading("b", "office", 2, 19)]),
      );
      expect(out.batchItemFailures).to.deep.equal([{ itemIdentifier: "1001" }]);
    });

    it("a record that is not a reading is reported (so it reaches the dead-letter destination), the others applied", async function () {
      dynamodb.on(GetItemCommand).resolves({});
      dynamodb.on(PutItemCommand).resolves({});
      const out = await consume(
        event([reading("a", "lab", 1, 20), "not json", JSON.stringify({ device_id: "a" })]),
      );
      expect(out.batchItemFailures).to.deep.equal([{ itemIdentifier: "1001" }]);
      expect(dynamodb.commandCalls(PutItemCommand)).to.have.length(2);
    });
  });

  describe("over the local DynamoDB stand-in", function () {
    let dir: string;
    let db: LocalDynamoDb;
    let now = HOUR + 50 * 60_000;
    const consume = () => createConsumerHandler(SETTINGS, { dynamodb: db.client(), log: () => undefined });
    const serve = () =>
      createLatestStateHandler({ tableName: "realtime" }, { dynamodb: db.client(), now: () => now });
    before(function () {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "realtime-"));
      db = new LocalDynamoDb(dir, () => now);
      db.createTable("realtime");
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("counts every reading once whatever is retried, bisected or replayed, and keeps the latest reading", async function () {
      const readings = Array.from({ length: 40 }, (_, i) =>
        reading(`d${i % 4}`, i % 4 < 2 ? "lab" : "office", Math.floor(i / 4), 15 + (i % 9)),
      );
      const batch = event(readings);
      await consume()(batch);
      // The same batch again (a retry after a timeout), its halves (bisect on error), and a replay from the middle.
      await consume()(batch);
      await consume()({ Records: batch.Records.slice(0, 20) });
      await consume()({ Records: batch.Records.slice(20) });
      await consume()({ Records: batch.Records.slice(13) });
      const summary = await serve()(get("GET /rooms/{room}/summary", { room: "lab" }, { hours: "2" }));
      const body = JSON.parse(summary.body!) as {
        readings: number;
        min: number;
        max: number;
        avg: number;
        byHour: unknown[];
      };
      const lab = readings.filter((r) => r.room_id === "lab").map((r) => r.temperature_c);
      expect(body).to.deep.include({
        readings: lab.length,
        min: Math.min(...lab),
        max: Math.max(...lab),
        avg: Math.round((lab.reduce((a, b) => a + b, 0) / lab.length) * 1000) / 1000,
      });
      expect(body.byHour).to.have.length(1);
      const latest = await serve()(get("GET /devices/{id}/latest", { id: "d3" }));
      expect(latest.statusCode).to.equal(200);
      expect(JSON.parse(latest.body!)).to.deep.include({
        device_id: "d3",
        room_id: "office",
        seq: 9,
        reading_time: new Date(HOUR + 9 * 60_000).toISOString(),
      });
      // An older reading arriving late does not replace the latest.
      await consume()(event([reading("d3", "office", 2, 99)], 5000));
      expect(JSON.parse((await serve()(get("GET /devices/{id}/latest", { id: "d3" }))).body!).seq).to.equal(
        9,
      );
    });

    it("answers 404 for a device it holds nothing of, 400 for bad parameters, and stops serving expired items", async function () {
      expect((await serve()(get("GET /devices/{id}/latest", { id: "nobody" }))).statusCode).to.equal(404);
      const bad = await serve()(get("GET /rooms/{room}/summary", { room: "lab" }, { hours: "0" }));
      expect(bad.statusCode).to.equal(400);
      expect(JSON.parse(bad.body!).error).to.equal('hours must be an integer from 1 to 168 (got "0")');
      now = HOUR + 15 * 86_400_000;
      expect((await serve()(get("GET /devices/{id}/latest", { id: "d3" }))).statusCode).to.equal(404);
      expect(db.sweepExpired()).to.equal(4);
      db.save();
      const reopened = new LocalDynamoDb(dir, () => now);
      reopened.createTable("realtime");
      expect(
        reopened
          .items("realtime")
          .map((i) => i.pk!.S)
          .sort(),
      ).to.deep.equal(["room#lab", "room#office"]);
    });
  });
});
