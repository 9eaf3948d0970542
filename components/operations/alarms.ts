/**
 * The alarm set of a stack: one alarm per failure mode, each saying what broke and where to look. Pure and
 * generic in the name type (see `inventory.ts`): the Operations component turns each spec into an
 * `aws.cloudwatch.MetricAlarm` on the stack's alert topic; tests read the specs directly.
 *
 *   heartbeat                     no message on the telemetry topics for `heartbeatMinutes`
 *   rule-errors-<rule>            a topic rule's action failed and its error action ran (every rule)
 *   kinesis-iterator-age-<stream> the ingest stream's readers fall behind (`ingestStream: kinesis`)
 *   kinesis-throttles-<stream>    writes to the ingest stream throttled in 2 of 3 five-minute periods
 *   quarantine-rate               too many messages rejected by validation
 *   firehose-freshness-<stream>   records wait longer than twice the buffer
 *   firehose-delivery-<stream>    delivery to S3 failing; firehose-conversion-<stream>: Parquet conversion failing
 *   sfn-failed-<machine>          executions failed or timed out
 *   sfn-not-started-<machine>     no execution started for longer than the machine's schedule ever waits
 *                                 (a scheduled machine whose schedule's longest gap fits an alarm; see below)
 *   lambda-errors-<fn>, lambda-throttles-<fn>, dlq-<fn>   (the sources' functions and queues too)
 *   api-5xx-<api>                 the HTTP API answered 5xx (`httpApi`)
 *   glue-job-failures             a Glue job run failed, timed out or errored
 *   scoring-lag                   anomaly scoring behind the clock
 *   model-age                     the model in service promoted too long ago
 * (The real-time endpoint's latency and 5xx alarms belong to RcfEndpoint: its blue/green updates roll back on them.)
 *
 * `sfn-not-started-<machine>` watches that a scheduled state machine is started at all (a disabled or deleted
 * schedule, a broken scheduler role): `ExecutionsStarted` below 1 in every one of its periods, missing data
 * breaching (no execution, no datapoint). Its window follows the schedule's longest gap ({@link longestGapSeconds})
 * plus a margin, see {@link notStartedWindow}. There is none for a machine without a schedule, for `at(...)` and
 * crons whose gap is not evaluated (`L`, `W`, `#`, a year field), nor when the window does not fit CloudWatch's
 * evaluation range (7 days for daily periods: a gap of at most 5 days 10 hours 54 minutes, so no weekly or
 * monthly schedule): such a machine is watched by its failure alarm only. Like `heartbeat`, a new alarm fires
 * until the machine's first start, as it has no datapoint yet.
 */
import { longestGapSeconds } from "../schedule";
import type { AlarmThresholds } from "./alarm-settings";
import type { MetricStat, OperationsInventory } from "./inventory";
import { PIPELINE_METRIC_DIMENSION, PIPELINE_METRICS, PIPELINE_METRICS_NAMESPACE } from "./pipeline-metrics";

export type ComparisonOperator =
  | "GreaterThanOrEqualToThreshold"
  | "GreaterThanThreshold"
  | "LessThanThreshold"
  | "LessThanOrEqualToThreshold";

/** One alarm, before it is a resource. Exactly one of `metric` and `expression` is set. */
export interface AlarmSpec<N> {
  /** Unique in the stack; the alarm is named `<deployment>-<key>` and its resource `<component>-<key>`. */
  readonly key: string;
  /** What broke and where to look, as parts to concatenate (names are resolved by the component). */
  readonly description: readonly (string | N)[];
  readonly metric?: MetricStat<N>;
  /** Metric math over named inputs (ids of lowercase letters and digits). */
  readonly expression?: {
    readonly expression: string;
    readonly label: string;
    readonly inputs: Readonly<Record<string, MetricStat<N>>>;
  };
  readonly comparison: ComparisonOperator;
  readonly threshold: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly treatMissingData: "breaching" | "notBreaching" | "ignore" | "missing";
}

