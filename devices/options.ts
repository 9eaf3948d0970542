/**
 * The fleet CLI's options, declared once (name, alias, value, default, description) and parsed into a typed,
 * validated {@link FleetOptions}. `--help` is generated from the same table. Every bad value fails with the
 * option's name, the value received and what to use instead.
 */
import {
  durationOption,
  integerOption,
  numberOption,
  parseOptions,
  UsageError,
  usageOf,
  type OptionSpec,
} from "./command";
import { parseLoadProfile, type LoadProfile } from "../components/telemetry/load-profile";
import { assertTopicSegment } from "../components/telemetry/topics";
import { parseAnomalySpec, type AnomalyConfig } from "./model/anomalies";
import { parseShard, type Shard } from "./shard";
import type { MqttProtocol, Qos } from "./transports/transport";
import { DEFAULT_READING_INTERVAL_SECONDS, DEFAULT_SENSOR_SEED } from "../components/telemetry/fleet";

export { UsageError };

/** Every option, in `--help` order. */
export const FLEET_OPTIONS: readonly OptionSpec[] = [
  {
    name: "target",
    short: "t",
    value: "iot-core|URL",
    defaultText: "iot-core with --fleet, else mqtt://127.0.0.1:1883",
    description:
      "Where to publish: AWS IoT Core (the fleet file's endpoint, through aws-iot-device-sdk-v2), or any broker through MQTT.js (mqtt:// plain, mqtts:// TLS with the fleet file's CA and device certificates)",
  },
  {
    name: "fleet",
    short: "f",
    value: "file|env:NAME",
    description:
      "Fleet file (JSON): endpoint, CA, deployment and per-device certificates, as written by the stack outputs or the local backend (devices/README.md); env:NAME reads it from an environment variable (a container's secret)",
  },
  {
    name: "devices",
    short: "n",
    value: "n",
    defaultText: "4 (with --fleet: every device in the file)",
    description: "Number of devices; with --fleet, run the first n devices of the file",
  },
  {
    name: "rooms",
    value: "a,b,...",
    default: "lab,office",
    description:
      "Rooms the devices are spread over (not with a fleet file that lists its devices; with a claim-only fleet file, the rooms the deployment accepts)",
  },
  {
    name: "deployment",
    value: "name",
    default: "sensors-dev",
    description: "Deployment name <app>-<stack>: thing-name prefix and topic segment (not with --fleet)",
  },
  {
    name: "interval",
    short: "i",
    value: "duration",
    default: `${DEFAULT_READING_INTERVAL_SECONDS}s`,
    description: "Sampling interval per device (simulated time), e.g. 500ms, 10s, 5m",
  },
  {
    name: "duration",
    short: "d",
    value: "duration",
    defaultText: "until stopped",
    description: "How long to run (simulated time), e.g. 20s, 2h, 7d",
  },
  {
    name: "count",
    short: "c",
    value: "n",
    defaultText: "until stopped",
    description: "Readings per device, then stop (with --duration, the first reached)",
  },
  { name: "protocol", value: "5|3.1.1", default: "5", description: "MQTT protocol version" },
  { name: "qos", value: "0|1", default: "1", description: "QoS of the readings" },
  {
    name: "seed",
    value: "text",
    default: DEFAULT_SENSOR_SEED,
    description: "Seed of the sensor model: same seed (and --start), same readings",
  },
  {
    name: "anomalies",
    value: "rate[,kind...]",
    default: "none",
    description:
      "Inject anomalies: probability per sample that one starts (0-1 or a percentage), and kinds (spike, level_shift, drift, stuck, dropout, noise_burst; default all), e.g. 0.01 or 2%,spike,drift",
  },
  {
    name: "labels",
    value: "file",
    description: "Write every injected anomaly to this file (.csv for CSV, else JSON Lines)",
  },
  {
    name: "speed",
    value: "factor",
    default: "1",
    description: "Simulated time runs this many times faster than wall time",
  },
  {
    name: "start",
    value: "ISO time",
    defaultText: "now",
    description: "Simulated time of the start, e.g. 2025-01-06T00:00:00Z",
  },
  {
    name: "replay",
    value: "csv",
    description: "Drive the fleet's first device from a recorded timestamp,value series (e.g. data/nab/...)",
  },
  {
    name: "profile",
    value: "t:n,...",
    defaultText: "every device for the whole run",
    description:
      'Load profile: devices online over (simulated) time, linear between points, e.g. "0s:0,5m:10000,20m:10000,25m:0"; the run ends with it. With --shard, each shard runs its share',
  },
  {
    name: "shard",
    value: "i/n",
    default: "1/1",
    description: "Run only part i of n of the fleet (split by a hash of the thing name)",
  },
  {
    name: "connect-rate",
    value: "n",
    defaultText: "500, divided by n with --shard i/n",
    description:
      "Connection attempts per second of this process; IoT Core's default limit is 500/s per account, so shards share it",
  },
  {
    name: "queue-size",
    value: "n",
    default: "1000",
    description: "Readings a device keeps while disconnected (oldest dropped first)",
  },
  {
    name: "max-in-flight",
    value: "n",
    default: "20",
    description: "Unacknowledged QoS 1 readings per device",
  },
  {
    name: "drain-timeout",
    value: "duration",
    default: "30s",
    description: "At the end, how long to wait for outstanding acknowledgements",
  },
  {
    name: "connect-timeout",
    value: "duration",
    default: "10s",
    description: "Give up a connection attempt (and back off) after this long",
  },
  {
    name: "save-fleet",
    value: "file",
    description: "After provisioning by claim, write the fleet file with the new certificates here",
  },
  {
    name: "credentials",
    value: "dir|s3://bucket/prefix",
    description:
      "Certificate store for devices that provision by claim: certificates found there are used, new ones are saved there (one file per shard), so the next run does not provision again",
  },
  {
    name: "out",
    value: "dir|s3://bucket/prefix",
    description:
      "Write the JSON summary (and the labels) to <out>/<run>/shard-<i>-of-<n>.summary.json, for npm run fleet:report",
  },
  {
    name: "run",
    value: "name",
    defaultText: "$SENSOR_FLEET_RUN, else run-<UTC time>",
    description: "Run name: the folder under --out",
  },
  {
    name: "at",
    value: "ISO time",
    defaultText: "$SENSOR_FLEET_AT, else now",
    description:
      "Wait until this wall-clock time before starting, so shards started one by one begin together",
  },
  { name: "json", description: "Print the summary as JSON on stdout" },
  { name: "quiet", short: "q", description: "No progress lines on stderr" },
  { name: "help", short: "h", description: "Show this help" },
];

