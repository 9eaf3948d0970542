/**
 * One report from the summaries of a run's shards (`--out <dir|s3://...>/<run>/shard-<i>-of-<n>.summary.json`).
 * Counts add up; per-device last `seq` is a union (a device in two shards is an error: the shards overlapped);
 * acknowledgement latency percentiles come from the merged histograms, because the median of medians is not the
 * fleet's median. Pure: `cli.ts` reads the files, `format.ts` prints the result.
 */
import { LatencyHistogram, type LatencyPercentiles } from "../runtime/histogram";
import type { FleetSummary } from "../summary";

/** A shard's summary and where it came from. */
export interface ShardSummary {
  readonly source: string;
  readonly summary: FleetSummary;
}

export interface MergedReport {
  /** Every shard delivered everything, and every shard of 1..n is present. */
  readonly ok: boolean;
  readonly deployment: string;
  /** Shards found, as `i/n`, in order. */
  readonly shards: readonly string[];
  /** Shards of 1..n with no summary (a task that never finished). */
  readonly missingShards: readonly string[];
  readonly devices: number;
  readonly devicesConnected: number;
  readonly published: number;
  readonly acknowledged: number;
  readonly failed: FleetSummary["failed"];
  readonly resent: number;
  readonly reconnects: number;
  readonly disconnects: number;
  readonly connectFailures: number;
  readonly provisioned: number;
  readonly provisioningFailures: number;
  /** Sum of the shards' publish rates (they run at the same time). */
  readonly publishRate: number;
  /** From the merged histograms; `null` when a shard ran at QoS 0. */
  readonly ackLatencyMs: LatencyPercentiles | null;
  readonly anomaliesInjected: number;
  /** Earliest simulated start and latest simulated end over the shards (ISO). */
  readonly simulated: { readonly start: string | null; readonly end: string | null };
  /** Longest shard, wall ms. */
  readonly wallMs: number;
  readonly profile: string | null;
  /** Last error of each kind, per shard: `"2/4 connect": "..."`. */
  readonly errors: Readonly<Record<string, string>>;
  /** Last published `seq` per device, over every shard. */
  readonly lastSeq: Readonly<Record<string, number>>;
  /** Things that differ between shards and should not (seed, interval, QoS, profile). */
  readonly warnings: readonly string[];
}

/** Thrown when summaries cannot be merged (no summaries, two deployments, overlapping shards). */
export class MergeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MergeError";
  }
}

export function mergeSummaries(shards: readonly ShardSummary[]): MergedReport {
  if (shards.length === 0) throw new MergeError("no shard summaries to merge");
  const first = (shards[0] as ShardSummary).summary;
  const warnings: string[] = [];
  const seen = new Map<string, string>();
  for (const { source, summary } of shards) {
    if (summary.deployment !== first.deployment) {
      throw new MergeError(
        `${source} is a run of ${summary.deployment}, ${shards[0]!.source} of ${first.deployment}: merge one run at a time`,
      );
    }
    const earlier = seen.get(summary.shard);
    if (earlier) throw new MergeError(`shard ${summary.shard} appears twice: ${earlier} and ${source}`);
    seen.set(summary.shard, source);
    for (const [name, value, expected] of [
      ["seed", summary.seed, first.seed],
      ["interval", summary.simulated.intervalMs, first.simulated.intervalMs],
      ["QoS", summary.qos, first.qos],
      ["profile", summary.profile?.spec ?? null, first.profile?.spec ?? null],
    ] as const) {
      if (value !== expected)
        warnings.push(
          `${source}: ${name} ${String(value)} differs from ${shards[0]!.source}'s ${String(expected)}`,
        );
    }
  }

  const counts = shards.map((s) => s.summary.shard.split("/").map(Number) as [number, number]);
  const total = Math.max(...counts.map(([, n]) => n));
  if (counts.some(([, n]) => n !== total)) warnings.push("the summaries come from different shard counts");
  const missingShards: string[] = [];
  for (let i = 1; i <= total; i++) if (!seen.has(`${i}/${total}`)) missingShards.push(`${i}/${total}`);

  const lastSeq: Record<string, number> = {};
  const owner = new Map<string, string>();
  for (const { summary } of shards) {
    for (const [device, seq] of Object.entries(summary.lastSeq)) {
      const other = owner.get(device);
      if (other !== undefined) {
        throw new MergeError(
          `device ${device} ran in shard ${other} and shard ${summary.shard}: the shards overlap (same --shard twice, or different fleets)`,
        );
      }
      owner.set(device, summary.shard);
      lastSeq[device] = seq;
    }
  }

  const sum = (pick: (s: FleetSummary) => number): number =>
    shards.reduce((acc, { summary }) => acc + pick(summary), 0);
  const latency = mergeLatency(shards);
  const starts = shards.map((s) => s.summary.simulated.start).filter((v): v is string => v !== null);
  const ends = shards.map((s) => s.summary.simulated.end).filter((v): v is string => v !== null);
  const errors: Record<string, string> = {};
  for (const { summary } of shards)
    for (const [kind, message] of Object.entries(summary.errors))
      errors[`${summary.shard} ${kind}`] = message;

  return {
    ok: missingShards.length === 0 && shards.every((s) => s.summary.ok),
    deployment: first.deployment,
    shards: [...seen.keys()].sort((a, b) => Number(a.split("/")[0]) - Number(b.split("/")[0])),
    missingShards,
    devices: sum((s) => s.devices),
    devicesConnected: sum((s) => s.devicesConnected),
    published: sum((s) => s.published),
    acknowledged: sum((s) => s.acknowledged),
    failed: {
      total: sum((s) => s.failed.total),
      dropped: sum((s) => s.failed.dropped),
      rejected: sum((s) => s.failed.rejected),
      unacknowledged: sum((s) => s.failed.unacknowledged),
      unsent: sum((s) => s.failed.unsent),
    },
    resent: sum((s) => s.resent),
    reconnects: sum((s) => s.reconnects),
    disconnects: sum((s) => s.disconnects),
    connectFailures: sum((s) => s.connectFailures),
    provisioned: sum((s) => s.provisioned),
    provisioningFailures: sum((s) => s.provisioningFailures),
    publishRate: Math.round(sum((s) => s.publishRate) * 10) / 10,
    ackLatencyMs: latency,
    anomaliesInjected: sum((s) => s.anomalies.injected),
    simulated: {
      start: starts.length ? starts.reduce((a, b) => (a < b ? a : b)) : null,
      end: ends.length ? ends.reduce((a, b) => (a > b ? a : b)) : null,
    },
    wallMs: Math.max(...shards.map((s) => s.summary.wallMs)),
    profile: first.profile?.spec ?? null,
    errors,
    lastSeq,
    warnings,
  };
}

function mergeLatency(shards: readonly ShardSummary[]): LatencyPercentiles | null {
  const merged = new LatencyHistogram();
  for (const { source, summary } of shards) {
    if (!summary.ackLatencyHistogram) return null;
    merged.merge(LatencyHistogram.fromJSON(summary.ackLatencyHistogram, source));
  }
  return merged.percentiles();
}
