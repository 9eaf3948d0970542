/**
 * `npm start` options, declared once (name, value, default, description) and parsed into a typed, validated
 * {@link LocalOptions}; `--help` is generated from the same table. A bad value fails with the option's name,
 * the value received and what to use instead.
 */
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { parseAnomalySpec, type AnomalyConfig } from "../devices/model/anomalies";
import { parseDurationMs } from "../components/telemetry/durations";
import { DEFAULT_READING_INTERVAL_SECONDS } from "../components/telemetry/fleet";

/** A bad command line: the CLI prints the message and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

interface OptionSpec {
  readonly name: string;
  /** Placeholder in `--help`; absent for flags. */
  readonly value?: string;
  readonly default?: string;
  readonly description: string;
}

/** Defaults that are not derived from the stack. */
export const DEFAULTS = {
  speed: 60,
  port: 8080,
  mqttPort: 8883,
  apiPort: 8443,
  dataDir: ".local",
  stack: "dev",
  interval: `${DEFAULT_READING_INTERVAL_SECONDS}s`,
  seed: "1",
  anomalies: "1%,spike,level_shift,drift,noise_burst",
} as const;

export const LOCAL_OPTIONS: readonly OptionSpec[] = [
  {
    name: "devices",
    value: "n",
    default: "the stack's rooms x sensorsPerRoom",
    description:
      "Sensors in the built-in fleet (and certificates in the local PKI), spread over the stack's rooms",
  },
  {
    name: "duration",
    value: "duration",
    default: "until Ctrl-C",
    description:
      "How long the fleet publishes, in wall time (e.g. 60s, 5m); then the run drains, runs the ETL and prints the summary",
  },
  {
    name: "speed",
    value: "factor",
    default: String(DEFAULTS.speed),
    description:
      "Simulated time runs this many times faster than wall time: readings, Firehose buffering, schedules, crawler polls",
  },
  {
    name: "port",
    value: "n",
    default: String(DEFAULTS.port),
    description: "Dashboard port on 127.0.0.1 (0: any free port)",
  },
  {
    name: "mqtt-port",
    value: "n",
    default: String(DEFAULTS.mqttPort),
    description: "MQTT over TLS port of the broker on 127.0.0.1 (0: any free port)",
  },
  {
    name: "api-port",
    value: "n",
    default: String(DEFAULTS.apiPort),
    description:
      "HTTPS port of the HTTP API on 127.0.0.1 (0: any free port), with a stack that sets httpApi (e.g. --stack streaming)",
  },
  {
    name: "data-dir",
    value: "dir",
    default: DEFAULTS.dataDir,
    description: "Where the PKI, ingest log, lake, historical database and state live; reused across runs",
  },
  {
    name: "stack",
    value: "name",
    default: DEFAULTS.stack,
    description:
      "Whose configuration to mirror (Pulumi.<name>.yaml): rooms, buffering, schedules, model settings",
  },
  {
    name: "interval",
    value: "duration",
    default: DEFAULTS.interval,
    description: "Sampling interval of each sensor, simulated time",
  },
  {
    name: "anomalies",
    value: "rate[,kind...]",
    default: DEFAULTS.anomalies,
    description: "Anomalies the fleet injects (see npm run fleet -- --help); 'none' for none",
  },
  {
    name: "start",
    value: "time",
    default: "now, or after the previous run on the data dir",
    description:
      "Simulated start, ISO 8601 with a zone (e.g. 2026-12-06T09:00:00Z): the seeded history ends there and the sensors' daily cycle follows it, so runs repeat whenever started; must be after the time a previous run on the data dir reached",
  },
  {
    name: "seed",
    value: "text",
    default: DEFAULTS.seed,
    description: "Seed of the sensor model and of the seeded history",
  },
  {
    name: "no-fleet",
    description:
      "Run the backend without the built-in fleet (publish with npm run fleet -- --target mqtts://127.0.0.1:<mqtt-port> --fleet <data-dir>/fleet.json)",
  },
  { name: "no-dashboard", description: "Do not serve the dashboard" },
  { name: "json", description: "Print the summary as JSON on stdout (logs stay on stderr)" },
  { name: "help", description: "Show this help" },
];

export interface LocalOptions {
  readonly help: boolean;
  readonly devices: number | undefined;
  readonly durationMs: number | undefined;
  readonly speed: number;
  readonly port: number;
  readonly mqttPort: number;
  readonly apiPort: number;
  readonly dataDir: string;
  readonly stack: string;
  readonly intervalMs: number;
  readonly anomalies: AnomalyConfig;
  readonly seed: string;
  /** Simulated start, epoch ms. @default - the wall clock (or just after the previous run on the data dir) */
  readonly startMs?: number;
  readonly fleet: boolean;
  readonly dashboard: boolean;
  readonly json: boolean;
}