export type FleetTarget =
  { readonly kind: "iot-core" } | { readonly kind: "broker"; readonly url: string; readonly tls: boolean };

/** The parsed command line. */
export interface FleetOptions {
  readonly help: boolean;
  readonly target: FleetTarget | undefined;
  readonly fleetPath: string | undefined;
  readonly devices: number | undefined;
  readonly rooms: readonly string[];
  /** Whether --rooms was given (it conflicts with a fleet file that lists its devices). */
  readonly roomsGiven: boolean;
  readonly deployment: string | undefined;
  readonly intervalMs: number;
  readonly durationMs: number | undefined;
  readonly count: number | undefined;
  readonly protocol: MqttProtocol;
  readonly qos: Qos;
  readonly seed: string;
  readonly anomalies: AnomalyConfig;
  readonly labelsPath: string | undefined;
  readonly speed: number;
  readonly startTs: number | undefined;
  readonly replayPath: string | undefined;
  readonly shard: Shard;
  readonly connectRate: number;
  readonly queueSize: number;
  readonly maxInFlight: number;
  readonly drainTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly saveFleetPath: string | undefined;
  readonly profile: LoadProfile | undefined;
  /** `--credentials`: where certificates obtained by claim are kept between runs. */
  readonly credentialsStore: string | undefined;
  /** `--out`: where the summary and labels go. */
  readonly out: string | undefined;
  readonly run: string;
  /** `--at`: wall-clock start (ms since epoch). */
  readonly startAt: number | undefined;
  readonly json: boolean;
  readonly quiet: boolean;
}

export const DEFAULT_DEPLOYMENT = "sensors-dev";
export const DEFAULT_DEVICES = 4;
export const DEFAULT_BROKER_URL = "mqtt://127.0.0.1:1883";
/** Connection attempts per second of a whole fleet: IoT Core's default per-account quota. */
export const DEFAULT_CONNECT_RATE = 500;

/** Environment variables that supply defaults (set by `npm run fleet:cloud` for tasks it starts). */
export interface FleetEnvironment {
  readonly SENSOR_FLEET_RUN?: string;
  readonly SENSOR_FLEET_AT?: string;
}

/**
 * Parses and validates `argv` (without the node and script paths). Throws {@link UsageError}.
 * @param env defaults for `--run` and `--at`; @param now the clock for the default run name
 */
