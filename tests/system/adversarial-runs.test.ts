// The local backend as a process, attacked where a process is weak: its ingest log damaged between runs (a
// flipped byte, a deleted segment), sockets that never speak while it should stop, file descriptors running out,
// and stack files a person got wrong. Every wait is bounded; everything listens on 127.0.0.1.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { dataTopic } from "../../components/telemetry/topics";
import type { RunSummary } from "../../local/summary";
import { connectDevice, reading, ROOT, startBackend, type BackendProcess } from "../helpers/local-backend";
import { freshDataDir } from "../unit/local/helpers";

const LAB = "sensors-dev-lab-001";
const OFFICE = "sensors-dev-office-001";
const BASE = ["--no-fleet", "--no-dashboard", "--devices", "2", "--mqtt-port", "0"];
/** A run that replays, delivers, runs the final ETL and prints the JSON summary. */
const SHORT_RUN = [...BASE, "--speed", "600", "--duration", "1s", "--json"];

/** Waits for the process to exit, at most `ms`. */
async function exited(run: BackendProcess, ms: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      run.child.kill("SIGKILL");
      reject(new Error(`the backend did not exit within ${ms} ms:\n${run.stderr()}`));
    }, ms);
  });
  try {
    return await Promise.race([run.exit, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Publishes `count` readings per device (QoS 1, 40 in flight each), then SIGKILLs the backend; the seqs acknowledged. */
async function publishThenKill(dataDir: string, count: number): Promise<Set<string>> {
  const run = startBackend([...BASE, "--speed", "1", "--data-dir", dataDir]);
  const port = await run.port;
  const fleetFile = path.join(dataDir, "fleet.json");
  const acked = new Set<string>();
  await Promise.all(
    [
      [LAB, "lab"],
      [OFFICE, "office"],
    ].map(async ([device, room]) => {
      const client = await connectDevice(port, device!, device!, fleetFile);
      const topic = dataTopic("sensors-dev", room!, device!);
      let next = 0;
      await new Promise<void>((resolve) => {
        let inFlight = 0;
        const pump = () => {
          while (inFlight < 40 && next < count) {
            const seq = next++;
            inFlight++;
            client.publish(topic, reading(device!, room!, seq), { qos: 1 }, (err) => {
              inFlight--;
              if (!err) acked.add(`${device}/${seq}`);
              if (acked.size === 2 * count || (next === count && inFlight === 0)) resolve();
              else pump();
            });
          }
        };
        pump();
      });
      client.end(true);
    }),
  );
  run.child.kill("SIGKILL");
  await exited(run, 10_000);
  return acked;
}

/** `device/seq` of every telemetry row in the lake. */
async function lakeReadings(dataDir: string): Promise<string[]> {
  const duckdb = await DuckDBInstance.create(":memory:");
  const duck = await duckdb.connect();
  const rows = (
    await duck.runAndReadAll(
      `SELECT device_id || '/' || seq AS k FROM read_parquet('${path.join(dataDir, "lake", "raw", "telemetry", "**", "*.parquet")}')`,
    )
  ).getRowObjectsJS();
  duck.closeSync();
  duckdb.closeSync();
  return rows.map((r) => String(r.k));
}

const segments = (dataDir: string) =>
  fs
    .readdirSync(path.join(dataDir, "ingest", "log"))
    .filter((f) => f.endsWith(".log"))
    .sort()
    .map((f) => path.join(dataDir, "ingest", "log", f));

describe("local backend under attack: its ingest log, its shutdown, its file descriptors", function () {
  this.timeout(180_000);
  const dirs: string[] = [];
  after(function () {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  describe("a byte flipped in the middle of the last log segment", function () {
    let dataDir: string;
    let acked: Set<string>;
    let damaged: BackendProcess;
    let damagedCode: number | null;

    before(async function () {
      dataDir = await freshDataDir("adversarial-flip-");
      dirs.push(dataDir);
      acked = await publishThenKill(dataDir, 500);
      const last = segments(dataDir).at(-1)!;
      const bytes = fs.readFileSync(last);
      bytes[Math.floor(bytes.length / 2)] ^= 0x10;
      fs.writeFileSync(last, bytes);
      damaged = startBackend([...SHORT_RUN, "--data-dir", dataDir]);
      damagedCode = await exited(damaged, 150_000);
    });

    it("names the damage at start-up with file and offset, and copies the damaged bytes aside", function () {
      expect(damaged.stderr()).to.match(
        /ingest log: LOST .*\.log bytes \d+-\d+ are damaged \(copied to .*damaged.*\.bin\)/,
      );
      expect(fs.readdirSync(path.join(dataDir, "ingest", "damaged"))).to.have.length(1);
    });

    it("loses at most the damaged record, and says so: the summary is not ok", async function () {
      expect(damagedCode).to.equal(1);
      const summary = JSON.parse(damaged.stdout()) as RunSummary;
      expect(summary.ok).to.equal(false);
      expect(
        summary.problems.some((p) =>
          /the ingest log lost acknowledged readings at start-up: .*damaged/.test(p),
        ),
      ).to.equal(true);
      const inLake = new Set(await lakeReadings(dataDir));
      const missing = [...acked].filter((k) => !inLake.has(k));
      expect(missing.length).to.be.at.most(1);
      expect(summary.ingest.log.lost).to.deep.equal({ entries: missing.length, exact: true });
    });

    it("then runs healthy (the loss was reported once) and exits on time with an idle socket open", async function () {
      const run = startBackend([
        ...BASE,
        "--speed",
        "600",
        "--duration",
        "3s",
        "--data-dir",
        dataDir,
        "--json",
      ]);
      const idle = net.connect(await run.port, "127.0.0.1");
      idle.on("error", () => undefined);
      try {
        expect(await exited(run, 120_000), run.stderr()).to.equal(0);
        expect((JSON.parse(run.stdout()) as RunSummary).ok).to.equal(true);
      } finally {
        idle.destroy();
      }
    });
  });

  describe("a deleted last log segment", function () {
    it("is reported lost at start-up, the run is not ok, and its LSNs are not handed out again", async function () {
      const dataDir = await freshDataDir("adversarial-deleted-");
      dirs.push(dataDir);
      await publishThenKill(dataDir, 100);
      const last = segments(dataDir).at(-1)!;
      fs.rmSync(last);
      const run = startBackend([...SHORT_RUN, "--data-dir", dataDir]);
      expect(await exited(run, 150_000)).to.equal(1);
      const summary = JSON.parse(run.stdout()) as RunSummary;
      expect(summary.problems.join("\n")).to.contain(`segment ${path.basename(last)} is missing`);
      expect(summary.ingest.log.lost.exact).to.equal(false);
      const manifest = JSON.parse(
        fs.readFileSync(path.join(dataDir, "ingest", "log", "manifest.json"), "utf8"),
      ) as {
        segments: { firstLsn: number }[];
      };
      expect(manifest.segments.every((s) => s.firstLsn > 1_000_000)).to.equal(true);
    });
  });

  describe("file descriptors running out", function () {
    it("refuses sockets beyond its budget, never crashes, and serves a device once the idle ones time out", async function () {
      const dataDir = await freshDataDir("adversarial-fds-");
      dirs.push(dataDir);
      const run = startBackend(
        [...BASE, "--speed", "600", "--duration", "25s", "--data-dir", dataDir, "--json"],
        {
          fileDescriptors: 512,
        },
      );
      const port = await run.port;
      // 400 sockets that never speak, 40 from each of ten loopback addresses (below the per-address share).
      const idle = Array.from({ length: 400 }, (_, i) => {
        const s = net.connect({ port, host: "127.0.0.1", localAddress: `127.0.1.${1 + (i % 10)}` });
        s.on("error", () => undefined);
        return s;
      });
      try {
        await new Promise((resolve) => setTimeout(resolve, 12_000)); // the handshake timeout frees the rest
        const device = await connectDevice(port, LAB, LAB, path.join(dataDir, "fleet.json"));
        await device.publishAsync(dataTopic("sensors-dev", "lab", LAB), reading(LAB, "lab", 1), { qos: 1 });
        device.end(true);
        expect(await exited(run, 150_000), run.stderr()).to.equal(0);
        const summary = JSON.parse(run.stdout()) as RunSummary;
        expect(summary.ok).to.equal(true);
        expect(summary.broker.refusedConnections.total).to.be.at.least(100);
        expect(summary.ingest.accepted).to.equal(1);
      } finally {
        for (const s of idle) s.destroy();
      }
    });
  });

  describe("stack files a person got wrong", function () {
    const stackFile = path.join(ROOT, `Pulumi.adversarial-${process.pid}.yaml`);
    const stack = `adversarial-${process.pid}`;
    after(function () {
      fs.rmSync(stackFile, { force: true });
    });

    it("exits 2 naming file, line and column of invalid YAML: npm start and the synth, without a stack trace", async function () {
      fs.writeFileSync(
        stackFile,
        "config:\n  aws:region: eu-west-1\n  sensor-analytics:rooms: [lab\n  x: 1\n",
      );
      const run = startBackend(["--stack", stack, ...BASE]);
      expect(await exited(run, 60_000)).to.equal(2);
      expect(run.stderr()).to.match(
        new RegExp(`^npm start: Pulumi\\.${stack}\\.yaml:4:3: not valid YAML: .*; fix the file there\\n$`),
      );
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "adversarial-stack-"));
      dirs.push(dir);
      fs.copyFileSync(stackFile, path.join(dir, "Pulumi.bad.yaml"));
      const synth = spawnSync(
        process.execPath,
        ["--import", "tsx", path.join(ROOT, "policies/synth/cli.ts"), "--stack", "bad", "--stack-dir", dir],
        {
          cwd: ROOT,
          encoding: "utf8",
          timeout: 60_000,
        },
      );
      expect(synth.status).to.equal(2);
      expect(synth.stderr.trim()).to.match(/^synth: .*Pulumi\.bad\.yaml:4:3: not valid YAML: [^\n]*$/);
    });

    it("exits 2 on a key in a misspelled project namespace, with the key it was meant to be", async function () {
      fs.writeFileSync(
        stackFile,
        "config:\n  aws:region: eu-west-1\n  aws:regoin: eu-west-2\n  sensor-analytic:rooms: [lab]\n",
      );
      const run = startBackend(["--stack", stack, ...BASE]);
      expect(await exited(run, 60_000)).to.equal(2);
      expect(run.stderr()).to.contain('sensor-analytic:rooms is in namespace "sensor-analytic"');
      expect(run.stderr()).to.contain("did you mean sensor-analytics:rooms?");
    });
  });
});
