/**
 * The fleet runner's settings (stack config `fleetRunner:`) and the command each shard's task runs. Pure: the
 * config module validates with {@link readFleetRunnerSettings}, the component builds task definitions with
 * {@link shardCommand}, and tests read both without Pulumi.
 *
 * The runner is off unless a stack sets `fleetRunner` with `shards`; the default (`{}`) means off.
 */
import { parseCidr } from "../net/cidr";
import { parseDurationMs } from "../telemetry/durations";
import { DEFAULT_READING_INTERVAL_SECONDS } from "../telemetry/fleet";
import {
  parseLoadProfile,
  profileMaxRampPerSecond,
  profilePeak,
  type LoadProfile,
} from "../telemetry/load-profile";

export type FleetRunnerNetworking = "private" | "public";
export type FleetRunnerArchitecture = "x86_64" | "arm64";

/** Validated `fleetRunner` settings of a stack that turns the runner on. */
export interface FleetRunnerSettings {
  /** Fargate tasks, one per shard (`--shard i/n`). */
  readonly shards: number;
  /** Devices per shard; the fleet is `shards × devicesPerShard` devices (split by a hash, so about this many each). */
  readonly devicesPerShard: number;
  /** Sampling interval per device, e.g. `10s`. */
  readonly interval: string;
  /** Devices online over time; `undefined`: every device for {@link duration}. */
  readonly profile?: LoadProfile;
  /** How long a run lasts without a profile (a profile sets its own length), e.g. `30m`. */
  readonly duration: string;
  /** Private subnets with interface endpoints (no NAT), or public subnets with public IPs. */
  readonly networking: FleetRunnerNetworking;
  /** The runner VPC's block (its own VPC, peered with nothing). */
  readonly vpcCidr: string;
  /** Fargate task size: CPU units and MiB. */
  readonly cpu: number;
  readonly memory: number;
  /** CPU architecture of the tasks and the image. */
  readonly architecture: FleetRunnerArchitecture;
  /** Connections per second the whole fleet may open (IoT Core's default account quota is 500/s). */
  readonly connectRate: number;
  /** Days run summaries are kept in the runner's bucket. */
  readonly runRetentionDays: number;
}

/** What a stack gets for each setting it leaves out. */
export const FLEET_RUNNER_DEFAULTS = {
  devicesPerShard: 1000,
  interval: `${DEFAULT_READING_INTERVAL_SECONDS}s`,
  duration: "30m",
  networking: "private",
  vpcCidr: "10.60.0.0/24",
  cpu: 1024,
  memory: 2048,
  architecture: "x86_64",
  connectRate: 500,
  runRetentionDays: 30,
} as const;

/** Fargate's valid memory (MiB) per CPU size. */
const FARGATE_SIZES: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: [1024, 2048, 3072, 4096],
  1024: [2048, 3072, 4096, 5120, 6144, 7168, 8192],
  2048: Array.from({ length: 13 }, (_, i) => 4096 + i * 1024),
  4096: Array.from({ length: 23 }, (_, i) => 8192 + i * 1024),
};

/** Reports one problem with `fleetRunner.<field>` (the caller adds key, stack file and value formatting). */
export type ReportProblem = (field: string, message: string, fix: string, value?: unknown) => void;

const FIELDS = ["shards", ...Object.keys(FLEET_RUNNER_DEFAULTS), "profile"];

/**
 * Reads the `fleetRunner` object. Returns `undefined` when the runner is off (an empty object) or when there
 * were problems (each reported).
 */
