/**
 * What the dashboard shows, computed from the running backend: temperature per room over the last hours of
 * simulated time with the anomalies the pipeline recorded (from the lake, through the same DuckDB views the
 * queries use), completeness per device (the `device_completeness` query), and pipeline status.
 */
import type { PipelineMetricsReport } from "../aws/cloudwatch";
import type { BackendParts } from "../backend";
import type { LocalExecution } from "../etl/step-functions";
import { latestStateRequests, type LatestStateRequests } from "./latest-state";

export interface DashboardSnapshot {
  readonly deployment: string;
  readonly speed: number;
  /** Simulated time now (ISO). */
  readonly now: string;
  readonly status: {
    readonly received: number;
    readonly accepted: number;
    readonly quarantined: number;
    readonly deliveries: number;
    readonly filesWritten: number;
    readonly lastDelivery: string | null;
    readonly buffered: number;
    readonly connectedClients: number;
    readonly deniedPublishes: number;
    readonly deniedConnects: number;
    readonly fleet: {
      readonly published: number;
      readonly acknowledged: number;
      readonly phase: string;
    } | null;
    readonly executions: readonly {
      machine: string;
      name: string;
      status: string;
      start: string;
      stop: string | null;
      error: string | null;
    }[];
    readonly jobRuns: readonly { job: string; state: string; started: string }[];
    readonly lastError: string | null;
    readonly alerts: readonly { at: string; subject: string; message: string }[];
    readonly recentQuarantine: readonly { reason: string; topic: string }[];
  };
  /** Temperature per room: `t` (epoch seconds, bucket starts), one array of means per room, anomalies as points. */
  readonly series: {
    readonly t: number[];
    readonly rooms: string[];
    readonly values: (number | null)[][];
    readonly anomalies: (number | null)[];
    readonly anomalyCount: number;
  };
  /** The pipeline metrics the functions published (the cloud dashboard's "Scoring" and "Model" widgets). */
  readonly metrics: PipelineMetricsReport;
  readonly completeness: readonly {
    device_id: string;
    room_id: string;
    day: string;
    readings: number;
    missing: number;
    duplicates: number;
    /** Readings sharing (device_id, seq) with another of different values: flagged on the page. */
    conflicting_duplicates: number;
    completeness_pct: number;
  }[];
  /**
   * With the ingest stream on: the latest-state routes the page requests (every device of the fleet or the lake,
   * every room over the chart's window); `null` without the real-time table.
   */
  readonly latestState: LatestStateRequests | null;
  readonly errors: readonly string[];
}

/** How far back the chart reaches, and its resolution (simulated time). */
const WINDOW_MS = 6 * 3_600_000;
const BUCKET_MS = 60_000;

/** The errors the dashboard's "last error" line chooses from. */
export interface DashboardErrors {
  /** The lake writer's last delivery error, and whether deliveries are still failing. */
  readonly lake: { readonly lastError: string | null; readonly failing: boolean };
  readonly failedExecution: string | null;
  readonly brokerDenial: string | null;
  readonly athena: string | null;
}

/**
 * The dashboard's "last error": a lake delivery failing now first, then a failed execution, a broker denial and
 * an Athena error; a lake error a retry has since delivered comes last, marked so, since nothing was lost (the
 * run's summary counts it the same way: "N failed and retried").
 */
export function dashboardError(errors: DashboardErrors): string | null {
  const { lake } = errors;
  if (lake.failing && lake.lastError !== null) return lake.lastError;
  const recovered = lake.lastError === null ? null : `${lake.lastError} (delivered on retry)`;
  return errors.failedExecution ?? errors.brokerDenial ?? errors.athena ?? recovered;
}

