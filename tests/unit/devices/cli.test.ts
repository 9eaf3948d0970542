/** The CLI as a user runs it: a real process (through the package bin), a real broker on loopback. */
import { expect } from "chai";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { TelemetryPayload } from "../../../components/telemetry/schema";
import { readLabels } from "../../../devices/labels";
import type { FleetSummary } from "../../../devices/summary";
import { startPlainBroker, type PlainBroker } from "./helpers/plain-broker";
import { TelemetryReceiver } from "./helpers/receiver";

const BIN = resolve(__dirname, "../../../devices/bin.cjs");

interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function cli(args: string[], whileRunning?: (child: ReturnType<typeof spawn>) => void): Promise<CliRun> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  whileRunning?.(child);
  return new Promise((done) => child.on("exit", (code) => done({ code, stdout, stderr })));
}

describe("devices: sensor-fleet CLI", function () {
  this.timeout(60_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), "fleet-cli-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("prints --help through the package bin and exits 0", async () => {
    const run = await cli(["--help"]);
    expect(run.code).to.equal(0);
    expect(run.stdout).to.match(/^Usage: npm run fleet -- \[options\]/);
    expect(run.stdout).to.include("--anomalies <rate[,kind...]>");
    expect(run.stderr).to.equal("");
  });

  it("exits 2 with the reason on stderr for bad options, before connecting anything", async () => {
    const cases: [string[], string][] = [
      [
        ["--interval", "5"],
        'sensor-fleet: --interval must be a duration with a unit: ms, s, m, h or d, e.g. 500ms or 10s (got "5")\n',
      ],
      [
        ["--target", "iot-core"],
        "sensor-fleet: --target iot-core needs --fleet <file> (the endpoint, CA and device certificates)\n",
      ],
      [
        ["--replay", join(dir, "none.csv")],
        `sensor-fleet: --replay ${join(dir, "none.csv")}: cannot read the file (ENOENT: no such file or directory, open '${join(dir, "none.csv")}')\n`,
      ],
    ];
    const runs = await Promise.all(cases.map(([args]) => cli(args)));
    runs.forEach((run, i) => {
      expect(run.code).to.equal(2);
      expect(run.stderr).to.equal((cases[i] as [string[], string])[1]);
      expect(run.stdout).to.equal("");
    });
  });

  describe("against a broker", () => {
    let broker: PlainBroker;
    let receiver: TelemetryReceiver;
    beforeEach(async () => {
      receiver = new TelemetryReceiver();
      broker = await startPlainBroker(receiver);
    });
    afterEach(async () => broker.close());

    // aedes speaks MQTT 3.1.1 only.
    const runArgs = (labels: string): string[] => [
      "--target",
      `mqtt://127.0.0.1:${broker.port}`,
      "--protocol",
      "3.1.1",
      "--devices",
      "6",
      "--interval",
      "1m",
      "--speed",
      "3000",
      "--count",
      "40",
      "--seed",
      "cli-test",
      "--start",
      "2025-01-06T08:00:00Z",
      "--anomalies",
      "0.05",
      "--labels",
      labels,
      "--json",
      "--quiet",
    ];

    it("publishes every reading, summarises as JSON, and writes labels that line up with the payloads", async () => {
      const labelsPath = join(dir, "labels.jsonl");
      const run = await cli(runArgs(labelsPath));
      expect(run.code, run.stderr).to.equal(0);
      const summary = JSON.parse(run.stdout) as FleetSummary;
      expect(summary).to.deep.include({
        ok: true,
        stoppedBy: "completed",
        devices: 6,
        devicesConnected: 6,
        qos: 1,
      });
      expect(summary.simulated.start).to.equal("2025-01-06T08:00:00.000Z");
      expect(summary.published).to.equal(6 * 40);
      expect(receiver.distinct).to.equal(summary.published);
      expect(receiver.gaps(summary.lastSeq)).to.deep.equal([]);
      expect(Object.keys(summary.lastSeq)).to.have.length(6);

      const labels = readLabels(labelsPath);
      expect(labels.length).to.equal(summary.anomalies.injected).and.to.be.greaterThan(0);
      for (const label of labels) {
        const received = [...receiver.payloads.values()].filter(
          (p) => p.device_id === label.device_id && p.ts >= label.start && p.ts <= label.end,
        );
        if (label.kind === "dropout") {
          expect(received, JSON.stringify(label)).to.deep.equal([]);
        } else {
          expect(
            received.map((p) => p.seq).sort((a, b) => a - b),
            JSON.stringify(label),
          ).to.deep.equal(Array.from({ length: label.samples }, (_, i) => (label.first_seq as number) + i));
        }
      }
    });

    it("sends the same readings for the same seed and start", async () => {
      const first = await cli(runArgs(join(dir, "a.jsonl")));
      const firstPayloads = new Map(receiver.payloads);
      receiver.payloads.clear();
      receiver.seqs.clear();
      const second = await cli(runArgs(join(dir, "b.jsonl")));
      expect([first.code, second.code]).to.deep.equal([0, 0]);
      expect(firstPayloads.size).to.equal(240);
      expect(sorted(receiver.payloads)).to.deep.equal(sorted(firstPayloads));
      expect(readLabels(join(dir, "b.jsonl"))).to.deep.equal(readLabels(join(dir, "a.jsonl")));
    });

    it("stops cleanly on SIGINT: in-flight readings are flushed and the summary is printed", async () => {
      const run = await cli(
        [
          "--target",
          `mqtt://127.0.0.1:${broker.port}`,
          "--protocol",
          "3.1.1",
          "--devices",
          "10",
          "--interval",
          "50ms",
          "--json",
          "--quiet",
        ],
        (child) => {
          const poll = setInterval(() => {
            if (receiver.distinct >= 100) {
              clearInterval(poll);
              child.kill("SIGINT");
            }
          }, 20);
        },
      );
      expect(run.code, run.stderr).to.equal(0);
      const summary = JSON.parse(run.stdout) as FleetSummary;
      expect(summary.stoppedBy).to.equal("stopped");
      expect(summary.failed.total).to.equal(0);
      expect(summary.published).to.be.at.least(100);
      expect(receiver.distinct).to.equal(summary.published);
      expect(run.stderr).to.include("SIGINT: stopping, waiting for in-flight readings (again to abort)");
    });
  });

  it("exits 1 and says why when readings cannot be delivered", async () => {
    const closedPort = await new Promise<number>((done) => {
      const server = net.createServer().listen(0, "127.0.0.1", () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => done(port));
      });
    });
    const run = await cli([
      "--target",
      `mqtt://127.0.0.1:${closedPort}`,
      "--devices",
      "2",
      "--interval",
      "10ms",
      "--count",
      "3",
      "--drain-timeout",
      "500ms",
      "--json",
      "--quiet",
    ]);
    expect(run.code).to.equal(1);
    const summary = JSON.parse(run.stdout) as FleetSummary;
    expect(summary).to.deep.include({ ok: false, published: 0, devicesConnected: 0 });
    expect(summary.failed).to.deep.equal({ total: 6, dropped: 0, rejected: 0, unacknowledged: 0, unsent: 6 });
    expect(run.stderr).to.match(
      /^sensor-fleet: failed: 6 readings not delivered, 2 devices never connected \(e\.g\. sensors-dev-\w+-001: connect ECONNREFUSED/m,
    );
  });
});

function sorted(payloads: Map<string, TelemetryPayload>): TelemetryPayload[] {
  return [...payloads.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, p]) => p);
}