const FIVE_MINUTES = 300;

/**
 * The longest evaluation range CloudWatch accepts for a period (PutMetricAlarm: Period × EvaluationPeriods at
 * most 86,400 s when Period is under 3,600 s, at most 604,800 s otherwise).
 */
export function maxEvaluationRangeSeconds(period: number): number {
  return period < 3600 ? 86_400 : 604_800;
}

/**
 * The period and number of periods (all breaching) of an `sfn-not-started-*` alarm for a schedule whose runs are
 * at most `gapSeconds` apart, or undefined when that does not fit CloudWatch's evaluation range. It waits
 * `need` = the gap plus a margin (10% of it, at least 5 minutes: scheduler retries, start latency); the period
 * is `need` in whole minutes, at most a day, and there is one period more than `need` takes because the newest
 * period is still filling: the alarm fires once a whole window of at least `need` saw no start.
 */
export function notStartedWindow(
  gapSeconds: number,
): { readonly period: number; readonly evaluationPeriods: number } | undefined {
  const need = Math.ceil(gapSeconds + Math.max(FIVE_MINUTES, gapSeconds / 10));
  const period = Math.min(86_400, Math.ceil(need / 60) * 60);
  const evaluationPeriods = Math.ceil(need / period) + 1;
  return period * evaluationPeriods <= maxEvaluationRangeSeconds(period)
    ? { period, evaluationPeriods }
    : undefined;
}

/** Seconds for people: `15 minutes`, `1 hour 6 minutes`, `3 days` (whole minutes). */
function duration(seconds: number): string {
  let rest = Math.round(seconds / 60);
  const parts: string[] = [];
  for (const [unit, minutes] of [
    ["day", 1440],
    ["hour", 60],
    ["minute", 1],
  ] as const) {
    const n = Math.floor(rest / minutes);
    rest -= n * minutes;
    if (n > 0) parts.push(`${n} ${unit}${n === 1 ? "" : "s"}`);
  }
  return parts.length > 0 ? parts.join(" ") : "0 minutes";
}

/** The alarm name of a spec. */
export function alarmName(deployment: string, key: string): string {
  return `${deployment}-${key}`;
}

