/**
 * The fleet against Debian's mosquitto with mutual TLS, `use_identity_as_username` and an ACL that mirrors the
 * IoT policy (a device publishes only to its own topics). Covers what aedes cannot: MQTT 5, the AWS IoT Device
 * SDK's MQTT 5 client, a real broker restarted mid-run, the ACL refusing another device's topic.
 * Needs `apt-get install -y mosquitto`.
 */
import { expect } from "chai";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { MqttClient } from "mqtt";
import { fleetDevices } from "../../components/telemetry/fleet";
import { dataTopic } from "../../components/telemetry/topics";
import { writeFleetFile, type FleetFile } from "../../components/telemetry/fleet-file";
import { Fleet } from "../../devices/fleet";
import { NO_ANOMALIES } from "../../devices/model/anomalies";
import {
  createCertificateAuthority,
  issueDeviceCertificate,
  issueDeviceCertificates,
  issueServerCertificate,
  type CertificateAuthority,
  type IssuedCertificate,
} from "../../devices/pki";
import { CREATE_CERTIFICATE_TOPIC, registerThingTopic } from "../../devices/provisioning";
import type { FleetSummary } from "../../devices/summary";
import { IotSdkTransport } from "../../devices/transports/iot-sdk";
import { MqttJsTransport } from "../../devices/transports/mqttjs";
import type {
  ConnectionListener,
  DeviceConnection,
  PublishError,
  Transport,
} from "../../devices/transports/transport";
import { Mosquitto, mosquittoAvailable } from "../unit/devices/helpers/mosquitto";
import { policyAcl, startProvisioningService } from "../unit/devices/helpers/mosquitto-iot";
import { TelemetryReceiver } from "../unit/devices/helpers/receiver";
import { eventually, startSubscriber } from "../unit/devices/helpers/subscriber";

const REPO = resolve(__dirname, "../..");
const DEPLOYMENT = "sensors-ci";
const TEMPLATE = "SensorFleetTemplate";

