/**
 * The CloudWatch dashboard body of a stack, as a plain JSON object (the `dashboardBody` of
 * `aws.cloudwatch.Dashboard`, see the CloudWatch "Dashboard Body Structure and Syntax"). Pure: the Operations
 * component calls it inside `pulumi.all(...).apply(...)` with the real names, the synth writes the result as a
 * document, tests check every metric against the resources of the same synth.
 */
import { GLUE_JOB_METRICS_NAMESPACE } from "../etl/iam-documents";
import type { AlarmThresholds } from "./alarm-settings";
import { quarantineRateExpression } from "./alarms";
import type { MetricStat, OperationsInventory } from "./inventory";
import { PIPELINE_METRIC_DIMENSION, PIPELINE_METRICS, PIPELINE_METRICS_NAMESPACE } from "./pipeline-metrics";

/** One row of a metric widget: `[namespace, name, dim, value, ..., options]` or `[{ expression, ... }]`. */
export type DashboardMetricRow = (string | Record<string, unknown>)[];

export interface MetricWidget {
  readonly type: "metric";
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly properties: {
    readonly title: string;
    readonly region: string;
    readonly view: "timeSeries" | "singleValue";
    readonly stacked: boolean;
    readonly period: number;
    readonly metrics: DashboardMetricRow[];
    readonly stat?: string;
    readonly yAxis?: Record<string, unknown>;
    readonly annotations?: Record<string, unknown>;
  };
}

export interface TextWidget {
  readonly type: "text";
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly properties: { readonly markdown: string };
}

export interface AlarmWidget {
  readonly type: "alarm";
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly properties: { readonly title: string; readonly alarms: string[] };
}

export type DashboardWidget = MetricWidget | TextWidget | AlarmWidget;

export interface DashboardBody {
  readonly start: string;
  readonly periodOverride: "auto" | "inherit";
  readonly widgets: DashboardWidget[];
}

/** A widget's content before the layout places it. */
type WidgetContent =
  | {
      readonly type: "metric";
      readonly width: number;
      readonly properties: Omit<MetricWidget["properties"], "region">;
    }
  | Omit<TextWidget, "x" | "y" | "height">
  | Omit<AlarmWidget, "x" | "y" | "height">;

/** A metric row for a plain metric with display options. */
function row(m: MetricStat<string>, options: Record<string, unknown> = {}): DashboardMetricRow {
  return [
    m.namespace,
    m.metricName,
    ...Object.entries(m.dimensions).flatMap(([k, v]) => [k, v]),
    { stat: m.stat, period: m.period, ...options },
  ];
}

const metric = (
  namespace: string,
  metricName: string,
  dimensions: Record<string, string>,
  stat: string,
  period = 300,
): MetricStat<string> => ({ namespace, metricName, dimensions, stat, period });

