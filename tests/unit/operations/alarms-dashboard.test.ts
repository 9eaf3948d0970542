// The pure builders of the operations dashboard and alarm set, fed with plain names, and the alarm thresholds'
// configuration (defaults, derived values, errors that name the field and the stack file).
import { expect } from "chai";
import { parsePlatformConfig } from "../../../components/config";
import { readStackFile } from "../../../components/stack-files";
import { resolveAlarmThresholds, type AlarmThresholds } from "../../../components/operations/alarm-settings";
import {
  alarmName,
  buildAlarmSet,
  quarantineRateExpression,
  type AlarmSpec,
} from "../../../components/operations/alarms";
import { buildDashboardBody, type MetricWidget } from "../../../components/operations/dashboard";
import type { OperationsInventory, WatchedStateMachine } from "../../../components/operations/inventory";
import { parseSchedule, type ScheduleExpression } from "../../../components/schedule";
import { stackConfig } from "../../helpers/mocks";

const schedule = (text: string) => parseSchedule(text) as ScheduleExpression;

const inventory = (endpoint = false): OperationsInventory<string> => ({
  deployment: "sensors-test",
  region: "eu-west-1",
  ingest: {
    telemetryRule: "sensors_test_telemetry",
    rules: [
      { key: "telemetry", name: "sensors_test_telemetry", stream: "tele-stream", streamKind: "firehose" },
      { key: "quarantine", name: "sensors_test_quarantine", stream: "quar-stream", streamKind: "firehose" },
    ],
    telemetryStream: {
      key: "telemetry",
      name: "tele-stream",
      logGroup: "/aws/kinesisfirehose/tele",
      convertsToParquet: true,
    },
    quarantineStream: {
      key: "quarantine",
      name: "quar-stream",
      logGroup: "/aws/kinesisfirehose/quar",
      convertsToParquet: false,
    },
    rawBucket: "raw-bucket",
  },
  stateMachines: [
    {
      key: "etl",
      label: "ETL",
      arn: "arn:aws:states:eu-west-1:1:stateMachine:etl",
      logGroup: "/etl",
      schedule: schedule("cron(0 2 * * ? *)"),
      scheduleName: "etl-schedule",
    },
    {
      key: "training",
      label: "model training",
      arn: "arn:aws:states:eu-west-1:1:stateMachine:tr",
      logGroup: "/tr",
      schedule: schedule("rate(1 day)"),
      scheduleName: "training-schedule",
    },
    {
      key: "scoring",
      label: "anomaly scoring",
      arn: "arn:aws:states:eu-west-1:1:stateMachine:sc",
      logGroup: "/sc",
      schedule: schedule("rate(1 hour)"),
      scheduleName: "scoring-schedule",
    },
  ],
  glueJobs: [{ key: "curate", name: "curate-job" }],
  functions: [
    { key: "etl-planner", label: "ETL planner", name: "planner-fn", logGroup: "/planner" },
    {
      key: "anomaly-scoring",
      label: "anomaly scoring",
      name: "scoring-fn",
      logGroup: "/scoring",
      deadLetterQueue: "scoring-dlq",
    },
  ],
  glueFailures: {
    ruleName: "sensors-test-glue-job-failures",
    logGroup: "/aws/events/sensors-test/glue-job-failures",
  },
  anomaly: endpoint
    ? { mode: "endpoint", endpoint: { name: "sensors-test-rcf", variant: "AllTraffic" } }
    : { mode: "batch" },
});

const thresholds: AlarmThresholds = resolveAlarmThresholds(
  {
    heartbeatMinutes: 12,
    lambdaErrors: 3,
    lambdaThrottles: 1,
    deadLetterMessages: 1,
    quarantinePercent: 5,
    endpointLatencyMs: 500,
    apiServerErrors: 1,
  },
  {
    firehoseBufferSeconds: 300,
    scoringIntervalSeconds: 3600,
    trainingIntervalSeconds: 86_400,
    ingestDelaySeconds: 600,
  },
);