/** Builds every alarm of a stack. */
export function buildAlarmSet<N>(
  inventory: OperationsInventory<N>,
  thresholds: AlarmThresholds,
  context: { readonly scoringIntervalSeconds: number },
): AlarmSpec<N>[] {
  const { deployment, ingest } = inventory;
  const alarms: AlarmSpec<N>[] = [];
  const iot = (metricName: string, rule: N, period = 60): MetricStat<N> => ({
    namespace: "AWS/IoT",
    metricName,
    dimensions: { RuleName: rule },
    stat: "Sum",
    period,
  });
  const firehose = (metricName: string, stream: N, stat: string, period = FIVE_MINUTES): MetricStat<N> => ({
    namespace: "AWS/Firehose",
    metricName,
    dimensions: { DeliveryStreamName: stream },
    stat,
    period,
  });
  const errorsPrefix = (kind: string) => ["s3://", ingest.rawBucket, `/errors/${kind}/`] as const;

  // Ingest: a silent fleet, failing rule actions, rejected readings.
  alarms.push({
    key: "heartbeat",
    description: [
      `No message reached the telemetry topics dt/${deployment}/+/+/telemetry for ${thresholds.heartbeatMinutes} minutes (TopicMatch of rule `,
      ingest.telemetryRule,
      "): the fleet is silent or cannot connect. Look at the devices and the AWSIotLogsV2 log group (connect and publish failures), and the Connect.* and PublishIn.* metrics of AWS/IoT.",
    ],
    metric: iot("TopicMatch", ingest.telemetryRule),
    comparison: "LessThanThreshold",
    threshold: 1,
    evaluationPeriods: thresholds.heartbeatMinutes,
    datapointsToAlarm: thresholds.heartbeatMinutes,
    treatMissingData: "breaching",
  });
  for (const rule of ingest.rules) {
    alarms.push({
      key: `rule-errors-${rule.key}`,
      description: [
        "Topic rule ",
        rule.name,
        ` could not hand messages to its ${rule.streamKind === "kinesis" ? "Kinesis" : "Firehose"} stream `,
        rule.stream,
        " and ran its error action, which keeps each failed message with the failure under ",
        ...errorsPrefix("iot-rule"),
        " for replay (ErrorActionFailure above 0: even that failed and messages were lost). Look at the AWSIotLogsV2 log group, the stream and the rule's role.",
      ],
      expression: {
        expression: "FILL(ok, 0) + FILL(failed, 0)",
        label: "error actions run",
        inputs: {
          ok: iot("ErrorActionSuccess", rule.name, FIVE_MINUTES),
          failed: iot("ErrorActionFailure", rule.name, FIVE_MINUTES),
        },
      },
      comparison: "GreaterThanThreshold",
      threshold: 0,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: "notBreaching",
    });
  }
  alarms.push({
    key: "quarantine-rate",
    description: [
      `More than ${thresholds.quarantinePercent}% of the messages of the last 15 minutes were quarantined: devices send readings the schema rejects. Look at `,
      "s3://",
      ingest.rawBucket,
      "/quarantine/ (each record carries its reason and the original payload).",
    ],
    expression: quarantineRateExpression(
      ingest.telemetryStream.name,
      ingest.quarantineStream.name,
      900,
      ingest.kinesisStream !== undefined,
    ),
    comparison: "GreaterThanThreshold",
    threshold: thresholds.quarantinePercent,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    treatMissingData: "notBreaching",
  });

  // The Kinesis ingest stream: readers behind, writers throttled.
  if (ingest.kinesisStream) {
    const stream = ingest.kinesisStream;
    const kinesis = (metricName: string, stat: string): MetricStat<N> => ({
      namespace: "AWS/Kinesis",
      metricName,
      dimensions: { StreamName: stream.name },
      stat,
      period: FIVE_MINUTES,
    });
    alarms.push({
      key: `kinesis-iterator-age-${stream.key}`,
      description: [
        "The readers of Kinesis stream ",
        stream.name,
        ` (the real-time consumer and Firehose) are more than ${thresholds.streamIteratorAgeSeconds} s behind its newest record: the latest state and the lake lag, and records the consumer does not read within its maxRecordAgeSeconds go to its dead-letter queue. Look at the consumer's IteratorAge, errors and log group, and Firehose's DeliveryToS3.DataFreshness.`,
      ],
      metric: kinesis("GetRecords.IteratorAgeMilliseconds", "Maximum"),
      comparison: "GreaterThanThreshold",
      threshold: thresholds.streamIteratorAgeSeconds * 1000,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: "notBreaching",
    });
    alarms.push({
      key: `kinesis-throttles-${stream.key}`,
      description: [
        "Writes to Kinesis stream ",
        stream.name,
        " were throttled in 2 of the last 3 five-minute periods: the topic rule runs its error action (messages kept under ",
        ...errorsPrefix("iot-rule"),
        ") and the HTTPS and poller functions retry. Raise the stream's capacity (provisioned shards, or on-demand) or look for a hot partition key.",
      ],
      metric: kinesis("WriteProvisionedThroughputExceeded", "Sum"),
      comparison: "GreaterThanThreshold",
      threshold: 0,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: "notBreaching",
    });
  }

  // Firehose into the lake.
  for (const stream of [ingest.telemetryStream, ingest.quarantineStream]) {
    alarms.push({
      key: `firehose-freshness-${stream.key}`,
      description: [
        "Firehose stream ",
        stream.name,
        ` holds records older than ${thresholds.firehoseFreshnessSeconds} s (twice its buffer): delivery into the lake is stalled. Look at its DeliveryToS3.* metrics, the log group `,
        stream.logGroup,
        " and ",
        ...errorsPrefix("firehose"),
        ".",
      ],
      metric: firehose("DeliveryToS3.DataFreshness", stream.name, "Maximum"),
      comparison: "GreaterThanThreshold",
      threshold: thresholds.firehoseFreshnessSeconds,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      treatMissingData: "notBreaching",
    });
    alarms.push({
      key: `firehose-delivery-${stream.key}`,
      description: [
        "Firehose stream ",
        stream.name,
        " failed to deliver to S3 (DeliveryToS3.Success below 1); it retries, then writes the records under ",
        ...errorsPrefix("firehose"),
        ". Look at the DestinationDelivery stream of the log group ",
        stream.logGroup,
        " (bucket permissions, the KMS key).",
      ],
      metric: firehose("DeliveryToS3.Success", stream.name, "Minimum"),
      comparison: "LessThanThreshold",
      threshold: 1,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: "notBreaching",
    });
    if (stream.convertsToParquet)
      alarms.push({
        key: `firehose-conversion-${stream.key}`,
        description: [
          "Firehose stream ",
          stream.name,
          " could not convert records to Parquet; they are kept under ",
          ...errorsPrefix("firehose"),
          " (format-conversion-failed). Look at the log group ",
          stream.logGroup,
          " and the Glue table the conversion reads its schema from.",
        ],
        metric: firehose("FailedConversion.Records", stream.name, "Sum"),
        comparison: "GreaterThanThreshold",
        threshold: 0,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        treatMissingData: "notBreaching",
      });
  }

  // Orchestration.
  for (const machine of inventory.stateMachines) {
    const states = (metricName: string): MetricStat<N> => ({
      namespace: "AWS/States",
      metricName,
      dimensions: { StateMachineArn: machine.arn },
      stat: "Sum",
      period: FIVE_MINUTES,
    });
    alarms.push({
      key: `sfn-failed-${machine.key}`,
      description: [
        `The ${machine.label} state machine `,
        machine.arn,
        " had executions that failed or timed out (its failure notice on this topic names the failed state). Look at the execution in the Step Functions console and the log group ",
        machine.logGroup,
        ".",
      ],
      expression: {
        expression: "FILL(failed, 0) + FILL(timedout, 0)",
        label: "executions failed or timed out",
        inputs: { failed: states("ExecutionsFailed"), timedout: states("ExecutionsTimedOut") },
      },
      comparison: "GreaterThanThreshold",
      threshold: 0,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: "notBreaching",
    });
  }
  // Scheduled machines that stopped being started: nothing fails, so only the missing starts tell.
  for (const machine of inventory.stateMachines) {
    const gap = machine.schedule ? longestGapSeconds(machine.schedule) : undefined;
    const window = gap === undefined ? undefined : notStartedWindow(gap);
    if (!machine.schedule || gap === undefined || !window) continue;
    alarms.push({
      key: `sfn-not-started-${machine.key}`,
      description: [
        `No execution of the ${machine.label} state machine `,
        machine.arn,
        ` started in ${duration(window.period * window.evaluationPeriods)} (${window.evaluationPeriods} periods of ${duration(window.period)}), while its schedule ${machine.schedule.expression}${machine.schedule.kind === "cron" ? " (UTC)" : ""} starts it at least every ${duration(gap)}: the schedule is disabled or deleted, or cannot start the machine. Look at the EventBridge Scheduler schedule`,
        ...(machine.scheduleName !== undefined ? [" ", machine.scheduleName] : []),
        " (its state and target), its role's permission to start the machine (states:StartExecution), and the log group ",
        machine.logGroup,
        ".",
      ],
      metric: {
        namespace: "AWS/States",
        metricName: "ExecutionsStarted",
        dimensions: { StateMachineArn: machine.arn },
        stat: "Sum",
        period: window.period,
      },
      comparison: "LessThanThreshold",
      threshold: 1,
      evaluationPeriods: window.evaluationPeriods,
      datapointsToAlarm: window.evaluationPeriods,
      treatMissingData: "breaching",
    });
  }
  if (inventory.glueFailures) {
    alarms.push({
      key: "glue-job-failures",
      description: [
        `A Glue job of ${deployment} failed, timed out or errored (the ETL state machine may have retried it). Each failed run is kept, with its error message, in the log group `,
        inventory.glueFailures.logGroup,
        "; the run's own logs are under /aws-glue/jobs/ (continuous logging).",
      ],
      metric: {
        namespace: "AWS/Events",
        metricName: "TriggeredRules",
        dimensions: { RuleName: inventory.glueFailures.ruleName },
        stat: "Sum",
        period: FIVE_MINUTES,
      },
      comparison: "GreaterThanThreshold",
      threshold: 0,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: "notBreaching",
    });
  }

  // Functions.
  for (const fn of inventory.functions) {
    const lambda = (metricName: string): MetricStat<N> => ({
      namespace: "AWS/Lambda",
      metricName,
      dimensions: { FunctionName: fn.name },
      stat: "Sum",
      period: FIVE_MINUTES,
    });
    alarms.push({
      key: `lambda-errors-${fn.key}`,
      description: [
        `The ${fn.label} function `,
        fn.name,
        ` reported ${thresholds.lambdaErrors} or more errors in 5 minutes. Look at its log group `,
        fn.logGroup,
        ".",
      ],
      metric: lambda("Errors"),
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: thresholds.lambdaErrors,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: "notBreaching",
    });
    alarms.push({
      key: `lambda-throttles-${fn.key}`,
      description: [
        `The ${fn.label} function `,
        fn.name,
        ` was throttled ${thresholds.lambdaThrottles} or more times in 5 minutes: the account's concurrency is used up. Look at ConcurrentExecutions of AWS/Lambda and the account's Lambda quotas.`,
      ],
      metric: lambda("Throttles"),
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: thresholds.lambdaThrottles,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: "notBreaching",
    });
    if (fn.deadLetterQueue !== undefined)
      alarms.push({
        key: `dlq-${fn.key}`,
        description: [
          `The dead-letter queue `,
          fn.deadLetterQueue,
          ` of the ${fn.label} function holds failed asynchronous invocations (each message carries the event). Look at the messages and the log group `,
          fn.logGroup,
          "; redrive or delete them once the cause is fixed.",
        ],
        metric: {
          namespace: "AWS/SQS",
          metricName: "ApproximateNumberOfMessagesVisible",
          dimensions: { QueueName: fn.deadLetterQueue },
          stat: "Maximum",
          period: FIVE_MINUTES,
        },
        comparison: "GreaterThanOrEqualToThreshold",
        threshold: thresholds.deadLetterMessages,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        treatMissingData: "notBreaching",
      });
  }

  // The HTTP API: 5xx answers mean readings a gateway posted were not taken (or state not served).
  if (inventory.httpApi) {
    const api = inventory.httpApi;
    alarms.push({
      key: `api-5xx-${api.key}`,
      description: [
        "HTTP API ",
        api.id,
        ` (stage `,
        api.stage,
        `) answered ${thresholds.apiServerErrors} or more 5xx in 5 minutes: callers must retry their readings. Look at the stage's access log (integrationError) and the ingest and latest-state functions' alarms and log groups.`,
      ],
      metric: {
        namespace: "AWS/ApiGateway",
        metricName: "5xx",
        dimensions: { ApiId: api.id, Stage: api.stage },
        stat: "Sum",
        period: FIVE_MINUTES,
      },
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: thresholds.apiServerErrors,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: "notBreaching",
    });
  }

  // Anomaly scoring and the model in service: pipeline metrics the scoring function publishes once per run, so
  // one datapoint per run: a period as long as the schedule's interval (CloudWatch caps it at a day). Missing
  // data is not breaching: no run yet, or no model promoted yet (nothing to age; scoring-lag covers that stack).
  const perScoringRun = (
    key: string,
    metric: "scoringLag" | "modelAge",
    thresholdSeconds: number,
    description: AlarmSpec<N>["description"],
  ): AlarmSpec<N> => ({
    key,
    description,
    metric: {
      namespace: PIPELINE_METRICS_NAMESPACE,
      metricName: PIPELINE_METRICS[metric].name,
      dimensions: { [PIPELINE_METRIC_DIMENSION]: deployment },
      stat: "Maximum",
      period: Math.min(86_400, Math.max(FIVE_MINUTES, Math.ceil(context.scoringIntervalSeconds / 60) * 60)),
    },
    comparison: "GreaterThanThreshold",
    threshold: thresholdSeconds,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    treatMissingData: "notBreaching",
  });
  const scoring = inventory.functions.find((f) => f.key === "anomaly-scoring");
  alarms.push(
    perScoringRun("scoring-lag", "scoringLag", thresholds.scoringLagMinutes * 60, [
      `Anomaly scoring of ${deployment} is more than ${thresholds.scoringLagMinutes} minutes behind the clock (${PIPELINE_METRICS.scoringLag.name}): new readings are not scored. Either runs fail (see the scoring state machine's alarm), fall behind a backlog, or skip because the model in service was trained with other settings (scoring resumes after the next training run). Look at the scoring executions`,
      ...(scoring ? [" and the log group ", scoring.logGroup] : []),
      ".",
    ]),
  );
  const training = inventory.stateMachines.find((m) => m.key === "training");
  alarms.push(
    perScoringRun("model-age", "modelAge", thresholds.modelAgeHours * 3600, [
      `The anomaly model in service of ${deployment} was promoted more than ${thresholds.modelAgeHours} hours ago (${PIPELINE_METRICS.modelAge.name}): training has stopped replacing it, so scores drift from what the sensors now do. Training runs may fail (see the training state machine's alarm), skip for too little data (TrainingSetTooSmall on the dashboard), or finish without promoting. Look at the training executions`,
      ...(training ? [" of ", training.arn, " and its log group ", training.logGroup] : []),
      ".",
    ]),
  );
  return alarms;
}

