/**
 * From parsed options to a runnable {@link FleetRunConfig}: which devices (fleet file or generated names,
 * then this shard), which transport, which credentials, and the checks that need all of that together
 * (AWS IoT Core's per-connection publish limit, a fleet file without certificates on a TLS target).
 */
import { fleetDevices } from "../components/telemetry/fleet";
import {
  onlineWindows,
  profileEndMs,
  profileMaxRampPerSecond,
  profilePeak,
} from "../components/telemetry/load-profile";
import type { FleetDevicePlan, FleetRunConfig } from "./fleet";
import {
  FleetFileError,
  readFleetFile,
  resolveEndpoint,
  type FleetFile,
} from "../components/telemetry/fleet-file";
import { loadRecordedSeries, type RecordedPoint } from "./model/replay";
import {
  DEFAULT_BROKER_URL,
  DEFAULT_DEPLOYMENT,
  DEFAULT_DEVICES,
  UsageError,
  type FleetOptions,
  type FleetTarget,
} from "./options";
import { DEFAULT_BACKOFF } from "./runtime/backoff";
import { inShard } from "./shard";
import { IotSdkTransport } from "./transports/iot-sdk";
import { MqttJsTransport } from "./transports/mqttjs";
import type { Transport } from "./transports/transport";

/** AWS IoT Core quotas the plan is checked against (AWS IoT Core endpoints and quotas, "Message broker"). */
export const IOT_CORE_LIMITS = {
  /** Publish requests per second per connection: fixed, not adjustable. */
  publishesPerSecondPerConnection: 100,
  /** Connect requests per second per account (default, adjustable). */
  connectsPerSecondPerAccount: 500,
  /** Inbound publish requests per second per account (default in most regions, adjustable). */
  publishesPerSecondPerAccount: 20_000,
} as const;

export interface FleetPlan {
  readonly config: FleetRunConfig;
  readonly fleetFile: FleetFile | undefined;
  /** Things worth saying before the run starts (stderr). */
  readonly warnings: readonly string[];
}

