/**
 * `npm run bench:local`: the local backend's ingest path under a 1,000-device fleet, on loopback.
 *
 * Two phases, same process, same fleet (QoS 1 over TLS with client certificates, MQTT 3.1.1):
 *   1. bare broker  aedes over the same TLS server, no authorization, no rules, no storage;
 *   2. local backend the backend's broker (IoT policy on every CONNECT/PUBLISH), fsync'ed ingest log before
 *                   each PUBACK, rule SQL, Firehose buffer, Parquet through DuckDB, lake checkpoint.
 * Reported: readings/s from the first publish to the last reading durable in Parquet, at saturation; the ingest
 * rate as a ratio of the bare broker's at saturation; and, in a third phase at a sustainable load (one reading
 * per device per second), p50/p95 time from a reading's publish to the delivery that made it queryable,
 * against the configured buffer interval (compressed by the speed so that it is 1 s of wall time).
 *
 * Bounded: `--readings` per device (default 20) at a rate above what one machine sustains. The 1,000 device
 * certificates are generated once into .bench/local/pki (about 25 s on 2 cores) and reused.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as tls from "node:tls";
import type { AddressInfo } from "node:net";
import { Aedes } from "aedes";
import { DuckDBInstance } from "@duckdb/node-api";
import { parsePlatformConfig } from "../../components/config";
import { readStackFile } from "../../components/stack-files";
import { buildDevicePolicyDocument } from "../../components/iot/iot-policy";
import { fleetDevices } from "../../components/telemetry/fleet";
import { Fleet } from "../../devices/fleet";
import { NO_ANOMALIES } from "../../devices/model/anomalies";
import { DEFAULT_BACKOFF } from "../../devices/runtime/backoff";
import { MqttJsTransport } from "../../devices/transports/mqttjs";
import {
  EXIT,
  type HelpPage,
  integerOption,
  optionsOrHelp,
  runCommand,
  type OptionSpec,
  HELP_OPTION,
} from "../../devices/command";
import { LocalBroker } from "../../local/broker/broker";
import { DurableLog } from "../../local/lake/durable-log";
import { FirehoseWriter, type Delivery } from "../../local/lake/firehose-writer";
import { IngestPipeline } from "../../local/lake/ingest-pipeline";
import { LocalObjectStore } from "../../local/lake/object-store";
import { ensureLocalPki, type LocalPki } from "../../local/pki";
import { TopicRules } from "../../local/rule/topic-rules";

const BENCH_DIR = path.resolve(__dirname, "../../.bench/local");

interface PhaseResult {
  readonly readings: number;
  /** Wall seconds from the first publish to the last acknowledgement. */
  readonly ackSeconds: number;
  readonly ackRate: number;
  readonly ackLatencyMs: { p50: number; p99: number } | null;
  readonly connectSeconds: number;
}

const BENCH_OPTIONS: readonly OptionSpec[] = [
  {
    name: "devices",
    value: "n",
    default: "1000",
    description: "devices of the fleet (one TLS connection each)",
  },
  {
    name: "readings",
    value: "n",
    default: "20",
    description: "readings per device in the saturating phases",
  },
  {
    name: "freshness-seconds",
    value: "n",
    default: "10",
    description:
      "length of the paced phase measuring publish-to-queryable time (one reading per device per second)",
  },
  { name: "stack", value: "name", default: "dev", description: "stack file whose settings the backend runs" },
  HELP_OPTION,
];

const HELP: HelpPage = {
  usage: "npm run bench:local -- [--devices <n>] [--readings <n>] [--freshness-seconds <n>] [--stack <name>]",
  about: [
    "The local backend's ingest path under a fleet over TLS on loopback, against a bare aedes broker: readings/s",
    "until durable in Parquet, the ratio to the bare broker, and publish-to-queryable p50/p95 at a paced load.",
    "Device certificates are generated once into .bench/local/pki. Not part of npm test.",
  ],
  options: BENCH_OPTIONS,
  exitStatus: "0 measured, 1 the benchmark failed, 2 bad options.",
};

/** The options, or undefined after printing the help. */
function parseBenchOptions(argv: readonly string[]) {
  const values = optionsOrHelp(argv, "npm run bench:local", HELP);
  if (!values) return undefined;
  const count = (name: string) => integerOption(name, values.text(name)!, 1, 1_000_000);
  return {
    devices: count("devices"),
    readings: count("readings"),
    freshnessSeconds: count("freshness-seconds"),
    stack: values.text("stack")!,
  };
}

