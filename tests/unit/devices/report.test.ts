import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from "@aws-sdk/client-athena";
import { expect } from "chai";
import { mockClient } from "aws-sdk-client-mock";
import { main } from "../../../devices/report/cli";
import { mergeSummaries, type ShardSummary } from "../../../devices/report/merge";
import { LatencyHistogram } from "../../../devices/runtime/histogram";
import { openStore } from "../../../devices/storage";
import type { FleetSummary } from "../../../devices/summary";
import { S3Store } from "../functions/scoring-s3-store";
import { captureStreams } from "./helpers/streams";

/** A shard's summary with the given devices (last seq each) and acknowledgement latencies. */
function shardSummary(shard: string, lastSeq: Record<string, number>, latenciesMs: number[]): FleetSummary {
  const histogram = new LatencyHistogram();
  for (const ms of latenciesMs) histogram.record(ms);
  const published = Object.values(lastSeq).reduce((a, s) => a + s + 1, 0);
  return {
    ok: true,
    stoppedBy: "completed",
    target: "mqtt.js mqtt://127.0.0.1:1883",
    protocol: "5",
    qos: 1,
    deployment: "sensors-loadtest",
    seed: "1",
    shard,
    devices: Object.keys(lastSeq).length,
    devicesConnected: Object.keys(lastSeq).length,
    simulated: {
      start: "2025-01-06T08:00:00.000Z",
      end: "2025-01-06T08:25:00.000Z",
      speed: 1,
      intervalMs: 10_000,
    },
    wallMs: 1_500_000,
    rampUpMs: 0,
    samplingMs: 1_500_000,
    published,
    acknowledged: published,
    failed: { total: 0, dropped: 0, rejected: 0, unacknowledged: 0, unsent: 0 },
    resent: 0,
    reconnects: 0,
    disconnects: 0,
    connectFailures: 0,
    provisioned: 0,
    provisioningFailures: 0,
    publishRate: published / 1500,
    ackLatencyMs: histogram.percentiles(),
    ackLatencyHistogram: histogram.toJSON(),
    profile: { spec: "0s:0,5m:3,20m:3,25m:0", peakDevices: 3, endMs: 1_500_000 },
    maxScheduleLagMs: 0,
    anomalies: {
      injected: 0,
      byKind: { spike: 0, level_shift: 0, drift: 0, stuck: 0, dropout: 0, noise_burst: 0 },
      labelsFile: null,
    },
    replay: null,
    errors: {},
    lastSeq,
  };
}

const fast = Array.from({ length: 900 }, (_, i) => 4 + (i % 10) / 10);
const slow = Array.from({ length: 100 }, (_, i) => 80 + i);