describe("operations: alarm set and dashboard (pure builders)", function () {
  it("derives the Firehose freshness, scoring lag and model age thresholds from the stack", function () {
    expect(thresholds.firehoseFreshnessSeconds).to.equal(600); // twice the 300 s buffer
    expect(thresholds.scoringLagMinutes).to.equal(140); // (2 × 3600 + 600) / 60 + 10
    expect(thresholds.modelAgeHours).to.equal(54); // 2 × a day of training interval + 6
    const small = resolveAlarmThresholds(
      { ...thresholds, firehoseFreshnessSeconds: undefined, modelAgeHours: undefined },
      {
        firehoseBufferSeconds: 0,
        scoringIntervalSeconds: 900,
        trainingIntervalSeconds: 6 * 3600,
        ingestDelaySeconds: 300,
      },
    );
    expect(small.firehoseFreshnessSeconds).to.equal(120); // a floor of twice 60 s for unbuffered streams
    expect(small.modelAgeHours).to.equal(18); // 2 × 6 h + 6
    const oneOff = resolveAlarmThresholds(
      { ...thresholds, modelAgeHours: undefined },
      {
        firehoseBufferSeconds: 0,
        scoringIntervalSeconds: 900,
        trainingIntervalSeconds: Number.POSITIVE_INFINITY, // at(...): no recurring training
        ingestDelaySeconds: 300,
      },
    );
    expect(oneOff.modelAgeHours).to.equal(8760); // the setting's maximum, a year, never Infinity
    const set = resolveAlarmThresholds(
      { ...thresholds, modelAgeHours: 100 },
      {
        firehoseBufferSeconds: 0,
        scoringIntervalSeconds: 900,
        trainingIntervalSeconds: 3600,
        ingestDelaySeconds: 300,
      },
    );
    expect(set.modelAgeHours).to.equal(100);
  });

  it("has one alarm per failure mode and per resource, each named after the deployment", function () {
    const alarms = buildAlarmSet(inventory(), thresholds, { scoringIntervalSeconds: 3600 });
    expect(alarms.map((a) => a.key)).to.deep.equal([
      "heartbeat",
      "rule-errors-telemetry",
      "rule-errors-quarantine",
      "quarantine-rate",
      "firehose-freshness-telemetry",
      "firehose-delivery-telemetry",
      "firehose-conversion-telemetry",
      "firehose-freshness-quarantine",
      "firehose-delivery-quarantine",
      "sfn-failed-etl",
      "sfn-failed-training",
      "sfn-failed-scoring",
      "sfn-not-started-etl",
      "sfn-not-started-training",
      "sfn-not-started-scoring",
      "glue-job-failures",
      "lambda-errors-etl-planner",
      "lambda-throttles-etl-planner",
      "lambda-errors-anomaly-scoring",
      "lambda-throttles-anomaly-scoring",
      "dlq-anomaly-scoring",
      "scoring-lag",
      "model-age",
    ]);
    expect(alarmName("sensors-test", "heartbeat")).to.equal("sensors-test-heartbeat");
    for (const alarm of alarms) {
      expect(alarm.metric === undefined, alarm.key).to.not.equal(alarm.expression === undefined);
      expect(alarm.description.join("").length, alarm.key).to.be.within(60, 1024);
    }
  });

  it("watches the ingest stream, the HTTP API and the sources' functions and queues when the stack has them", function () {
    const base = inventory();
    const streaming: OperationsInventory<string> = {
      ...base,
      ingest: {
        ...base.ingest,
        rules: [{ ...base.ingest.rules[0]!, stream: "ingest-stream", streamKind: "kinesis" }],
        kinesisStream: { key: "ingest", name: "ingest-stream" },
      },
      functions: [
        ...base.functions,
        {
          key: "realtime-consumer",
          label: "real-time consumer",
          name: "consumer-fn",
          logGroup: "/consumer",
          deadLetterQueue: "consumer-dlq",
        },
      ],
      httpApi: { key: "telemetry", id: "a1b2c3", stage: "$default" },
    };
    const short = resolveAlarmThresholds(
      { ...thresholds, streamIteratorAgeSeconds: undefined },
      {
        firehoseBufferSeconds: 60,
        scoringIntervalSeconds: 3600,
        trainingIntervalSeconds: 86_400,
        ingestDelaySeconds: 360,
        streamMaxRecordAgeSeconds: 300,
      },
    );
    expect(short.streamIteratorAgeSeconds).to.equal(150); // half the consumer's 300 s record age
    expect(thresholds.streamIteratorAgeSeconds).to.equal(300); // at most 5 minutes
    const alarms = Object.fromEntries(
      buildAlarmSet(streaming, short, { scoringIntervalSeconds: 3600 }).map((a) => [a.key, a]),
    );
    expect(alarms["rule-errors-telemetry"]!.description.join("")).to.contain(
      "its Kinesis stream ingest-stream",
    );
    expect(alarms["kinesis-iterator-age-ingest"]!).to.deep.include({ threshold: 150_000 });
    expect(alarms["kinesis-iterator-age-ingest"]!.metric!.dimensions).to.deep.equal({
      StreamName: "ingest-stream",
    });
    expect(alarms["kinesis-throttles-ingest"]!.metric!.metricName).to.equal(
      "WriteProvisionedThroughputExceeded",
    );
    expect(alarms["api-5xx-telemetry"]!.metric!.dimensions).to.deep.equal({
      ApiId: "a1b2c3",
      Stage: "$default",
    });
    expect(Object.keys(alarms)).to.include.members([
      "lambda-errors-realtime-consumer",
      "lambda-throttles-realtime-consumer",
      "dlq-realtime-consumer",
    ]);
    const titles = buildDashboardBody(streaming, short, [])
      .widgets.filter((w): w is MetricWidget => w.type === "metric")
      .map((w) => w.properties.title);
    expect(titles).to.include.members([
      "Kinesis ingest stream: records in, reader lag (ms) and throttles",
      "HTTP API: requests, 4xx, 5xx and p90 latency (ms)",
      "Dead-letter queues: messages waiting",
    ]);
    expect(
      Object.keys(
        Object.fromEntries(
          buildAlarmSet(inventory(), thresholds, { scoringIntervalSeconds: 3600 }).map((a) => [a.key, a]),
        ),
      ),
    ).to.not.include("api-5xx-telemetry");
  });

  it("takes thresholds from the configuration and says in each description what broke and where to look", function () {
    const alarms = Object.fromEntries(
      buildAlarmSet(inventory(), thresholds, { scoringIntervalSeconds: 3600 }).map((a) => [a.key, a]),
    );
    const heartbeat = alarms.heartbeat!;
    expect(heartbeat).to.deep.include({
      comparison: "LessThanThreshold",
      threshold: 1,
      evaluationPeriods: 12,
      datapointsToAlarm: 12,
      treatMissingData: "breaching",
    });
    expect(heartbeat.metric).to.deep.equal({
      namespace: "AWS/IoT",
      metricName: "TopicMatch",
      dimensions: { RuleName: "sensors_test_telemetry" },
      stat: "Sum",
      period: 60,
    });
    expect(heartbeat.description.join("")).to.contain("dt/sensors-test/+/+/telemetry for 12 minutes");
    expect(alarms["rule-errors-telemetry"]!.description.join("")).to.contain(
      "s3://raw-bucket/errors/iot-rule/",
    );
    expect(alarms["firehose-freshness-telemetry"]).to.deep.include({ threshold: 600 });
    expect(alarms["firehose-delivery-quarantine"]!.description.join("")).to.contain(
      "/aws/kinesisfirehose/quar",
    );
    expect(alarms["lambda-errors-etl-planner"]).to.deep.include({
      threshold: 3,
      comparison: "GreaterThanOrEqualToThreshold",
    });
    expect(alarms["sfn-failed-etl"]!.expression!.inputs.timedout!.metricName).to.equal("ExecutionsTimedOut");
    expect(alarms["dlq-anomaly-scoring"]!.metric!.dimensions).to.deep.equal({ QueueName: "scoring-dlq" });
    expect(alarms["scoring-lag"]!.metric).to.deep.include({
      namespace: "SensorAnalytics/Pipeline",
      metricName: "ScoringLagSeconds",
      dimensions: { Deployment: "sensors-test" },
      period: 3600,
    });
    expect(alarms["scoring-lag"]!.threshold).to.equal(140 * 60);
    const modelAge = alarms["model-age"]!;
    expect(modelAge.metric).to.deep.include({
      namespace: "SensorAnalytics/Pipeline",
      metricName: "ModelAgeSeconds",
      dimensions: { Deployment: "sensors-test" },
      stat: "Maximum",
      period: 3600,
    });
    expect(modelAge).to.deep.include({
      threshold: 54 * 3600,
      comparison: "GreaterThanThreshold",
      treatMissingData: "notBreaching", // no model promoted yet: nothing to age
    });
    expect(modelAge.description.join("")).to.contain("more than 54 hours ago");
    expect(modelAge.description.join("")).to.contain("stateMachine:tr and its log group /tr");
  });

  it("alarms when a scheduled state machine is no longer started, over a window fitted to its schedule's longest gap", function () {
    const scoring = inventory().stateMachines[2]!;
    const notStarted = (text: string | undefined, machine: WatchedStateMachine<string> = scoring) => {
      const watched =
        text === undefined ? { ...machine, schedule: undefined } : { ...machine, schedule: schedule(text) };
      return buildAlarmSet({ ...inventory(), stateMachines: [watched] }, thresholds, {
        scoringIntervalSeconds: 3600,
      }).find((a) => a.key === `sfn-not-started-${machine.key}`);
    };
    const window = (a: AlarmSpec<string> | undefined) => ({
      period: a?.metric?.period,
      evaluationPeriods: a?.evaluationPeriods,
      datapointsToAlarm: a?.datapointsToAlarm,
    });
    const hourly = notStarted("rate(1 hour)")!;
    expect(hourly.metric).to.deep.equal({
      namespace: "AWS/States",
      metricName: "ExecutionsStarted",
      dimensions: { StateMachineArn: "arn:aws:states:eu-west-1:1:stateMachine:sc" },
      stat: "Sum",
      period: 3960, // the gap, 3600 s, and a margin of 10% of it (at least 5 minutes)
    });
    expect(hourly).to.deep.include({
      comparison: "LessThanThreshold",
      threshold: 1,
      evaluationPeriods: 2, // one period more than the wait takes: the newest is still filling
      datapointsToAlarm: 2,
      treatMissingData: "breaching", // no execution, no datapoint
    });
    const text = hourly.description.join("");
    expect(text).to.contain(
      "No execution of the anomaly scoring state machine arn:aws:states:eu-west-1:1:stateMachine:sc started in 2 hours 12 minutes (2 periods of 1 hour 6 minutes)",
    );
    expect(text).to.contain("while its schedule rate(1 hour) starts it at least every 1 hour");
    expect(text).to.contain("EventBridge Scheduler schedule scoring-schedule");
    expect(text).to.contain("states:StartExecution");
    expect(text).to.contain("log group /sc.");
    // [schedule, period, evaluation periods (= datapoints to alarm)]
    for (const [text, period, periods] of [
      ["rate(5 minutes)", 600, 2], // 5 minutes of margin at least
      ["rate(15 minutes)", 1200, 2],
      // Daily: the gap and 10% need 95,040 s, over CloudWatch's longest period (a day): 2 periods, and the filling one.
      ["cron(15 1 * * ? *)", 86_400, 3],
      // Weekdays only: the weekend makes the gap 3 days (its approximate interval would have said 7).
      ["cron(0 8 ? * MON-FRI *)", 86_400, 5],
      ["cron(0 */6 * * ? *)", 23_760, 2], // every 6 hours: one period of the gap and its margin
      // CloudWatch evaluates at most 7 days for periods of an hour or more: 5 days fit exactly, 6 do not.
      ["rate(5 days)", 86_400, 7],
    ] as const)
      expect(window(notStarted(text)), text).to.deep.equal({
        period,
        evaluationPeriods: periods,
        datapointsToAlarm: periods,
      });
    expect(notStarted("cron(15 1 * * ? *)")!.description.join("")).to.contain(
      "started in 3 days (3 periods of 1 day), while its schedule cron(15 1 * * ? *) (UTC) starts it at least every 1 day",
    );
    expect(notStarted("cron(0 8 ? * MON-FRI *)")!.description.join("")).to.contain("at least every 3 days");
    for (const none of [
      "rate(6 days)",
      "cron(0 8 ? * MON *)", // weekly
      "cron(0 0 1 * ? *)", // monthly
      "cron(0 0 L * ? *)", // not evaluated
      "at(2027-01-01T00:00:00)", // one run
      undefined, // not scheduled
    ])
      expect(notStarted(none), String(none)).to.equal(undefined);
    // Without the schedule's name the description still says where to look.
    const unnamed = notStarted("rate(1 hour)", { ...scoring, scheduleName: undefined })!;
    expect(unnamed.description.join("")).to.contain(
      "Look at the EventBridge Scheduler schedule (its state and target)",
    );
  });

  it("keeps every alarm's evaluation range within CloudWatch's limits (1 day under hourly periods, 7 days otherwise)", function () {
    const heartbeatDay = resolveAlarmThresholds(
      { ...thresholds, heartbeatMinutes: 1440 },
      {
        firehoseBufferSeconds: 900,
        scoringIntervalSeconds: 86_400,
        trainingIntervalSeconds: 7 * 86_400,
        ingestDelaySeconds: 600,
      },
    );
    const machines = [
      "rate(1 minute)",
      "rate(59 minutes)",
      "rate(1 hour)",
      "cron(0 8 ? * MON-FRI *)",
      "rate(5 days)",
    ].map((text, i): WatchedStateMachine<string> => ({
      key: `m${i}`,
      label: text,
      arn: `arn:m${i}`,
      logGroup: `/m${i}`,
      schedule: schedule(text),
    }));
    for (const [alarms, scoringIntervalSeconds] of [
      [inventory(), 3600],
      [inventory(true), 900],
      [{ ...inventory(), stateMachines: machines }, 86_400],
    ] as const) {
      const set = buildAlarmSet(alarms, scoringIntervalSeconds === 86_400 ? heartbeatDay : thresholds, {
        scoringIntervalSeconds,
      });
      for (const alarm of set) {
        const periods = alarm.metric
          ? [alarm.metric.period]
          : Object.values(alarm.expression!.inputs).map((m) => m.period);
        const period = Math.max(...periods);
        const limit = period < 3600 ? 86_400 : 604_800;
        expect(period % 60, alarm.key).to.equal(0);
        expect(
          period * alarm.evaluationPeriods,
          `${alarm.key}: ${period} s × ${alarm.evaluationPeriods}`,
        ).to.be.at.most(limit);
        expect(alarm.datapointsToAlarm, alarm.key).to.be.within(1, alarm.evaluationPeriods);
      }
      if (alarms.stateMachines === machines)
        expect(set.filter((a) => a.key.startsWith("sfn-not-started-")).map((a) => a.key)).to.have.length(5);
    }
  });

  it("lays the dashboard out on the 24-column grid with no overlap, every metric on an inventory name", function () {
    const body = buildDashboardBody(inventory(), thresholds, ["arn:aws:cloudwatch:eu-west-1:1:alarm:a"]);
    const cells = new Set<string>();
    for (const w of body.widgets) {
      expect(w.x + w.width, JSON.stringify(w)).to.be.at.most(24);
      for (let x = w.x; x < w.x + w.width; x++)
        for (let y = w.y; y < w.y + w.height; y++) {
          expect(cells.has(`${x},${y}`), `overlap at ${x},${y}`).to.equal(false);
          cells.add(`${x},${y}`);
        }
    }
    const names = new Set([
      "sensors_test_telemetry",
      "sensors_test_quarantine",
      "tele-stream",
      "quar-stream",
    ]);
    [
      "arn:aws:states:eu-west-1:1:stateMachine:etl",
      "arn:aws:states:eu-west-1:1:stateMachine:tr",
      "arn:aws:states:eu-west-1:1:stateMachine:sc",
      "curate-job",
    ].forEach((n) => names.add(n));
    [
      "planner-fn",
      "scoring-fn",
      "scoring-dlq",
      "sensors-test-glue-job-failures",
      "sensors-test",
      "ALL",
      "count",
    ].forEach((n) => names.add(n));
    const metricWidgets = body.widgets.filter((w): w is MetricWidget => w.type === "metric");
    expect(metricWidgets.every((w) => w.properties.region === "eu-west-1")).to.equal(true);
    for (const row of metricWidgets.flatMap((w) => w.properties.metrics)) {
      if (typeof row[0] !== "string") continue; // an expression
      const dims = row.slice(2).filter((v): v is string => typeof v === "string");
      for (let i = 1; i < dims.length; i += 2) expect(names.has(dims[i]!), dims[i]).to.equal(true);
    }
    // The lag and model-age panels draw their alarm's threshold, in the panel's own unit.
    const lines = (title: string) =>
      metricWidgets.find((w) => w.properties.title.startsWith(title))?.properties.annotations?.horizontal;
    expect(lines("Anomaly scoring: lag")).to.deep.equal([{ label: "lag alarm", value: 140 * 60 }]);
    expect(lines("Model: age")).to.deep.equal([{ label: "model-age alarm", value: 54 }]);
    const alarmWidget = body.widgets.find((w) => w.type === "alarm");
    expect(alarmWidget?.properties).to.deep.equal({
      title: "Alarms",
      alarms: ["arn:aws:cloudwatch:eu-west-1:1:alarm:a"],
    });
  });

  it("shows the endpoint's invocations, latency and 5xx in endpoint mode, batch transform durations otherwise", function () {
    const titles = (endpoint: boolean) =>
      buildDashboardBody(inventory(endpoint), thresholds, [])
        .widgets.filter((w): w is MetricWidget => w.type === "metric")
        .map((w) => w.properties.title);
    expect(titles(true)).to.include("Endpoint: invocations, p90 latency (µs) and 5xx");
    expect(titles(true)).to.not.include("Batch transforms: duration (s)");
    expect(titles(false)).to.include("Batch transforms: duration (s)");
  });
});

