/**
 * The run summary `npm start` prints at the end (JSON with `--json`): what went in, what the lake holds (counted
 * by DuckDB from the files, not from the writer's own counters), how the ETL ended, what the queries answer, and
 * how the anomalies found compare with the anomalies the fleet injected.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { analyticsViews } from "../components/analytics/queries";
import {
  type EndpointPlan,
  type EndpointStatus,
  MODEL_KEYS,
  type ModelPointer,
} from "../components/ml/ml-layout";
import type { FleetSummary } from "../devices/summary";
import { readLabels } from "../devices/labels";
import {
  evaluateAnomalies,
  featureMemoryReadings,
  type AnomalyEvaluation,
} from "./analytics/anomaly-evaluation";
import { buildModelSettings } from "../components/ml/model-settings";
import type { PipelineMetricsReport } from "./aws/cloudwatch";
import type { BackendParts } from "./backend";
import type { BrokerStats } from "./broker/broker";
import type { LocalExecution } from "./etl/step-functions";
import type { SourceCounters } from "./lake/ingest-pipeline";
import type { SourcesSummary } from "./streaming/ingest-sources";

export interface ExecutionReport {
  readonly name: string;
  readonly status: string;
  readonly error?: string;
  readonly cause?: string;
  readonly wallMs?: number;
}

export interface RunSummary {
  /** Accepted readings all in the lake, the final ETL succeeded, no acknowledged reading lost. */
  readonly ok: boolean;
  readonly problems: readonly string[];
  readonly stack: string;
  readonly deployment: string;
  readonly speed: number;
  readonly wallSeconds: number;
  readonly simulated: { readonly start: string; readonly end: string };
  readonly fleet: null | {
    readonly devices: number;
    readonly connected: number;
    readonly published: number;
    readonly acknowledged: number;
    readonly failed: number;
    readonly anomaliesInjected: number;
    /** Simulated time of the fleet's first reading (start-up runs at the same speed, after `simulated.start`). */
    readonly start: string | null;
  };
  readonly ingest: {
    readonly received: number;
    readonly accepted: number;
    readonly quarantined: number;
    readonly replayedFromLog: number;
    readonly routingErrors: number;
    readonly ignoredTopics: number;
    readonly deniedPublishes: number;
    readonly deniedConnects: number;
    /** Received, accepted and quarantined per source: `mqtt`, `https/readings`, `poller/<name>`. */
    readonly bySource: Readonly<Record<string, SourceCounters>>;
    /** What start-up recovered from the ingest log and what it could not (with file and offset). */
    readonly log: {
      readonly recovered: number;
      readonly recoveredAfterDamage: number;
      readonly tornTailBytes: number;
      readonly lost: { readonly entries: number; readonly exact: boolean };
      readonly damaged: readonly { file: string; offset: number; length: number; quarantinedAs: string }[];
    };
  };
  /** What the broker refused, as IoT Core would (see local/broker/iot-core-limits.ts). */
  readonly broker: Pick<
    BrokerStats,
    | "tlsFailures"
    | "refusedConnections"
    | "connectTimeouts"
    | "keepaliveTimeouts"
    | "oversizedPayloads"
    | "qos2Attempts"
    | "throttled"
  > & { readonly deniedSubscribes: number };
  /** The ingest stream's consumer, the HTTP API and the pollers (`null` unless the stack turns one on). */
  readonly sources: SourcesSummary | null;
  readonly lake: {
    /** Telemetry rows in the Parquet files this run delivered (DuckDB count). */
    readonly telemetryRowsThisRun: number;
    readonly quarantineRowsThisRun: number;
    readonly acceptedEqualsLake: boolean;
    readonly deliveries: number;
    /** Deliveries that failed and were retried (their records delivered by a later one, or still buffered). */
    readonly failedDeliveries: number;
    readonly filesThisRun: number;
    /** Rows per table across the whole local lake. */
    readonly tables: Readonly<Record<string, number>>;
  };
  readonly etl: {
    readonly final: ExecutionReport;
    readonly executions: readonly ExecutionReport[];
    readonly jobRuns: readonly { name: string; state: string; rows?: Record<string, number> }[];
  };
  readonly model: null | {
    readonly runId: string;
    readonly threshold: number;
    readonly trainingVectors: number;
    readonly promotedAt: string;
  };
  /** The real-time endpoint as this start deployed it (see AnomalyDetection): serving, awaited or batch mode. */
  readonly endpoint: { readonly status: EndpointStatus; readonly name?: string };
  readonly training: readonly ExecutionReport[];
  readonly scoring: { readonly windows: number; readonly executions: readonly ExecutionReport[] };
  readonly queries: Readonly<Record<string, number | string>>;
  readonly anomalies: (AnomalyEvaluation & { readonly alerts: number }) | null;
  /**
   * The pipeline metrics the scoring and training functions published this run (EMF lines in their local log
   * groups, extracted as CloudWatch does): the same names, units and dimension as in the cloud.
   */
  readonly pipelineMetrics: PipelineMetricsReport;
  readonly where: Readonly<Record<string, string>>;
}

