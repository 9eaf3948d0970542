// Acknowledged means durable: a backend process is killed with SIGKILL while a device publishes QoS 1
// readings, a second backend starts on the same data directory, and every reading the broker acknowledged is
// in the lake exactly once. The same run checks that malformed payloads land in quarantine with their reason
// and that the broker enforces the IoT policy (a device connects only as itself, publishes only to its topics).
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";
import { DuckDBInstance } from "@duckdb/node-api";
import { dataTopic } from "../../../components/telemetry/topics";
import type { RunSummary } from "../../../local/summary";
import { freshDataDir } from "./helpers";
import { connectDevice as connect, reading as labReading, startBackend } from "../../helpers/local-backend";

const LAB = "sensors-dev-lab-001";
const OFFICE = "sensors-dev-office-001";
const reading = (seq: number) => labReading(LAB, "lab", seq);

describe("local backend durability", function () {
  this.timeout(120_000);
  let dataDir: string;
  const acknowledged = new Set<number>();
  const malformed = [
    {
      payload: JSON.stringify({ ts: Date.now(), seq: 1, temperature_c: 300 }),
      reason: "temperature_c: above 125",
    },
    {
      payload: JSON.stringify({ ts: Date.now(), seq: "one", temperature_c: 21 }),
      reason: "seq: not a number",
    },
  ];
  let summary: RunSummary;
  let deniedConnect: Error | undefined;
  let deniedPublishClosed = false;

  before(async function () {
    dataDir = await freshDataDir("local-durability-");
    // First run: slow buffering (x1: 60 s), so nothing reaches the lake before the kill; only the log has it.
    const first = startBackend([
      "--no-fleet",
      "--no-dashboard",
      "--devices",
      "2",
      "--speed",
      "1",
      "--mqtt-port",
      "0",
      "--data-dir",
      dataDir,
    ]);
    const port = await first.port;
    const fleetFile = path.join(dataDir, "fleet.json");

    // Policy: the lab sensor's certificate with the office sensor's client ID is refused at CONNECT...
    deniedConnect = await connect(port, OFFICE, LAB, fleetFile).then(
      (c) => (c.end(true), undefined),
      (e: Error) => e,
    );
    // ...and publishing to the office sensor's topic closes the connection without an acknowledgement.
    const intruder = await connect(port, LAB, LAB, fleetFile);
    await new Promise<void>((resolve) => {
      intruder.once("close", () => {
        deniedPublishClosed = true;
        resolve();
      });
      intruder.publish(dataTopic("sensors-dev", "office", OFFICE), reading(0), { qos: 1 }, () => resolve());
    });
    intruder.end(true);

    const publisher = await connect(port, LAB, LAB, fleetFile);
    const topic = dataTopic("sensors-dev", "lab", LAB);
    for (const m of malformed) await publisher.publishAsync(topic, m.payload, { qos: 1 });
    // Up to 20 readings in flight; SIGKILL once 150 are acknowledged, while the rest are still on the wire.
    await new Promise<void>((resolve) => {
      let next = 0;
      let inFlight = 0;
      let killed = false;
      const pump = (): void => {
        while (!killed && inFlight < 20 && next < 2_000) {
          const seq = next++;
          inFlight++;
          publisher.publish(topic, reading(seq), { qos: 1 }, (err) => {
            inFlight--;
            if (!err && !killed) acknowledged.add(seq);
            if (!killed && acknowledged.size >= 150) {
              killed = true;
              first.child.kill("SIGKILL");
              resolve();
            } else pump();
          });
        }
      };
      pump();
    });
    publisher.end(true);
    expect(await first.exit).to.equal(null); // killed by the signal, not exited

    // Second run on the same data: replay, deliver, run the pipelines, summarize.
    const second = startBackend([
      "--no-fleet",
      "--no-dashboard",
      "--devices",
      "2",
      "--speed",
      "600",
      "--duration",
      "1s",
      "--mqtt-port",
      "0",
      "--data-dir",
      dataDir,
      "--json",
    ]);
    const code = await second.exit;
    expect(code, second.stderr()).to.equal(0);
    summary = JSON.parse(second.stdout()) as RunSummary;
  });

  after(function () {
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("refuses a certificate presented with another thing's client ID", function () {
    expect(deniedConnect, "the connection was accepted").to.be.instanceOf(Error);
    expect(deniedConnect!.message).to.match(/Not authorized|not authorized/i);
  });

  it("disconnects a device publishing to another device's topic", function () {
    expect(deniedPublishClosed).to.equal(true);
  });

  it("replays the ingest log after the kill and ends healthy", function () {
    expect(summary.ok, summary.problems.join("; ")).to.equal(true);
    expect(summary.ingest.replayedFromLog).to.be.at.least(acknowledged.size + malformed.length);
    expect(summary.lake.acceptedEqualsLake).to.equal(true);
  });

  it("has every acknowledged reading in the lake, exactly once", async function () {
    const duckdb = await DuckDBInstance.create(":memory:");
    const duck = await duckdb.connect();
    const rows = (
      await duck.runAndReadAll(
        `SELECT seq, count(*) AS n FROM read_parquet('${path.join(dataDir, "lake", "raw", "telemetry", "**", "*.parquet")}') WHERE device_id = '${LAB}' GROUP BY seq`,
      )
    ).getRowObjectsJS();
    duck.closeSync();
    duckdb.closeSync();
    const inLake = new Map(rows.map((r) => [Number(r.seq), Number(r.n)]));
    const missing = [...acknowledged].filter((seq) => !inLake.has(seq));
    expect(missing, `acknowledged but missing: ${missing.slice(0, 10).join(", ")}`).to.deep.equal([]);
    expect(
      [...inLake.values()].every((n) => n === 1),
      "a reading is in the lake twice",
    ).to.equal(true);
    expect(acknowledged.size).to.be.at.least(150);
  });

  it("keeps malformed payloads in quarantine with their reason and original bytes", function () {
    const folder = path.join(dataDir, "lake", "raw", "quarantine");
    const records = fs
      .readdirSync(folder, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith(".json.gz"))
      .flatMap((e) =>
        gunzipSync(fs.readFileSync(path.join(e.parentPath, e.name)))
          .toString("utf8")
          .trim()
          .split("\n"),
      )
      .map((line) => JSON.parse(line) as { reason: string; device_id: string; payload_base64: string });
    for (const m of malformed) {
      const record = records.find((r) => Buffer.from(r.payload_base64, "base64").toString() === m.payload);
      expect(record, m.payload).to.not.equal(undefined);
      expect(record).to.include({ reason: m.reason, device_id: LAB });
    }
    expect(summary.lake.tables.quarantine).to.equal(malformed.length);
  });
});
