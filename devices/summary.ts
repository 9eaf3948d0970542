/**
 * The run summary: printed as JSON with `--json` (a stable shape: scripts and the local backend read it), or
 * as a short human report otherwise. `ok` is false when any reading was not delivered or a device never
 * connected; the CLI exits 1 then.
 */
import type { FleetRunConfig } from "./fleet";
import type { AnomalyKind } from "./model/anomalies";
import type { SimClock } from "./runtime/clock";
import type { LatencyPercentiles, SerializedHistogram } from "./runtime/histogram";
import type { FleetStats } from "./runtime/stats";
import { formatDuration } from "../components/telemetry/durations";
import { profileEndMs, profilePeak } from "../components/telemetry/load-profile";

export interface FleetSummary {
  /** No reading lost, no device without a connection, no provisioning failure. */
  ok: boolean;
  /** `completed`: every device reached its count/duration; `stopped`: SIGINT/SIGTERM or `Fleet.stop()`. */
  stoppedBy: "completed" | "stopped";
  target: string;
  protocol: string;
  qos: number;
  deployment: string;
  seed: string;
  shard: string;
  devices: number;
  /** Devices that connected at least once. */
  devicesConnected: number;
  /** Simulated time covered: start (ISO), end (ISO, the clock when sampling stopped), speed, interval. */
  simulated: { start: string | null; end: string | null; speed: number; intervalMs: number };
  /** Wall time: whole run, ramp-up (connect all devices), sampling phase; ms. */
  wallMs: number;
  rampUpMs: number;
  samplingMs: number;
  /** Distinct readings sent at least once. A receiver should see exactly these `(device_id, seq)` pairs. */
  published: number;
  /** Readings acknowledged by the broker (QoS 1 PUBACK; QoS 0: written to the socket). */
  acknowledged: number;
  /** Readings not delivered, by cause; `total` is their sum. */
  failed: { total: number; dropped: number; rejected: number; unacknowledged: number; unsent: number };
  /** Extra sends after lost connections (the receiver sees them as duplicates). */
  resent: number;
  reconnects: number;
  disconnects: number;
  connectFailures: number;
  provisioned: number;
  provisioningFailures: number;
  /** Published readings per wall second of the sampling phase. */
  publishRate: number;
  /** QoS 1 publish-to-PUBACK latency; `null` at QoS 0. */
  ackLatencyMs: LatencyPercentiles | null;
  /** The histogram behind {@link ackLatencyMs}, so `fleet:report` can merge shards exactly; `null` at QoS 0. */
  ackLatencyHistogram: SerializedHistogram | null;
  /** The load profile the run followed (`--profile`), its peak and its length in simulated ms. */
  profile: { spec: string; peakDevices: number; endMs: number } | null;
  /** Largest delay between a sample's due time and when it was taken (the process falling behind), ms. */
  maxScheduleLagMs: number;
  anomalies: { injected: number; byKind: Record<AnomalyKind, number>; labelsFile: string | null };
  /** Replay: which device, and the shift added to the recorded timestamps (map recorded labels with it). */
  replay: { deviceId: string; rows: number; shiftMs: number } | null;
  /** Last error of each kind (connect, disconnect, retry, rejected, dropped, provisioning, client). */
  errors: Record<string, string>;
  /** Last `seq` published per device (-1: none). A receiver expects seq 0..lastSeq from each. */
  lastSeq: Record<string, number>;
}

export interface SummaryInput {
  readonly config: FleetRunConfig;
  readonly stats: FleetStats;
  readonly stoppedBy: "completed" | "stopped";
  readonly clock: SimClock | undefined;
  readonly rampUpMs: number;
  readonly samplingMs: number;
  readonly wallMs: number;
  readonly unsent: number;
  readonly unacknowledged: number;
  readonly maxScheduleLagMs: number;
  readonly replayShiftMs: number | undefined;
  readonly labelsPath: string | undefined;
  readonly lastSeq: readonly (readonly [string, number])[];
}