/**
 * Percent of the messages (accepted + quarantined) the quarantine stream received over `period`. A delivery
 * stream that reads a Kinesis stream (`telemetryReadsKinesis`) counts what it takes in as
 * `DataReadFromKinesisStream.Records`; Firehose's metrics page lists `IncomingRecords` under Direct PUT. Which of
 * the two such a stream publishes is not documented beyond that, so the accepted count is the larger of the two
 * per period: right if it publishes either or both, where one alone would read as 100% quarantined (or the
 * sum, double) if the guess were wrong.
 */
export function quarantineRateExpression<N>(
  telemetryStream: N,
  quarantineStream: N,
  period: number,
  telemetryReadsKinesis = false,
): NonNullable<AlarmSpec<N>["expression"]> {
  const firehose = (stream: N, metricName: string): MetricStat<N> => ({
    namespace: "AWS/Firehose",
    metricName,
    dimensions: { DeliveryStreamName: stream },
    stat: "Sum",
    period,
  });
  const accepted = telemetryReadsKinesis
    ? "MAX([FILL(accepted, 0), FILL(fromstream, 0)])"
    : "FILL(accepted, 0)";
  return {
    expression: `100 * FILL(quarantined, 0) / (${accepted} + FILL(quarantined, 0))`,
    label: "quarantined %",
    inputs: {
      accepted: firehose(telemetryStream, "IncomingRecords"),
      ...(telemetryReadsKinesis
        ? { fromstream: firehose(telemetryStream, "DataReadFromKinesisStream.Records") }
        : {}),
      quarantined: firehose(quarantineStream, "IncomingRecords"),
    },
  };
}
