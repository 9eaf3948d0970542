// The local backend's other ways in and out (Pulumi.streaming.yaml), over the real ingest log, rules and lake
// writer: readings posted over HTTPS (valid, invalid, not JSON) and polled from a local REST server land in the
// lake or quarantine, counted per source; the consumer keeps the latest state the API serves; a poll that keeps
// failing is dead-lettered; the dashboard reads the latest state through the same routes and handler; a restart
// finds the tables and replays nothing twice.
import { expect } from "chai";
import * as fs from "node:fs";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { parsePlatformConfig, type PlatformConfig } from "../../../components/config";
import { readStackFile } from "../../../components/stack-files";
import { DurableLog } from "../../../local/lake/durable-log";
import { FirehoseWriter, readLakeCheckpoint } from "../../../local/lake/firehose-writer";
import { IngestPipeline } from "../../../local/lake/ingest-pipeline";
import { LocalObjectStore } from "../../../local/lake/object-store";
import { ensureLocalPki, type LocalPki } from "../../../local/pki";
import { TopicRules } from "../../../local/rule/topic-rules";
import { LocalIngestSources, replayFromLsn } from "../../../local/streaming/ingest-sources";
import { LATEST_STATE_ROUTES } from "../../../components/api/routes";
import type { BackendParts } from "../../../local/backend";
import { latestStateRequests } from "../../../local/dashboard/latest-state";
import { DashboardServer } from "../../../local/dashboard/server";
import type { ApiHandler } from "../../../local/streaming/https-api";

const NOW = Date.parse("2026-12-07T09:30:00Z");
const STATION = "sensors-streaming-roof-901";

interface Opened {
  sources: LocalIngestSources;
  writer: FirehoseWriter;
  ingest: IngestPipeline;
  log: DurableLog;
  duckdb: DuckDBInstance;
}

async function open(dataDir: string, config: PlatformConfig, pki: LocalPki): Promise<Opened> {
  const ingestDir = path.join(dataDir, "ingest");
  const lakeThrough = readLakeCheckpoint(ingestDir).durableThroughLsn;
  const opened = DurableLog.open(path.join(ingestDir, "log"), replayFromLsn(config, dataDir, lakeThrough));
  const duckdb = await DuckDBInstance.create(":memory:");
  const now = () => NOW;
  const writer = FirehoseWriter.open({
    store: new LocalObjectStore(path.join(dataDir, "lake"), config.deployment, now),
    duck: await duckdb.connect(),
    stateDir: ingestDir,
    deployment: config.deployment,
    rooms: config.fleet.rooms,
    bufferSeconds: 60,
    bufferMiB: 64,
    dynamicPartitioning: true,
    speed: 1,
    now,
  });
  const ingest = new IngestPipeline(opened.log, new TopicRules(config.deployment), writer);
  const sources = LocalIngestSources.open({
    config,
    dataDir,
    pki,
    ingest,
    lakeThroughLsn: lakeThrough,
    speed: 1,
    now,
    log: () => undefined,
  })!;
  ingest.replay(opened.replay, lakeThrough);
  await sources.start(0);
  return { sources, writer, ingest, log: opened.log, duckdb };
}

async function close(o: Opened): Promise<void> {
  await o.sources.stopInputs();
  await o.writer.flush();
  await o.sources.drain();
  o.sources.close();
  await o.writer.close();
  await o.log.close();
  o.duckdb.closeSync();
}

