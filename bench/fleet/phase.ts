/**
 * One measured phase of the fleet benchmark, run in its own process (so memory is measured from a clean
 * baseline): either the simulator (`fleet`, the Fleet library with MQTT.js) or a bare MQTT.js publish loop
 * (`bare`) over the same number of connections, topic layout, payload size, QoS and per-connection interval.
 * Prints one JSON line ({@link PhaseResult}) on stdout.
 *
 * Usage (by run.ts): node --import tsx --expose-gc bench/fleet/phase.ts '<PhaseSpec JSON>'
 */
import { readFileSync } from "node:fs";
import mqtt, { type MqttClient } from "mqtt";
import { fleetDevices } from "../../components/telemetry/fleet";
import { dataTopic } from "../../components/telemetry/topics";
import { Fleet } from "../../devices/fleet";
import { NO_ANOMALIES } from "../../devices/model/anomalies";
import { DEFAULT_BACKOFF } from "../../devices/runtime/backoff";
import { MqttJsTransport } from "../../devices/transports/mqttjs";

export interface PhaseSpec {
  readonly kind: "fleet" | "bare";
  readonly url: string;
  readonly devices: number;
  readonly intervalMs: number;
  readonly qos: 0 | 1;
  readonly protocol: "5" | "3.1.1";
  readonly connectRate: number;
  readonly warmupMs: number;
  readonly windowMs: number;
  /** Payload the bare loop sends: a simulator payload, so both send the same number of bytes. */
  readonly payload: string;
  /** The broker's process ID, to measure its CPU over the window (Linux /proc). */
  readonly brokerPid?: number;
}

export interface PhaseResult {
  readonly kind: "fleet" | "bare";
  readonly devices: number;
  readonly connected: number;
  readonly rampUpMs: number;
  /** Acknowledged publishes per second over the measuring window (QoS 0: written). */
  readonly rate: number;
  /** Resident memory added by the devices and their connections, per device, bytes. */
  readonly rssPerDevice: number;
  /** JS heap added per device, bytes. */
  readonly heapPerDevice: number;
  /** This process's CPU time per acknowledged message over the window, µs (user + system). */
  readonly cpuPerMessageUs: number;
  /** Share of that CPU time spent in the kernel (socket writes and reads, wake-ups). */
  readonly systemShare: number;
  /** This process's and the broker's CPU use over the window, in cores (1 = one core busy). */
  readonly clientCores: number;
  readonly brokerCores: number | null;
  /** Simulator only: readings dropped from full offline queues and left queued at the end of the window. */
  readonly dropped: number;
  readonly queued: number;
}

const DEPLOYMENT = "sensors-bench";
const ROOMS = ["lab", "office", "hall", "store"];

function memory(): { rss: number; heap: number } {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed };
}

/** CPU time so far of this process and of the broker, ms. */
interface CpuMark {
  readonly at: number;
  readonly client: number;
  readonly clientSystem: number;
  readonly broker: number | null;
}