/** The endpoint's status, named whether it serves or is awaited. */
function endpointSummary(plan: EndpointPlan): RunSummary["endpoint"] {
  const name = plan.endpointName ?? plan.awaitingEndpointName;
  return { status: plan.status, ...(name ? { name } : {}) };
}

const report = (e: LocalExecution): ExecutionReport => ({
  name: e.name,
  status: e.status,
  error: e.error,
  cause: e.cause?.slice(0, 500),
  wallMs: e.wallMs,
});

export async function buildRunSummary(
  parts: BackendParts,
  run: {
    readonly fleet: FleetSummary | undefined;
    readonly finalEtl: LocalExecution;
    readonly scoring: readonly LocalExecution[];
  },
): Promise<RunSummary> {
  const { pipelines, ingest, broker, writer, store, config } = parts;
  const athena = pipelines.athena;
  const abs = (objects: readonly string[], suffix: string) =>
    objects.filter((o) => o.endsWith(suffix)).map((o) => path.join(store.root, o));
  const telemetryRowsThisRun = await athena.countRows(abs(parts.delivered, ".parquet"), "parquet");
  const quarantineRowsThisRun = await athena.countRows(abs(parts.delivered, ".json.gz"), "json");
  const tables: Record<string, number> = {
    telemetry: await athena.countRows(athena.zoneFiles("telemetry", ".parquet"), "parquet"),
    quarantine: await athena.countRows(athena.zoneFiles("quarantine", ".json.gz"), "json"),
    historical_s3: await athena.countRows(athena.zoneFiles("historicalS3", ".parquet"), "parquet"),
    historical_jdbc: await athena.countRows(athena.zoneFiles("historicalJdbc", ".parquet"), "parquet"),
    curated_readings: await athena.countRows(athena.zoneFiles("curatedReadings", ".parquet"), "parquet"),
    training: await athena.countRows(athena.zoneFiles("training", ".csv"), "csv"),
    anomalies: await athena.countRows(athena.zoneFiles("anomalies", ".json"), "json"),
  };

  const queries: Record<string, number | string> = {};
  for (const view of analyticsViews()) {
    try {
      queries[view.name] = (await athena.runNamed(view.name)).length;
    } catch (err) {
      queries[view.name] = `failed: ${(err as Error).message}`;
    }
  }

  const pointerFile = store.etag(store.bucketNames.artifacts, MODEL_KEYS.current)
    ? (JSON.parse(
        store.get(store.bucketNames.artifacts, MODEL_KEYS.current).body.toString("utf8"),
      ) as ModelPointer)
    : undefined;

  let anomalies: RunSummary["anomalies"] = null;
  if (run.fleet && fs.existsSync(parts.labelsFile) && run.fleet.simulated.start) {
    const from = Date.parse(run.fleet.simulated.start);
    const to = run.fleet.simulated.end ? Date.parse(run.fleet.simulated.end) : parts.clock.now();
    const devices = new Set(parts.devices.map((d) => d.thingName));
    const detected = (
      await athena.sql(`SELECT device_id, ts FROM anomalies WHERE ts >= ${from} AND ts <= ${to}`, [
        "anomalies",
      ])
    )
      .map((r) => ({ device_id: String(r.device_id), ts: Number(r.ts) }))
      .filter((d) => devices.has(d.device_id));
    const evaluation = evaluateAnomalies(readLabels(parts.labelsFile), detected, {
      intervalMs: parts.options.intervalMs,
      memoryReadings: featureMemoryReadings(buildModelSettings(config.anomaly).features),
    });
    anomalies = { ...evaluation, alerts: pipelines.sns.counts.get(pipelines.arns.alertTopic) ?? 0 };
  }

  const problems: string[] = [];
  const acceptedEqualsLake = telemetryRowsThisRun === ingest.counters.accepted;
  if (!acceptedEqualsLake)
    problems.push(
      `${ingest.counters.accepted} readings accepted but ${telemetryRowsThisRun} in the lake files this run delivered`,
    );
  if (run.finalEtl.status !== "SUCCEEDED")
    problems.push(
      `the final ETL execution ${run.finalEtl.status}: ${run.finalEtl.error ?? ""} ${run.finalEtl.cause ?? ""}`.trim(),
    );
  if (ingest.counters.logFailures > 0)
    problems.push(`${ingest.counters.logFailures} messages could not be made durable (not acknowledged)`);
  if (run.fleet && run.fleet.failed.total > 0)
    problems.push(`the fleet could not deliver ${run.fleet.failed.total} readings`);
  // A delivery that failed and then went through on retry lost nothing (the lake count above would say so);
  // only a failure that lasts to the end of the run is a problem. Retried ones are counted in lake.
  if (writer.stats.failing && writer.stats.lastError)
    problems.push(`${writer.stats.lastError} (still failing at the end of the run)`);
  if (parts.sources?.consumer && parts.sources.consumer.stats.deadLettered > 0)
    problems.push(
      `the real-time consumer dead-lettered ${parts.sources.consumer.stats.deadLettered} stream records (see dynamodb/consumer-dead-letters.jsonl)`,
    );
  for (const lost of parts.logRecovery.problems)
    problems.push(`the ingest log lost acknowledged readings at start-up: ${lost}`);
  const pipelineMetrics = pipelines.cloudwatch.pipelineMetrics(config.deployment);
  if (pipelineMetrics.rejectedLines > 0)
    problems.push(
      `${pipelineMetrics.rejectedLines} metric log lines break the EMF specification (CloudWatch would drop them): ${pipelineMetrics.lastRejection}`,
    );

  const wallSeconds = Math.round((performance.now() - parts.wallStart) / 100) / 10;
  return {
    ok: problems.length === 0,
    problems,
    stack: config.stack,
    deployment: config.deployment,
    speed: parts.options.speed,
    wallSeconds,
    simulated: {
      start: new Date(parts.clock.startMs).toISOString(),
      end: new Date(parts.clock.now()).toISOString(),
    },
    fleet: run.fleet
      ? {
          devices: run.fleet.devices,
          connected: run.fleet.devicesConnected,
          published: run.fleet.published,
          acknowledged: run.fleet.acknowledged,
          failed: run.fleet.failed.total,
          anomaliesInjected: run.fleet.anomalies.injected,
          start: run.fleet.simulated.start,
        }
      : null,
    endpoint: endpointSummary(pipelines.endpoint),
    ingest: {
      received: ingest.counters.received,
      accepted: ingest.counters.accepted,
      quarantined: ingest.counters.quarantined,
      replayedFromLog: ingest.counters.replayed,
      routingErrors: ingest.counters.routingErrors,
      ignoredTopics: ingest.counters.ignored,
      deniedPublishes: broker.stats.publishesDenied,
      deniedConnects: broker.stats.connectsDenied,
      bySource: structuredClone(ingest.counters.bySource),
      log: {
        recovered: parts.logRecovery.recovered,
        recoveredAfterDamage: parts.logRecovery.recoveredAfterDamage,
        tornTailBytes: parts.logRecovery.tornTailBytes,
        lost: parts.logRecovery.lost,
        damaged: parts.logRecovery.damaged.map(({ file, offset, length, quarantinedAs }) => ({
          file,
          offset,
          length,
          quarantinedAs,
        })),
      },
    },
    broker: {
      tlsFailures: { ...broker.stats.tlsFailures },
      refusedConnections: { ...broker.stats.refusedConnections },
      connectTimeouts: broker.stats.connectTimeouts,
      keepaliveTimeouts: broker.stats.keepaliveTimeouts,
      deniedSubscribes: broker.stats.subscribesDenied,
      oversizedPayloads: broker.stats.oversizedPayloads,
      qos2Attempts: broker.stats.qos2Attempts,
      throttled: { ...broker.stats.throttled },
    },
    sources: parts.sources?.summary() ?? null,
    lake: {
      telemetryRowsThisRun,
      quarantineRowsThisRun,
      acceptedEqualsLake,
      deliveries: writer.stats.deliveries,
      failedDeliveries: writer.stats.failedDeliveries,
      filesThisRun: parts.delivered.length,
      tables,
    },
    etl: {
      final: report(run.finalEtl),
      executions: pipelines.sfn.list(pipelines.arns.etl).map(report),
      jobRuns: pipelines.glue
        .recentRuns(9)
        .map((r) => ({ name: r.JobName, state: r.JobRunState, ...(r.Rows ? { rows: r.Rows } : {}) })),
    },
    model: pointerFile
      ? {
          runId: pointerFile.runId,
          threshold: pointerFile.threshold,
          trainingVectors: pointerFile.trainingVectors,
          promotedAt: pointerFile.promotedAt,
        }
      : null,
    training: pipelines.sfn.list(pipelines.arns.training).map(report),
    scoring: {
      windows: run.scoring.filter((e) => e.status === "SUCCEEDED").length,
      executions: pipelines.sfn.list(pipelines.arns.scoring).slice(0, 10).map(report),
    },
    queries,
    anomalies,
    pipelineMetrics,
    where: {
      dataDir: parts.dataDir,
      lake: store.root,
      fleetFile: parts.fleetFile,
      labels: parts.labelsFile,
      ingestLog: path.join(parts.dataDir, "ingest", "log"),
      catalog: path.join(parts.dataDir, "glue", "state.json"),
      functionLogs: pipelines.cloudwatch.logDir,
      ...(parts.dashboardUrl ? { dashboard: parts.dashboardUrl } : {}),
    },
  };
}

