// The whole local pipeline, time-compressed: a fleet with injected spikes publishes over TLS for a few seconds,
// the broker authorizes with the IoT policy, the rules route, the lake receives Parquet, the ETL state machine
// runs through the generated ASL, the model trains, scoring finds the spikes, and the queries answer.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { parseAnomalySpec } from "../../../devices/model/anomalies";
import { ETL_STATES } from "../../../components/etl/asl/etl-machine";
import { LocalBackend } from "../../../local/backend";
import {
  parseEmfLine,
  PIPELINE_METRICS,
  PIPELINE_METRICS_NAMESPACE,
} from "../../../components/operations/pipeline-metrics";
import type { RunSummary } from "../../../local/summary";
import { freshDataDir } from "./helpers";
import { localOptions } from "../../helpers/local-backend";

/**
 * Simulated start of the run, pinned: the sensors' daily temperature cycle and the seeded history follow
 * simulated time, so a run started at the wall clock would depend on the hour it runs at. The dev model (raw
 * temperature, shingle 1, all sensors pooled) also flags normal readings at the fleet's coldest (night) and
 * warmest (midday) edges: precision is 1.0 for starts at 07-11 and 15 UTC, 0.13-0.29 at 00, 03, 12, 18 and
 * 21 UTC (README, "Measured figures"). This test checks the pipeline catches spikes, so it runs in the steady
 * morning, early enough that start-up (which runs at x600: about 1 h simulated here) stays clear of midday on
 * a slower machine.
 */
const START = Date.parse("2026-12-07T07:10:00Z");

/** History the backend seeds: 3 days in the database, 2 days of CSV overlapping it by 1, every 10 minutes. */
const HISTORY_PER_DEVICE = { database: 3 * 144, csv: 2 * 144, distinct: 4 * 144 };