/** Builds the run configuration; throws {@link UsageError} for anything that cannot run. */
export function planFleet(options: FleetOptions): FleetPlan {
  const warnings: string[] = [];
  const fleetFile = options.fleetPath === undefined ? undefined : readFleet(options.fleetPath);
  const target: FleetTarget =
    options.target ??
    (fleetFile ? { kind: "iot-core" } : { kind: "broker", url: DEFAULT_BROKER_URL, tls: false });
  const tls = target.kind === "iot-core" || target.tls;

  const deployment = fleetFile?.deployment ?? options.deployment ?? DEFAULT_DEPLOYMENT;
  const { profile } = options;
  if (profile && options.replayPath !== undefined) {
    throw new UsageError("--profile cannot be combined with --replay (a recording has its own timeline)");
  }
  let allDevices: FleetDevicePlan[];
  if (fleetFile && fleetFile.devices.length > 0) {
    if (options.roomsGiven) {
      throw new UsageError(
        "--rooms cannot be combined with a fleet file that lists its devices: the file names the devices and rooms",
      );
    }
    const listed = fleetFile.devices.slice(0, options.devices ?? fleetFile.devices.length);
    allDevices = listed.map((d, rank) => ({
      thingName: d.thingName,
      roomId: d.roomId,
      rank,
      ...(tls && d.certificatePem && d.privateKeyPem
        ? { credentials: { certificatePem: d.certificatePem, privateKeyPem: d.privateKeyPem } }
        : {}),
    }));
    if (!tls)
      warnings.push(`${describeTarget(target)} is plain MQTT: the fleet file's certificates are not used`);
  } else {
    // Generated names: no fleet file, or a claim-only one (devices register by claim under these names).
    const total = options.devices ?? (profile ? profilePeak(profile) : DEFAULT_DEVICES);
    const perRoom = Math.ceil(total / options.rooms.length);
    allDevices = fleetDevices(deployment, options.rooms, perRoom)
      .slice(0, total)
      .map((d, rank) => ({ thingName: d.thingName, roomId: d.roomId, rank }));
  }
  if (profile) allDevices = fitProfile(profile, allDevices, warnings);
  const devices = allDevices.filter((d) => inShard(d.thingName, options.shard));
  if (devices.length === 0) {
    warnings.push(
      `shard ${options.shard.index}/${options.shard.count} has none of the ${allDevices.length} devices`,
    );
  }

  // The replayed device is the first of the whole fleet, so exactly one shard replays it.
  let replay: FleetRunConfig["replay"];
  if (options.replayPath !== undefined) {
    const { points, skippedLines } = wrap(() => loadRecordedSeries(options.replayPath as string));
    if (skippedLines.length > 0) {
      warnings.push(
        `--replay ${options.replayPath}: skipped ${skippedLines.length} rows whose timestamp is not after the previous row (lines ${skippedLines[0]}-${skippedLines[skippedLines.length - 1]})`,
      );
    }
    const first = allDevices[0];
    if (first && devices.some((d) => d.thingName === first.thingName))
      replay = { deviceId: first.thingName, points };
    checkReplayRate(points, options, target, warnings);
  }

  const transport = createTransport(target, fleetFile);
  const provisioning = tls ? fleetFile?.provisioning : undefined;
  if (options.saveFleetPath !== undefined && !provisioning) {
    throw new UsageError(
      "--save-fleet only applies when devices provision by claim (a fleet file with a provisioning section, on a TLS target)",
    );
  }
  if (tls && target.kind === "broker" && !fleetFile) {
    warnings.push(
      `${target.url}: TLS without --fleet, so the server is checked against Node's root CAs and devices send no client certificate`,
    );
  }

  checkRates(options, target, devices.length, warnings);
  if (profile) checkRamp(profileMaxRampPerSecond(profile), options, target, warnings);
  if (options.anomalies.rate > 0 && options.labelsPath === undefined) {
    warnings.push("anomalies are injected but --labels is not set: the ground truth will not be saved");
  }

  return {
    fleetFile,
    warnings,
    config: {
      transport,
      devices,
      deployment,
      protocol: options.protocol,
      qos: options.qos,
      seed: options.seed,
      intervalMs: options.intervalMs,
      durationMs: profile
        ? Math.min(options.durationMs ?? Infinity, profileEndMs(profile))
        : options.durationMs,
      count: options.count,
      speed: options.speed,
      startTs: options.startTs,
      anomalies: options.anomalies,
      replay,
      labelsPath: options.labelsPath,
      connectRate: options.connectRate,
      queueSize: options.queueSize,
      maxInFlight: options.maxInFlight,
      drainTimeoutMs: options.drainTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs,
      keepaliveSeconds: 60,
      backoff: DEFAULT_BACKOFF,
      provisioning,
      shardLabel: `${options.shard.index}/${options.shard.count}`,
      profile,
    },
  };
}

/**
 * The devices a profile brings online: the first `peak` of the fleet (a profile above the fleet's size is an
 * error); devices whose windows round to nothing (the very top of a peak) are left out with a warning.
 */
function fitProfile(
  profile: NonNullable<FleetOptions["profile"]>,
  devices: FleetDevicePlan[],
  warnings: string[],
): FleetDevicePlan[] {
  const peak = profilePeak(profile);
  if (peak > devices.length) {
    throw new UsageError(
      `--profile peaks at ${peak} devices but the fleet has ${devices.length}: raise --devices (or use a larger fleet file) or lower the profile`,
    );
  }
  if (devices.length > peak) {
    warnings.push(`--profile peaks at ${peak} devices: the other ${devices.length - peak} are not run`);
  }
  const online = devices.slice(0, peak).filter((d) => onlineWindows(profile, d.rank ?? 0).length > 0);
  if (online.length < peak) {
    warnings.push(
      `--profile reaches ${peak} devices only for an instant: ${peak - online.length} are never online`,
    );
  }
  return online;
}

function readFleet(path: string): FleetFile {
  try {
    return readFleetFile(path);
  } catch (err) {
    if (err instanceof FleetFileError) throw new UsageError(`--fleet ${err.message}`);
    throw err;
  }
}

