/**
 * The pipeline's own metrics: one definition (name, unit, dimensions, what it means), published by the cloud
 * functions as CloudWatch embedded metric format (EMF) log lines and read back by both backends. Pure.
 *
 *   scoring function   ReadingsScored, AnomaliesDetected, AnomalyIncidents, AnomalyAlertsSent,
 *                      ScoringLagSeconds, ModelAgeSeconds, BatchTransformSeconds (batch mode)
 *   training function  TrainingVectors, TrainingSetTooSmall, ModelsPromoted
 *
 * In the cloud CloudWatch Logs extracts the metrics from the functions' log lines; the dashboard and the
 * alarms read them under {@link PIPELINE_METRICS_NAMESPACE}. Locally the same lines go to the local backend's
 * CloudWatch stand-in, which extracts them with {@link parseEmfLine} for its dashboard and run summary.
 */

/** Namespace of every pipeline metric. */
export const PIPELINE_METRICS_NAMESPACE = "SensorAnalytics/Pipeline";

/** The one dimension of every pipeline metric: the deployment (`<app>-<stack>`), so stacks never mix. */
export const PIPELINE_METRIC_DIMENSION = "Deployment";

/** CloudWatch units the pipeline uses (a subset of the units CloudWatch accepts). */
export type PipelineMetricUnit = "Count" | "Seconds";

/** The statistic that makes sense for a metric over a period. */
export type PipelineMetricStatistic = "Sum" | "Maximum" | "Average";

export interface PipelineMetricDefinition {
  /** CloudWatch metric name. */
  readonly name: string;
  readonly unit: PipelineMetricUnit;
  /** Which function publishes it. */
  readonly source: "scoring" | "training";
  /** How to aggregate it over a period (dashboards, alarms, the local summary). */
  readonly statistic: PipelineMetricStatistic;
  readonly description: string;
}

/** Every pipeline metric, keyed by the name code uses. */
export const PIPELINE_METRICS = {
  readingsScored: {
    name: "ReadingsScored",
    unit: "Count",
    source: "scoring",
    statistic: "Sum",
    description: "Readings scored by the anomaly model in a finished window",
  },
  anomaliesDetected: {
    name: "AnomaliesDetected",
    unit: "Count",
    source: "scoring",
    statistic: "Sum",
    description: "Readings scored above the model's threshold",
  },
  anomalyIncidents: {
    name: "AnomalyIncidents",
    unit: "Count",
    source: "scoring",
    statistic: "Sum",
    description: "Incidents (a device's anomalies close together) in a finished window, new or continued",
  },
  anomalyAlertsSent: {
    name: "AnomalyAlertsSent",
    unit: "Count",
    source: "scoring",
    statistic: "Sum",
    description: "Alerts published on the anomaly topic",
  },
  scoringLag: {
    name: "ScoringLagSeconds",
    unit: "Seconds",
    source: "scoring",
    statistic: "Maximum",
    description: "How far the scoring watermark is behind the clock after a scoring run",
  },
  modelAge: {
    name: "ModelAgeSeconds",
    unit: "Seconds",
    source: "scoring",
    statistic: "Maximum",
    description: "Age of the model in service (since its promotion) when a window is scored",
  },
  batchTransformSeconds: {
    name: "BatchTransformSeconds",
    unit: "Seconds",
    source: "scoring",
    statistic: "Maximum",
    description: "Batch mode: from the transform input written to the transform's scores collected",
  },
  trainingVectors: {
    name: "TrainingVectors",
    unit: "Count",
    source: "training",
    statistic: "Maximum",
    description: "Feature vectors in the training set a training run found (when counted)",
  },
  trainingSetTooSmall: {
    name: "TrainingSetTooSmall",
    unit: "Count",
    source: "training",
    statistic: "Sum",
    description: "Training runs skipped because the training set had fewer vectors than num_samples_per_tree",
  },
  modelsPromoted: {
    name: "ModelsPromoted",
    unit: "Count",
    source: "training",
    statistic: "Sum",
    description: "Models put in service by training runs",
  },
} as const satisfies Record<string, PipelineMetricDefinition>;

export type PipelineMetricKey = keyof typeof PIPELINE_METRICS;

/** Values a function publishes at one moment, by metric key. */
export type PipelineMetricValues = Partial<Record<PipelineMetricKey, number>>;

/** The metrics one function publishes. */
export function pipelineMetricsOf(source: PipelineMetricDefinition["source"]): PipelineMetricKey[] {
  return (Object.keys(PIPELINE_METRICS) as PipelineMetricKey[]).filter(
    (key) => PIPELINE_METRICS[key].source === source,
  );
}

/** The EMF document of {@link emfRecord} (the subset of the EMF specification this project writes). */
export interface EmfRecord {
  readonly _aws: {
    readonly Timestamp: number;
    readonly CloudWatchMetrics: readonly {
      readonly Namespace: string;
      readonly Dimensions: readonly (readonly string[])[];
      readonly Metrics: readonly { readonly Name: string; readonly Unit: string }[];
    }[];
  };
  readonly [member: string]: unknown;
}

