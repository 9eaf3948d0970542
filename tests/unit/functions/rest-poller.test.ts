// The REST poller function: Secrets Manager, Kinesis and Firehose through aws-sdk-client-mock, the
// de-duplication table in the local DynamoDB stand-in (its state is the point), a scripted fetch.
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { mockClient } from "aws-sdk-client-mock";
import { FirehoseClient, PutRecordBatchCommand } from "@aws-sdk/client-firehose";
import { KinesisClient, PutRecordsCommand } from "@aws-sdk/client-kinesis";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { NOT_JSON_REASON } from "../../../components/iot/rule-sql";
import { pollerEnvironment, readPollerSettings } from "../../../components/pollers/poller-settings";
import { deliveryEnvironment } from "../../../components/ingest/delivery-targets";
import { createPollHandler, pollSettingsFromEnv } from "../../../functions/rest-poller/handler";
import { headersFromSecret } from "../../../functions/rest-poller/http";
import { LocalDynamoDb } from "../../../local/aws/dynamodb";

const NOW = Date.UTC(2026, 11, 7, 9, 30);
const SECRET = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:weather-AbCdEf";
const URL = "https://weather.example.com/v1/obs?key=do-not-log";
const [POLLER] = readPollerSettings(
  [
    {
      name: "roof",
      url: URL,
      schedule: "rate(2 minutes)",
      secretArn: SECRET,
      retries: 2,
      timeoutSeconds: 1,
      records: "$.observations[*]",
      fields: {
        device_id: { path: "$.station", from: "document" },
        room_id: { value: "roof" },
        ts: { path: "$.at", format: "iso8601" },
        temperature_c: "$.temp",
      },
    },
  ],
  () => {
    throw new Error("the test poller is invalid");
  },
);
const observation = (minutesAgo: number, temp: unknown) => ({
  at: new Date(NOW - minutesAgo * 60_000).toISOString(),
  temp,
});

type Answer = { status: number; body: unknown } | Error;