const sumOf = (counts: Readonly<Record<string, number>>) => Object.values(counts).reduce((a, b) => a + b, 0);
const describe = (counts: Readonly<Record<string, number>>) =>
  Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(", ") || "none";

/** The summary for a person. */
export function formatRunSummary(s: RunSummary): string {
  const pct = (v: number | null) => (v === null ? "n/a" : `${(v * 100).toFixed(1)}%`);
  const lines = [
    `${s.ok ? "OK" : "FAILED"}: stack ${s.stack} (${s.deployment}) x${s.speed}, ${s.wallSeconds}s wall, simulated ${s.simulated.start} .. ${s.simulated.end}`,
    ...s.problems.map((p) => `  problem: ${p}`),
    s.fleet
      ? `  fleet      ${s.fleet.devices} devices (${s.fleet.connected} connected), ${s.fleet.published} published, ${s.fleet.acknowledged} acknowledged, ${s.fleet.failed} failed, ${s.fleet.anomaliesInjected} anomalies injected`
      : "  fleet      none (--no-fleet)",
    `  ingest     ${s.ingest.received} received: ${s.ingest.accepted} accepted, ${s.ingest.quarantined} quarantined, ${s.ingest.replayedFromLog} replayed from the log; denied ${s.ingest.deniedPublishes} publishes, ${s.ingest.deniedConnects} connects`,
    `  broker     refused: ${sumOf(s.broker.tlsFailures)} TLS handshakes (${describe(s.broker.tlsFailures)}), ${sumOf(s.broker.refusedConnections)} connections (${describe(s.broker.refusedConnections)}), ${s.broker.connectTimeouts} without CONNECT in time, ${s.broker.deniedSubscribes} subscriptions, ${s.broker.oversizedPayloads} oversized payloads, ${s.broker.qos2Attempts} QoS 2 attempts; throttled ${s.broker.throttled.rate + s.broker.throttled.inflight} times`,
    ...formatSources(s),
    `  lake       ${s.lake.telemetryRowsThisRun} telemetry rows delivered this run (${s.lake.acceptedEqualsLake ? "= accepted" : "!= accepted"}), ${s.lake.quarantineRowsThisRun} quarantined, ${s.lake.filesThisRun} files in ${s.lake.deliveries} deliveries${s.lake.failedDeliveries > 0 ? ` (${s.lake.failedDeliveries} failed and retried)` : ""}`,
    `  tables     ${Object.entries(s.lake.tables)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}`,
    `  ETL        final execution ${s.etl.final.status}${s.etl.final.error ? ` (${s.etl.final.error})` : ""}; ${s.etl.executions.length} executions this run`,
    `  model      ${s.model ? `run ${s.model.runId}, threshold ${s.model.threshold.toFixed(3)}, ${s.model.trainingVectors} training vectors` : "none"}; endpoint ${s.endpoint.name ? `${s.endpoint.name} ` : ""}${s.endpoint.status}`,
    `  queries    ${Object.entries(s.queries)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}`,
    s.anomalies
      ? `  anomalies  ${s.anomalies.reported} reported, ${s.anomalies.detectedEvents}/${s.anomalies.injected} injected caught: recall ${pct(s.anomalies.recall)}, precision ${pct(s.anomalies.precision)}; ${s.anomalies.alerts} alerts`
      : "  anomalies  not evaluated (no fleet labels)",
    `  metrics    ${formatPipelineMetrics(s.pipelineMetrics)}`,
    `  where      ${Object.entries(s.where)
      .map(([k, v]) => `${k}: ${v}`)
      .join("\n             ")}`,
  ];
  return lines.join("\n");
}

