// The local backend attacked as IoT Core and a careful web service are: one backend (no fleet), and on 127.0.0.1
// only, every probe bounded: an idle TCP socket, a flood of unfinished handshakes from another loopback address,
// a certificate from another CA, a 200 KB reading, QoS 2 publish and subscribe, a payload that is not JSON, a
// reading repeated with other values, cross-site and rebinding requests to the dashboard, a wrong database
// password. At the end the run summary counts each refusal and is still ok (nothing acknowledged was lost).
import { expect } from "chai";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as tls from "node:tls";
import { gunzipSync } from "node:zlib";
import type { MqttClient } from "mqtt";
import { Client } from "pg";
import { NOT_JSON_REASON } from "../../components/iot/rule-sql";
import { dataTopic } from "../../components/telemetry/topics";
import { readFleetFile } from "../../components/telemetry/fleet-file";
import { createCertificateAuthority, issueDeviceCertificate } from "../../devices/pki";
import { LocalBackend } from "../../local/backend";
import { HANDSHAKE_TIMEOUT_MS, MAX_PENDING_CONNECTIONS_PER_SOURCE } from "../../local/broker/iot-core-limits";
import { databasePasswordFile } from "../../local/pki";
import type { RunSummary } from "../../local/summary";
import { connectDevice, localOptions, reading } from "../helpers/local-backend";

const LAB = "sensors-dev-lab-001";
const TOPIC = dataTopic("sensors-dev", "lab", LAB);