export function buildSummary(input: SummaryInput): FleetSummary {
  const { config, stats } = input;
  const failed = {
    total: stats.dropped + stats.rejected + input.unacknowledged + input.unsent,
    dropped: stats.dropped,
    rejected: stats.rejected,
    unacknowledged: input.unacknowledged,
    unsent: input.unsent,
  };
  const simEnd = input.clock?.simNow(input.clock.wallStart + input.samplingMs);
  const injected = Object.values(stats.anomalies).reduce((a, b) => a + b, 0);
  const round = (ms: number): number => Math.round(ms);
  return {
    ok:
      failed.total === 0 && stats.provisioningFailures === 0 && stats.everConnected === config.devices.length,
    stoppedBy: input.stoppedBy,
    target: config.transport.description,
    protocol: config.protocol,
    qos: config.qos,
    deployment: config.deployment,
    seed: config.seed,
    shard: config.shardLabel ?? "1/1",
    devices: config.devices.length,
    devicesConnected: stats.everConnected,
    simulated: {
      start: input.clock ? new Date(input.clock.simStartMs).toISOString() : null,
      end: simEnd === undefined ? null : new Date(simEnd).toISOString(),
      speed: config.speed,
      intervalMs: config.intervalMs,
    },
    wallMs: round(input.wallMs),
    rampUpMs: round(input.rampUpMs),
    samplingMs: round(input.samplingMs),
    published: stats.published,
    acknowledged: stats.acknowledged,
    failed,
    resent: stats.resent,
    reconnects: stats.reconnects,
    disconnects: stats.disconnects,
    connectFailures: stats.connectFailures,
    provisioned: stats.provisioned,
    provisioningFailures: stats.provisioningFailures,
    publishRate: input.samplingMs > 0 ? Math.round((stats.published / input.samplingMs) * 1000 * 10) / 10 : 0,
    ackLatencyMs: config.qos === 1 ? stats.ackLatency.percentiles() : null,
    ackLatencyHistogram: config.qos === 1 ? stats.ackLatency.toJSON() : null,
    profile: config.profile
      ? {
          spec: config.profile.text,
          peakDevices: profilePeak(config.profile),
          endMs: profileEndMs(config.profile),
        }
      : null,
    maxScheduleLagMs: round(input.maxScheduleLagMs),
    anomalies: { injected, byKind: { ...stats.anomalies }, labelsFile: input.labelsPath ?? null },
    replay:
      config.replay && input.replayShiftMs !== undefined
        ? {
            deviceId: config.replay.deviceId,
            rows: config.replay.points.length,
            shiftMs: input.replayShiftMs,
          }
        : null,
    errors: Object.fromEntries(stats.lastErrors),
    lastSeq: Object.fromEntries(input.lastSeq),
  };
}

/** The summary for a person: the counts that matter, one per line. */
export function formatSummary(summary: FleetSummary): string {
  const n = (v: number): string => v.toLocaleString("en-US");
  const lines = [
    `${summary.ok ? "OK" : "FAILED"}: ${summary.stoppedBy}, ${n(summary.devices)} devices (shard ${summary.shard}) on ${summary.target}, MQTT ${summary.protocol}, QoS ${summary.qos}`,
    `  simulated   ${summary.simulated.start ?? "-"} .. ${summary.simulated.end ?? "-"} (x${summary.simulated.speed}, every ${formatDuration(summary.simulated.intervalMs)})`,
    `  wall        ${formatDuration(summary.wallMs)} (ramp-up ${formatDuration(summary.rampUpMs)}, sampling ${formatDuration(summary.samplingMs)})`,
    `  published   ${n(summary.published)} (${n(summary.publishRate)}/s), acknowledged ${n(summary.acknowledged)}, resent ${n(summary.resent)}`,
    `  failed      ${n(summary.failed.total)} (dropped ${n(summary.failed.dropped)}, rejected ${n(summary.failed.rejected)}, unacknowledged ${n(summary.failed.unacknowledged)}, unsent ${n(summary.failed.unsent)})`,
    `  connections ${n(summary.devicesConnected)}/${n(summary.devices)} connected, ${n(summary.reconnects)} reconnects, ${n(summary.connectFailures)} failed attempts`,
  ];
  if (summary.profile) {
    lines.push(
      `  profile     ${summary.profile.spec} (peak ${n(summary.profile.peakDevices)} devices, ${formatDuration(summary.profile.endMs)})`,
    );
  }
  if (summary.provisioned + summary.provisioningFailures > 0) {
    lines.push(`  provisioned ${n(summary.provisioned)}, failed ${n(summary.provisioningFailures)}`);
  }
  if (summary.ackLatencyMs) {
    const l = summary.ackLatencyMs;
    lines.push(`  ack latency p50 ${l.p50} ms, p99 ${l.p99} ms, max ${l.max} ms`);
  }
  lines.push(
    `  anomalies   ${n(summary.anomalies.injected)} injected${summary.anomalies.labelsFile ? `, labels in ${summary.anomalies.labelsFile}` : ""}`,
  );
  if (summary.replay) {
    lines.push(
      `  replay      ${summary.replay.deviceId}: ${n(summary.replay.rows)} rows, timestamps shifted by ${summary.replay.shiftMs} ms`,
    );
  }
  for (const [kind, message] of Object.entries(summary.errors))
    lines.push(`  last ${kind} error: ${message}`);
  return lines.join("\n");
}
