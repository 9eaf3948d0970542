/**
 * Fleet benchmark: the simulator against a bare MQTT.js publish loop, side by side, over the same number of
 * connections to the same broker (mosquitto, in its own process, loopback only), same payload size, QoS and
 * per-connection interval. Each phase runs in a fresh process against a fresh broker; the saturating phases
 * run in ABBA order so drift of the machine's load over time cancels out. Bounded: ramp-up + warm-up +
 * window per phase (about 6 phases of 15-25 s per size).
 *
 * Two measurements per size:
 * - saturating (bare, fleet, fleet, bare): every connection offered one publish per `--interval`, more than
 *   the client process can send, so msg/s is the most each can publish;
 * - paced (fleet, bare): `--paced-rate` msg/s in total, well below saturation, for CPU time per message and
 *   memory per device in a steady state.
 *
 * Usage: npm run bench:fleet -- [options] (npm run bench:fleet -- --help lists them with their defaults).
 * Needs mosquitto (apt-get install -y mosquitto). Writes .bench/fleet/results.json.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { NO_ANOMALIES } from "../../devices/model/anomalies";
import { SimulatedSensor } from "../../devices/model/simulated-sensor";
import {
  durationOption,
  EXIT,
  type HelpPage,
  integerOption,
  optionsOrHelp,
  runCommand,
  UsageError,
  type OptionSpec,
  HELP_OPTION,
} from "../../devices/command";
import type { PhaseResult, PhaseSpec } from "./phase";

const REPO = resolve(__dirname, "../..");

interface BenchOptions {
  readonly sizes: number[];
  readonly intervalMs: number;
  readonly warmupMs: number;
  readonly windowMs: number;
  readonly connectRate: number;
  /** Total msg/s of the paced phases. */
  readonly pacedRate: number;
  readonly qos: 0 | 1;
  readonly protocol: "5" | "3.1.1";
  readonly json: boolean;
}

const BENCH_OPTIONS: readonly OptionSpec[] = [
  { name: "sizes", value: "n,...", default: "1000,10000", description: "connections per measurement" },
  {
    name: "interval",
    value: "duration",
    default: "10ms",
    description: "per-connection publish interval of the saturating phases (more than a client can send)",
  },
  { name: "paced-rate", value: "msg/s", default: "5000", description: "total rate of the paced phases" },
  { name: "window", value: "duration", default: "10s", description: "measured window of each phase" },
  { name: "warmup", value: "duration", default: "3s", description: "warm-up before each window" },
  { name: "connect-rate", value: "conn/s", default: "2000", description: "how fast connections are opened" },
  { name: "qos", value: "0|1", default: "1", description: "MQTT QoS of the publishes" },
  { name: "protocol", value: "5|3.1.1", default: "5", description: "MQTT protocol version" },
  { name: "json", description: "print the results as JSON instead of a table" },
  HELP_OPTION,
];

const HELP: HelpPage = {
  usage: "npm run bench:fleet -- [options]",
  about: [
    "The simulator against a bare MQTT.js publish loop over the same connections to the same mosquitto broker:",
    "saturating phases (msg/s) in ABBA order and paced phases (CPU time per message, memory per device).",
    "Needs mosquitto (apt-get install -y mosquitto). Writes .bench/fleet/results.json. Not part of npm test.",
  ],
  options: BENCH_OPTIONS,
  exitStatus: "0 measured, 1 a phase failed (or mosquitto is missing), 2 bad options.",
};

/** The options, or undefined after printing the help. */
function parseBenchOptions(argv: readonly string[]): BenchOptions | undefined {
  const values = optionsOrHelp(argv, "npm run bench:fleet", HELP);
  if (!values) return undefined;
  const text = (name: string) => values.text(name)!;
  const duration = (name: string) => durationOption(name, text(name), 1, 3_600_000);
  const sizes = text("sizes")
    .split(",")
    .map((n) => integerOption("sizes", n.trim(), 1, 1_000_000));
  const qos = text("qos");
  if (qos !== "0" && qos !== "1") throw new UsageError(`--qos must be 0 or 1 (got "${qos}")`);
  const protocol = text("protocol");
  if (protocol !== "5" && protocol !== "3.1.1")
    throw new UsageError(`--protocol must be 5 or 3.1.1 (got "${protocol}")`);
  return {
    sizes,
    intervalMs: duration("interval"),
    warmupMs: duration("warmup"),
    windowMs: duration("window"),
    connectRate: integerOption("connect-rate", text("connect-rate"), 1, 1_000_000),
    pacedRate: integerOption("paced-rate", text("paced-rate"), 1, 10_000_000),
    qos: qos === "0" ? 0 : 1,
    protocol,
    json: values.flag("json"),
  };
}

