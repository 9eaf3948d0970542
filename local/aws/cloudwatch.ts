/**
 * Local CloudWatch: the log groups the pipeline functions write to, and the metrics CloudWatch Logs extracts from
 * their embedded-metric-format (EMF) lines. The functions get the same EMF publisher as in Lambda; only the line
 * sink differs. Each line is appended to `<dataDir>/logs/<group>.log` and parsed with the same EMF rules
 * (`parseEmfLine`); a line that breaks them is counted and reported, as CloudWatch would drop its metrics.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  type MetricDatum,
  parseEmfLine,
  PIPELINE_METRIC_DIMENSION,
  PIPELINE_METRICS,
  PIPELINE_METRICS_NAMESPACE,
  type PipelineMetricKey,
  type PipelineMetricStatistic,
} from "../../components/operations/pipeline-metrics";

/** One pipeline metric over a run, aggregated the way its definition says. */
export interface MetricSummary {
  readonly unit: string;
  readonly statistic: PipelineMetricStatistic;
  /** The definition's statistic over every datapoint; `null` when nothing was published. */
  readonly value: number | null;
  readonly datapoints: number;
  readonly sum: number;
  readonly min: number | null;
  readonly max: number | null;
  readonly last: number | null;
  /** Simulated time of the last datapoint (ISO), or null. */
  readonly lastAt: string | null;
}

/** The pipeline metrics of one deployment, by CloudWatch metric name. */
export interface PipelineMetricsReport {
  readonly namespace: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly metrics: Readonly<Record<string, MetricSummary>>;
  /** EMF lines CloudWatch would have rejected (their metrics are lost), with the reason. */
  readonly rejectedLines: number;
  readonly lastRejection: string | null;
}

/** Datapoints kept in memory (a long `npm start` keeps the newest). */
const KEEP = 50_000;

export class LocalCloudWatch {
  readonly datapoints: MetricDatum[] = [];
  private rejected = 0;
  private lastRejection: string | null = null;

  constructor(readonly logDir: string) {
    fs.mkdirSync(logDir, { recursive: true });
  }

  /** A log group's line sink: what a function writes to stdout in Lambda. */
  logSink(group: string): (line: string) => void {
    const file = path.join(this.logDir, `${group.replace(/[^A-Za-z0-9_.-]+/g, "_")}.log`);
    return (line) => {
      fs.appendFileSync(file, `${line}\n`);
      this.ingest(line, group);
    };
  }

  /** Extracts the metrics of one log line (ordinary lines carry none). */
  ingest(line: string, group = "(unknown)"): void {
    const parsed = parseEmfLine(line);
    if (parsed === undefined) return;
    if (typeof parsed === "string") {
      this.rejected++;
      this.lastRejection = `${group}: ${parsed}`;
      return;
    }
    this.datapoints.push(...parsed);
    if (this.datapoints.length > KEEP) this.datapoints.splice(0, this.datapoints.length - KEEP);
  }

  /** Every pipeline metric of `deployment` (published or not), aggregated over what was published. */
  pipelineMetrics(deployment: string): PipelineMetricsReport {
    const metrics: Record<string, MetricSummary> = {};
    for (const key of Object.keys(PIPELINE_METRICS) as PipelineMetricKey[]) {
      const definition = PIPELINE_METRICS[key];
      const points = this.datapoints.filter(
        (d) =>
          d.namespace === PIPELINE_METRICS_NAMESPACE &&
          d.name === definition.name &&
          d.dimensions[PIPELINE_METRIC_DIMENSION] === deployment,
      );
      const values = points.map((p) => p.value);
      const sum = values.reduce((a, b) => a + b, 0);
      const min = values.length ? Math.min(...values) : null;
      const max = values.length ? Math.max(...values) : null;
      const last = points.at(-1);
      const value =
        values.length === 0
          ? null
          : definition.statistic === "Sum"
            ? sum
            : definition.statistic === "Maximum"
              ? max
              : sum / values.length;
      metrics[definition.name] = {
        unit: last?.unit ?? definition.unit,
        statistic: definition.statistic,
        value,
        datapoints: values.length,
        sum,
        min,
        max,
        last: last?.value ?? null,
        lastAt: last ? new Date(last.timestampMs).toISOString() : null,
      };
    }
    return {
      namespace: PIPELINE_METRICS_NAMESPACE,
      dimensions: { [PIPELINE_METRIC_DIMENSION]: deployment },
      metrics,
      rejectedLines: this.rejected,
      lastRejection: this.lastRejection,
    };
  }
}