export function parseFleetOptions(
  argv: readonly string[],
  env: FleetEnvironment = process.env,
  now: Date = new Date(),
): FleetOptions {
  const parsed = parseOptions(argv, FLEET_OPTIONS, "Run with --help for the options.");
  const { text, given, flag } = parsed;
  if (flag("help")) return { ...defaults(), help: true };

  const fleetPath = text("fleet");
  if (fleetPath !== undefined && given("deployment")) {
    throw new UsageError(
      "--deployment cannot be combined with --fleet: the fleet file names the devices, rooms and deployment",
    );
  }
  const target = parseTarget(text("target"));
  if (target?.kind === "iot-core" && fleetPath === undefined) {
    throw new UsageError("--target iot-core needs --fleet <file> (the endpoint, CA and device certificates)");
  }
  const rooms = text("rooms")!
    .split(",")
    .map((r) => r.trim());
  for (const room of rooms) segment("--rooms", room);
  const deployment = text("deployment");
  if (deployment !== undefined) segment("--deployment", deployment);

  const shard = usageOf(() => parseShard(text("shard")!));
  const options: FleetOptions = {
    help: false,
    target,
    fleetPath,
    devices: optionalInt("devices", text("devices"), 1, 1_000_000),
    rooms,
    roomsGiven: given("rooms"),
    deployment,
    intervalMs: durationOption("interval", text("interval")!, 1, 86_400_000),
    durationMs:
      text("duration") === undefined
        ? undefined
        : durationOption("duration", text("duration")!, 1, 3_650 * 86_400_000),
    count: optionalInt("count", text("count"), 1, Number.MAX_SAFE_INTEGER),
    protocol: parseProtocol(text("protocol")!),
    qos: parseQos(text("qos")!),
    seed: text("seed")!,
    anomalies: usageOf(() => parseAnomalySpec(text("anomalies")!)),
    labelsPath: text("labels"),
    speed: numberOption("speed", text("speed")!, 1e-3, 1e7),
    startTs: text("start") === undefined ? undefined : parseStart(text("start") as string),
    replayPath: text("replay"),
    shard,
    connectRate:
      text("connect-rate") === undefined
        ? DEFAULT_CONNECT_RATE / shard.count
        : numberOption("connect-rate", text("connect-rate")!, 0.01, 1e6),
    queueSize: integerOption("queue-size", text("queue-size")!, 1, 10_000_000),
    maxInFlight: integerOption("max-in-flight", text("max-in-flight")!, 1, 65_535),
    drainTimeoutMs: durationOption("drain-timeout", text("drain-timeout")!, 0, 86_400_000),
    connectTimeoutMs: durationOption("connect-timeout", text("connect-timeout")!, 100, 600_000),
    saveFleetPath: text("save-fleet"),
    profile: text("profile") === undefined ? undefined : usageOf(() => parseLoadProfile(text("profile")!)),
    credentialsStore: location("credentials", text("credentials")),
    out: location("out", text("out")),
    run: runName(text("run") ?? env.SENSOR_FLEET_RUN, now),
    startAt: startAt(text("at") ?? env.SENSOR_FLEET_AT),
    json: flag("json"),
    quiet: flag("quiet"),
  };
  return options;
}

function defaults(): FleetOptions {
  return parseFleetOptions([]);
}

function location(name: string, text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (
    text.startsWith("s3://")
      ? !/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(text)
      : text.trim() === ""
  ) {
    throw new UsageError(
      `--${name} must be a directory or an s3://bucket/prefix location such as s3://my-bucket/fleet/ (got "${text}")`,
    );
  }
  return text;
}

function runName(text: string | undefined, now: Date): string {
  if (text === undefined || text === "") return `run-${now.toISOString().slice(0, 19).replace(/[-:]/g, "")}Z`;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(text)) {
    throw new UsageError(
      `--run must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit (got "${text}")`,
    );
  }
  return text;
}

function startAt(text: string | undefined): number | undefined {
  if (text === undefined || text === "") return undefined;
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || !Number.isFinite(ms)) {
    throw new UsageError(`--at must be an ISO 8601 time such as 2025-01-06T09:00:00Z (got "${text}")`);
  }
  return ms;
}

function parseTarget(text: string | undefined): FleetTarget | undefined {
  if (text === undefined) return undefined;
  if (text === "iot-core") return { kind: "iot-core" };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(
      `--target must be iot-core or an mqtt:// or mqtts:// URL such as mqtt://127.0.0.1:1883 (got "${text}")`,
    );
  }
  if ((url.protocol !== "mqtt:" && url.protocol !== "mqtts:") || url.hostname === "") {
    throw new UsageError(
      `--target must be iot-core or an mqtt:// or mqtts:// URL such as mqtt://127.0.0.1:1883 (got "${text}")`,
    );
  }
  return { kind: "broker", url: text, tls: url.protocol === "mqtts:" };
}

function parseProtocol(text: string): MqttProtocol {
  if (text === "5" || text === "3.1.1") return text;
  throw new UsageError(`--protocol must be 5 or 3.1.1 (got "${text}")`);
}

function parseQos(text: string): Qos {
  if (text === "0") return 0;
  if (text === "1") return 1;
  throw new UsageError(`--qos must be 0 or 1 (got "${text}"); QoS 2 is not supported by AWS IoT Core`);
}

function parseStart(text: string): number {
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || !Number.isFinite(ms)) {
    throw new UsageError(`--start must be an ISO 8601 time such as 2025-01-06T00:00:00Z (got "${text}")`);
  }
  return ms;
}

function optionalInt(name: string, text: string | undefined, min: number, max: number): number | undefined {
  return text === undefined ? undefined : integerOption(name, text, min, max);
}

function segment(option: string, value: string): void {
  try {
    assertTopicSegment(option, value);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