/** The mosquitto binary: on the PATH, or where Debian puts it (/usr/sbin is not on every user's PATH). */
function mosquittoBinary(): string {
  const found = ["mosquitto", "/usr/sbin/mosquitto"].find(
    (bin) => spawnSync(bin, ["-h"], { stdio: "ignore" }).error === undefined,
  );
  if (!found) throw new Error("mosquitto is not installed: apt-get install -y mosquitto");
  return found;
}

/** Runs a command with its open-files limit raised (10,000 connections need more than many defaults). */
function spawnWithFiles(files: number, command: string, args: string[]): ReturnType<typeof spawn> {
  return spawn("prlimit", [`--nofile=${files}:${files}`, command, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    cwd: REPO,
  });
}

async function startBroker(
  dir: string,
  files: number,
): Promise<{ url: string; pid: number | undefined; stop: () => Promise<void> }> {
  const port = await new Promise<number>((done) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port: p } = server.address() as net.AddressInfo;
      server.close(() => done(p));
    });
  });
  const config = join(dir, `mosquitto-${port}.conf`);
  writeFileSync(
    config,
    [
      "user root",
      `listener ${port} 127.0.0.1`,
      "allow_anonymous true",
      "persistence false",
      "max_connections -1",
      // No per-client cap on QoS 1 messages in flight: the bare loop does not limit itself.
      "max_inflight_messages 0",
      "log_dest none",
      "",
    ].join("\n"),
  );
  const child = spawnWithFiles(files, mosquittoBinary(), ["-c", config]);
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    const up = await new Promise<boolean>((done) => {
      const socket = net.connect(port, "127.0.0.1", () => (socket.destroy(), done(true)));
      socket.once("error", () => done(false));
    });
    if (up) break;
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`mosquitto did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `mqtt://127.0.0.1:${port}`,
    // prlimit execs the command, so the child's PID is mosquitto's.
    pid: child.pid,
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

async function runPhase(spec: PhaseSpec, files: number): Promise<PhaseResult> {
  const child = spawnWithFiles(files, process.execPath, [
    "--import",
    "tsx",
    "--expose-gc",
    "--max-old-space-size=8192",
    "bench/fleet/phase.ts",
    JSON.stringify(spec),
  ]);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((done) => child.once("exit", done));
  if (code !== 0)
    throw new Error(`${spec.kind} phase with ${spec.devices} devices failed (exit ${code}): ${stderr}`);
  return JSON.parse(stdout.trim().split("\n").pop() as string) as PhaseResult;
}

/** A payload exactly like the simulator's, so the bare loop sends the same number of bytes. */
function samplePayload(): string {
  const sensor = new SimulatedSensor({
    seed: "bench",
    deviceId: "sensors-bench-office-1234",
    roomId: "office",
    startTs: Date.now(),
    intervalMs: 10,
    anomalies: NO_ANOMALIES,
    limits: { count: 1 },
  });
  return JSON.stringify(sensor.take().payload);
}