function wrap<T>(load: () => T): T {
  try {
    return load();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function createTransport(target: FleetTarget, fleetFile: FleetFile | undefined): Transport {
  if (target.kind === "iot-core") {
    const file = fleetFile as FleetFile;
    const { host, port } = resolveEndpoint(file);
    return new IotSdkTransport(host, port, file.caCertPem);
  }
  return new MqttJsTransport(target.url, target.tls ? fleetFile?.caCertPem : undefined);
}

function describeTarget(target: FleetTarget): string {
  return target.kind === "iot-core" ? "iot-core" : target.url;
}

/** Publishes per second one device makes in wall time. */
export function wallPublishRate(intervalMs: number, speed: number): number {
  return (1000 * speed) / intervalMs;
}

function checkRates(options: FleetOptions, target: FleetTarget, devices: number, warnings: string[]): void {
  const perDevice = wallPublishRate(options.intervalMs, options.speed);
  if (target.kind !== "iot-core") return;
  if (perDevice > IOT_CORE_LIMITS.publishesPerSecondPerConnection) {
    throw new UsageError(
      `--interval ${options.intervalMs}ms at --speed ${options.speed} is ${Math.round(perDevice)} publishes/s per device; AWS IoT Core allows ${IOT_CORE_LIMITS.publishesPerSecondPerConnection}/s per connection: raise --interval or lower --speed`,
    );
  }
  // Every shard publishes into the same account: about n times this shard's rate.
  const total = perDevice * devices * options.shard.count;
  if (total > IOT_CORE_LIMITS.publishesPerSecondPerAccount) {
    warnings.push(
      `${Math.round(total)} publishes/s${options.shard.count > 1 ? ` (all ${options.shard.count} shards)` : ""} exceeds IoT Core's default account quota of ${IOT_CORE_LIMITS.publishesPerSecondPerAccount}/s: expect throttling unless the quota was raised`,
    );
  }
  if (options.connectRate * options.shard.count > IOT_CORE_LIMITS.connectsPerSecondPerAccount) {
    warnings.push(
      `--connect-rate ${options.connectRate}${options.shard.count > 1 ? ` times ${options.shard.count} shards` : ""} exceeds IoT Core's default ${IOT_CORE_LIMITS.connectsPerSecondPerAccount} connects/s per account`,
    );
  }
}

/**
 * A ramp needs as many connections per second as devices it adds; this process gets its shard's share of that,
 * paced by --connect-rate (IoT Core accepts 500 connects/s per account by default).
 */
function checkRamp(
  rampPerSecond: number,
  options: FleetOptions,
  target: FleetTarget,
  warnings: string[],
): void {
  const share = rampPerSecond / options.shard.count;
  if (share > options.connectRate) {
    warnings.push(
      `--profile climbs by ${Math.round(rampPerSecond)} devices/s (${Math.round(share)}/s for this shard) but --connect-rate is ${options.connectRate}/s: devices come online later than the profile says; lengthen the ramp`,
    );
  }
  if (target.kind === "iot-core" && rampPerSecond > IOT_CORE_LIMITS.connectsPerSecondPerAccount) {
    warnings.push(
      `--profile climbs by ${Math.round(rampPerSecond)} devices/s, over IoT Core's default ${IOT_CORE_LIMITS.connectsPerSecondPerAccount} connects/s per account: expect throttled connections unless the quota was raised`,
    );
  }
}

function checkReplayRate(
  points: readonly RecordedPoint[],
  options: FleetOptions,
  target: FleetTarget,
  warnings: string[],
): void {
  let minGap = Infinity;
  for (let i = 1; i < points.length; i++)
    minGap = Math.min(minGap, (points[i] as RecordedPoint).ts - (points[i - 1] as RecordedPoint).ts);
  if (!Number.isFinite(minGap)) return;
  const rate = wallPublishRate(minGap, options.speed);
  if (rate > IOT_CORE_LIMITS.publishesPerSecondPerConnection) {
    const message = `--replay rows ${minGap} ms apart at --speed ${options.speed} reach ${Math.round(rate)} publishes/s, over IoT Core's ${IOT_CORE_LIMITS.publishesPerSecondPerConnection}/s per connection`;
    if (target.kind === "iot-core") throw new UsageError(`${message}: lower --speed`);
    warnings.push(message);
  }
}