/**
 * One EMF log record carrying `values` for `deployment` at `timestampMs`. Values that are not finite numbers
 * are left out (CloudWatch would reject the whole record for one of them).
 */
export function emfRecord(deployment: string, values: PipelineMetricValues, timestampMs: number): EmfRecord {
  const present = (Object.entries(values) as [PipelineMetricKey, number | undefined][]).filter(
    (entry): entry is [PipelineMetricKey, number] =>
      typeof entry[1] === "number" && Number.isFinite(entry[1]),
  );
  return {
    _aws: {
      Timestamp: Math.round(timestampMs),
      CloudWatchMetrics: [
        {
          Namespace: PIPELINE_METRICS_NAMESPACE,
          Dimensions: [[PIPELINE_METRIC_DIMENSION]],
          Metrics: present.map(([key]) => ({
            Name: PIPELINE_METRICS[key].name,
            Unit: PIPELINE_METRICS[key].unit,
          })),
        },
      ],
    },
    [PIPELINE_METRIC_DIMENSION]: deployment,
    ...Object.fromEntries(present.map(([key, value]) => [PIPELINE_METRICS[key].name, value])),
  };
}

/** One metric value extracted from an EMF record, as CloudWatch stores it. */
export interface MetricDatum {
  readonly namespace: string;
  readonly name: string;
  readonly unit: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly value: number;
  readonly timestampMs: number;
}

const EMF_UNITS = new Set([
  "Seconds",
  "Microseconds",
  "Milliseconds",
  "Bytes",
  "Kilobytes",
  "Megabytes",
  "Gigabytes",
  "Terabytes",
  "Bits",
  "Kilobits",
  "Megabits",
  "Gigabits",
  "Terabits",
  "Percent",
  "Count",
  "Bytes/Second",
  "Kilobytes/Second",
  "Megabytes/Second",
  "Gigabytes/Second",
  "Terabytes/Second",
  "Bits/Second",
  "Kilobits/Second",
  "Megabits/Second",
  "Gigabits/Second",
  "Terabits/Second",
  "Count/Second",
  "None",
]);

/**
 * The metrics CloudWatch Logs would extract from one log line under the EMF specification: `undefined` for a
 * line that is not EMF at all (ordinary log output), an error message for a line that claims to be EMF but
 * breaks the specification (CloudWatch would drop its metrics).
 */
export function parseEmfLine(line: string): MetricDatum[] | string | undefined {
  const text = line.trim();
  if (!text.startsWith("{") || !text.includes('"_aws"')) return undefined;
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    return `not JSON: ${(err as Error).message}`;
  }
  const aws = doc._aws as Record<string, unknown> | undefined;
  if (typeof aws !== "object" || aws === null) return undefined;
  const timestamp = aws.Timestamp;
  if (typeof timestamp !== "number" || !Number.isInteger(timestamp) || timestamp < 0)
    return "_aws.Timestamp must be a non-negative integer (epoch milliseconds)";
  if (!Array.isArray(aws.CloudWatchMetrics)) return "_aws.CloudWatchMetrics must be an array";
  const data: MetricDatum[] = [];
  for (const directive of aws.CloudWatchMetrics as Record<string, unknown>[]) {
    const namespace = directive.Namespace;
    if (typeof namespace !== "string" || namespace === "") return "a directive has no Namespace";
    if (!Array.isArray(directive.Dimensions) || !Array.isArray(directive.Metrics))
      return `directive ${namespace}: Dimensions and Metrics must be arrays`;
    for (const set of directive.Dimensions as unknown[]) {
      if (!Array.isArray(set) || set.length > 30) return `directive ${namespace}: a dimension set is invalid`;
      const dimensions: Record<string, string> = {};
      for (const name of set as unknown[]) {
        const value = typeof name === "string" ? doc[name] : undefined;
        if (typeof value !== "string")
          return `dimension ${String(name)} must name a string member of the record`;
        dimensions[name as string] = value;
      }
      for (const metric of directive.Metrics as Record<string, unknown>[]) {
        const name = metric.Name;
        const unit = metric.Unit ?? "None";
        if (typeof name !== "string" || name === "") return `directive ${namespace}: a metric has no Name`;
        if (typeof unit !== "string" || !EMF_UNITS.has(unit))
          return `metric ${name}: unknown Unit ${String(unit)}`;
        const value = doc[name];
        const values = Array.isArray(value) ? value : [value];
        if (values.length === 0 || !values.every((v) => typeof v === "number" && Number.isFinite(v)))
          return `metric ${name} must have a number (or an array of numbers) under its name`;
        for (const v of values as number[])
          data.push({ namespace, name, unit, dimensions, value: v, timestampMs: timestamp });
      }
    }
  }
  return data;
}