interface SizeResult {
  readonly devices: number;
  /** Saturating phases (ABBA): publish rate and CPU per message. */
  readonly saturating: { readonly bare: PhaseResult[]; readonly fleet: PhaseResult[] };
  /** Paced phases at a fixed total rate below saturation: CPU per message and memory per device. */
  readonly paced: {
    readonly intervalMs: number;
    readonly bare: PhaseResult[];
    readonly fleet: PhaseResult[];
  };
  /** Fleet / bare: published msg/s (saturating), CPU per message (paced), RSS and JS heap per device (paced). */
  readonly rateRatio: number;
  readonly cpuRatio: number;
  readonly memoryRatio: number;
  readonly heapRatio: number;
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

const avg = (phases: PhaseResult[], pick: (p: PhaseResult) => number): number => mean(phases.map(pick));

async function main(argv: string[]): Promise<number> {
  const options = parseBenchOptions(argv);
  if (!options) return EXIT.ok;
  const dir = mkdtempSync(join(tmpdir(), "bench-fleet-"));
  const payload = samplePayload();
  const results: SizeResult[] = [];
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const measure = async (
    kind: "bare" | "fleet",
    devices: number,
    intervalMs: number,
    label: string,
  ): Promise<PhaseResult> => {
    const files = devices + 2_048;
    const broker = await startBroker(dir, files);
    try {
      const result = await runPhase(
        {
          kind,
          url: broker.url,
          devices,
          intervalMs,
          qos: options.qos,
          protocol: options.protocol,
          connectRate: options.connectRate,
          warmupMs: options.warmupMs,
          windowMs: options.windowMs,
          payload,
          brokerPid: broker.pid,
        },
        files,
      );
      log(
        `${String(devices).padStart(6)} ${label.padEnd(10)} ${kind.padEnd(5)} ${String(result.rate).padStart(7)} msg/s  ${result.cpuPerMessageUs} µs CPU/msg (${Math.round(result.systemShare * 100)}% kernel)  client ${result.clientCores} cores, broker ${result.brokerCores ?? "?"} cores  ramp-up ${result.rampUpMs} ms  ${Math.round(result.rssPerDevice / 1024)} KiB/device (heap ${Math.round(result.heapPerDevice / 1024)} KiB)${kind === "fleet" ? `  dropped ${result.dropped} queued ${result.queued}` : ""}`,
      );
      return result;
    } finally {
      await broker.stop();
    }
  };
  try {
    for (const devices of options.sizes) {
      const saturating: PhaseResult[] = [];
      for (const kind of ["bare", "fleet", "fleet", "bare"] as const) {
        saturating.push(await measure(kind, devices, options.intervalMs, "saturating"));
      }
      const pacedInterval = Math.max(1, Math.round((devices / options.pacedRate) * 1000));
      const paced: PhaseResult[] = [];
      for (const kind of ["fleet", "bare"] as const)
        paced.push(await measure(kind, devices, pacedInterval, "paced"));
      const split = (ps: PhaseResult[]): { bare: PhaseResult[]; fleet: PhaseResult[] } => ({
        bare: ps.filter((p) => p.kind === "bare"),
        fleet: ps.filter((p) => p.kind === "fleet"),
      });
      const sat = split(saturating);
      const pac = split(paced);
      results.push({
        devices,
        saturating: sat,
        paced: { intervalMs: pacedInterval, ...pac },
        rateRatio: avg(sat.fleet, (p) => p.rate) / avg(sat.bare, (p) => p.rate),
        cpuRatio: avg(pac.fleet, (p) => p.cpuPerMessageUs) / avg(pac.bare, (p) => p.cpuPerMessageUs),
        memoryRatio: avg(pac.fleet, (p) => p.rssPerDevice) / avg(pac.bare, (p) => p.rssPerDevice),
        heapRatio: avg(pac.fleet, (p) => p.heapPerDevice) / avg(pac.bare, (p) => p.heapPerDevice),
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const report = {
    command: ["npm run bench:fleet", ...(argv.length > 0 ? ["--", ...argv] : [])].join(" "),
    options,
    payloadBytes: Buffer.byteLength(payload),
    machine: { cpus: (await import("node:os")).cpus().length, node: process.version },
    results,
  };
  mkdirSync(join(REPO, ".bench/fleet"), { recursive: true });
  writeFileSync(join(REPO, ".bench/fleet/results.json"), `${JSON.stringify(report, null, 2)}\n`);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return EXIT.ok;
  }
  const rows = results.map((r) => {
    const n = (v: number): string => Math.round(v).toLocaleString("en-US");
    const f = (v: number, d = 1): string => v.toFixed(d);
    return [
      r.devices.toLocaleString("en-US"),
      n(avg(r.saturating.bare, (p) => p.rate)),
      n(avg(r.saturating.fleet, (p) => p.rate)),
      `**${f(r.rateRatio, 2)}**`,
      f(avg(r.paced.bare, (p) => p.cpuPerMessageUs)),
      f(avg(r.paced.fleet, (p) => p.cpuPerMessageUs)),
      f(r.cpuRatio, 2),
      f(avg(r.paced.bare, (p) => p.rssPerDevice) / 1024),
      f(avg(r.paced.fleet, (p) => p.rssPerDevice) / 1024),
      f(r.memoryRatio, 2),
      f(avg(r.paced.bare, (p) => p.heapPerDevice) / 1024),
      f(avg(r.paced.fleet, (p) => p.heapPerDevice) / 1024),
      f(r.heapRatio, 2),
      f(avg([...r.saturating.bare, ...r.paced.bare], (p) => p.rampUpMs) / 1000),
      f(avg([...r.saturating.fleet, ...r.paced.fleet], (p) => p.rampUpMs) / 1000),
    ];
  });
  process.stdout.write(
    [
      `QoS ${options.qos}, MQTT ${options.protocol}, ${report.payloadBytes}-byte payloads, mosquitto on loopback, ${report.machine.cpus} CPUs, connect rate ${options.connectRate}/s.`,
      `Saturating: one publish per connection every ${options.intervalMs} ms (more than the client can send), phases bare, fleet, fleet, bare.`,
      `Paced: ${options.pacedRate} msg/s in total (below saturation), for CPU and memory per device. Each phase: ${options.warmupMs / 1000} s warm-up, ${options.windowMs / 1000} s measured.`,
      "",
      "| devices | bare msg/s | fleet msg/s | rate ratio | paced bare µs CPU/msg | paced fleet µs CPU/msg | CPU ratio | bare RSS KiB/device | fleet RSS KiB/device | RSS ratio | bare heap KiB/device | fleet heap KiB/device | heap ratio | bare ramp-up s | fleet ramp-up s |",
      "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
      ...rows.map((cells) => `| ${cells.join(" | ")} |`),
      "",
    ].join("\n"),
  );
  return EXIT.ok;
}

if (require.main === module) runCommand("bench:fleet", main);