describe("operations configuration (alarms, auditTrail)", function () {
  it("defaults to every threshold's default and no audit trail; prod sets some and turns the trail on", function () {
    const dev = parsePlatformConfig(readStackFile("dev"));
    expect(dev.alarms).to.deep.equal({
      heartbeatMinutes: 15,
      lambdaErrors: 1,
      lambdaThrottles: 1,
      deadLetterMessages: 1,
      quarantinePercent: 5,
      endpointLatencyMs: 500,
      apiServerErrors: 1,
    });
    expect(dev.audit).to.deep.equal({ enabled: false, retentionDays: 365 });
    const prod = parsePlatformConfig(readStackFile("prod"));
    expect(prod.alarms).to.deep.include({ heartbeatMinutes: 10, endpointLatencyMs: 300 });
    expect(prod.audit).to.deep.equal({ enabled: true, retentionDays: 2557 });
  });

  it("reports a bad threshold under its own key, with the value, the stack file and the fix", function () {
    let message = "";
    try {
      parsePlatformConfig(
        stackConfig("dev", {
          alarms: { heartbeatMinutes: 0, latency: 5, quarantinePercent: "half", modelAgeHours: 0 },
        }),
      );
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).to.contain(
      "sensor-analytics:alarms.latency is not an alarm setting (got 5) in Pulumi.dev.yaml; fix: use one of heartbeatMinutes,",
    );
    expect(message).to.contain(
      "sensor-analytics:alarms.heartbeatMinutes must be an integer from 1 to 1440 (got 0) in Pulumi.dev.yaml; fix: set it to a value in that range, or remove it for the default",
    );
    expect(message).to.contain(
      'sensor-analytics:alarms.quarantinePercent must be a number from 0 to 100 (got "half")',
    );
    expect(message).to.contain(
      "sensor-analytics:alarms.modelAgeHours must be an integer from 1 to 8760 (got 0)",
    );
  });

  it("accepts thresholds set from the command line as text (pulumi config set --path)", function () {
    const config = parsePlatformConfig(
      stackConfig("dev", { alarms: { scoringLagMinutes: "90", modelAgeHours: "72" } }),
    );
    expect(config.alarms.scoringLagMinutes).to.equal(90);
    expect(config.alarms.modelAgeHours).to.equal(72);
  });
});

