// The broker's per-connection limits on their own: the guard follows MQTT fixed headers across chunk boundaries,
// closes the connection on an oversized packet before reading its body and on a QoS 2 PUBLISH, and holds
// publishes beyond the rate or the unacknowledged limit until a token or a PUBACK frees them. Also the
// admission counts per source and the connection budget under a file-descriptor limit.
import { expect } from "chai";
import { PassThrough } from "node:stream";
import type * as tls from "node:tls";
import {
  MqttConnectionGuard,
  type GuardLimits,
  type GuardViolation,
} from "../../../local/broker/connection-guard";
import { ConnectionAdmission, connectionLimits } from "../../../local/broker/connection-limits";
import { MAX_PACKET_BYTES, RESERVED_FILE_DESCRIPTORS } from "../../../local/broker/iot-core-limits";

function varint(n: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    bytes.push(byte);
  } while (n > 0);
  return bytes;
}

function publish(qos: 0 | 1 | 2, payload: Buffer | number, id = 1): Buffer {
  const topic = Buffer.from("dt/sensors-dev/lab/sensors-dev-lab-001/telemetry");
  const length = typeof payload === "number" ? payload : payload.length;
  const variable = [
    topic.length >> 8,
    topic.length & 0xff,
    ...topic,
    ...(qos > 0 ? [id >> 8, id & 0xff] : []),
  ];
  const header = [0x30 | (qos << 1), ...varint(variable.length + length)];
  return Buffer.concat([
    Buffer.from(header),
    Buffer.from(variable),
    typeof payload === "number" ? Buffer.alloc(0) : payload,
  ]);
}

const PINGREQ = Buffer.from([0xc0, 0x00]);

function guarded(limits: Partial<GuardLimits> = {}) {
  const socket = new PassThrough();
  const guard = new MqttConnectionGuard(socket as unknown as tls.TLSSocket, {
    maxPacketBytes: MAX_PACKET_BYTES,
    publishesPerSecond: 100,
    maxInflight: 100,
    ...limits,
  });
  const received: Buffer[] = [];
  const violations: GuardViolation[] = [];
  const throttled: string[] = [];
  guard.on("data", (chunk: Buffer) => received.push(chunk));
  guard.on("error", () => undefined);
  guard.onViolation = (kind) => violations.push(kind);
  guard.onThrottled = (reason) => throttled.push(reason);
  const feed = async (...chunks: Buffer[]) => {
    for (const c of chunks) socket.write(c);
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { guard, socket, feed, received: () => Buffer.concat(received), violations, throttled };
}

describe("broker connection guard", function () {
  it("passes packets through unchanged, whatever the chunk boundaries", async function () {
    const bytes = Buffer.concat([
      publish(1, Buffer.from('{"seq":1}')),
      PINGREQ,
      publish(0, Buffer.alloc(300, 0x61)),
    ]);
    const { feed, received, violations } = guarded();
    for (let i = 0; i < bytes.length; i += 7) await feed(bytes.subarray(i, i + 7));
    expect(received().equals(bytes)).to.equal(true);
    expect(violations).to.deep.equal([]);
  });

  it("closes the connection when a packet announces more than the limit, before its body arrives", async function () {
    const { guard, feed, received, violations } = guarded();
    await feed(PINGREQ, publish(1, MAX_PACKET_BYTES));
    expect(violations).to.deep.equal(["oversized"]);
    expect(guard.destroyed).to.equal(true);
    expect(received().equals(PINGREQ)).to.equal(true);
  });

  it("closes the connection on a QoS 2 PUBLISH", async function () {
    const { guard, feed, violations } = guarded();
    await feed(publish(2, Buffer.from("{}")));
    expect(violations).to.deep.equal(["qos2"]);
    expect(guard.destroyed).to.equal(true);
  });

  it("holds publishes beyond the rate until a token is free", async function () {
    const packets = Array.from({ length: 51 }, (_, i) => publish(0, Buffer.from(`{"seq":${i}}`)));
    const { guard, feed, received, throttled } = guarded({ publishesPerSecond: 50 });
    await feed(Buffer.concat(packets));
    expect(received().equals(Buffer.concat(packets.slice(0, 50)))).to.equal(true);
    expect(throttled).to.deep.equal(["rate"]);
    await new Promise((resolve) => guard.once("data", resolve));
    expect(received().equals(Buffer.concat(packets))).to.equal(true);
  });

  it("reads no QoS 1 publish beyond the unacknowledged limit until the broker acknowledges one", async function () {
    const packets = [1, 2, 3].map((i) => publish(1, Buffer.from(`{"seq":${i}}`), i));
    const { guard, feed, received, throttled } = guarded({ maxInflight: 2 });
    await feed(Buffer.concat(packets));
    expect(received().length).to.equal(packets[0]!.length + packets[1]!.length);
    expect(throttled).to.deep.equal(["inflight"]);
    guard.acknowledged();
    await feed();
    expect(received().equals(Buffer.concat(packets))).to.equal(true);
  });
});

describe("broker connection limits", function () {
  it("refuses by cause: total, per source, and pending per source", function () {
    const admission = new ConnectionAdmission({ total: 4, perSource: 3, pendingPerSource: 2 });
    expect(admission.admit("127.0.0.1")).to.equal(undefined);
    expect(admission.admit("127.0.0.1")).to.equal(undefined);
    expect(admission.admit("127.0.0.1")).to.equal("pendingPerSource");
    admission.established("127.0.0.1");
    expect(admission.admit("127.0.0.1")).to.equal(undefined);
    expect(admission.admit("127.0.0.1")).to.equal("perSource");
    expect(admission.admit("127.0.0.2")).to.equal(undefined);
    expect(admission.admit("127.0.0.3")).to.equal("total");
    admission.closed("127.0.0.1", true);
    expect(admission.openConnections).to.equal(3);
    expect(admission.admit("127.0.0.3")).to.equal(undefined);
  });

  it("keeps the total below the file-descriptor limit, and says what to do when the fleet does not fit", function () {
    const limits = connectionLimits(1024, 100);
    expect(limits.total).to.equal(1024 - RESERVED_FILE_DESCRIPTORS - 100);
    expect(limits.perSource).to.be.at.least(116);
    expect(() => connectionLimits(1024, 500)).to.throw(
      /500 devices .* the limit is 1024; raise it \(ulimit -n \d+\) or pass fewer --devices/,
    );
  });
});