export async function dashboardSnapshot(parts: BackendParts): Promise<DashboardSnapshot> {
  const { pipelines, ingest, writer, broker, clock } = parts;
  const errors: string[] = [];
  const now = clock.now();
  const from = now - WINDOW_MS;
  const machineName = (arn: string) => arn.slice(arn.lastIndexOf(":") + 1);
  const executions = [pipelines.arns.etl, pipelines.arns.training, pipelines.arns.scoring]
    .flatMap((arn) => pipelines.sfn.list(arn).slice(0, 5))
    .sort((a, b) => b.startDate.getTime() - a.startDate.getTime())
    .slice(0, 12)
    .map((e: LocalExecution) => ({
      machine: machineName(e.stateMachineArn),
      name: e.name,
      status: e.status,
      start: e.startDate.toISOString(),
      stop: e.stopDate?.toISOString() ?? null,
      error: e.error ? `${e.error}: ${(e.cause ?? "").slice(0, 300)}` : null,
    }));

  const series = {
    t: [] as number[],
    rooms: [...parts.config.fleet.rooms],
    values: [] as (number | null)[][],
    anomalies: [] as (number | null)[],
    anomalyCount: 0,
  };
  try {
    const rows = await pipelines.athena.sql(
      `SELECT room_id, (ts // ${BUCKET_MS}) * ${BUCKET_MS} AS bucket, avg(temperature_c) AS temperature FROM telemetry WHERE ts >= ${from} GROUP BY ALL ORDER BY bucket`,
      ["telemetry"],
    );
    const buckets = [...new Set(rows.map((r) => Number(r.bucket)))].sort((a, b) => a - b);
    const index = new Map(buckets.map((b, i) => [b, i]));
    series.t = buckets.map((b) => b / 1000);
    series.values = series.rooms.map(() => buckets.map(() => null as number | null));
    for (const r of rows) {
      const room = series.rooms.indexOf(String(r.room_id));
      if (room >= 0)
        series.values[room]![index.get(Number(r.bucket))!] = Math.round(Number(r.temperature) * 100) / 100;
    }
    series.anomalies = buckets.map(() => null);
    const anomalies = await pipelines.athena.sql(
      `SELECT ts, temperature_c FROM anomalies WHERE ts >= ${from}`,
      ["anomalies"],
    );
    series.anomalyCount = anomalies.length;
    for (const a of anomalies) {
      const i = index.get(Math.floor(Number(a.ts) / BUCKET_MS) * BUCKET_MS);
      if (i !== undefined)
        series.anomalies[i] = Math.max(series.anomalies[i] ?? -Infinity, Number(a.temperature_c));
    }
  } catch (err) {
    errors.push(`chart: ${(err as Error).message}`);
  }

  let completeness: DashboardSnapshot["completeness"] = [];
  try {
    completeness = (await pipelines.athena.runNamed("device_completeness")).map((r) => ({
      device_id: String(r.device_id),
      room_id: String(r.room_id),
      day: String(r.day),
      readings: Number(r.readings),
      missing: Number(r.missing),
      duplicates: Number(r.duplicates),
      conflicting_duplicates: Number(r.conflicting_duplicates),
      completeness_pct: Number(r.completeness_pct),
    }));
  } catch (err) {
    errors.push(`completeness: ${(err as Error).message}`);
  }

  const lastError = dashboardError({
    lake: writer.stats,
    failedExecution: executions.find((e) => e.status === "FAILED")?.error ?? null,
    brokerDenial: broker.stats.lastDenial,
    athena: pipelines.athena.stats.lastError,
  });
  const fleet = parts.fleet;
  return {
    deployment: parts.config.deployment,
    speed: parts.options.speed,
    now: new Date(now).toISOString(),
    status: {
      received: ingest.counters.received,
      accepted: ingest.counters.accepted,
      quarantined: ingest.counters.quarantined,
      deliveries: writer.stats.deliveries,
      filesWritten: writer.stats.files,
      lastDelivery:
        writer.stats.lastDeliveryAt === null ? null : new Date(writer.stats.lastDeliveryAt).toISOString(),
      buffered: writer.stats.bufferedRecords,
      connectedClients: broker.stats.connected,
      deniedPublishes: broker.stats.publishesDenied,
      deniedConnects: broker.stats.connectsDenied,
      fleet: fleet
        ? { published: fleet.stats.published, acknowledged: fleet.stats.acknowledged, phase: fleet.phase }
        : null,
      executions,
      jobRuns: pipelines.glue
        .recentRuns(6)
        .map((r) => ({ job: r.JobName, state: r.JobRunState, started: r.StartedOn })),
      lastError,
      alerts: pipelines.sns.published
        .slice(-5)
        .reverse()
        .map((n) => ({ at: new Date(n.at).toISOString(), subject: n.subject, message: n.message })),
      recentQuarantine: ingest.counters.recentQuarantine.slice(-5).reverse(),
    },
    series,
    metrics: pipelines.cloudwatch.pipelineMetrics(parts.config.deployment),
    completeness,
    latestState: parts.sources?.latestState
      ? latestStateRequests(
          [...parts.devices.map((d) => d.thingName), ...completeness.map((c) => c.device_id)],
          parts.config.fleet.rooms,
          WINDOW_MS / 3_600_000,
        )
      : null,
    errors,
  };
}