/**
 * Evaluates one period of the metric math the quarantine rate uses (numbers, ids, + - * /, parentheses,
 * FILL(x, value), MAX([a, b, ...])), a missing metric being `undefined` as in CloudWatch.
 */
function evaluateMetricMath(
  expression: string,
  values: Record<string, number | undefined>,
): number | undefined {
  const tokens = expression.match(/[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?|[-+*/(),[\]]/g)!;
  let at = 0;
  const next = () => tokens[at++];
  const expect_ = (t: string) => {
    if (next() !== t) throw new Error(`expected ${t} in ${expression}`);
  };
  const arith = (a: number | undefined, b: number | undefined, f: (x: number, y: number) => number) =>
    a === undefined || b === undefined ? undefined : f(a, b);
  const sum = (): number | undefined => {
    let value = product();
    while (tokens[at] === "+" || tokens[at] === "-") {
      const op = next();
      value = arith(value, product(), (x, y) => (op === "+" ? x + y : x - y));
    }
    return value;
  };
  const product = (): number | undefined => {
    let value = atom();
    while (tokens[at] === "*" || tokens[at] === "/") {
      const op = next();
      value = arith(value, atom(), (x, y) => (op === "*" ? x * y : x / y));
    }
    return value;
  };
  const atom = (): number | undefined => {
    const token = next()!;
    if (token === "(") {
      const value = sum();
      expect_(")");
      return value;
    }
    if (/^\d/.test(token)) return Number(token);
    if (token === "FILL") {
      expect_("(");
      const value = sum();
      expect_(",");
      const fill = sum();
      expect_(")");
      return value ?? fill;
    }
    if (token === "MAX") {
      expect_("(");
      expect_("[");
      const items = [sum()];
      while (tokens[at] === ",") {
        next();
        items.push(sum());
      }
      expect_("]");
      expect_(")");
      const present = items.filter((v): v is number => v !== undefined);
      return present.length > 0 ? Math.max(...present) : undefined;
    }
    if (!(token in values)) throw new Error(`unknown id ${token} in ${expression}`);
    return values[token];
  };
  const value = sum();
  if (at !== tokens.length) throw new Error(`unparsed tail in ${expression}`);
  return value;
}

describe("quarantine rate", function () {
  const rate = (
    readsKinesis: boolean,
    telemetry: { IncomingRecords?: number; "DataReadFromKinesisStream.Records"?: number },
    quarantined: number,
  ) => {
    const e = quarantineRateExpression("telemetry", "quarantine", 300, readsKinesis);
    const values = Object.fromEntries(
      Object.entries(e.inputs).map(([id, m]) => [
        id,
        m.dimensions.DeliveryStreamName === "quarantine"
          ? quarantined
          : telemetry[m.metricName as keyof typeof telemetry],
      ]),
    );
    return evaluateMetricMath(e.expression, values);
  };

  it("is the quarantined share of all messages for a Direct PUT telemetry stream", function () {
    expect(rate(false, { IncomingRecords: 90 }, 10)).to.equal(10);
    expect(rate(false, {}, 10)).to.equal(100);
    expect(rate(false, { IncomingRecords: 90 }, 0)).to.equal(0);
  });

  it("counts a Kinesis-sourced stream's reads once, whichever of the two metrics it publishes", function () {
    expect(rate(true, { "DataReadFromKinesisStream.Records": 90 }, 10)).to.equal(10);
    expect(rate(true, { IncomingRecords: 90 }, 10)).to.equal(10);
    expect(rate(true, { IncomingRecords: 90, "DataReadFromKinesisStream.Records": 90 }, 10)).to.equal(10);
    const e = quarantineRateExpression("telemetry", "quarantine", 300, true);
    expect(Object.values(e.inputs).map((m) => m.metricName)).to.include("DataReadFromKinesisStream.Records");
  });

  it("is what the streaming stack's alarm and dashboard use", function () {
    const base = inventory();
    const streaming: OperationsInventory<string> = {
      ...base,
      ingest: { ...base.ingest, kinesisStream: { key: "ingest", name: "ingest-stream" } },
    };
    const alarm = buildAlarmSet(streaming, thresholds, { scoringIntervalSeconds: 3600 }).find(
      (a) => a.key === "quarantine-rate",
    )!;
    expect(alarm.expression!.expression).to.contain("MAX([FILL(accepted, 0), FILL(fromstream, 0)])");
    expect(alarm.expression!.inputs.fromstream!.metricName).to.equal("DataReadFromKinesisStream.Records");
    const direct = buildAlarmSet(base, thresholds, { scoringIntervalSeconds: 3600 }).find(
      (a) => a.key === "quarantine-rate",
    )!;
    expect(direct.expression!.inputs).to.not.have.property("fromstream");
    const widgets = JSON.stringify(buildDashboardBody(streaming, thresholds, []));
    expect(widgets).to.contain("DataReadFromKinesisStream.Records");
  });
});
