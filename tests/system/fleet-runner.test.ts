/**
 * The fleet runner's pieces, offline: the bundle a Fargate task runs, started with plain node the way the task
 * starts it, against Debian's mosquitto and against the local backend; and a run split over three shard
 * processes with a ramp profile, merged by fleet:report, against what a subscriber received.
 * Needs `apt-get install -y mosquitto`.
 */
import { expect } from "chai";
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fleetDevices } from "../../components/telemetry/fleet";
import { bundleSimulator } from "../../devices/bundle/build";
import type { FleetFile } from "../../components/telemetry/fleet-file";
import {
  createCertificateAuthority,
  issueDeviceCertificate,
  issueServerCertificate,
} from "../../devices/pki";
import { CREATE_CERTIFICATE_TOPIC } from "../../devices/provisioning";
import type { MergedReport } from "../../devices/report/merge";
import type { FleetSummary } from "../../devices/summary";
import type { RunSummary } from "../../local/summary";
import { freshDataDir } from "../unit/local/helpers";
import { Mosquitto, mosquittoAvailable } from "../unit/devices/helpers/mosquitto";
import { policyAcl, startProvisioningService } from "../unit/devices/helpers/mosquitto-iot";
import { TelemetryReceiver } from "../unit/devices/helpers/receiver";
import { eventually, startSubscriber } from "../unit/devices/helpers/subscriber";

const REPO = resolve(__dirname, "../..");