describe("local backend end to end", function () {
  this.timeout(90_000);
  let dataDir: string;
  let summary: RunSummary;
  let backend: LocalBackend;
  const logs: string[] = [];

  before(async function () {
    dataDir = await freshDataDir("local-e2e-");
    backend = await LocalBackend.start(
      localOptions(dataDir, {
        durationMs: 4_000,
        anomalies: parseAnomalySpec("2%,spike"),
        seed: "7",
        startMs: START,
      }),
      (line) => logs.push(line),
    );
    await backend.untilDone();
    summary = await backend.stop();
    expect(summary.simulated.start).to.equal(new Date(START).toISOString());
  });

  after(function () {
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("ends healthy, with every acknowledged reading accepted and in the lake files of this run", function () {
    expect(summary.problems, logs.join("\n")).to.deep.equal([]);
    expect(summary.ok).to.equal(true);
    expect(summary.fleet!.failed).to.equal(0);
    expect(summary.fleet!.published).to.be.greaterThan(400);
    expect(summary.ingest.accepted).to.equal(summary.fleet!.acknowledged);
    expect(summary.lake.telemetryRowsThisRun).to.equal(summary.ingest.accepted);
    expect(summary.ingest.quarantined).to.equal(0);
  });

  it("holds every reading exactly once by (device_id, seq), with no gap in any device's counter", async function () {
    const duckdb = await DuckDBInstance.create(":memory:");
    const duck = await duckdb.connect();
    const glob = path.join(dataDir, "lake", "raw", "telemetry", "**", "*.parquet");
    const perDevice = (
      await duck.runAndReadAll(
        `SELECT device_id, count(*) AS n, count(DISTINCT seq) AS distinct_seq, min(seq) AS first, max(seq) AS last
         FROM read_parquet('${glob}', hive_partitioning = true) GROUP BY device_id ORDER BY device_id`,
      )
    ).getRowObjectsJS();
    duck.closeSync();
    duckdb.closeSync();
    expect(perDevice.map((r) => r.device_id)).to.deep.equal([
      "sensors-dev-lab-001",
      "sensors-dev-lab-002",
      "sensors-dev-office-001",
      "sensors-dev-office-002",
    ]);
    for (const row of perDevice) {
      expect(Number(row.n), String(row.device_id)).to.equal(Number(row.distinct_seq));
      expect(Number(row.first)).to.equal(0);
      expect(Number(row.last) + 1).to.equal(Number(row.n));
    }
    expect(perDevice.reduce((sum, r) => sum + Number(r.n), 0)).to.equal(summary.ingest.accepted);
  });

  it("runs the generated ETL state machine to SUCCEEDED: both imports, curation merging live and historical data", function () {
    expect(summary.etl.final.status).to.equal("SUCCEEDED");
    expect(summary.etl.executions.every((e) => e.status === "SUCCEEDED")).to.equal(true);
    const tables = summary.lake.tables;
    expect(tables.historical_jdbc).to.equal(4 * HISTORY_PER_DEVICE.database);
    expect(tables.historical_s3).to.equal(4 * HISTORY_PER_DEVICE.csv);
    // One row per (room, device, ts): the day both sources hold is kept once.
    expect(tables.curated_readings).to.equal(4 * HISTORY_PER_DEVICE.distinct + summary.ingest.accepted);
    expect(tables.training).to.equal(tables.curated_readings);
    const states = backend.parts.pipelines.sfn.list(backend.parts.pipelines.arns.etl).at(-1)!.states;
    expect(states).to.include.members([
      ETL_STATES.plan,
      ETL_STATES.s3Import,
      ETL_STATES.jdbcImport,
      ETL_STATES.curate,
      ETL_STATES.training,
      ETL_STATES.succeeded,
    ]);
  });

  it("trains a model through the training state machine and puts it in service", function () {
    expect(summary.training.length).to.be.greaterThan(0);
    expect(summary.training.every((t) => t.status === "SUCCEEDED")).to.equal(true);
    expect(summary.model!.trainingVectors).to.be.greaterThan(512);
    expect(summary.model!.threshold).to.be.greaterThan(0);
  });

  it("answers the analytics queries over the local lake", function () {
    expect(summary.queries.latest_reading_per_sensor).to.equal(4);
    expect(summary.queries.device_completeness).to.be.at.least(4);
    expect(summary.queries.hourly_room_stats).to.be.a("number").greaterThan(0);
    expect(summary.queries.anomalies_last_24h).to.equal(summary.lake.tables.anomalies);
  });

  it("detects the injected spikes, recording anomalies in the lake and alerting", function () {
    const anomalies = summary.anomalies!;
    const spikes = anomalies.byKind.spike!;
    expect(spikes.injected).to.be.greaterThan(3);
    expect(spikes.detected / spikes.injected).to.be.at.least(0.5);
    expect(anomalies.recall).to.be.greaterThan(0);
    expect(anomalies.precision).to.be.greaterThan(0.5);
    expect(anomalies.alerts).to.be.greaterThan(0);
    expect(summary.lake.tables.anomalies).to.equal(anomalies.reported);
  });

  it("carries the pipeline metrics the scoring and training functions published, as EMF lines in their logs", function () {
    const report = summary.pipelineMetrics;
    expect(report.namespace).to.equal(PIPELINE_METRICS_NAMESPACE);
    expect(report.dimensions).to.deep.equal({ Deployment: "sensors-dev" });
    expect(report.rejectedLines).to.equal(0);
    // The summary's metrics are the definition's, each with its unit.
    const defined = Object.values(PIPELINE_METRICS);
    expect(Object.keys(report.metrics).sort()).to.deep.equal(defined.map((m) => m.name).sort());
    for (const m of defined) expect(report.metrics[m.name]!.unit, m.name).to.equal(m.unit);
    // What the functions wrote to their log groups, read back as CloudWatch Logs would.
    const logDir = summary.where.functionLogs!;
    const published = new Map<string, number>();
    for (const file of fs.readdirSync(logDir))
      for (const line of fs.readFileSync(path.join(logDir, file), "utf8").split("\n")) {
        const data = parseEmfLine(line);
        if (Array.isArray(data))
          for (const d of data) published.set(d.name, (published.get(d.name) ?? 0) + 1);
      }
    for (const [name, count] of published) expect(report.metrics[name]!.datapoints, name).to.equal(count);
    // This dev run trained, promoted and scored in batch transforms: those metrics were published and add up.
    for (const name of [
      "ReadingsScored",
      "AnomaliesDetected",
      "ScoringLagSeconds",
      "ModelAgeSeconds",
      "BatchTransformSeconds",
      "TrainingVectors",
      "ModelsPromoted",
    ])
      expect(published.get(name), name).to.be.greaterThan(0);
    expect(report.metrics.AnomaliesDetected!.value).to.equal(summary.lake.tables.anomalies);
    expect(report.metrics.ModelsPromoted!.value).to.be.within(1, summary.training.length);
    expect(report.metrics.ReadingsScored!.value).to.be.within(1, summary.ingest.accepted);
  });
});
