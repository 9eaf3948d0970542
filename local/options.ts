/**
 * `npm start` options, declared once (name, value, default, description) and parsed into a typed, validated
 * {@link LocalOptions}; `--help` is generated from the same table. A bad value fails with the option's name,
 * the value received and what to use instead.
 */
import { parseAnomalySpec, type AnomalyConfig } from "../devices/model/anomalies";
import {
  durationOption,
  integerOption,
  numberOption,
  helpPage,
  parseOptions,
  UsageError,
  usageOf,
  type OptionSpec,
} from "../devices/command";
import { DEFAULT_READING_INTERVAL_SECONDS, DEFAULT_SENSOR_SEED } from "../components/telemetry/fleet";

export { UsageError };

/** Defaults that are not derived from the stack. */
export const DEFAULTS = {
  speed: 60,
  port: 8080,
  mqttPort: 8883,
  apiPort: 8443,
  dataDir: ".local",
  stack: "dev",
  interval: `${DEFAULT_READING_INTERVAL_SECONDS}s`,
  seed: DEFAULT_SENSOR_SEED,
  anomalies: "1%,spike,level_shift,drift,noise_burst",
} as const;

export const LOCAL_OPTIONS: readonly OptionSpec[] = [
  {
    name: "devices",
    value: "n",
    defaultText: "the stack's rooms x sensorsPerRoom",
    description:
      "Sensors in the built-in fleet (and certificates in the local PKI), spread over the stack's rooms",
  },
  {
    name: "duration",
    value: "duration",
    defaultText: "until Ctrl-C",
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
    defaultText: "now, or after the previous run on the data dir",
    description:
      "Simulated start, ISO 8601 with a zone (e.g. 2026-12-06T09:00:00Z): the seeded history ends there and the sensors' daily cycle follows it, so runs repeat whenever started; must be after the time a previous run on the data dir reached",
  },
  {
    name: "fleet-start",
    value: "time",
    defaultText: "as soon as the backend has started",
    description:
      "Simulated time the built-in fleet starts publishing, ISO 8601 with a zone: the backend runs its schedules until then, so the fleet's first reading does not depend on how long start-up took on this machine (if start-up ends later, the fleet starts then and says so); after --start",
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
  /** Simulated time the built-in fleet starts, epoch ms. @default - as soon as start-up is done */
  readonly fleetStartMs?: number;
  readonly fleet: boolean;
  readonly dashboard: boolean;
  readonly json: boolean;
}

export function parseLocalOptions(argv: readonly string[]): LocalOptions {
  const { text, flag } = parseOptions(argv, LOCAL_OPTIONS, "Run npm start -- --help for the options.");
  const stack = text("stack")!;
  if (!/^[a-z0-9][a-z0-9-]{0,19}$/.test(stack))
    throw new UsageError(`--stack must name a stack such as dev or prod (got "${stack}")`);
  const anomalies: AnomalyConfig = usageOf(() => parseAnomalySpec(text("anomalies")!));
  const startMs = text("start") === undefined ? undefined : timestamp("start", text("start")!);
  const fleetStartMs =
    text("fleet-start") === undefined ? undefined : timestamp("fleet-start", text("fleet-start")!);
  if (fleetStartMs !== undefined && flag("no-fleet"))
    throw new UsageError("--fleet-start times the built-in fleet: drop it or --no-fleet");
  if (fleetStartMs !== undefined && startMs !== undefined && fleetStartMs <= startMs)
    throw new UsageError(
      `--fleet-start must be after --start (got ${new Date(fleetStartMs).toISOString()}, start ${new Date(startMs).toISOString()})`,
    );
  return {
    help: flag("help"),
    devices:
      text("devices") === undefined ? undefined : integerOption("devices", text("devices")!, 0, 100_000),
    durationMs:
      text("duration") === undefined
        ? undefined
        : durationOption("duration", text("duration")!, 1_000, 30 * 86_400_000),
    speed: numberOption("speed", text("speed")!, 0.01, 100_000),
    port: integerOption("port", text("port")!, 0, 65_535),
    mqttPort: integerOption("mqtt-port", text("mqtt-port")!, 0, 65_535),
    apiPort: integerOption("api-port", text("api-port")!, 0, 65_535),
    dataDir: text("data-dir")!,
    stack,
    intervalMs: durationOption("interval", text("interval")!, 10, 86_400_000),
    anomalies,
    seed: text("seed")!,
    ...(startMs === undefined ? {} : { startMs }),
    ...(fleetStartMs === undefined ? {} : { fleetStartMs }),
    fleet: !flag("no-fleet"),
    dashboard: !flag("no-dashboard"),
    json: flag("json"),
  };
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
  return helpPage({
    usage: "npm start -- [options]",
    about: [
      "Runs the whole sensor-analytics pipeline on this machine with the artifacts the cloud deploys: a local PKI,",
      "an MQTT broker over TLS authorizing with the IoT policy, the topic rules' SQL, a Firehose-like lake writer",
      "(Parquet via DuckDB), PGlite as the historical database, the ETL / training / scoring state machines in",
      "aws-local-stepfunctions, the analytics queries in DuckDB, the TypeScript Random Cut Forest and a dashboard;",
      "with a stack that opts in, the ingest stream's real-time consumer, the HTTP API over HTTPS and the REST pollers.",
      "Ctrl-C stops it: the lake is flushed, the ETL runs once more and the summary is printed.",
    ],
    options: LOCAL_OPTIONS,
  });
}
