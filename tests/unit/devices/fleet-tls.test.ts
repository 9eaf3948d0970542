/**
 * The fleet against a real broker over mutual TLS (MQTT 3.1.1): aedes in-process behind Node's TLS server,
 * with the IoT policy's rules (see helpers/tls-broker.ts). Needs nothing but npm, so it runs in `npm test`.
 */
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { main } from "../../../devices/cli";
import type { FleetSummary } from "../../../devices/summary";
import { Fleet, type FleetDevicePlan, type FleetRunConfig } from "../../../devices/fleet";
import {
  readFleetFile,
  writeFleetFile,
  type FleetFile,
  type FleetProvisioning,
} from "../../../components/telemetry/fleet-file";
import { NO_ANOMALIES } from "../../../devices/model/anomalies";
import {
  createCertificateAuthority,
  issueDeviceCertificate,
  issueDeviceCertificates,
  issueServerCertificate,
  type CertificateAuthority,
  type IssuedCertificate,
} from "../../../devices/pki";
import { IotSdkTransport } from "../../../devices/transports/iot-sdk";
import { MqttJsTransport } from "../../../devices/transports/mqttjs";
import type { ConnectionListener, ConnectionOptions, Transport } from "../../../devices/transports/transport";
import { dataTopic } from "../../../components/telemetry/topics";
import { fleetDevices } from "../../../components/telemetry/fleet";
import { TelemetryReceiver } from "./helpers/receiver";
import { TlsTestBroker } from "./helpers/tls-broker";

const DEPLOYMENT = "sensors-test";
const FAST_BACKOFF = { baseMs: 200, maxMs: 1_000, minMs: 200 };