/** Runs the fleet against a broker; resolves when every reading is acknowledged (or the fleet gave up). */
async function runFleet(
  pki: LocalPki,
  port: number,
  deployment: string,
  readingsPerDevice: number,
  speed: number,
): Promise<{ fleet: Fleet; result: PhaseResult }> {
  const devices = [...pki.devices].map(([thingName, cert]) => ({
    thingName,
    roomId: cert.roomId,
    credentials: { certificatePem: cert.certificatePem, privateKeyPem: cert.privateKeyPem },
  }));
  // Each device samples every simulated second, `speed` times a wall second.
  const fleet = new Fleet({
    transport: new MqttJsTransport(`mqtts://127.0.0.1:${port}`, pki.ca.certificatePem),
    devices,
    deployment,
    protocol: "3.1.1",
    qos: 1,
    seed: "bench",
    intervalMs: 1_000,
    count: readingsPerDevice,
    speed,
    anomalies: NO_ANOMALIES,
    connectRate: 1_000,
    queueSize: readingsPerDevice * 2,
    maxInFlight: 20,
    drainTimeoutMs: 120_000,
    connectTimeoutMs: 30_000,
    keepaliveSeconds: 60,
    backoff: DEFAULT_BACKOFF,
  });
  const run = fleet.run();
  const rampUp = await fleet.rampedUp;
  const samplingStart = performance.now();
  const total = devices.length * readingsPerDevice;
  while (fleet.stats.acknowledged < total && fleet.phase !== "done")
    await new Promise((r) => setTimeout(r, 5));
  const ackSeconds = (performance.now() - samplingStart) / 1000;
  const summary = await run;
  if (summary.failed.total > 0)
    throw new Error(
      `the fleet failed to deliver ${summary.failed.total} readings: ${JSON.stringify(summary.errors)}`,
    );
  return {
    fleet,
    result: {
      readings: summary.acknowledged,
      ackSeconds,
      ackRate: Math.round(summary.acknowledged / ackSeconds),
      ackLatencyMs: summary.ackLatencyMs
        ? { p50: summary.ackLatencyMs.p50, p99: summary.ackLatencyMs.p99 }
        : null,
      connectSeconds: Math.round(rampUp) / 1000,
    },
  };
}