/** The summary's lines about each source and the other ways in and out. */
function formatSources(s: RunSummary): string[] {
  const lines = Object.entries(s.ingest.bySource)
    .filter(([source]) => source !== "mqtt" || s.sources)
    .map(
      ([source, c]) =>
        `  source     ${source}: ${c.received} received, ${c.accepted} accepted, ${c.quarantined} quarantined`,
    );
  const src = s.sources;
  if (!src) return lines;
  if (src.stream)
    lines.push(
      `  stream     ${src.stream.name}: ${src.stream.records} records in ${src.stream.batches} consumer batches (${src.stream.retries} retried, ${src.stream.deadLettered} dead-lettered); latest state for ${src.stream.devicesWithLatest} devices`,
    );
  if (src.api) lines.push(`  HTTP API   ${src.api.url}: responses ${describe(src.api.responses)}`);
  for (const [name, p] of Object.entries(src.pollers))
    lines.push(
      `  poller     ${name}: ${p.polls} polls (${p.failed} failed${p.lastError ? `: ${p.lastError}` : ""}), ${p.records} records, ${p.accepted} accepted, ${p.quarantined} quarantined, ${p.duplicates} duplicates`,
    );
  return lines;
}

/** The pipeline metrics in one line: each published metric's value by its statistic, with its unit. */
export function formatPipelineMetrics(report: PipelineMetricsReport): string {
  const published = Object.entries(report.metrics).filter(([, m]) => m.value !== null);
  const parts = published.map(([name, m]) => {
    const value = Number.isInteger(m.value) ? String(m.value) : m.value!.toFixed(1);
    return `${name} ${value}${m.unit === "Seconds" ? " s" : ""}${m.statistic === "Maximum" ? " (max)" : ""}`;
  });
  const rejected = report.rejectedLines > 0 ? `; ${report.rejectedLines} EMF lines rejected` : "";
  return `${parts.length > 0 ? parts.join(", ") : "none published"}${rejected}`;
}