describe("local backend: HTTPS ingestion, pollers, the real-time consumer and the latest-state routes", function () {
  this.timeout(30_000);
  let dataDir: string;
  let pki: LocalPki;
  let rest: https.Server;
  let config: PlatformConfig;
  let first: Opened;
  let token: string;

  const call = (method: string, route: string, body?: string, auth = true) =>
    new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
      const request = https.request(
        `${first.sources.apiUrl}${route}`,
        {
          method,
          ca: pki.ca.certificatePem,
          headers: {
            "content-type": "application/json",
            ...(auth ? { authorization: `Bearer ${token}` } : {}),
          },
        },
        (res) => {
          let text = "";
          res.on("data", (d: Buffer) => (text += d.toString()));
          res.on("end", () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
        },
      );
      request.on("error", reject);
      request.end(body);
    });

  before(async function () {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "local-sources-"));
    pki = await ensureLocalPki(dataDir, []);
    // The REST endpoint: the station's last three observations, with a certificate from the local CA.
    rest = https.createServer(
      { key: pki.server.privateKeyPem, cert: pki.server.certificatePem },
      (req, res) => {
        if (req.url !== "/observations") {
          res.writeHead(404).end("no such station");
          return;
        }
        const observations = [3, 2, 1].map((m) => ({
          observedAt: new Date(NOW - m * 60_000).toISOString(),
          temperature: { value: 10 + m },
          relativeHumidity: { value: 60 },
        }));
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ stationId: STATION, observations }));
      },
    );
    await new Promise<void>((resolve) => rest.listen(0, "127.0.0.1", resolve));
    const base = `https://127.0.0.1:${(rest.address() as AddressInfo).port}`;
    const shipped = parsePlatformConfig(readStackFile("streaming"));
    const poller = { ...shipped.pollers[0]!, url: `${base}/observations`, secretArn: undefined };
    config = {
      ...shipped,
      pollers: [poller, { ...poller, name: "broken", url: `${base}/missing` }],
    };
    first = await open(dataDir, config, pki);
    token = fs.readFileSync(path.join(dataDir, "pki", "api-token"), "utf8").trim();
  });

  after(function () {
    rest?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("answers POST /readings per item, refuses callers without the local token, and logs every request", async function () {
    const reading = (seq: number, temperature_c: number) => ({
      device_id: "sensors-streaming-lab-001",
      room_id: "lab",
      ts: NOW - 10_000 + seq * 1000,
      seq,
      temperature_c,
    });
    const batch = await call(
      "POST",
      "/readings",
      JSON.stringify([reading(0, 21.5), reading(1, 999), reading(2, 22)]),
    );
    expect(batch.status).to.equal(200);
    expect(batch.body).to.deep.include({ accepted: 2, quarantined: 1, failed: 0 });
    expect((batch.body.results as { status: string }[]).map((r) => r.status)).to.deep.equal([
      "accepted",
      "quarantined",
      "accepted",
    ]);
    const notJson = await call("POST", "/readings", "temperature=21");
    expect(notJson.status).to.equal(400);
    expect(notJson.body).to.deep.include({ quarantined: 1 });
    const stranger = await call("POST", "/readings", JSON.stringify(reading(3, 20)), false);
    expect(stranger.status).to.equal(401);
    const log = fs
      .readFileSync(path.join(dataDir, "api", "access.log"), "utf8")
      .trim()
      .split("\n");
    expect(log.map((l) => (JSON.parse(l) as { status: string }).status)).to.deep.equal(["200", "400", "401"]);
  });

  it("polls the REST server, sends only readings not sent before, and dead-letters a poll that keeps failing", async function () {
    await first.sources.pollers!.pollOnce("roof-weather");
    await first.sources.pollers!.pollOnce("roof-weather");
    await first.sources.pollers!.pollOnce("broken");
    // The first poll at start-up may have run too: counts relate to the number of polls.
    const { "roof-weather": weather, broken } = first.sources.pollers!.stats;
    expect(weather!.polls).to.be.at.least(2);
    expect(weather).to.deep.include({ failed: 0, records: 3 * weather!.polls, accepted: 3 });
    expect(weather!.duplicates).to.equal(3 * (weather!.polls - 1));
    expect(broken!.failed).to.equal(broken!.polls);
    expect(broken!.retries).to.equal(2 * broken!.polls);
    const dead = fs.readFileSync(path.join(dataDir, "pollers", "broken.dead-letters.jsonl"), "utf8");
    expect(dead).to.match(/answered HTTP 404/);
  });

  it("serves each device's latest reading and the room's hourly summary from the consumer's table", async function () {
    await first.sources.consumer!.flush();
    const lab = await call("GET", "/devices/sensors-streaming-lab-001/latest");
    expect(lab.status).to.equal(200);
    expect(lab.body).to.deep.include({ seq: 2, temperature_c: 22 });
    const roof = await call("GET", `/devices/${STATION}/latest`);
    expect(roof.body).to.deep.include({ ts: NOW - 60_000, temperature_c: 11, room_id: "roof" });
    const summary = await call("GET", "/rooms/lab/summary?hours=1");
    expect(summary.body).to.deep.include({ readings: 2, min: 21.5, max: 22 });
    expect((await call("GET", "/devices/sensors-streaming-lab-404/latest")).status).to.equal(404);
  });

  it("gives the dashboard the latest state through the same routes and handler as the HTTP API", async function () {
    const routeKeys: string[] = [];
    const handler: ApiHandler = (event) => {
      routeKeys.push(event.routeKey);
      return first.sources.latestState!(event);
    };
    // The dashboard's latest-state routes need only the sources and the clock of a running backend.
    const parts = { sources: { latestState: handler }, clock: { now: () => NOW } } as unknown as BackendParts;
    const dashboard = new DashboardServer(parts);
    const base = await dashboard.start(0);
    try {
      const requests = latestStateRequests(
        ["sensors-streaming-lab-001", STATION, "sensors-streaming-lab-001"],
        ["lab", "roof"],
        1,
      );
      expect(requests.devices.map((d) => d.path)).to.deep.equal([
        "/devices/sensors-streaming-lab-001/latest",
        `/devices/${STATION}/latest`,
      ]);
      for (const { path: route } of [...requests.devices, ...requests.rooms]) {
        const viaDashboard = await fetch(new URL(route, base));
        expect(viaDashboard.status, route).to.equal(200);
        expect(await viaDashboard.json(), route).to.deep.equal((await call("GET", route)).body);
      }
      expect(new Set(routeKeys)).to.deep.equal(new Set(LATEST_STATE_ROUTES.map((r) => r.routeKey)));
      expect(routeKeys).to.have.length(4);
      // Without the real-time table the routes say what turns them on.
      const off = new DashboardServer({ ...parts, sources: undefined });
      const offBase = await off.start(0);
      const missing = await fetch(new URL(requests.devices[0]!.path, offBase));
      await off.close();
      expect(missing.status).to.equal(404);
      expect(((await missing.json()) as { error: string }).error).to.match(/ingestStream: kinesis/);
    } finally {
      await dashboard.close();
    }
  });

  it("puts every accepted reading in the lake and every rejected one in quarantine, counted per source", async function () {
    await first.writer.flush();
    const counts = first.ingest.counters.bySource;
    expect(counts["https/readings"]).to.deep.equal({ received: 4, accepted: 2, quarantined: 2 });
    expect(counts["poller/roof-weather"]).to.deep.equal({ received: 3, accepted: 3, quarantined: 0 });
    const duck = await first.duckdb.connect();
    const raw = path.join(dataDir, "lake", "raw");
    const rows = (
      await duck.runAndReadAll(
        `SELECT device_id, count(*) AS n FROM read_parquet('${raw}/telemetry/**/*.parquet', hive_partitioning = true) GROUP BY 1 ORDER BY 1`,
      )
    ).getRowObjectsJS();
    expect(rows.map((r) => [r.device_id, Number(r.n)])).to.deep.equal([
      ["sensors-streaming-lab-001", 2],
      [STATION, 3],
    ]);
    const quarantined = (
      await duck.runAndReadAll(
        `SELECT topic, reason FROM read_json_auto('${raw}/quarantine/**/*.json.gz') ORDER BY reason`,
      )
    ).getRowObjectsJS();
    expect(quarantined.map((r) => r.topic)).to.deep.equal(["https/readings", "https/readings"]);
    expect(quarantined.map((r) => String(r.reason))).to.include("payload: not JSON");
    duck.closeSync();
  });

  it("restarts on the same data directory with the tables and nothing replayed twice", async function () {
    await close(first);
    first = await open(dataDir, config, pki);
    expect(first.ingest.counters.received).to.equal(0);
    expect(first.ingest.counters.replayed).to.equal(0);
    const lab = await call("GET", "/devices/sensors-streaming-lab-001/latest");
    expect(lab.body).to.deep.include({ seq: 2 });
    await close(first);
  });
});
