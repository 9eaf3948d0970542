// The local lake's durability pieces on their own: the ingest log (group commit, replay, torn tails, segment
// release) and the Firehose writer's commit protocol (Parquet through DuckDB under the cloud's keys, and a
// delivery interrupted between its checkpoint and its renames finished at start-up).
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { DurableLog, type LogEntry } from "../../../local/lake/durable-log";
import { encodeFrame } from "../../../local/lake/log-frames";
import {
  FirehoseWriter,
  readLakeCheckpoint,
  type FirehoseWriterOptions,
} from "../../../local/lake/firehose-writer";
import { LocalObjectStore } from "../../../local/lake/object-store";
import { dashboardError } from "../../../local/dashboard/snapshot";
import { IngestPipeline } from "../../../local/lake/ingest-pipeline";
import { TopicRules } from "../../../local/rule/topic-rules";
import { scoringClock } from "../../../local/scoring-clock";
import type { TelemetryRecord } from "../../../components/telemetry/schema";

const TOPIC = "dt/sensors-dev/lab/sensors-dev-lab-001/telemetry";
const append = (log: DurableLog, payload: string, receivedAt = 1): Promise<number> =>
  new Promise((resolve, reject) =>
    log.append({ topic: TOPIC, payload: Buffer.from(payload), receivedAt }, (err, lsn) =>
      err ? reject(err) : resolve(lsn),
    ),
  );

/** No error besides the lake's (the dashboard's other sources of "last error"). */
const OTHER_ERRORS = { failedExecution: null, brokerDenial: null, athena: null } as const;