/** The dashboard of one stack: every widget the issue of operating a stack asks for, in reading order. */
export function buildDashboardBody(
  inventory: OperationsInventory<string>,
  thresholds: AlarmThresholds,
  alarmArns: readonly string[],
): DashboardBody {
  const { deployment, ingest } = inventory;
  const streams = [ingest.telemetryStream, ingest.quarantineStream];
  const pipeline = (key: keyof typeof PIPELINE_METRICS, stat: string, period = 3600) =>
    metric(
      PIPELINE_METRICS_NAMESPACE,
      PIPELINE_METRICS[key].name,
      { [PIPELINE_METRIC_DIMENSION]: deployment },
      stat,
      period,
    );
  const timeSeries = (
    title: string,
    metrics: DashboardMetricRow[],
    extra: Partial<MetricWidget["properties"]> = {},
  ): WidgetContent => ({
    type: "metric",
    width: 12,
    properties: { title, view: "timeSeries", stacked: false, period: 300, metrics, ...extra },
  });
  const quarantine = quarantineRateExpression(
    ingest.telemetryStream.name,
    ingest.quarantineStream.name,
    300,
    ingest.kinesisStream !== undefined,
  );
  const pollers = inventory.functions.some((f) => f.key.startsWith("poller-"));
  const queues = inventory.functions.filter((f) => f.deadLetterQueue !== undefined);
  const { kinesisStream } = ingest;
  const api = inventory.httpApi;

  const contents: WidgetContent[] = [
    {
      type: "text",
      width: 24,
      properties: {
        markdown: [
          `# ${deployment}: operations`,
          `Readings flow from IoT Core (topic rules ${ingest.rules.map((r) => `\`${r.name}\``).join(", ")})${inventory.httpApi ? ", the HTTP API" : ""}${pollers ? " and the REST pollers" : ""}${ingest.kinesisStream ? ` through Kinesis stream \`${ingest.kinesisStream.name}\` (the real-time consumer keeps the latest state)` : ""} through Firehose into \`s3://${ingest.rawBucket}/telemetry/\`; quarantined messages are under \`quarantine/\`, failed deliveries under \`errors/\`. Every alarm below notifies the stack's alert topic and says what broke and where to look.`,
        ].join("\n\n"),
      },
    },
    { type: "alarm", width: 24, properties: { title: "Alarms", alarms: [...alarmArns] } },
    timeSeries("IoT Core: messages in and rule errors", [
      row(metric("AWS/IoT", "TopicMatch", { RuleName: ingest.telemetryRule }, "Sum"), {
        label: "messages on the telemetry topics",
      }),
      ...ingest.rules
        .map((r) => r.name)
        .flatMap((rule) => [
          row(metric("AWS/IoT", "ErrorActionSuccess", { RuleName: rule }, "Sum"), {
            label: `${rule}: error action run`,
          }),
          row(metric("AWS/IoT", "ErrorActionFailure", { RuleName: rule }, "Sum"), {
            label: `${rule}: error action failed (lost)`,
          }),
        ]),
    ]),
    timeSeries(
      "Quarantine rate (% of messages rejected)",
      [
        [{ expression: quarantine.expression, label: quarantine.label, id: "rate" }],
        ...Object.entries(quarantine.inputs).map(([id, m]) => row(m, { id, visible: false })),
      ],
      {
        yAxis: { left: { min: 0, max: 100 } },
        annotations: { horizontal: [{ label: "alarm", value: thresholds.quarantinePercent }] },
      },
    ),
    ...(kinesisStream
      ? [
          timeSeries(
            "Kinesis ingest stream: records in, reader lag (ms) and throttles",
            [
              row(metric("AWS/Kinesis", "IncomingRecords", { StreamName: kinesisStream.name }, "Sum"), {
                label: "records in",
              }),
              row(
                metric(
                  "AWS/Kinesis",
                  "WriteProvisionedThroughputExceeded",
                  { StreamName: kinesisStream.name },
                  "Sum",
                ),
                { label: "writes throttled" },
              ),
              row(
                metric(
                  "AWS/Kinesis",
                  "ReadProvisionedThroughputExceeded",
                  { StreamName: kinesisStream.name },
                  "Sum",
                ),
                { label: "reads throttled" },
              ),
              row(
                metric(
                  "AWS/Kinesis",
                  "GetRecords.IteratorAgeMilliseconds",
                  { StreamName: kinesisStream.name },
                  "Maximum",
                ),
                { label: "iterator age (ms)", yAxis: "right" },
              ),
            ],
            {
              annotations: {
                horizontal: [
                  {
                    label: "iterator age alarm",
                    value: thresholds.streamIteratorAgeSeconds * 1000,
                    yAxis: "right",
                  },
                ],
              },
            },
          ),
        ]
      : []),
    ...(api
      ? [
          timeSeries("HTTP API: requests, 4xx, 5xx and p90 latency (ms)", [
            ...(
              [
                ["Count", "Sum", "requests"],
                ["4xx", "Sum", "4xx"],
                ["5xx", "Sum", "5xx"],
              ] as const
            ).map(([name, stat, label]) =>
              row(metric("AWS/ApiGateway", name, { ApiId: api.id, Stage: api.stage }, stat), { label }),
            ),
            row(metric("AWS/ApiGateway", "Latency", { ApiId: api.id, Stage: api.stage }, "p90"), {
              label: "p90 latency (ms)",
              yAxis: "right",
            }),
          ]),
        ]
      : []),
    timeSeries(
      "Firehose: records in and delivered to the lake",
      streams.flatMap((s) => [
        row(metric("AWS/Firehose", "IncomingRecords", { DeliveryStreamName: s.name }, "Sum"), {
          label: `${s.key} in`,
        }),
        row(metric("AWS/Firehose", "DeliveryToS3.Records", { DeliveryStreamName: s.name }, "Sum"), {
          label: `${s.key} delivered`,
        }),
      ]),
    ),
    timeSeries(
      "Firehose: data freshness (s)",
      streams.map((s) =>
        row(metric("AWS/Firehose", "DeliveryToS3.DataFreshness", { DeliveryStreamName: s.name }, "Maximum"), {
          label: s.key,
        }),
      ),
      { annotations: { horizontal: [{ label: "alarm", value: thresholds.firehoseFreshnessSeconds }] } },
    ),
    timeSeries("Lake delivery failures", [
      ...streams.map((s) =>
        row(metric("AWS/Firehose", "DeliveryToS3.Success", { DeliveryStreamName: s.name }, "Minimum"), {
          label: `${s.key}: delivery success (1 = all)`,
        }),
      ),
      ...streams
        .filter((s) => s.convertsToParquet)
        .map((s) =>
          row(metric("AWS/Firehose", "FailedConversion.Records", { DeliveryStreamName: s.name }, "Sum"), {
            label: `${s.key}: Parquet conversion failed`,
          }),
        ),
    ]),
    timeSeries(
      "Executions: ETL, training and scoring",
      inventory.stateMachines.flatMap((m) =>
        (["ExecutionsSucceeded", "ExecutionsFailed", "ExecutionsTimedOut"] as const).map((name) =>
          row(metric("AWS/States", name, { StateMachineArn: m.arn }, "Sum", 3600), {
            label: `${m.label}: ${name.slice("Executions".length).toLowerCase()}`,
          }),
        ),
      ),
      { period: 3600 },
    ),
    timeSeries(
      "Glue: job durations (ms) and failed runs",
      [
        ...inventory.glueJobs.map((j) =>
          row(
            metric(
              // Job metrics are in the namespace "Glue" (AWS/Glue holds only the service's resource metrics); the
              // jobs' role may put metrics only there (components/etl/iam-documents.ts).
              GLUE_JOB_METRICS_NAMESPACE,
              "glue.driver.aggregate.elapsedTime",
              { JobName: j.name, JobRunId: "ALL", Type: "count" },
              "Maximum",
              3600,
            ),
            { label: j.key },
          ),
        ),
        ...(inventory.glueFailures
          ? [
              row(
                metric(
                  "AWS/Events",
                  "TriggeredRules",
                  { RuleName: inventory.glueFailures.ruleName },
                  "Sum",
                  3600,
                ),
                { label: "failed runs", yAxis: "right" },
              ),
            ]
          : []),
      ],
      { period: 3600 },
    ),
    timeSeries(
      "Anomaly scoring: lag (s) and anomalies per hour",
      [
        row(pipeline("scoringLag", "Maximum", 300), { label: "scoring lag (s)" }),
        row(pipeline("anomaliesDetected", "Sum"), { label: "anomalies per hour", yAxis: "right" }),
        row(pipeline("readingsScored", "Sum"), { label: "readings scored per hour", yAxis: "right" }),
      ],
      { annotations: { horizontal: [{ label: "lag alarm", value: thresholds.scoringLagMinutes * 60 }] } },
    ),
    inventory.anomaly.endpoint
      ? timeSeries("Endpoint: invocations, p90 latency (µs) and 5xx", [
          ...(
            [
              ["Invocations", "Sum", "invocations"],
              ["ModelLatency", "p90", "p90 model latency (µs)"],
              ["Invocation5XXErrors", "Sum", "5xx"],
            ] as const
          ).map(([name, stat, label]) =>
            row(
              metric(
                "AWS/SageMaker",
                name,
                {
                  EndpointName: inventory.anomaly.endpoint!.name,
                  VariantName: inventory.anomaly.endpoint!.variant,
                },
                stat,
              ),
              { label, ...(name === "ModelLatency" ? { yAxis: "right" } : {}) },
            ),
          ),
        ])
      : timeSeries("Batch transforms: duration (s)", [
          row(pipeline("batchTransformSeconds", "Maximum"), {
            label: "transform duration, longest per hour",
          }),
        ]),
    timeSeries(
      "Model: age (hours) and training",
      [
        [{ expression: "age / 3600", label: "model age (hours)", id: "hours" }],
        row(pipeline("modelAge", "Maximum"), { id: "age", visible: false }),
        row(pipeline("trainingVectors", "Maximum", 86_400), { label: "training vectors", yAxis: "right" }),
        row(pipeline("modelsPromoted", "Sum", 86_400), { label: "models promoted" }),
        row(pipeline("trainingSetTooSmall", "Sum", 86_400), { label: "training skipped (too little data)" }),
      ],
      { annotations: { horizontal: [{ label: "model-age alarm", value: thresholds.modelAgeHours }] } },
    ),
    {
      type: "metric",
      width: 24,
      properties: {
        title: "Lambda: errors and throttles",
        view: "timeSeries",
        stacked: false,
        period: 300,
        metrics: inventory.functions.flatMap((f) =>
          (["Errors", "Throttles"] as const).map((name) =>
            row(metric("AWS/Lambda", name, { FunctionName: f.name }, "Sum"), {
              label: `${f.label}: ${name.toLowerCase()}`,
            }),
          ),
        ),
      },
    },
    timeSeries(
      "Dead-letter queues: messages waiting",
      queues.map((f) =>
        row(
          metric(
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            { QueueName: f.deadLetterQueue! },
            "Maximum",
          ),
          { label: f.label },
        ),
      ),
      { annotations: { horizontal: [{ label: "alarm", value: thresholds.deadLetterMessages }] } },
    ),
  ];
  return { start: "-PT12H", periodOverride: "auto", widgets: layout(contents, inventory.region) };
}

/** Places widgets left to right, top to bottom, on CloudWatch's 24-column grid. */
function layout(contents: readonly WidgetContent[], region: string): DashboardWidget[] {
  const heights = { text: 3, alarm: 3, metric: 6 };
  const widgets: DashboardWidget[] = [];
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  for (const content of contents) {
    const height = heights[content.type];
    if (x + content.width > 24) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    widgets.push(
      content.type === "metric"
        ? { ...content, x, y, height, properties: { ...content.properties, region } }
        : ({ ...content, x, y, height } as DashboardWidget),
    );
    x += content.width;
    rowHeight = Math.max(rowHeight, height);
  }
  return widgets;
}