/** Resolves when the socket closes, or rejects after `ms` (every wait of this suite is bounded). */
function closedWithin(
  socket: { once(event: "close", listener: () => void): unknown },
  ms: number,
): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still open after ${ms} ms`)), ms);
    socket.once("close", () => {
      clearTimeout(timer);
      resolve(performance.now() - started);
    });
  });
}

/** Publishes and reports whether the broker acknowledged (true) or closed the connection first (false). */
function acknowledged(
  client: MqttClient,
  topic: string,
  payload: string | Buffer,
  qos: 0 | 1 | 2,
): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), 10_000);
    client.once("close", () => {
      clearTimeout(timer);
      resolve(false);
    });
    client.publish(topic, payload, { qos }, (err) => {
      clearTimeout(timer);
      resolve(!err && client.connected);
    });
  });
}

describe("local backend under attack: broker, rules, dashboard, database", function () {
  this.timeout(180_000);
  let dataDir: string;
  let backend: LocalBackend;
  let summary: RunSummary;
  let fleetFile: string;
  let port: number;
  let idle: net.Socket;
  let idleClosed: Promise<number>;
  const logs: string[] = [];

  before(async function () {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "adversarial-services-"));
    backend = await LocalBackend.start(
      localOptions(dataDir, { devices: 2, seed: "5", fleet: false, dashboard: true }),
      (line) => logs.push(line),
    );
    port = backend.parts.mqttPort;
    fleetFile = backend.parts.fleetFile;
    // Opened first, checked last: a socket that never says a word.
    idle = net.connect(port, "127.0.0.1");
    idle.on("error", () => undefined);
    idleClosed = closedWithin(idle, HANDSHAKE_TIMEOUT_MS + 10_000);
  });

  after(async function () {
    idle?.destroy();
    if (backend && !summary) await backend.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("refuses unfinished handshakes from one address beyond its share, and still serves devices from another", async function () {
    const flood = Array.from({ length: MAX_PENDING_CONNECTIONS_PER_SOURCE + 16 }, () => {
      const s = net.connect({ port, host: "127.0.0.1", localAddress: "127.0.0.2" });
      s.on("error", () => undefined);
      return s;
    });
    const refused = await Promise.all(
      flood.map((s) =>
        closedWithin(s, 5_000).then(
          () => 1,
          () => 0,
        ),
      ),
    );
    expect(refused.reduce((a: number, b) => a + b, 0)).to.be.at.least(16);
    const device = await connectDevice(port, LAB, LAB, fleetFile);
    expect(await acknowledged(device, TOPIC, reading(LAB, "lab", 1), 1)).to.equal(true);
    device.end(true);
    for (const s of flood) s.destroy();
  });

  it("fails the handshake of a certificate another CA issued", async function () {
    const stranger = issueDeviceCertificate(createCertificateAuthority("stranger CA"), LAB);
    const socket = tls.connect({
      port,
      host: "127.0.0.1",
      ca: readFleetFile(fleetFile).caCertPem,
      cert: stranger.certificatePem,
      key: stranger.privateKeyPem,
    });
    socket.on("error", () => undefined);
    await closedWithin(socket, 10_000);
  });

  it("does not acknowledge a 200 KB reading, closes QoS 2 publishers and subscribers, as IoT Core", async function () {
    const big = await connectDevice(port, LAB, LAB, fleetFile);
    expect(
      await acknowledged(big, TOPIC, reading(LAB, "lab", 2, { pad: "x".repeat(200 * 1024) }), 1),
    ).to.equal(false);
    big.end(true);
    const qos2 = await connectDevice(port, LAB, LAB, fleetFile);
    expect(await acknowledged(qos2, TOPIC, reading(LAB, "lab", 3), 2)).to.equal(false);
    qos2.end(true);
    const subscriber = await connectDevice(port, LAB, LAB, fleetFile);
    const subscribed = await new Promise<string>((resolve) => {
      const timer = setTimeout(() => resolve("no answer"), 10_000);
      subscriber.once("close", () => (clearTimeout(timer), resolve("closed")));
      subscriber.subscribe(`cmd/sensors-dev/lab/${LAB}/#`, { qos: 2 }, (err, granted) => {
        clearTimeout(timer);
        resolve(err ? "error" : `granted ${granted?.[0]?.qos}`);
      });
    });
    expect(subscribed).to.be.oneOf(["closed", "error", "granted 128"]);
    subscriber.end(true);
  });

  it("quarantines a payload that is not JSON with that reason, and flags a reading repeated with other values", async function () {
    const device = await connectDevice(port, LAB, LAB, fleetFile);
    expect(await acknowledged(device, TOPIC, "temperature=21;seq=9", 1)).to.equal(true);
    expect(await acknowledged(device, TOPIC, reading(LAB, "lab", 40, { temperature_c: 21 }), 1)).to.equal(
      true,
    );
    expect(await acknowledged(device, TOPIC, reading(LAB, "lab", 40, { temperature_c: 29 }), 1)).to.equal(
      true,
    );
    device.end(true);
    await backend.parts.writer.flush();
    const quarantined = fs
      .readdirSync(path.join(dataDir, "lake", "raw", "quarantine"), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith(".json.gz"))
      .flatMap((e) =>
        gunzipSync(fs.readFileSync(path.join(e.parentPath, e.name)))
          .toString()
          .trim()
          .split("\n"),
      )
      .map((line) => JSON.parse(line) as { reason: string; payload_base64: string });
    const text = quarantined.find(
      (r) => Buffer.from(r.payload_base64, "base64").toString() === "temperature=21;seq=9",
    );
    expect(text?.reason).to.equal(NOT_JSON_REASON);
    const completeness = await backend.parts.pipelines.athena.runNamed("device_completeness");
    const lab = completeness.filter((r) => r.device_id === LAB);
    expect(lab.reduce((n, r) => n + Number(r.conflicting_duplicates), 0)).to.equal(2);
  });

  it("refuses cross-site and rebound requests to the dashboard; its own page may start the ETL", async function () {
    const url = backend.parts.dashboardUrl!;
    const origin = url.replace(/\/$/, "");
    const foreignOrigin = await fetch(`${url}api/etl`, {
      method: "POST",
      headers: { origin: "https://evil.example" },
    });
    expect(foreignOrigin.status).to.equal(403);
    const rebound = await new Promise<number>((resolve, reject) =>
      fetchWithHost(`${url}api/snapshot`, "evil.example", resolve, reject),
    );
    expect(rebound).to.equal(403);
    const noToken = await fetch(`${url}api/etl`, { method: "POST", headers: { origin } });
    expect(noToken.status).to.equal(403);
    const page = await (await fetch(url)).text();
    const token = /<meta name="run-token" content="([^"]+)"/.exec(page)![1]!;
    const own = await fetch(`${url}api/etl`, { method: "POST", headers: { origin, "x-run-token": token } });
    expect(own.status).to.be.oneOf([202, 409]);
  });

  it("refuses a wrong password on the historical database's port; the generated one gets in", async function () {
    const line = logs.find((l) => l.startsWith("historical database: PGlite on postgres://"))!;
    const dbPort = Number(/127\.0\.0\.1:(\d+)/.exec(line)![1]);
    const password = fs.readFileSync(databasePasswordFile(dataDir), "utf8").trim();
    const attempt = async (secret: string) => {
      const client = new Client({
        host: "127.0.0.1",
        port: dbPort,
        user: "glue_reader",
        password: secret,
        database: "postgres",
      });
      try {
        await client.connect();
        await client.query("SELECT 1");
        return "ok";
      } catch (err) {
        return (err as { code?: string }).code ?? (err as Error).message;
      } finally {
        await client.end().catch(() => undefined);
      }
    };
    expect(await attempt("local-backend")).to.equal("28P01");
    expect(await attempt(password)).to.equal("ok");
  });

  it("closed the idle socket within the handshake timeout, and counts every refusal in a healthy summary", async function () {
    expect(await idleClosed).to.be.at.most(HANDSHAKE_TIMEOUT_MS + 2_000);
    summary = await backend.stop();
    expect(summary.ok, summary.problems.join("; ")).to.equal(true);
    expect(summary.broker.tlsFailures.handshakeTimeout).to.be.at.least(1);
    expect(summary.broker.tlsFailures.certificate + summary.broker.tlsFailures.reset).to.be.at.least(1);
    expect(summary.broker.refusedConnections.pendingPerSource).to.be.at.least(16);
    expect(summary.broker.oversizedPayloads).to.equal(1);
    expect(summary.broker.qos2Attempts).to.equal(2);
    expect(summary.lake.acceptedEqualsLake).to.equal(true);
    expect(logs.some((l) => l.startsWith("broker: ") && l.includes("QoS 2"))).to.equal(true);
  });
});

/** A GET with a forged Host header (fetch does not let a page set it; a rebinding attack gets it for free). */
function fetchWithHost(
  url: string,
  host: string,
  resolve: (status: number) => void,
  reject: (e: Error) => void,
): void {
  const target = new URL(url);
  const socket = net.connect(Number(target.port), target.hostname, () => {
    socket.write(`GET ${target.pathname} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  });
  let response = "";
  socket.on("data", (d: Buffer) => (response += d.toString()));
  socket.on("error", reject);
  socket.setTimeout(10_000, () => reject(new Error("no answer")));
  socket.on("end", () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(response)?.[1] ?? 0)));
}