describe("REST poller function", function () {
  const secrets = mockClient(SecretsManagerClient);
  const kinesis = mockClient(KinesisClient);
  const firehose = mockClient(FirehoseClient);
  let dir: string;
  let db: LocalDynamoDb;
  let answers: Answer[];
  let requests: { url: string; headers: Record<string, string> }[];

  const fetchScript = (async (url: string, init: { headers: Record<string, string> }) => {
    requests.push({ url, headers: init.headers });
    const next = answers.shift() ?? new Error("no more scripted answers");
    if (next instanceof Error) throw next;
    const text = typeof next.body === "string" ? next.body : JSON.stringify(next.body);
    return new Response(text, { status: next.status, headers: { "content-type": "application/json" } });
  }) as unknown as typeof fetch;

  const env = () => ({
    ...pollerEnvironment({ poller: POLLER!, dedupTable: "dedup", rooms: ["lab", "roof"] }),
    ...deliveryEnvironment({
      telemetry: { kind: "kinesis", streamName: "ingest" },
      quarantineDeliveryStream: "quarantine",
    }),
  });
  const handler = () =>
    createPollHandler(pollSettingsFromEnv(env()), {
      dynamodb: db.client({ autoSave: true }),
      secrets: new SecretsManagerClient({ region: "eu-west-1" }),
      kinesis: new KinesisClient({ region: "eu-west-1" }),
      firehose: new FirehoseClient({ region: "eu-west-1" }),
      fetch: fetchScript,
      now: () => NOW,
      sleep: async () => undefined,
      log: () => undefined,
    });
  const sent = () =>
    kinesis
      .commandCalls(PutRecordsCommand)
      .flatMap((c) =>
        c.args[0].input.Records!.map(
          (r) => JSON.parse(Buffer.from(r.Data!).toString()) as Record<string, unknown>,
        ),
      );
  const quarantined = () =>
    firehose
      .commandCalls(PutRecordBatchCommand)
      .flatMap((c) =>
        c.args[0].input.Records!.map(
          (r) => JSON.parse(Buffer.from(r.Data!).toString()) as Record<string, unknown>,
        ),
      );

  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "poller-"));
    db = new LocalDynamoDb(dir, () => NOW);
    db.createTable("dedup");
    answers = [];
    requests = [];
    secrets.reset();
    kinesis.reset();
    firehose.reset();
    secrets
      .on(GetSecretValueCommand, { SecretId: SECRET })
      .resolves({ SecretString: JSON.stringify({ bearerToken: "t0ken" }) });
    kinesis.on(PutRecordsCommand).callsFake((input: { Records: unknown[] }) => ({
      Records: input.Records.map(() => ({ SequenceNumber: "1", ShardId: "s" })),
    }));
    firehose.on(PutRecordBatchCommand).callsFake((input: { Records: unknown[] }) => ({
      FailedPutCount: 0,
      RequestResponses: input.Records.map(() => ({ RecordId: "r" })),
    }));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("polls with the secret's credentials, numbers new readings per device, quarantines invalid ones, and sends each reading once", async function () {
    answers.push({
      status: 200,
      body: {
        station: "station-7",
        observations: [observation(6, 3.5), observation(4, 200), observation(2, 3.9)],
      },
    });
    const first = await handler()();
    expect(requests[0]!.headers.authorization).to.equal("Bearer t0ken");
    expect(first).to.deep.include({ records: 3, accepted: 2, quarantined: 1, duplicates: 0 });
    expect(sent().map((r) => [r.device_id, r.seq, r.temperature_c])).to.deep.equal([
      ["station-7", 0, 3.5],
      ["station-7", 2, 3.9],
    ]);
    expect(quarantined()[0]).to.include({
      topic: "poller/roof",
      reason: "temperature_c: above 125",
      device_id: "station-7",
    });
    // The next poll returns the same window plus a newer reading: only the newer one goes out, numbered on.
    answers.push({
      status: 200,
      body: {
        station: "station-7",
        observations: [observation(4, 200), observation(2, 3.9), observation(0, 4.1)],
      },
    });
    kinesis.resetHistory();
    firehose.resetHistory();
    const second = await handler()();
    expect(second).to.deep.include({ records: 3, accepted: 1, quarantined: 0, duplicates: 2 });
    expect(sent().map((r) => r.seq)).to.deep.equal([3]);
  });

  it("a delivery that fails leaves the reading claimed: the retry sends it with the same seq", async function () {
    const body = { station: "station-7", observations: [observation(1, 5)] };
    answers.push({ status: 200, body }, { status: 200, body });
    kinesis.on(PutRecordsCommand).resolves({
      FailedRecordCount: 1,
      Records: [{ ErrorCode: "ProvisionedThroughputExceededException", ErrorMessage: "slow down" }],
    });
    let error: Error | undefined;
    await handler()().catch((e: Error) => (error = e));
    expect(error!.message).to.match(
      /poller roof: 1 of 1 readings could not be delivered \(ProvisionedThroughputExceededException: slow down\)/,
    );
    kinesis.on(PutRecordsCommand).callsFake(() => ({ Records: [{ SequenceNumber: "9", ShardId: "s" }] }));
    kinesis.resetHistory();
    expect(await handler()()).to.deep.include({ accepted: 1, duplicates: 0 });
    expect(sent().map((r) => r.seq)).to.deep.equal([0]);
  });

  it("retries 5xx and network errors with backoff, fails at once on 401 without showing the query string", async function () {
    answers.push({ status: 503, body: "busy" }, new TypeError("fetch failed"), {
      status: 200,
      body: { station: "s1", observations: [] },
    });
    expect(await handler()()).to.deep.include({ attempts: 3, records: 0 });
    answers.push({ status: 401, body: { message: "bad key" } });
    let error: Error | undefined;
    await handler()().catch((e: Error) => (error = e));
    expect(error!.message).to.equal(
      'GET https://weather.example.com/v1/obs answered HTTP 401 Unauthorized: not retried; check the URL and the credentials ({"message":"bad key"})',
    );
    answers.push({ status: 500, body: "" }, { status: 500, body: "" }, { status: 500, body: "" });
    await handler()().catch((e: Error) => (error = e));
    expect(error!.message).to.equal(
      "GET https://weather.example.com/v1/obs failed after 3 attempts: HTTP 500 Internal Server Error",
    );
  });

  it("keeps a response that is not JSON, and readings older than the window, in quarantine", async function () {
    answers.push({ status: 200, body: "<html>maintenance</html>" });
    expect(await handler()()).to.deep.include({ quarantined: 1 });
    expect(quarantined()[0]).to.include({
      reason: NOT_JSON_REASON,
      payload_base64: Buffer.from("<html>maintenance</html>").toString("base64"),
    });
    answers.push({ status: 200, body: { station: "s1", observations: [observation(8 * 24 * 60, 4)] } });
    firehose.resetHistory();
    expect(await handler()()).to.deep.include({ quarantined: 1, accepted: 0 });
    expect(quarantined()[0]!.reason).to.equal("ts: older than poller roof's 7-day de-duplication window");
  });

  it("names the secret and the forms it may take when it holds no credentials", function () {
    expect(headersFromSecret(SECRET, JSON.stringify({ headers: { "x-api-key": "k" } }))).to.deep.equal({
      "x-api-key": "k",
    });
    expect(headersFromSecret(SECRET, JSON.stringify({ username: "u", password: "p" }))).to.deep.equal({
      authorization: `Basic ${Buffer.from("u:p").toString("base64")}`,
    });
    expect(() => headersFromSecret(SECRET, "plain")).to.throw(`secret ${SECRET} is not JSON`);
    expect(() => pollSettingsFromEnv({})).to.throw(
      "environment variable POLLER must hold the poller's settings as JSON",
    );
  });
});