export function readFleetRunnerSettings(
  raw: unknown,
  report: ReportProblem,
): FleetRunnerSettings | undefined {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    report("", "must be a map of settings", "write it as a YAML map, e.g. fleetRunner: { shards: 4 }", raw);
    return undefined;
  }
  const value = raw as Record<string, unknown>;
  if (Object.keys(value).length === 0) return undefined;
  let problems = 0;
  const problem: ReportProblem = (...args) => {
    problems++;
    report(...args);
  };
  for (const key of Object.keys(value)) {
    if (!FIELDS.includes(key)) {
      problem(key, "is not a fleet runner setting", `use one of ${FIELDS.join(", ")}`, value[key]);
    }
  }
  const int = (field: string, fallback: number | undefined, min: number, max: number): number => {
    const given = value[field] ?? fallback;
    // `pulumi config set --path` may store a number as text.
    const v = typeof given === "string" && /^\d+$/.test(given) ? Number(given) : given;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      problem(field, `must be an integer from ${min} to ${max}`, `set it to a whole number in that range`, v);
      return min;
    }
    return v;
  };
  const duration = (field: string, fallback: string): string => {
    const v = value[field] ?? fallback;
    if (typeof v !== "string" || parseDurationMs(v) === undefined) {
      problem(field, "must be a duration with a unit (ms, s, m, h, d)", `set it to e.g. ${fallback}`, v);
      return fallback;
    }
    return v;
  };
  const oneOf = <T extends string>(field: string, fallback: T, allowed: readonly T[]): T => {
    const v = value[field] ?? fallback;
    if (!allowed.includes(v as T)) {
      problem(field, `must be one of ${allowed.join(", ")}`, `set it to one of ${allowed.join(", ")}`, v);
      return fallback;
    }
    return v as T;
  };

  if (value.shards === undefined) {
    problem(
      "shards",
      "is required to turn the fleet runner on",
      "add shards: 2 (or remove fleetRunner)",
      undefined,
    );
  }
  const d = FLEET_RUNNER_DEFAULTS;
  const shards = int("shards", undefined, 1, 100);
  const devicesPerShard = int("devicesPerShard", d.devicesPerShard, 1, 20_000);
  const interval = duration("interval", d.interval);
  const intervalMs = parseDurationMs(interval) ?? 10_000;
  if (intervalMs < 10) {
    problem(
      "interval",
      "must be at least 10ms: IoT Core allows 100 publishes/s per connection",
      "raise it",
      interval,
    );
  }
  const cpu = int("cpu", d.cpu, 256, 4096);
  const memory = int("memory", d.memory, 512, 30_720);
  if (FARGATE_SIZES[cpu] && !FARGATE_SIZES[cpu]!.includes(memory)) {
    problem(
      "memory",
      `is not a Fargate size for cpu ${cpu} (${FARGATE_SIZES[cpu]![0]}-${FARGATE_SIZES[cpu]!.at(-1)} MiB)`,
      `pick one of ${FARGATE_SIZES[cpu]!.join(", ")}`,
      memory,
    );
  } else if (!FARGATE_SIZES[cpu]) {
    problem("cpu", "must be a Fargate CPU size", `use one of ${Object.keys(FARGATE_SIZES).join(", ")}`, cpu);
  }
  const connectRate = int("connectRate", d.connectRate, 1, 100_000);
  let profile: LoadProfile | undefined;
  if (value.profile !== undefined) {
    try {
      profile = parseLoadProfile(String(value.profile));
    } catch (err) {
      problem(
        "profile",
        (err as Error).message,
        "write it as time:devices points, e.g. 0s:0,5m:10000,20m:10000,25m:0",
        value.profile,
      );
    }
  }
  if (profile && problems === 0) {
    const fleet = shards * devicesPerShard;
    if (profilePeak(profile) > fleet) {
      problem(
        "profile",
        `peaks at ${profilePeak(profile)} devices but shards × devicesPerShard is ${fleet}`,
        `raise devicesPerShard to ${Math.ceil(profilePeak(profile) / shards)} or shards, or lower the profile`,
        profile.text,
      );
    }
    const ramp = profileMaxRampPerSecond(profile);
    if (ramp > connectRate) {
      problem(
        "profile",
        `climbs by ${Math.round(ramp)} devices/s, faster than connectRate ${connectRate}/s (IoT Core's default quota is 500 connects/s per account)`,
        "lengthen the ramp, or raise connectRate once the account's quota is raised",
        profile.text,
      );
    }
  }
  const settings: FleetRunnerSettings = {
    shards,
    devicesPerShard,
    interval,
    profile,
    duration: duration("duration", d.duration),
    networking: oneOf("networking", d.networking, ["private", "public"] as const),
    vpcCidr: vpcCidr(value.vpcCidr ?? d.vpcCidr, problem),
    cpu,
    memory,
    architecture: oneOf("architecture", d.architecture, ["x86_64", "arm64"] as const),
    connectRate,
    runRetentionDays: int("runRetentionDays", d.runRetentionDays, 1, 3650),
  };
  return problems === 0 ? settings : undefined;
}

function vpcCidr(value: unknown, problem: ReportProblem): string {
  const parsed = typeof value === "string" ? parseCidr(value) : "not a string";
  if (typeof parsed === "string" || parsed.prefix < 16 || parsed.prefix > 27) {
    problem(
      "vpcCidr",
      `must be an IPv4 CIDR block from /16 to /27 (${typeof parsed === "string" ? parsed : "prefix out of range"})`,
      `use a private range, e.g. ${FLEET_RUNNER_DEFAULTS.vpcCidr}`,
      value,
    );
    return FLEET_RUNNER_DEFAULTS.vpcCidr;
  }
  return value as string;
}

/** Devices the runner's fleet has: the profile's peak, or every device of every shard. */
export function fleetRunnerDevices(settings: FleetRunnerSettings): number {
  return settings.profile ? profilePeak(settings.profile) : settings.shards * settings.devicesPerShard;
}

/** Where a task finds what it needs, filled in by the component. */
export interface ShardCommandContext {
  /** Rooms the deployment's provisioning hook accepts. */
  readonly rooms: readonly string[];
  /** Environment variable holding the claim-only fleet file (from Secrets Manager). */
  readonly fleetFileVariable: string;
  /** `s3://bucket/credentials/`: certificates obtained by claim. */
  readonly credentialsUri: string;
  /** `s3://bucket/runs/`: summaries go to `<runsUri><run>/`. */
  readonly runsUri: string;
}

/**
 * The simulator's arguments for shard `index` of the runner (the image's entry point is the bundle). The run
 * name and start time come from the environment fleet:cloud sets (SENSOR_FLEET_RUN, SENSOR_FLEET_AT).
 */
export function shardCommand(
  settings: FleetRunnerSettings,
  index: number,
  context: ShardCommandContext,
): string[] {
  const load = settings.profile ? ["--profile", settings.profile.text] : ["--duration", settings.duration];
  return [
    ["--fleet", `env:${context.fleetFileVariable}`, "--target", "iot-core"],
    ["--rooms", context.rooms.join(","), "--devices", String(fleetRunnerDevices(settings))],
    ["--shard", `${index}/${settings.shards}`, "--interval", settings.interval, ...load],
    // Each shard opens its share of the fleet's connections per second.
    ["--connect-rate", String(Math.round((settings.connectRate / settings.shards) * 100) / 100)],
    ["--credentials", context.credentialsUri, "--out", context.runsUri, "--json"],
  ].flat();
}