export function parseLocalOptions(argv: readonly string[]): LocalOptions {
  const spec: ParseArgsOptionsConfig = {};
  for (const o of LOCAL_OPTIONS) spec[o.name] = { type: o.value ? "string" : "boolean" };
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: [...argv], options: spec, strict: true, allowPositionals: false })
      .values as Record<string, string | boolean | undefined>;
  } catch (err) {
    throw new UsageError(`${(err as Error).message}. Run npm start -- --help for the options.`);
  }
  const text = (name: string) => values[name] as string | undefined;
  const flag = (name: string) => values[name] === true;
  const stack = text("stack") ?? DEFAULTS.stack;
  if (!/^[a-z0-9][a-z0-9-]{0,19}$/.test(stack))
    throw new UsageError(`--stack must name a stack such as dev or prod (got "${stack}")`);
  let anomalies: AnomalyConfig;
  try {
    anomalies = parseAnomalySpec(text("anomalies") ?? DEFAULTS.anomalies);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return {
    help: flag("help"),
    devices: text("devices") === undefined ? undefined : integer("devices", text("devices")!, 0, 100_000),
    durationMs:
      text("duration") === undefined
        ? undefined
        : duration("duration", text("duration")!, 1_000, 30 * 86_400_000),
    speed: number("speed", text("speed") ?? String(DEFAULTS.speed), 0.01, 100_000),
    port: integer("port", text("port") ?? String(DEFAULTS.port), 0, 65_535),
    mqttPort: integer("mqtt-port", text("mqtt-port") ?? String(DEFAULTS.mqttPort), 0, 65_535),
    apiPort: integer("api-port", text("api-port") ?? String(DEFAULTS.apiPort), 0, 65_535),
    dataDir: text("data-dir") ?? DEFAULTS.dataDir,
    stack,
    intervalMs: duration("interval", text("interval") ?? DEFAULTS.interval, 10, 86_400_000),
    anomalies,
    seed: text("seed") ?? DEFAULTS.seed,
    ...(text("start") === undefined ? {} : { startMs: timestamp("start", text("start")!) }),
    fleet: !flag("no-fleet"),
    dashboard: !flag("no-dashboard"),
    json: flag("json"),
  };
}

function integer(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < min || n > max)
    throw new UsageError(`--${name} must be an integer from ${min} to ${max} (got "${value}")`);
  return n;
}

function number(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < min || n > max)
    throw new UsageError(`--${name} must be a number from ${min} to ${max} (got "${value}")`);
  return n;
}

function duration(name: string, value: string, minMs: number, maxMs: number): number {
  const ms = parseDurationMs(value);
  if (ms === undefined)
    throw new UsageError(
      `--${name} must be a duration with a unit (ms, s, m, h, d), e.g. 60s or 5m (got "${value}")`,
    );
  if (ms < minMs || ms > maxMs)
    throw new UsageError(`--${name} must be from ${minMs} ms to ${maxMs} ms (got "${value}")`);
  return ms;
}

/** An ISO 8601 date-time with an explicit zone (`Z` or `+hh:mm`), as epoch ms. */
function timestamp(name: string, value: string): number {
  const ms = Date.parse(value);
  if (
    !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value.trim()) ||
    !Number.isFinite(ms)
  )
    throw new UsageError(
      `--${name} must be an ISO 8601 date and time with a zone, e.g. 2026-12-06T09:00:00Z (got "${value}")`,
    );
  return ms;
}

export function helpText(): string {
  const rows = LOCAL_OPTIONS.map((o) => {
    const flags = `  --${o.name}${o.value ? ` <${o.value}>` : ""}`;
    return `${flags.padEnd(34)}${o.description}${o.default ? ` (default: ${o.default})` : ""}`;
  });
  return [
    "Usage: npm start -- [options]",
    "",
    "Runs the whole sensor-analytics pipeline on this machine with the artifacts the cloud deploys: a local PKI,",
    "an MQTT broker over TLS authorizing with the IoT policy, the topic rules' SQL, a Firehose-like lake writer",
    "(Parquet via DuckDB), PGlite as the historical database, the ETL / training / scoring state machines in",
    "aws-local-stepfunctions, the analytics queries in DuckDB, the TypeScript Random Cut Forest and a dashboard;",
    "with a stack that opts in, the ingest stream's real-time consumer, the HTTP API over HTTPS and the REST pollers.",
    "Ctrl-C stops it: the lake is flushed, the ETL runs once more and the summary is printed.",
    "",
    "Options:",
    ...rows,
  ].join("\n");
}
