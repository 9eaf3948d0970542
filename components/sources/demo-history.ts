/**
 * The demo database's history, written once: how many days of readings, at what interval, from which sensors
 * and sensor-model seed, ending when the database is seeded. The stack hands it to the seed function as the
 * `aws.lambda.Invocation` input; the local backend builds the same request (with its run's `--seed` and
 * `--interval`, whose defaults are these, so the history is sampled like the readings it scores) and generates
 * it with the seed function's own `requestedHistory`. Pure.
 */
import type { PlatformConfig } from "../config";
import { DEFAULT_READING_INTERVAL_SECONDS, DEFAULT_SENSOR_SEED } from "../telemetry/fleet";

/** What the seed function is asked to load. */
export interface DemoHistoryRequest {
  /** `<app>-<stack>`: the sensors are named as the live fleet's (`<deployment>-<room>-<nnn>`). */
  readonly deployment: string;
  readonly rooms: readonly string[];
  readonly sensorsPerRoom: number;
  /** Days of history, ending at the time of seeding. */
  readonly days: number;
  /** Seconds between two readings of a sensor. */
  readonly intervalSeconds: number;
  /** Seed of the fleet simulator's sensor model (its default, so history and the live fleet share a climate). */
  readonly seed: string;
}

/**
 * Days, interval and model seed of the demo history: one day at the live fleet's default interval. The model's
 * features count readings (a sensor's baseline is its last 30), so history sampled more coarsely than the live
 * readings would teach the first model another signal than the one it scores.
 */
export const DEMO_HISTORY = {
  days: 1,
  intervalSeconds: DEFAULT_READING_INTERVAL_SECONDS,
  seed: DEFAULT_SENSOR_SEED,
} as const;

/** Environment of the seed function: where the database is and the secret holding its credentials. */
export const SEED_ENV = {
  host: "DB_HOST",
  port: "DB_PORT",
  database: "DB_NAME",
  secretArn: "DB_SECRET_ARN",
} as const;

/**
 * The request a stack's demo database is seeded with. A run that samples its live fleet otherwise (the local
 * backend's `--seed`, `--interval`) passes that sampling, for the reason {@link DEMO_HISTORY} gives.
 */
export function demoHistoryRequest(
  config: {
    readonly deployment: string;
    readonly fleet: Pick<PlatformConfig["fleet"], "rooms" | "sensorsPerRoom">;
  },
  liveSampling: { readonly seed?: string; readonly intervalSeconds?: number } = {},
): DemoHistoryRequest {
  return {
    deployment: config.deployment,
    rooms: [...config.fleet.rooms],
    sensorsPerRoom: config.fleet.sensorsPerRoom,
    days: DEMO_HISTORY.days,
    intervalSeconds: liveSampling.intervalSeconds ?? DEMO_HISTORY.intervalSeconds,
    seed: liveSampling.seed ?? DEMO_HISTORY.seed,
  };
}

/** Checks an invocation's input; every problem is named. */
export function parseDemoHistoryRequest(input: unknown): DemoHistoryRequest {
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    throw new Error(`seed request must be a JSON object (got ${JSON.stringify(input)})`);
  }
  const r = input as Record<string, unknown>;
  const problems: string[] = [];
  const positive = (key: string, max: number) => {
    const v = r[key];
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > max)
      problems.push(`${key} must be an integer from 1 to ${max} (got ${JSON.stringify(v)})`);
  };
  if (typeof r.deployment !== "string" || !/^[a-z][a-z0-9-]{0,36}$/.test(r.deployment))
    problems.push(`deployment must be "<app>-<stack>" (got ${JSON.stringify(r.deployment)})`);
  if (
    !Array.isArray(r.rooms) ||
    r.rooms.length === 0 ||
    !r.rooms.every((room) => typeof room === "string" && /^[A-Za-z0-9_]{1,32}$/.test(room))
  )
    problems.push(`rooms must be a non-empty list of room IDs (got ${JSON.stringify(r.rooms)})`);
  positive("sensorsPerRoom", 10000);
  positive("days", 366);
  positive("intervalSeconds", 86_400);
  if (typeof r.seed !== "string") problems.push(`seed must be a string (got ${JSON.stringify(r.seed)})`);
  if (problems.length > 0) throw new Error(`invalid seed request: ${problems.join("; ")}`);
  return r as unknown as DemoHistoryRequest;
}
