/**
 * Load profiles: how many devices of a fleet are online over the course of a run, e.g.
 * `0s:0,5m:10000,20m:10000,25m:0` (ramp to 10,000 devices in five minutes, hold fifteen, ramp down in five).
 * Between two points the count changes linearly. Pure and shared: the simulator (`--profile`) follows it, and
 * the fleet runner's settings validate it against IoT Core's connect rate before anything is deployed.
 *
 * Devices come online in fleet order: the device of rank k (0-based, its position in the whole fleet) is online
 * while the profile's count is at least k + 1. Every shard applies the same rule to its own devices, so n shards
 * together follow the profile exactly and each takes its share, whatever the sharding.
 */
import { formatDuration, parseDurationMs } from "./durations";

/** One point of a profile: `devices` online `atMs` after the start (simulated time). */
export interface LoadProfilePoint {
  readonly atMs: number;
  readonly devices: number;
}

export interface LoadProfile {
  /** The text it was parsed from (summaries and task commands show it). */
  readonly text: string;
  /** At least two points, the first at 0, times strictly increasing. */
  readonly points: readonly LoadProfilePoint[];
}

/** A half-open interval `[startMs, endMs)` of simulated time after the start, during which a device is online. */
export interface OnlineWindow {
  readonly startMs: number;
  readonly endMs: number;
}

const EXAMPLE = '"0s:0,5m:10000,20m:10000,25m:0"';

/** Parses `t:n,t:n,...`; throws an Error naming the bad point and the fix. */
export function parseLoadProfile(text: string): LoadProfile {
  const parts = text.split(",").map((p) => p.trim());
  if (parts.length < 2 || parts.some((p) => p === "")) {
    throw new Error(
      `a load profile is at least two time:devices points separated by commas, e.g. ${EXAMPLE} (got "${text}")`,
    );
  }
  const points = parts.map((part, i) => {
    const match = /^([^:]+):(\d+)$/.exec(part);
    const atMs = match ? (match[1] === "0" ? 0 : parseDurationMs(match[1] as string)) : undefined;
    if (!match || atMs === undefined) {
      throw new Error(
        `load profile point ${i + 1} "${part}" must be time:devices with a unit on the time, e.g. 5m:10000 (in ${EXAMPLE} style)`,
      );
    }
    const devices = Number(match[2]);
    if (!Number.isSafeInteger(devices) || devices > 10_000_000) {
      throw new Error(`load profile point ${i + 1} "${part}": devices must be an integer up to 10000000`);
    }
    return { atMs, devices };
  });
  if (points[0]!.atMs !== 0) {
    throw new Error(
      `a load profile starts at 0s (got "${parts[0]}" first): add a point such as 0s:0 in front`,
    );
  }
  for (let i = 1; i < points.length; i++) {
    if (points[i]!.atMs <= points[i - 1]!.atMs) {
      throw new Error(
        `load profile times must increase: "${parts[i]}" is not after "${parts[i - 1]}" (use a short ramp, e.g. 10s, for a step)`,
      );
    }
  }
  if (points.every((p) => p.devices === 0)) {
    throw new Error(`a load profile needs at least one point with devices online (got "${text}")`);
  }
  return { text: parts.join(","), points };
}

/** Devices the profile asks for `tMs` after the start (fractional between points; 0 after the end). */
export function profileLevelAt(profile: LoadProfile, tMs: number): number {
  const { points } = profile;
  if (tMs < 0 || tMs > profileEndMs(profile)) return 0;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    if (tMs <= b.atMs) return a.devices + ((b.devices - a.devices) * (tMs - a.atMs)) / (b.atMs - a.atMs);
  }
  return points[points.length - 1]!.devices;
}

/** Devices online `tMs` after the start: the ranks 0..n-1 with n = floor(level). */
export function devicesOnlineAt(profile: LoadProfile, tMs: number): number {
  return Math.floor(profileLevelAt(profile, tMs) + 1e-9);
}

/** When the profile (and so the run) ends, ms after the start. */
export function profileEndMs(profile: LoadProfile): number {
  return profile.points[profile.points.length - 1]!.atMs;
}

/** The most devices online at once: how large the fleet must be. */
export function profilePeak(profile: LoadProfile): number {
  return Math.max(...profile.points.map((p) => p.devices));
}

/** The steepest climb, devices per second: the connection rate the ramp needs. */
export function profileMaxRampPerSecond(profile: LoadProfile): number {
  let steepest = 0;
  for (let i = 1; i < profile.points.length; i++) {
    const a = profile.points[i - 1]!;
    const b = profile.points[i]!;
    steepest = Math.max(steepest, ((b.devices - a.devices) * 1000) / (b.atMs - a.atMs));
  }
  return steepest;
}

/**
 * When the device of `rank` is online: the times where the profile's level is at least rank + 1, as sorted,
 * disjoint, half-open windows (ms after the start). Empty when the profile never reaches it.
 */
export function onlineWindows(profile: LoadProfile, rank: number): OnlineWindow[] {
  const threshold = rank + 1;
  const windows: OnlineWindow[] = [];
  const add = (startMs: number, endMs: number): void => {
    const start = Math.round(startMs);
    const end = Math.round(endMs);
    if (end <= start) return;
    const last = windows[windows.length - 1];
    if (last && last.endMs >= start) windows[windows.length - 1] = { startMs: last.startMs, endMs: end };
    else windows.push({ startMs: start, endMs: end });
  };
  for (let i = 1; i < profile.points.length; i++) {
    const a = profile.points[i - 1]!;
    const b = profile.points[i]!;
    const aOn = a.devices >= threshold;
    const bOn = b.devices >= threshold;
    // Where the segment crosses the threshold (linear between the points).
    const crossing = (): number =>
      a.atMs + ((threshold - a.devices) * (b.atMs - a.atMs)) / (b.devices - a.devices);
    if (aOn && bOn) add(a.atMs, b.atMs);
    else if (!aOn && bOn) add(crossing(), b.atMs);
    else if (aOn && !bOn) add(a.atMs, crossing());
  }
  return windows;
}

/** A one-line description, e.g. `4 points, peak 10,000 devices, 25m`. */
export function describeLoadProfile(profile: LoadProfile): string {
  return `${profile.points.length} points, peak ${profilePeak(profile).toLocaleString("en-US")} devices, ${formatDuration(profileEndMs(profile))}`;
}