function cpuMark(brokerPid: number | undefined): CpuMark {
  const usage = process.cpuUsage();
  let broker: number | null = null;
  if (brokerPid !== undefined) {
    try {
      // /proc/<pid>/stat fields 14 and 15: utime and stime in clock ticks (100 per second on Linux).
      const fields = readFileSync(`/proc/${brokerPid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
      broker = ((Number(fields[11]) + Number(fields[12])) / 100) * 1000;
    } catch {
      broker = null;
    }
  }
  return {
    at: performance.now(),
    client: (usage.user + usage.system) / 1000,
    clientSystem: usage.system / 1000,
    broker,
  };
}

function cpuOver(
  first: CpuMark,
  second: CpuMark,
  messages: number,
): Pick<PhaseResult, "cpuPerMessageUs" | "systemShare" | "clientCores" | "brokerCores"> {
  const wall = second.at - first.at;
  const round = (v: number): number => Math.round(v * 100) / 100;
  return {
    cpuPerMessageUs: messages > 0 ? round(((second.client - first.client) * 1000) / messages) : 0,
    systemShare: round(
      (second.clientSystem - first.clientSystem) / Math.max(1e-9, second.client - first.client),
    ),
    clientCores: round((second.client - first.client) / wall),
    brokerCores:
      first.broker === null || second.broker === null ? null : round((second.broker - first.broker) / wall),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function identities(count: number): { thingName: string; roomId: string }[] {
  return fleetDevices(DEPLOYMENT, ROOMS, Math.ceil(count / ROOMS.length))
    .slice(0, count)
    .map((d) => ({ thingName: d.thingName, roomId: d.roomId }));
}

async function runFleet(spec: PhaseSpec): Promise<PhaseResult> {
  const devices = identities(spec.devices);
  const baseline = memory();
  const fleet = new Fleet({
    transport: new MqttJsTransport(spec.url),
    devices,
    deployment: DEPLOYMENT,
    protocol: spec.protocol,
    qos: spec.qos,
    seed: "bench",
    intervalMs: spec.intervalMs,
    speed: 1,
    anomalies: NO_ANOMALIES,
    connectRate: spec.connectRate,
    queueSize: 1000,
    maxInFlight: 20,
    drainTimeoutMs: 0,
    connectTimeoutMs: 30_000,
    keepaliveSeconds: 60,
    backoff: DEFAULT_BACKOFF,
  });
  const done = fleet.run();
  const rampUpMs = await fleet.rampedUp;
  await sleep(spec.warmupMs);
  const first = fleet.stats.snapshot();
  const firstCpu = cpuMark(spec.brokerPid);
  await sleep(spec.windowMs);
  const second = fleet.stats.snapshot();
  const secondCpu = cpuMark(spec.brokerPid);
  const after = memory();
  fleet.abort();
  await done;
  return {
    kind: "fleet",
    devices: spec.devices,
    connected: second.everConnected,
    rampUpMs: Math.round(rampUpMs),
    rate: Math.round(((second.acknowledged - first.acknowledged) / (second.at - first.at)) * 1000),
    ...cpuOver(firstCpu, secondCpu, second.acknowledged - first.acknowledged),
    rssPerDevice: Math.round((after.rss - baseline.rss) / spec.devices),
    heapPerDevice: Math.round((after.heap - baseline.heap) / spec.devices),
    dropped: second.dropped,
    queued: second.queued,
  };
}

/** The baseline: N MQTT.js clients, each publishing the same payload on a timer. Nothing else. */
async function runBare(spec: PhaseSpec): Promise<PhaseResult> {
  const devices = identities(spec.devices);
  const baseline = memory();
  const clients: MqttClient[] = [];
  let acknowledged = 0;
  const started = performance.now();
  // Paced like the simulator's connect rate, in 10 ms ticks.
  await new Promise<void>((resolve) => {
    let next = 0;
    let connected = 0;
    const perTick = Math.max(1, Math.round(spec.connectRate / 100));
    const timer = setInterval(() => {
      for (let i = 0; i < perTick && next < devices.length; i++, next++) {
        const device = devices[next] as { thingName: string; roomId: string };
        const client = mqtt.connect(spec.url, {
          clientId: device.thingName,
          protocolVersion: spec.protocol === "5" ? 5 : 4,
          clean: true,
          keepalive: 60,
          reconnectPeriod: 0,
          connectTimeout: 30_000,
        });
        client.once("connect", () => {
          if (++connected === devices.length) resolve();
        });
        client.on("error", () => undefined);
        clients.push(client);
      }
      if (next >= devices.length) clearInterval(timer);
    }, 10);
  });
  const rampUpMs = performance.now() - started;
  const onAck = (err?: Error): void => {
    if (!err) acknowledged++;
  };
  const topics = devices.map((d) => dataTopic(DEPLOYMENT, d.roomId, d.thingName));
  const options = { qos: spec.qos };
  const timers =
    process.env.BARE_STYLE === "per-client"
      ? clients.map((client, i) =>
          setInterval(
            () => client.publish(topics[i] as string, spec.payload, options, onAck),
            spec.intervalMs,
          ),
        )
      : [
          setInterval(() => {
            for (let i = 0; i < clients.length; i++)
              (clients[i] as MqttClient).publish(topics[i] as string, spec.payload, options, onAck);
          }, spec.intervalMs),
        ];
  await sleep(spec.warmupMs);
  const firstCpu = cpuMark(spec.brokerPid);
  const firstAcked = acknowledged;
  await sleep(spec.windowMs);
  const secondCpu = cpuMark(spec.brokerPid);
  const windowAcked = acknowledged - firstAcked;
  const rate = (windowAcked / (secondCpu.at - firstCpu.at)) * 1000;
  const after = memory();
  for (const timer of timers) clearInterval(timer);
  await Promise.all(clients.map((c) => c.endAsync(true)));
  return {
    kind: "bare",
    devices: spec.devices,
    connected: clients.length,
    rampUpMs: Math.round(rampUpMs),
    rate: Math.round(rate),
    ...cpuOver(firstCpu, secondCpu, windowAcked),
    rssPerDevice: Math.round((after.rss - baseline.rss) / spec.devices),
    heapPerDevice: Math.round((after.heap - baseline.heap) / spec.devices),
    dropped: 0,
    queued: 0,
  };
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? "") as PhaseSpec;
  const result = spec.kind === "fleet" ? await runFleet(spec) : await runBare(spec);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