async function bareBroker(pki: LocalPki): Promise<{ port: number; close: () => Promise<void> }> {
  const aedes = await Aedes.createBroker();
  const server = tls.createServer(
    {
      key: pki.server.privateKeyPem,
      cert: pki.server.certificatePem,
      ca: [pki.ca.certificatePem],
      requestCert: true,
      rejectUnauthorized: true,
    },
    (socket) => aedes.handle(socket),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function main(argv: string[]): Promise<number> {
  const opts = parseBenchOptions(argv);
  if (!opts) return EXIT.ok;
  const config = parsePlatformConfig(readStackFile(opts.stack, path.resolve(__dirname, "../..")));
  const perRoom = Math.ceil(opts.devices / config.fleet.rooms.length);
  const devices = fleetDevices(config.deployment, config.fleet.rooms, perRoom).slice(0, opts.devices);
  fs.mkdirSync(BENCH_DIR, { recursive: true });
  const pkiStart = performance.now();
  const pki = await ensureLocalPki(BENCH_DIR, devices);
  process.stderr.write(
    `bench: ${devices.length} device certificates ready (${pki.issued} issued in ${Math.round(performance.now() - pkiStart)} ms)\n`,
  );

  // Phase 1: the bare broker.
  const bare = await bareBroker(pki);
  // Saturation: 100 readings/s per device, far above what one machine takes.
  const barePhase = await runFleet(pki, bare.port, config.deployment, opts.readings, 100);
  await bare.close();
  process.stderr.write(`bench: bare broker ${barePhase.result.ackRate} readings/s\n`);

  // Phase 2: the local backend's ingest path, on a fresh lake.
  const dataDir = path.join(BENCH_DIR, "run");
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(dataDir, { recursive: true });
  // Compressed so that the configured buffering interval is one wall second.
  const speed = Math.max(1, config.firehose.bufferSeconds);
  const bufferWallMs = (config.firehose.bufferSeconds * 1000) / speed;
  const start = Date.now();
  const now = () => Math.floor(start + (performance.now() - pkiStart) * speed);
  const duckdb = await DuckDBInstance.create(":memory:");
  const store = new LocalObjectStore(path.join(dataDir, "lake"), config.deployment, now);
  const writer = FirehoseWriter.open({
    store,
    duck: await duckdb.connect(),
    stateDir: path.join(dataDir, "ingest"),
    deployment: config.deployment,
    rooms: config.fleet.rooms,
    bufferSeconds: config.firehose.bufferSeconds,
    bufferMiB: config.firehose.bufferMiB,
    dynamicPartitioning: config.firehose.dynamicPartitioning,
    speed,
    now,
  });
  const { log } = DurableLog.open(path.join(dataDir, "ingest", "log"), 0);
  const ingest = new IngestPipeline(log, new TopicRules(config.deployment), writer);
  const deliveries: Delivery[] = [];
  const release = writer.onDelivery;
  writer.onDelivery = (d) => {
    release?.(d);
    deliveries.push(d);
  };
  const scope = { region: config.region, accountId: "000000000000" };
  const broker = new LocalBroker({
    pki,
    policy: buildDevicePolicyDocument({ deployment: config.deployment, ...scope }),
    scope,
    ingest,
    now,
    port: 0,
  });
  const port = await broker.start();
  const firstPublish = performance.now();
  const localPhase = await runFleet(pki, port, config.deployment, opts.readings, 100);
  await writer.flush();
  const durableSeconds = (performance.now() - firstPublish - localPhase.result.connectSeconds * 1000) / 1000;
  const saturated = deliveries.splice(0);

  // Freshness at a sustainable load: one reading per device per second for --freshness-seconds.
  const freshPhase = await runFleet(pki, port, config.deployment, opts.freshnessSeconds, 1);
  await writer.flush();
  await broker.close();
  await log.close();

  // Publish -> queryable: each reading's sample time on the fleet's clock against the commit of its delivery.
  const clock = freshPhase.fleet.clock!;
  const duck = await duckdb.connect();
  const latencies: number[] = [];
  for (const delivery of deliveries) {
    const files = delivery.objects
      .filter((o) => o.endsWith(".parquet"))
      .map((o) => `'${path.join(store.root, o)}'`);
    if (files.length === 0) continue;
    const rows = (
      await duck.runAndReadAll(`SELECT ts FROM read_parquet([${files.join(", ")}])`)
    ).getRowObjectsJS();
    for (const row of rows) latencies.push(delivery.committedAtWall - clock.wallAt(Number(row.ts)));
  }
  const lakeRows = Number(
    (
      await duck.runAndReadAll(
        `SELECT count(*) AS n FROM read_parquet('${path.join(store.root, "raw", "telemetry", "**", "*.parquet")}')`,
      )
    ).getRowObjectsJS()[0]!.n,
  );
  duck.closeSync();
  duckdb.closeSync();
  latencies.sort((a, b) => a - b);

  const result = {
    devices: devices.length,
    readingsPerDevice: opts.readings,
    cpus: (await import("node:os")).cpus().length,
    bareBroker: barePhase.result,
    localBackend: {
      ...localPhase.result,
      readingsInLake: lakeRows,
      durableRate: Math.round(saturated.reduce((n, d) => n + d.telemetryRows, 0) / durableSeconds),
      deliveries: writer.stats.deliveries,
      files: writer.stats.files,
      fsyncs: log.stats.fsyncs,
      readingsPerFsync: Math.round((log.stats.appends / Math.max(1, log.stats.fsyncs)) * 10) / 10,
    },
    ingestRatio: Math.round((localPhase.result.ackRate / barePhase.result.ackRate) * 100) / 100,
    publishToQueryableMs: {
      load: `${devices.length} readings/s`,
      readings: latencies.length,
      bufferIntervalWallMs: bufferWallMs,
      p50: Math.round(percentile(latencies, 50)),
      p95: Math.round(percentile(latencies, 95)),
      max: Math.round(latencies.at(-1) ?? 0),
    },
  };
  const acknowledged = localPhase.result.readings + freshPhase.result.readings;
  if (lakeRows !== acknowledged)
    throw new Error(`the lake holds ${lakeRows} readings, ${acknowledged} were acknowledged`);
  fs.writeFileSync(path.join(BENCH_DIR, "result.json"), `${JSON.stringify(result, null, 2)}\n`);
  const lines = [
    `local ingest benchmark: ${result.devices} devices x ${result.readingsPerDevice} QoS 1 readings over TLS, ${result.cpus} CPUs, loopback`,
    `  bare broker    ${result.bareBroker.ackRate} readings/s acknowledged (ack p50 ${result.bareBroker.ackLatencyMs?.p50} ms)`,
    `  local backend  ${result.localBackend.ackRate} readings/s acknowledged (ack p50 ${result.localBackend.ackLatencyMs?.p50} ms, ${result.localBackend.readingsPerFsync} readings per fsync)`,
    `                 ${result.localBackend.durableRate} readings/s publish -> durable Parquet (${result.localBackend.readingsInLake} in the lake in total, ${result.localBackend.files} files)`,
    `  ratio          ${result.ingestRatio} of the bare broker's rate`,
    `  freshness      at ${result.publishToQueryableMs.load}: publish -> queryable p50 ${result.publishToQueryableMs.p50} ms, p95 ${result.publishToQueryableMs.p95} ms (buffer interval ${bufferWallMs} ms)`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  return EXIT.ok;
}

if (require.main === module) runCommand("bench:local", main);