describe("devices: fleet:report", () => {
  it("adds the counts up and takes percentiles from the merged histograms, not an average of percentiles", () => {
    const a = shardSummary("1/2", { "sensors-loadtest-lab-001": 99, "sensors-loadtest-lab-002": 49 }, fast);
    const b = shardSummary("2/2", { "sensors-loadtest-office-001": 9 }, slow);
    const report = mergeSummaries([
      { source: "a", summary: a },
      { source: "b", summary: b },
    ]);
    expect(report).to.deep.include({ ok: true, devices: 3, published: 160, acknowledged: 160 });
    expect(report.shards).to.deep.equal(["1/2", "2/2"]);
    expect(report.lastSeq).to.deep.equal({
      "sensors-loadtest-lab-001": 99,
      "sensors-loadtest-lab-002": 49,
      "sensors-loadtest-office-001": 9,
    });
    const all = new LatencyHistogram();
    for (const ms of [...fast, ...slow]) all.record(ms);
    expect(report.ackLatencyMs).to.deep.equal(all.percentiles());
    // The fleet's p90 is a fast reading (900 of 1000 are fast); averaging the shards' p90s would say ~90 ms.
    expect(report.ackLatencyMs!.p90).to.be.below(5);
    expect((a.ackLatencyMs!.p90 + b.ackLatencyMs!.p90) / 2).to.be.above(45);
  });

  it("fails a run with a missing shard and refuses overlapping shards or two deployments", () => {
    const one = shardSummary("1/3", { "sensors-loadtest-lab-001": 5 }, fast);
    const three = shardSummary("3/3", { "sensors-loadtest-lab-003": 5 }, fast);
    const report = mergeSummaries([
      { source: "one", summary: one },
      { source: "three", summary: three },
    ]);
    expect(report.ok).to.equal(false);
    expect(report.missingShards).to.deep.equal(["2/3"]);
    const overlapping: ShardSummary[] = [
      { source: "x", summary: one },
      { source: "y", summary: { ...three, lastSeq: { "sensors-loadtest-lab-001": 5 } } },
    ];
    expect(() => mergeSummaries(overlapping)).to.throw(
      "device sensors-loadtest-lab-001 ran in shard 1/3 and shard 3/3: the shards overlap (same --shard twice, or different fleets)",
    );
    expect(() =>
      mergeSummaries([
        { source: "x", summary: one },
        { source: "y", summary: { ...three, deployment: "sensors-dev" } },
      ]),
    ).to.throw("y is a run of sensors-dev, x of sensors-loadtest: merge one run at a time");
  });

  describe("the command, on an S3 run prefix, compared with the lake through Athena", () => {
    const s3 = new S3Store();
    const athena = mockClient(AthenaClient);
    const run = "s3://fleet-runner-bucket/runs/ramp/";
    before(async () => {
      const store = openStore(run, s3.client);
      await store.write(
        "shard-1-of-2.summary.json",
        JSON.stringify(
          shardSummary("1/2", { "sensors-loadtest-lab-001": 99, "sensors-loadtest-lab-002": 49 }, fast),
        ),
      );
      await store.write(
        "shard-2-of-2.summary.json",
        JSON.stringify(shardSummary("2/2", { "sensors-loadtest-office-001": 9 }, slow)),
      );
      await openStore("s3://fleet-runner-bucket/runs/other/", s3.client).write(
        "shard-1-of-1.summary.json",
        "{}",
      );
    });

    async function report(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
      const streams = captureStreams();
      const code = await main(args, streams, {
        s3: s3.client,
        athena: new AthenaClient({}),
        sleep: async () => {},
      });
      return { code, stdout: streams.out(), stderr: streams.err() };
    }

    function lake(rows: [string, number][]) {
      athena.reset();
      athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: "q-1" });
      athena
        .on(GetQueryExecutionCommand)
        .resolvesOnce({ QueryExecution: { Status: { State: "RUNNING" } } })
        .resolves({ QueryExecution: { Status: { State: "SUCCEEDED" } } });
      const data = rows.map(([device, received]) => ({
        Data: [{ VarCharValue: device }, { VarCharValue: String(received) }, { VarCharValue: "0" }],
      }));
      athena
        .on(GetQueryResultsCommand, { QueryExecutionId: "q-1", NextToken: undefined })
        .resolves({ ResultSet: { Rows: [{ Data: [] }, ...data.slice(0, 1)] }, NextToken: "page-2" })
        .on(GetQueryResultsCommand, { QueryExecutionId: "q-1", NextToken: "page-2" })
        .resolves({ ResultSet: { Rows: data.slice(1) } });
    }

    const lakeArgs = [
      "--from",
      run,
      "--athena-workgroup",
      "sensors-loadtest",
      "--athena-database",
      "sensors_loadtest",
    ];

    it("merges the run's shards only, and exits 0 when the lake holds every reading", async () => {
      lake([
        ["sensors-loadtest-lab-001", 100],
        ["sensors-loadtest-lab-002", 50],
        ["sensors-loadtest-office-001", 10],
      ]);
      const { code, stdout, stderr } = await report(lakeArgs);
      expect(code, stderr).to.equal(0);
      expect(stdout).to.include("OK: sensors-loadtest, 2 shards (1/2, 2/2)");
      expect(stdout).to.include("published   160");
      expect(stdout).to.include("lake        160 of 160 readings of 3 devices (100%)");
      const sql = athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input;
      expect(sql.WorkGroup).to.equal("sensors-loadtest");
      expect(sql.QueryString).to.include('FROM "sensors_loadtest"."device_completeness"');
      expect(sql.QueryString).to.include(
        "WHERE day BETWEEN '2025-01-06' AND '2025-01-06' AND device_id LIKE 'sensors-loadtest-%'",
      );
    });

    it("exits 1 and names the devices the lake is short of", async () => {
      lake([
        ["sensors-loadtest-lab-001", 100],
        ["sensors-loadtest-lab-002", 45],
      ]);
      const { code, stdout } = await report([...lakeArgs, "--json"]);
      expect(code).to.equal(1);
      const json = JSON.parse(stdout) as { lake: { received: number; short: unknown[] } };
      expect(json.lake.received).to.equal(145);
      expect(json.lake.short).to.deep.equal([
        { device: "sensors-loadtest-office-001", published: 10, received: 0 },
        { device: "sensors-loadtest-lab-002", published: 50, received: 45 },
      ]);
    });

    it("says what is wrong with its arguments and where it looked", async () => {
      expect((await report([])).stderr).to.include("--from is required");
      expect((await report(["--from", run, "--athena-workgroup", "x"])).code).to.equal(2);
      const empty = await report(["--from", "s3://fleet-runner-bucket/runs/none/"]);
      expect(empty.code).to.equal(1);
      expect(empty.stderr).to.include(
        "no shard-<i>-of-<n>.summary.json in s3://fleet-runner-bucket/runs/none/; point --from at <out>/<run>",
      );
      expect((await report(["--help"])).stdout).to.include("Usage: npm run fleet:report");
    });
  });
});