interface Exited {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A process with its output collected; `started` resolves when stderr matches `ready`. */
function start(args: string[], env: NodeJS.ProcessEnv = process.env, ready?: RegExp) {
  const child = spawn(process.execPath, args, { cwd: REPO, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  let onReady: (match: RegExpExecArray) => void = () => undefined;
  const started = new Promise<RegExpExecArray>((r) => (onReady = r));
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => {
    stderr += c.toString();
    const match = ready?.exec(stderr);
    if (match) onReady(match);
  });
  const exited = new Promise<Exited>((r) => child.on("exit", (code) => r({ code, stdout, stderr })));
  return { child, started, exited };
}

describe("fleet runner, offline: the bundled simulator as a Fargate task runs it", function () {
  this.timeout(180_000);
  let dir: string;
  let bundle: string;
  before(async function () {
    if (!mosquittoAvailable()) throw new Error("mosquitto is not installed: apt-get install -y mosquitto");
    dir = mkdtempSync(join(tmpdir(), "fleet-runner-"));
    // The bundle alone, outside the repository (no node_modules, no tsx): what the image holds.
    bundle = (await bundleSimulator({ outDir: join(dir, "app") })).file;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("three shard processes with a ramp profile, merged by fleet:report, publish exactly what a subscriber received", async function () {
    const broker = await Mosquitto.start({ dir: mkdtempSync(join(dir, "plain-")) });
    const receiver = new TelemetryReceiver();
    const subscriber = await startSubscriber({ url: `mqtt://127.0.0.1:${broker.port}`, receiver });
    try {
      const out = join(dir, "runs");
      // 300 devices ramp up over 20 s, hold 20 s, ramp down over 20 s (simulated; x4: 15 s of wall time).
      const shards = [1, 2, 3].map(
        (i) =>
          start([
            bundle,
            ...[
              "--target",
              `mqtt://127.0.0.1:${broker.port}`,
              "--devices",
              "300",
              "--interval",
              "1s",
              "--speed",
              "4",
            ],
            ...[
              "--profile",
              "0s:0,20s:300,40s:300,60s:0",
              "--shard",
              `${i}/3`,
              "--out",
              out,
              "--run",
              "ramp",
            ],
            "--json",
          ]).exited,
      );
      const results = await Promise.all(shards);
      for (const r of results) expect(r.code, r.stderr).to.equal(0);
      const report = start([
        "--import",
        "tsx",
        "devices/report/cli.ts",
        "--from",
        join(out, "ramp"),
        "--json",
      ]);
      const { code, stdout, stderr } = await report.exited;
      expect(code, stderr).to.equal(0);
      const merged = JSON.parse(stdout) as MergedReport;
      expect(merged.shards).to.deep.equal(["1/3", "2/3", "3/3"]);
      expect(merged.devices).to.equal(300);
      const perShard = results.map((r) => (JSON.parse(r.stdout) as FleetSummary).published);
      expect(merged.published).to.equal(perShard.reduce((a, b) => a + b));
      await eventually(
        () => receiver.distinct >= merged.published,
        15_000,
        () => `received ${receiver.distinct} of ${merged.published}`,
      );
      expect(receiver.distinct).to.equal(merged.published);
      expect(receiver.gaps(merged.lastSeq)).to.deep.equal([]);
      expect(merged.ackLatencyMs!.count).to.equal(merged.acknowledged);
      expect(merged.ackLatencyMs!.p50).to.be.greaterThan(0);
      expect(merged.ackLatencyMs!.p99).to.be.at.least(merged.ackLatencyMs!.p50);
    } finally {
      await subscriber.endAsync();
      await broker.stop();
    }
  });

  it("with mutual TLS and the SDK's MQTT 5 client: registers by claim from a claim-only fleet file in its environment, and the next run reuses the saved certificate", async function () {
    const deployment = "sensors-ci";
    const template = "SensorFleetTemplate";
    const ca = createCertificateAuthority();
    const server = issueServerCertificate(ca, ["localhost", "127.0.0.1"]);
    const brokerDir = mkdtempSync(join(dir, "tls-"));
    const broker = await Mosquitto.start({
      dir: brokerDir,
      tls: { ca, server },
      acl: policyAcl(deployment, template),
    });
    const [device] = fleetDevices(deployment, ["lab"], 1);
    const service = await startProvisioningService({
      port: broker.port,
      ca,
      template,
      thingName: device!.thingName,
    });
    const claim = issueDeviceCertificate(ca, "provisioning-claim");
    // What the task's secret holds: endpoint, CA, deployment and the claim, no device list.
    const claimOnly: FleetFile = {
      endpoint: "localhost",
      port: broker.port,
      caCertPem: ca.certificatePem,
      deployment,
      devices: [],
      provisioning: {
        templateName: template,
        claimCertificatePem: claim.certificatePem,
        claimPrivateKeyPem: claim.privateKeyPem,
        clientIdPrefix: `${deployment}--claim-`,
      },
    };
    const env = { ...process.env, SENSOR_FLEET_FILE: JSON.stringify(claimOnly), SENSOR_FLEET_RUN: "claim" };
    const args = [
      bundle,
      ...["--fleet", "env:SENSOR_FLEET_FILE", "--target", "iot-core", "--rooms", "lab", "--devices", "1"],
      ...[
        "--interval",
        "100ms",
        "--count",
        "10",
        "--credentials",
        join(dir, "credentials"),
        "--out",
        join(dir, "claim-runs"),
      ],
      "--json",
    ];
    try {
      const first = await start(args, env).exited;
      expect(first.code, first.stderr).to.equal(0);
      expect(JSON.parse(first.stdout)).to.deep.include({ provisioned: 1, published: 10, protocol: "5" });
      expect(service.requests[0]).to.equal(CREATE_CERTIFICATE_TOPIC);
      expect(readdirSync(join(dir, "credentials"))).to.deep.equal(["shard-1-of-1.json"]);
      expect(existsSync(join(dir, "claim-runs", "claim", "shard-1-of-1.summary.json"))).to.equal(true);

      const second = await start(args, env).exited;
      expect(second.code, second.stderr).to.equal(0);
      expect(JSON.parse(second.stdout)).to.deep.include({
        provisioned: 0,
        published: 10,
        devicesConnected: 1,
      });
      expect(service.requests).to.have.length(2); // nothing asked the second time
      expect(second.stderr).to.include("1 of 1 devices have a saved certificate");
    } finally {
      await service.client.endAsync();
      await broker.stop();
    }
  });

  it("against the local backend (mutual TLS, MQTT 3.1.1, the IoT policy): every reading accepted into the lake", async function () {
    const dataDir = await freshDataDir("fleet-runner-local-");
    try {
      const backend = start(
        [
          ...["--import", "tsx", "local/main.ts", "--no-fleet", "--no-dashboard", "--devices", "6"],
          ...["--speed", "60", "--duration", "25s", "--mqtt-port", "0", "--data-dir", dataDir, "--json"],
        ],
        process.env,
        /broker: mqtts:\/\/127\.0\.0\.1:(\d+)/,
      );
      const port = Number((await backend.started)[1]);
      // The fleet file the backend wrote, copied next to the bundle: nothing else from the repository is used.
      cpSync(join(dataDir, "fleet.json"), join(dir, "local-fleet.json"));
      const fleet = await start([
        bundle,
        ...[
          "--fleet",
          join(dir, "local-fleet.json"),
          "--target",
          `mqtts://127.0.0.1:${port}`,
          "--protocol",
          "3.1.1",
        ],
        ...["--interval", "10s", "--speed", "60", "--count", "10", "--json"],
      ]).exited;
      expect(fleet.code, fleet.stderr).to.equal(0);
      const published = (JSON.parse(fleet.stdout) as FleetSummary).published;
      expect(published).to.equal(60);
      const run = await backend.exited;
      expect(run.code, run.stderr).to.equal(0);
      const summary = JSON.parse(run.stdout) as RunSummary;
      expect(summary.ingest.accepted).to.equal(published);
      expect(summary.lake.acceptedEqualsLake).to.equal(true);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