describe("devices: fleet over mutual TLS (aedes, MQTT 3.1.1)", function () {
  this.timeout(30_000);
  let ca: CertificateAuthority;
  let server: IssuedCertificate;
  let devices: FleetDevicePlan[];
  let claim: IssuedCertificate;

  before(async () => {
    ca = createCertificateAuthority();
    server = issueServerCertificate(ca, ["localhost", "127.0.0.1"]);
    const identities = fleetDevices(DEPLOYMENT, ["lab", "office"], 3);
    const certificates = await issueDeviceCertificates(
      ca,
      identities.map((d) => d.thingName),
    );
    devices = identities.map((d, i) => ({
      thingName: d.thingName,
      roomId: d.roomId,
      credentials: certificates[i],
    }));
    claim = issueDeviceCertificate(ca, "provisioning-claim");
  });

  function config(transport: Transport, overrides: Partial<FleetRunConfig> = {}): FleetRunConfig {
    return {
      transport,
      devices,
      deployment: DEPLOYMENT,
      protocol: "3.1.1",
      qos: 1,
      seed: "tls-test",
      intervalMs: 50,
      count: 20,
      speed: 1,
      anomalies: NO_ANOMALIES,
      connectRate: 200,
      queueSize: 1000,
      maxInFlight: 20,
      drainTimeoutMs: 10_000,
      connectTimeoutMs: 5_000,
      keepaliveSeconds: 30,
      backoff: FAST_BACKOFF,
      ...overrides,
    };
  }

  function mqtts(broker: TlsTestBroker): MqttJsTransport {
    return new MqttJsTransport(`mqtts://127.0.0.1:${broker.port}`, ca.certificatePem);
  }

  it("delivers every reading of every device, each device connecting as its own thing", async () => {
    const receiver = new TelemetryReceiver();
    const broker = await TlsTestBroker.start({ ca, server, deployment: DEPLOYMENT, receiver });
    try {
      const summary = await new Fleet(config(mqtts(broker))).run();
      expect(summary.ok, JSON.stringify(summary.errors)).to.equal(true);
      expect(summary.published).to.equal(devices.length * 20);
      expect(summary.acknowledged).to.equal(summary.published);
      expect(receiver.distinct).to.equal(summary.published);
      expect(receiver.gaps(summary.lastSeq)).to.deep.equal([]);
      expect(receiver.invalid).to.deep.equal([]);
      expect(broker.denied).to.deep.equal([]);
      expect(summary.ackLatencyMs?.count).to.equal(summary.published);
    } finally {
      await broker.stop();
    }
  });

  it("loses no QoS 1 reading when the broker crashes and comes back mid-run", async () => {
    const receiver = new TelemetryReceiver();
    const broker = await TlsTestBroker.start({ ca, server, deployment: DEPLOYMENT, receiver });
    try {
      const fleet = new Fleet(config(mqtts(broker), { count: 60 }));
      const run = fleet.run();
      await fleet.rampedUp;
      await sleep(800);
      await broker.stop();
      const publishedAtCrash = fleet.stats.published;
      await sleep(1_200);
      await broker.restart();
      const summary = await run;
      expect(summary.ok, JSON.stringify(summary.errors)).to.equal(true);
      expect(publishedAtCrash)
        .to.be.greaterThan(0)
        .and.lessThan(devices.length * 60);
      expect(summary.published).to.equal(devices.length * 60);
      expect(summary.disconnects).to.equal(devices.length);
      expect(summary.reconnects).to.equal(devices.length);
      expect(receiver.distinct).to.equal(summary.published);
      expect(receiver.gaps(summary.lastSeq)).to.deep.equal([]);
    } finally {
      await broker.stop();
    }
  });

  it("the IoT Core transport (aws-iot-device-sdk-v2, MQTT 3.1.1) delivers every reading with mutual TLS", async () => {
    const receiver = new TelemetryReceiver();
    const broker = await TlsTestBroker.start({ ca, server, deployment: DEPLOYMENT, receiver });
    try {
      const transport = new IotSdkTransport("localhost", broker.port, ca.certificatePem);
      const summary = await new Fleet(config(transport, { count: 10 })).run();
      expect(summary.ok, JSON.stringify(summary.errors)).to.equal(true);
      expect(summary.target).to.equal(`aws-iot-device-sdk-v2 mqtts://localhost:${broker.port}`);
      expect(summary.published).to.equal(devices.length * 10);
      expect(receiver.distinct).to.equal(summary.published);
      expect(receiver.gaps(summary.lastSeq)).to.deep.equal([]);
    } finally {
      await broker.stop();
    }
  });

  it("refuses a publish to another device's topic and a client ID that is not the certificate's thing", async () => {
    const receiver = new TelemetryReceiver();
    const broker = await TlsTestBroker.start({ ca, server, deployment: DEPLOYMENT, receiver });
    const [a, b] = devices as [FleetDevicePlan, FleetDevicePlan];
    try {
      const events = recorder();
      const connection = mqtts(broker).connection(
        connectionOptions(a.thingName, a.credentials),
        events.listener,
      );
      connection.start();
      await events.until("connected");
      const foreignTopic = dataTopic(DEPLOYMENT, b.roomId, b.thingName);
      connection.publish(
        foreignTopic,
        JSON.stringify({ device_id: b.thingName, seq: 0 }),
        1,
        () => undefined,
      );
      await events.until("disconnected");
      await connection.stop(500);
      expect(broker.denied).to.deep.equal([`${a.thingName} -> ${foreignTopic}`]);
      expect(receiver.messages).to.equal(0);

      const impostor = recorder();
      const spoof = mqtts(broker).connection(
        connectionOptions(b.thingName, a.credentials),
        impostor.listener,
      );
      spoof.start();
      await impostor.until("connectFailed");
      await spoof.stop(500);
      expect(impostor.seen).to.not.include("connected");
    } finally {
      await broker.stop();
    }
  });

  describe("fleet provisioning by claim", () => {
    const templateName = "SensorFleetTemplate";
    const clientIdPrefix = `${DEPLOYMENT}--claim-`;
    function provisioningConfig(): FleetProvisioning {
      return {
        templateName,
        claimCertificatePem: claim.certificatePem,
        claimPrivateKeyPem: claim.privateKeyPem,
        clientIdPrefix,
      };
    }

    it("devices without a certificate register by claim, then publish with their own certificate", async () => {
      const receiver = new TelemetryReceiver();
      const broker = await TlsTestBroker.start({
        ca,
        server,
        deployment: DEPLOYMENT,
        receiver,
        claimCommonName: "provisioning-claim",
        claimClientIdPrefix: clientIdPrefix,
        provisioning: { templateName },
      });
      const bare = devices.map(({ thingName, roomId }) => ({ thingName, roomId }));
      const issued = new Map<string, string>();
      try {
        const summary = await new Fleet(
          config(mqtts(broker), {
            devices: bare,
            count: 5,
            provisioning: provisioningConfig(),
            onProvisioned: (device, credentials) => issued.set(device.thingName, credentials.certificateId),
          }),
        ).run();
        expect(summary.ok, JSON.stringify(summary.errors)).to.equal(true);
        expect(summary.provisioned).to.equal(bare.length);
        expect([...broker.registered].sort()).to.deep.equal(bare.map((d) => d.thingName).sort());
        expect(issued.size).to.equal(bare.length);
        expect(receiver.distinct).to.equal(bare.length * 5);
        expect(broker.denied).to.deep.equal([]);
      } finally {
        await broker.stop();
      }
    });

    it("the CLI provisions devices from a fleet file and --save-fleet keeps their certificates for the next run", async () => {
      const broker = await TlsTestBroker.start({
        ca,
        server,
        deployment: DEPLOYMENT,
        receiver: new TelemetryReceiver(),
        claimCommonName: "provisioning-claim",
        claimClientIdPrefix: clientIdPrefix,
        provisioning: { templateName },
      });
      const dir = mkdtempSync(join(tmpdir(), "save-fleet-"));
      try {
        const file: FleetFile = {
          endpoint: `mqtts://127.0.0.1:${broker.port}`,
          caCertPem: ca.certificatePem,
          deployment: DEPLOYMENT,
          devices: devices.slice(0, 3).map(({ thingName, roomId }) => ({ thingName, roomId })),
          provisioning: provisioningConfig(),
        };
        writeFleetFile(join(dir, "fleet.json"), file);
        const args = (fleet: string): string[] =>
          [
            ["--fleet", fleet, "--target", `mqtts://127.0.0.1:${broker.port}`, "--protocol", "3.1.1"],
            ["--count", "2", "--interval", "50ms", "--json", "--quiet"],
          ].flat();
        const first = await runMain([
          ...args(join(dir, "fleet.json")),
          "--save-fleet",
          join(dir, "saved.json"),
        ]);
        expect(first.code, first.stderr).to.equal(0);
        expect((JSON.parse(first.stdout) as FleetSummary).provisioned).to.equal(3);
        const saved = readFleetFile(join(dir, "saved.json"));
        expect(
          saved.devices.map((d) => d.certificatePem !== undefined && d.privateKeyPem !== undefined),
        ).to.deep.equal([true, true, true]);
        const second = await runMain(args(join(dir, "saved.json")));
        expect(second.code, second.stderr).to.equal(0);
        expect(JSON.parse(second.stdout)).to.deep.include({ provisioned: 0, published: 6, ok: true });
        expect(broker.registered).to.have.length(3);
      } finally {
        rmSync(dir, { recursive: true, force: true });
        await broker.stop();
      }
    });

    it("a rejected RegisterThing fails the device with the service's error and the run exits not ok", async () => {
      const broker = await TlsTestBroker.start({
        ca,
        server,
        deployment: DEPLOYMENT,
        claimCommonName: "provisioning-claim",
        claimClientIdPrefix: clientIdPrefix,
        provisioning: {
          templateName,
          reject: (p) => (p.RoomId === "office" ? "room office is not allowed" : undefined),
        },
      });
      const bare = devices.map(({ thingName, roomId }) => ({ thingName, roomId }));
      try {
        const summary = await new Fleet(
          config(mqtts(broker), { devices: bare, count: 3, provisioning: provisioningConfig() }),
        ).run();
        const office = bare.filter((d) => d.roomId === "office").length;
        expect(summary.ok).to.equal(false);
        expect(summary.provisioned).to.equal(bare.length - office);
        expect(summary.provisioningFailures).to.equal(office);
        expect(summary.errors.provisioning).to.match(
          /provision\/json rejected: InvalidParameters 400 room office is not allowed$/,
        );
        expect(summary.published).to.equal((bare.length - office) * 3);
      } finally {
        await broker.stop();
      }
    });
  });

  function connectionOptions(
    clientId: string,
    credentials: FleetDevicePlan["credentials"],
  ): ConnectionOptions {
    return {
      clientId,
      protocol: "3.1.1",
      credentials,
      backoff: { baseMs: 60_000, maxMs: 60_000, minMs: 60_000 },
      beforeConnect: () => Promise.resolve(),
      connectTimeoutMs: 5_000,
      keepaliveSeconds: 30,
    };
  }
});

type ListenerEvent = "connected" | "disconnected" | "connectFailed";

/** Records connection events and lets a test wait for one. */
function recorder(): {
  listener: ConnectionListener;
  seen: ListenerEvent[];
  until: (e: ListenerEvent) => Promise<void>;
} {
  const seen: ListenerEvent[] = [];
  const waiters: { event: ListenerEvent; resolve: () => void }[] = [];
  const note = (event: ListenerEvent): void => {
    seen.push(event);
    for (const w of waiters.filter((w) => w.event === event)) w.resolve();
  };
  return {
    seen,
    listener: {
      connected: () => note("connected"),
      disconnected: () => note("disconnected"),
      connectFailed: () => note("connectFailed"),
    },
    until: (event) =>
      seen.includes(event) ? Promise.resolve() : new Promise((resolve) => waiters.push({ event, resolve })),
  };
}

/** Runs the CLI's main() in-process, capturing its output. */
async function runMain(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const sink = (append: (text: string) => void): NodeJS.WriteStream =>
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        append(chunk.toString());
        done();
      },
    }) as unknown as NodeJS.WriteStream;
  const code = await main(argv, { stdout: sink((t) => (stdout += t)), stderr: sink((t) => (stderr += t)) });
  return { code, stdout, stderr };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