describe("devices: fleet against mosquitto (mutual TLS, ACL, MQTT 5)", function () {
  this.timeout(120_000);
  let dir: string;
  let ca: CertificateAuthority;
  let server: IssuedCertificate;
  let subscriberCert: IssuedCertificate;
  let fleetFile: FleetFile;
  let broker: Mosquitto;

  before(async function () {
    if (!mosquittoAvailable()) throw new Error("mosquitto is not installed: apt-get install -y mosquitto");
    dir = mkdtempSync(join(tmpdir(), "fleet-mosquitto-"));
    ca = createCertificateAuthority();
    server = issueServerCertificate(ca, ["localhost", "127.0.0.1"]);
    subscriberCert = issueDeviceCertificate(ca, "fleet-subscriber");
    const identities = fleetDevices(DEPLOYMENT, ["lab", "office"], 10);
    const certificates = await issueDeviceCertificates(
      ca,
      identities.map((d) => d.thingName),
    );
    broker = await Mosquitto.start({ dir, tls: { ca, server }, acl: policyAcl(DEPLOYMENT, TEMPLATE) });
    fleetFile = {
      endpoint: "localhost",
      port: broker.port,
      caCertPem: ca.certificatePem,
      deployment: DEPLOYMENT,
      devices: identities.map((d, i) => ({
        thingName: d.thingName,
        roomId: d.roomId,
        certificatePem: (certificates[i] as IssuedCertificate).certificatePem,
        privateKeyPem: (certificates[i] as IssuedCertificate).privateKeyPem,
      })),
    };
    writeFleetFile(join(dir, "fleet.json"), fleetFile);
  });

  after(async () => {
    await broker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function subscribe(receiver: TelemetryReceiver, clientId = "fleet-subscriber"): Promise<MqttClient> {
    return startSubscriber({
      url: `mqtts://127.0.0.1:${broker.port}`,
      receiver,
      clientId,
      caCertPem: ca.certificatePem,
      credentials: subscriberCert,
    });
  }

  /** Restarts the broker once, `afterMs` into the sampling phase (detected from the first reading received). */
  async function restartMidRun(receiver: TelemetryReceiver, afterMs: number, downMs: number): Promise<void> {
    await eventually(
      () => receiver.messages > 0,
      30_000,
      () => "no reading arrived before the restart",
    );
    await sleep(afterMs);
    await broker.stop();
    await sleep(downMs);
    await broker.restart();
  }

  for (const target of ["mqtts", "iot-core"] as const) {
    it(`CLI --target ${target}: QoS 1 across a broker restart, published = distinct (device_id, seq) received`, async () => {
      const receiver = new TelemetryReceiver();
      const subscriber = await subscribe(receiver, `fleet-subscriber-${target}`);
      try {
        const args = [
          "--target",
          target === "iot-core" ? "iot-core" : `mqtts://127.0.0.1:${broker.port}`,
          "--fleet",
          join(dir, "fleet.json"),
          "--interval",
          "100ms",
          "--duration",
          "8s",
          "--qos",
          "1",
          "--json",
          "--quiet",
        ];
        const run = runCli(args);
        await restartMidRun(receiver, 2_500, 1_000);
        const { code, stdout, stderr } = await run;
        const summary = JSON.parse(stdout) as FleetSummary;
        expect(code, stderr).to.equal(0);
        expect(summary.ok).to.equal(true);
        expect(summary.devices).to.equal(fleetFile.devices.length);
        expect(summary.disconnects).to.equal(fleetFile.devices.length);
        expect(summary.reconnects).to.equal(fleetFile.devices.length);
        await eventually(
          () => receiver.distinct >= summary.published,
          10_000,
          () => `received ${receiver.distinct} of ${summary.published}`,
        );
        expect(receiver.distinct).to.equal(summary.published);
        expect(receiver.gaps(summary.lastSeq)).to.deep.equal([]);
        expect(receiver.invalid).to.deep.equal([]);
      } finally {
        await subscriber.endAsync();
      }
    });
  }

  it("the SDK's MQTT 3.1.1 client delivers every reading with mutual TLS", async () => {
    const receiver = new TelemetryReceiver();
    const subscriber = await subscribe(receiver, "fleet-subscriber-311");
    try {
      const summary = await runFleet(
        new IotSdkTransport("localhost", broker.port, ca.certificatePem),
        "3.1.1",
      );
      expect(summary.ok, JSON.stringify(summary.errors)).to.equal(true);
      expect(summary.published).to.equal(fleetFile.devices.length * 10);
      await eventually(
        () => receiver.distinct >= summary.published,
        10_000,
        () => `received ${receiver.distinct}`,
      );
      expect(receiver.gaps(summary.lastSeq)).to.deep.equal([]);
    } finally {
      await subscriber.endAsync();
    }
  });

  for (const [name, transport] of [
    ["MQTT.js", (): Transport => new MqttJsTransport(`mqtts://127.0.0.1:${broker.port}`, ca.certificatePem)],
    [
      "aws-iot-device-sdk-v2",
      (): Transport => new IotSdkTransport("localhost", broker.port, ca.certificatePem),
    ],
  ] as const) {
    it(`the ACL refuses a device publishing to another device's topic (${name}, MQTT 5: PUBACK "not authorized")`, async () => {
      const receiver = new TelemetryReceiver();
      const subscriber = await subscribe(receiver, `fleet-subscriber-acl-${name.length}`);
      const [a, b] = fleetFile.devices as [FleetFile["devices"][0], FleetFile["devices"][0]];
      const connection = await connect(transport(), a.thingName, a);
      try {
        const foreign = await publish(connection, dataTopic(DEPLOYMENT, b.roomId, b.thingName), b.thingName);
        expect(foreign?.retryable).to.equal(false);
        expect(foreign?.message).to.match(/not authori[sz]ed|0x87/i);
        const own = await publish(connection, dataTopic(DEPLOYMENT, a.roomId, a.thingName), a.thingName);
        expect(own).to.equal(undefined);
        await eventually(
          () => receiver.messages >= 1,
          5_000,
          () => "own reading not received",
        );
        await sleep(300);
        expect([...receiver.seqs.keys()]).to.deep.equal([a.thingName]);
      } finally {
        await connection.stop(1_000);
        await subscriber.endAsync();
      }
    });
  }

  it("a device registers by claim through the SDK's MQTT 5 client, then publishes with its own certificate", async () => {
    const claim = issueDeviceCertificate(ca, "provisioning-claim");
    const [device] = fleetFile.devices as [FleetFile["devices"][0]];
    const service = await provisioningService(device.thingName);
    const receiver = new TelemetryReceiver();
    const subscriber = await subscribe(receiver, "fleet-subscriber-provisioning");
    try {
      const summary = await new Fleet({
        ...fleetConfig(new IotSdkTransport("localhost", broker.port, ca.certificatePem), "5"),
        devices: [{ thingName: device.thingName, roomId: device.roomId }],
        provisioning: {
          templateName: TEMPLATE,
          claimCertificatePem: claim.certificatePem,
          claimPrivateKeyPem: claim.privateKeyPem,
          clientIdPrefix: `${DEPLOYMENT}--claim-`,
        },
      }).run();
      expect(summary.ok, JSON.stringify(summary.errors)).to.equal(true);
      expect(summary.provisioned).to.equal(1);
      expect(service.requests).to.deep.equal([
        CREATE_CERTIFICATE_TOPIC,
        `${registerThingTopic(TEMPLATE)} ThingName=${device.thingName} RoomId=${device.roomId}`,
      ]);
      await eventually(
        () => receiver.distinct >= 10,
        10_000,
        () => `received ${receiver.distinct}`,
      );
      expect(receiver.gaps(summary.lastSeq)).to.deep.equal([]);
    } finally {
      await service.client.endAsync();
      await subscriber.endAsync();
    }
  });

  function provisioningService(thingName: string) {
    return startProvisioningService({ port: broker.port, ca, template: TEMPLATE, thingName });
  }

  function fleetConfig(
    transport: Transport,
    protocol: "5" | "3.1.1",
  ): ConstructorParameters<typeof Fleet>[0] {
    return {
      transport,
      devices: fleetFile.devices.map((d) => ({
        thingName: d.thingName,
        roomId: d.roomId,
        credentials: { certificatePem: d.certificatePem as string, privateKeyPem: d.privateKeyPem as string },
      })),
      deployment: DEPLOYMENT,
      protocol,
      qos: 1,
      seed: "mosquitto",
      intervalMs: 50,
      count: 10,
      speed: 1,
      anomalies: NO_ANOMALIES,
      connectRate: 500,
      queueSize: 1000,
      maxInFlight: 20,
      drainTimeoutMs: 10_000,
      connectTimeoutMs: 5_000,
      keepaliveSeconds: 30,
      backoff: { baseMs: 500, maxMs: 2_000, minMs: 500 },
    };
  }

  function runFleet(transport: Transport, protocol: "5" | "3.1.1"): Promise<FleetSummary> {
    return new Fleet(fleetConfig(transport, protocol)).run();
  }

  async function connect(
    transport: Transport,
    clientId: string,
    device: FleetFile["devices"][0],
  ): Promise<DeviceConnection> {
    let ready: () => void = () => undefined;
    const connected = new Promise<void>((resolve) => (ready = resolve));
    const listener: ConnectionListener = {
      connected: () => ready(),
      disconnected: () => undefined,
      connectFailed: () => undefined,
    };
    const connection = transport.connection(
      {
        clientId,
        protocol: "5",
        credentials: {
          certificatePem: device.certificatePem as string,
          privateKeyPem: device.privateKeyPem as string,
        },
        backoff: { baseMs: 1_000, maxMs: 1_000, minMs: 1_000 },
        beforeConnect: () => Promise.resolve(),
        connectTimeoutMs: 5_000,
        keepaliveSeconds: 30,
      },
      listener,
    );
    connection.start();
    await connected;
    return connection;
  }
});

describe("devices: the CLI against a plain mosquitto (the acceptance command)", function () {
  this.timeout(120_000);
  let dir: string;
  let broker: Mosquitto;

  before(async () => {
    if (!mosquittoAvailable()) throw new Error("mosquitto is not installed: apt-get install -y mosquitto");
    dir = mkdtempSync(join(tmpdir(), "fleet-mosquitto-plain-"));
    broker = await Mosquitto.start({ dir });
  });

  after(async () => {
    await broker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("200 devices, 100 ms, 20 s, QoS 1, mosquitto restarted once: published = distinct (device_id, seq) received", async () => {
    const receiver = new TelemetryReceiver();
    const subscriber = await startSubscriber({ url: `mqtt://127.0.0.1:${broker.port}`, receiver });
    try {
      const run = runCli([
        "--target",
        `mqtt://127.0.0.1:${broker.port}`,
        "--devices",
        "200",
        "--interval",
        "100ms",
        "--duration",
        "20s",
        "--qos",
        "1",
        "--json",
        "--quiet",
      ]);
      await eventually(
        () => receiver.messages > 0,
        30_000,
        () => "no reading arrived",
      );
      await sleep(8_000);
      await broker.stop();
      await sleep(2_000);
      await broker.restart();
      const { code, stdout, stderr } = await run;
      const summary = JSON.parse(stdout) as FleetSummary;
      expect(code, stderr).to.equal(0);
      expect(summary.devices).to.equal(200);
      expect(summary.reconnects).to.equal(200);
      await eventually(
        () => receiver.distinct >= summary.published,
        15_000,
        () => `received ${receiver.distinct} of ${summary.published}`,
      );
      expect(receiver.distinct).to.equal(summary.published);
      expect(receiver.gaps(summary.lastSeq)).to.deep.equal([]);
      // 200 devices x 20 s / 100 ms: every scheduled reading was taken.
      expect(summary.published).to.be.within(200 * 199, 200 * 200);
    } finally {
      await subscriber.endAsync();
    }
  });
});

async function publish(
  connection: DeviceConnection,
  topic: string,
  deviceId: string,
): Promise<PublishError | undefined> {
  return new Promise((resolve) =>
    connection.publish(
      topic,
      JSON.stringify({
        device_id: deviceId,
        room_id: topic.split("/")[2],
        ts: Date.now(),
        seq: 0,
        temperature_c: 21,
      }),
      1,
      resolve,
    ),
  );
}

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "devices/cli.ts", ...args], { cwd: REPO });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, stdout, stderr })));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