describe("local lake", function () {
  let dir: string;
  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "local-lake-"));
  });
  afterEach(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A Firehose writer over `dir`'s ingest state, buffering as the dev stack does; `options` replace fields. */
  const openWriter = async (
    duckdb: DuckDBInstance,
    options: Partial<FirehoseWriterOptions> & Pick<FirehoseWriterOptions, "store" | "now">,
  ): Promise<FirehoseWriter> =>
    FirehoseWriter.open({
      duck: await duckdb.connect(),
      stateDir: path.join(dir, "ingest"),
      deployment: "sensors-dev",
      rooms: ["lab"],
      bufferSeconds: 60,
      bufferMiB: 64,
      dynamicPartitioning: true,
      speed: 1,
      ...options,
    });

  describe("ingest log", function () {
    it("numbers entries, shares fsyncs between concurrent appends, and replays what follows a checkpoint", async function () {
      const { log } = DurableLog.open(dir, 0);
      const lsns = await Promise.all(Array.from({ length: 50 }, (_, i) => append(log, `m${i}`, 1000 + i)));
      expect(lsns).to.deep.equal(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(log.stats.fsyncs).to.be.lessThan(10);
      await log.close();
      const { log: reopened, replay } = DurableLog.open(dir, 20);
      expect(replay.map((e: LogEntry) => e.lsn)).to.deep.equal(Array.from({ length: 30 }, (_, i) => i + 21));
      expect(replay[0]).to.include({ topic: TOPIC, receivedAt: 1020 });
      expect(replay[0]!.payload.toString()).to.equal("m20");
      expect(reopened.nextSequence).to.equal(51);
      await reopened.close();
    });

    it("cuts a torn frame off the end of the last segment (a write that was never acknowledged)", async function () {
      const { log } = DurableLog.open(dir, 0);
      await append(log, "kept");
      await log.close();
      const segment = path.join(
        dir,
        fs.readdirSync(dir).find((f) => f.endsWith(".log"))!,
      );
      const torn = encodeFrame({ lsn: 2, topic: TOPIC, payload: Buffer.from("torn"), receivedAt: 2 });
      fs.appendFileSync(segment, torn.subarray(0, torn.length - 3));
      const { log: reopened, replay, report } = DurableLog.open(dir, 0);
      expect(replay.map((e) => e.payload.toString())).to.deep.equal(["kept"]);
      expect(report.problems).to.deep.equal([]);
      expect(report.tornTailBytes).to.equal(torn.length - 3);
      expect(reopened.nextSequence).to.equal(2);
      await reopened.close();
    });

    it("recovers the entries after a damaged frame inside an older segment and reports the one it lost", async function () {
      const { log } = DurableLog.open(dir, 0);
      for (const p of ["one", "two", "three"]) await append(log, p);
      log.requestRotation();
      await append(log, "four");
      await log.close();
      const [first] = fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".log"))
        .sort();
      const file = path.join(dir, first!);
      const bytes = fs.readFileSync(file);
      const secondFrame = bytes.indexOf(Buffer.from("two")) - 10;
      bytes[secondFrame] ^= 0xff;
      fs.writeFileSync(file, bytes);
      const { log: reopened, replay, report } = DurableLog.open(dir, 0);
      expect(replay.map((e) => e.payload.toString())).to.deep.equal(["one", "three", "four"]);
      expect(report.lost).to.deep.equal({ entries: 1, exact: true });
      expect(report.problems).to.have.length(1);
      expect(report.problems[0]).to.contain(file).and.to.contain("LSN 2 ").and.to.contain("damaged");
      expect(fs.existsSync(report.damaged[0]!.quarantinedAs)).to.equal(true);
      expect(reopened.nextSequence).to.equal(5);
      await reopened.close();
    });

    it("keeps appending to the current segment when a new one cannot be created, and rotates later", async function () {
      const { log } = DurableLog.open(dir, 0);
      await append(log, "a");
      // The next segment's file cannot be created (as when the process is out of descriptors).
      const blocker = path.join(dir, `${String(2).padStart(16, "0")}.log`);
      fs.mkdirSync(blocker);
      log.requestRotation();
      await append(log, "b");
      expect(log.stats.rotationsDeferred).to.equal(1);
      expect(log.segmentCount()).to.equal(1);
      fs.rmdirSync(blocker);
      await append(log, "c");
      expect(log.segmentCount()).to.equal(2);
      await log.close();
      const { replay, report } = DurableLog.open(dir, 0);
      expect(replay.map((e) => e.payload.toString())).to.deep.equal(["a", "b", "c"]);
      expect(report.problems).to.deep.equal([]);
    });

    it("deletes closed segments only once every entry in them is in the lake", async function () {
      const { log } = DurableLog.open(dir, 0);
      await append(log, "a");
      await append(log, "b");
      log.requestRotation();
      await append(log, "c");
      expect(log.releaseThrough(1)).to.equal(0);
      expect(log.releaseThrough(2)).to.equal(1);
      await log.close();
      const { replay } = DurableLog.open(dir, 2);
      expect(replay.map((e) => e.payload.toString())).to.deep.equal(["c"]);
    });
  });

  describe("Firehose writer", function () {
    const record = (seq: number, room = "lab"): TelemetryRecord => ({
      device_id: `sensors-dev-${room}-001`,
      room_id: room,
      ts: Date.UTC(2025, 0, 6, 10, 0, seq),
      seq,
      temperature_c: 21 + seq / 10,
      received_at: Date.UTC(2025, 0, 6, 10, 0, seq) + 50,
    });

    it("writes Parquet per room and reading date under the cloud's keys, then a checkpoint with the last LSN", async function () {
      const duckdb = await DuckDBInstance.create(":memory:");
      const store = new LocalObjectStore(path.join(dir, "lake"), "sensors-dev", () =>
        Date.UTC(2025, 0, 6, 12),
      );
      const writer = await openWriter(duckdb, {
        store,
        rooms: ["lab", "office"],
        now: () => Date.UTC(2025, 0, 6, 12),
      });
      writer.add(1, { kind: "telemetry", record: record(1) });
      writer.add(2, { kind: "telemetry", record: record(2, "office") });
      writer.add(3, { kind: "telemetry", record: { ...record(3), rssi_dbm: -70.5 } }); // not an INTEGER: conversion error
      await writer.flush();
      const keys = store.list(store.bucketNames.raw).map((o) => o.key);
      expect(keys.filter((k) => k.startsWith("telemetry/"))).to.have.length(2);
      expect(keys.find((k) => k.startsWith("telemetry/room_id=lab/"))).to.match(
        /^telemetry\/room_id=lab\/dt=2025-01-06\/sensors-dev-telemetry-1-2025-01-06-12-00-00-[0-9a-f-]{36}\.parquet$/,
      );
      expect(keys.find((k) => k.startsWith("errors/"))).to.match(
        /^errors\/firehose\/telemetry\/format-conversion-failed\/dt=2025-01-06\//,
      );
      const duck = await duckdb.connect();
      const rows = (
        await duck.runAndReadAll(
          `SELECT * FROM read_parquet('${path.join(store.root, "raw", "telemetry", "**", "*.parquet")}', hive_partitioning = true, hive_types_autocast = false) ORDER BY seq`,
        )
      ).getRowObjectsJS();
      expect(rows.map((r) => [r.room_id, r.dt, Number(r.seq), r.temperature_c])).to.deep.equal([
        ["lab", "2025-01-06", 1, 21.1],
        ["office", "2025-01-06", 2, 21.2],
      ]);
      // Partition keys are in the path, not in the file (the Glue table's layout).
      const columns = (
        await duck.runAndReadAll(
          `DESCRIBE SELECT * FROM read_parquet('${path.join(
            store.root,
            "raw",
            keys.find((k) => k.startsWith("telemetry/"))!,
          )}', hive_partitioning = false)`,
        )
      )
        .getRowObjectsJS()
        .map((r) => r.column_name);
      expect(columns).to.not.include("room_id");
      expect(readLakeCheckpoint(path.join(dir, "ingest")).durableThroughLsn).to.equal(3);
      duck.closeSync();
      duckdb.closeSync();
    });

    it("puts a failed delivery's records back and delivers them on retry, failing only while it fails", async function () {
      const duckdb = await DuckDBInstance.create(":memory:");
      const stateDir = path.join(dir, "ingest");
      const store = new LocalObjectStore(path.join(dir, "lake"), "sensors-dev", () =>
        Date.UTC(2025, 0, 6, 12),
      );
      const writer = await openWriter(duckdb, { store, now: () => Date.UTC(2025, 0, 6, 12) });
      writer.add(1, { kind: "telemetry", record: record(1) });
      writer.add(2, { kind: "telemetry", record: record(2) });
      // A transient failure: the staging folder is briefly not a folder (a full disk or a lost mount looks alike).
      const staging = path.join(stateDir, "staging");
      fs.rmSync(staging, { recursive: true, force: true });
      fs.writeFileSync(staging, "");
      const warnings: string[] = [];
      const onWarning = (w: Error) => warnings.push(w.message);
      process.on("warning", onWarning);
      try {
        await writer.flush();
        await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
        expect(writer.stats).to.deep.include({
          deliveries: 0,
          failedDeliveries: 1,
          failing: true,
          bufferedRecords: 2,
        });
        expect(writer.stats.lastError).to.match(/^lake delivery failed: /);
        expect(warnings).to.deep.equal([writer.stats.lastError]);
        // The dashboard's "last error" shows a failing lake before anything else.
        expect(dashboardError({ ...OTHER_ERRORS, lake: writer.stats })).to.equal(writer.stats.lastError);
        fs.rmSync(staging);
        fs.mkdirSync(staging);
        await writer.flush();
      } finally {
        process.off("warning", onWarning);
        await writer.close();
      }
      expect(writer.stats).to.deep.include({
        deliveries: 1,
        failedDeliveries: 1,
        failing: false,
        telemetryRows: 2,
      });
      expect(readLakeCheckpoint(stateDir).durableThroughLsn).to.equal(2);
      // Delivered on retry: the dashboard marks the old error so, after any current one.
      const recovered = `${writer.stats.lastError} (delivered on retry)`;
      expect(dashboardError({ ...OTHER_ERRORS, lake: writer.stats })).to.equal(recovered);
      expect(dashboardError({ ...OTHER_ERRORS, athena: "query failed", lake: writer.stats })).to.equal(
        "query failed",
      );
      duckdb.closeSync();
    });

    it("finishes a delivery whose checkpoint was written but whose files were not yet moved into place", async function () {
      const stateDir = path.join(dir, "ingest");
      const staged = path.join(stateDir, "staging", "abc");
      const final = path.join(dir, "lake", "raw", "telemetry", "room_id=lab", "dt=2025-01-06", "x.parquet");
      fs.mkdirSync(path.dirname(staged), { recursive: true });
      fs.writeFileSync(staged, "parquet bytes");
      fs.writeFileSync(
        path.join(stateDir, "staging", "uncommitted"),
        "from a delivery that never reached its checkpoint",
      );
      fs.writeFileSync(
        path.join(stateDir, "checkpoint.json"),
        JSON.stringify({ durableThroughLsn: 7, simulatedNowMs: 5, pending: [[staged, final]] }),
      );
      const duckdb = await DuckDBInstance.create(":memory:");
      const store = new LocalObjectStore(path.join(dir, "lake"), "sensors-dev", () => 0);
      const writer = await openWriter(duckdb, { store, now: () => 0 });
      expect(fs.readFileSync(final, "utf8")).to.equal("parquet bytes");
      expect(fs.readdirSync(path.join(stateDir, "staging"))).to.deep.equal([]);
      expect(writer.committed).to.deep.equal({ durableThroughLsn: 7, simulatedNowMs: 5 });
      duckdb.closeSync();
    });
  });
  describe("scoring waits for the lake", function () {
    it("knows the oldest reading taken but not in the lake, until the delivery that holds it commits", async function () {
      const duckdb = await DuckDBInstance.create(":memory:");
      const now = () => Date.UTC(2025, 0, 6, 12);
      const writer = await openWriter(duckdb, {
        store: new LocalObjectStore(path.join(dir, "lake"), "sensors-dev", now),
        bufferSeconds: 3600, // the timer never delivers during the test: only flush() does
        now,
      });
      const { log } = DurableLog.open(path.join(dir, "log"), 0);
      const ingest = new IngestPipeline(log, new TopicRules("sensors-dev"), writer);
      const put = (seq: number, receivedAt: number) =>
        new Promise<void>((resolve, reject) =>
          ingest.ingestDirect(
            "telemetry",
            "test",
            Buffer.from(
              JSON.stringify({ device_id: "d1", room_id: "lab", ts: seq * 10_000, seq, temperature_c: 21 }),
            ),
            receivedAt,
            (error) => (error ? reject(error) : resolve()),
          ),
        );
      expect(ingest.oldestUndeliveredArrivalMs()).to.equal(undefined);
      const first = put(1, 5_000);
      // Taken but not yet durable in the log: already on its way to the lake.
      expect(ingest.oldestUndeliveredArrivalMs()).to.equal(5_000);
      await first;
      await put(2, 7_000);
      expect(ingest.oldestUndeliveredArrivalMs()).to.equal(5_000); // buffered in the local Firehose
      await writer.flush();
      expect(ingest.oldestUndeliveredArrivalMs()).to.equal(undefined);
      await put(3, 9_000);
      expect(ingest.oldestUndeliveredArrivalMs()).to.equal(9_000);
      await writer.close();
      await log.close();
      duckdb.closeSync();
    });

    it("holds the scoring clock back so a window never ends after a reading the lake does not hold yet", function () {
      let oldest: number | undefined = 1_000_000;
      const clock = scoringClock(
        () => 2_000_000,
        360,
        () => oldest,
      );
      // A window ends ingestDelay before "now": at most just before the undelivered reading.
      expect(clock() - 360_000).to.equal(oldest - 1);
      oldest = 1_900_000; // the lake caught up further: the real clock is the bound
      expect(clock()).to.equal(2_000_000);
      oldest = undefined;
      expect(clock()).to.equal(2_000_000);
      expect(scoringClock(() => 5, 360, undefined)()).to.equal(5); // the cloud's function: the clock itself
    });
  });
});
