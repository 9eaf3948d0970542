// The operations dashboard, alarms and audit trail as the synth of the shipped stacks writes them: every metric
// on the dashboard and every alarm refers to a resource of the same synth by its real name, every alarm notifies
// the stack's alert topic, the streaming stack's stream, API, source functions and their queues are watched, and
// the audit trail is on in prod only.
import { expect } from "chai";
import type { DashboardBody } from "../../../components/operations/dashboard";
import { readSynthJson, synthOnce } from "../../helpers/synth-runs";

interface Row {
  type: string;
  name: string;
  id?: string;
  inputs: Record<string, unknown>;
}

/** The names a resource answers to: its name input, its ID, and the last segment of an ARN or URL ID. */
function namesOf(row: Row): string[] {
  const names = [row.inputs.name, row.inputs.dashboardName, row.id].filter(
    (n): n is string => typeof n === "string",
  );
  if (row.id) names.push(row.id.split(/[:/]/).pop()!);
  return names;
}

/** Which resources a dimension's value must name, by namespace and dimension. */
const DIMENSION_TYPES: Record<string, string> = {
  "AWS/IoT RuleName": "aws:iot/topicRule:TopicRule",
  "AWS/Firehose DeliveryStreamName": "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
  "AWS/States StateMachineArn": "aws:sfn/stateMachine:StateMachine",
  "Glue JobName": "aws:glue/job:Job",
  "AWS/Lambda FunctionName": "aws:lambda/function:Function",
  "AWS/SQS QueueName": "aws:sqs/queue:Queue",
  "AWS/SageMaker EndpointName": "aws:sagemaker/endpoint:Endpoint",
  "AWS/Events RuleName": "aws:cloudwatch/eventRule:EventRule",
  "AWS/Kinesis StreamName": "aws:kinesis/stream:Stream",
  "AWS/ApiGateway ApiId": "aws:apigatewayv2/api:Api",
  "AWS/ApiGateway Stage": "aws:apigatewayv2/stage:Stage",
};

/** Checks one metric's dimensions against the synth; returns the resources it names. */
function resolveMetric(rows: Row[], namespace: string, dimensions: Record<string, string>): Row[] {
  const found: Row[] = [];
  for (const [dimension, value] of Object.entries(dimensions)) {
    const where = `${namespace} ${dimension}=${value}`;
    if (namespace === "Glue" && (dimension === "JobRunId" || dimension === "Type")) {
      expect(value, where).to.be.oneOf(["ALL", "count"]);
    } else if (namespace === "AWS/SageMaker" && dimension === "VariantName") {
      const variants = rows
        .filter((r) => r.type === "aws:sagemaker/endpointConfiguration:EndpointConfiguration")
        .flatMap((r) => (r.inputs.productionVariants as { variantName: string }[]).map((v) => v.variantName));
      expect(variants, where).to.include(value);
    } else if (namespace === "SensorAnalytics/Pipeline") {
      // The pipeline metrics' dimension is the deployment the publishing functions are told.
      expect(dimension, where).to.equal("Deployment");
      const deployments = rows
        .filter((r) => r.type === "aws:lambda/function:Function")
        .map((r) => (r.inputs.environment as { variables?: Record<string, string> }).variables?.DEPLOYMENT);
      expect(deployments, where).to.include(value);
    } else {
      const type = DIMENSION_TYPES[`${namespace} ${dimension}`];
      expect(type, `no resource type known for ${where}`).to.be.a("string");
      const match = rows.filter((r) => r.type === type && namesOf(r).includes(value));
      expect(match, `${where} names no ${type} of the synth`).to.have.length(1);
      found.push(match[0]!);
    }
  }
  return found;
}

/** namespace and dimensions of a dashboard metric row `[ns, name, dim, value, ..., options]`. */
function rowMetric(row: unknown[]): { namespace: string; dimensions: Record<string, string> } | undefined {
  if (typeof row[0] !== "string") return undefined; // metric math
  const parts = row.slice(2).filter((v): v is string => typeof v === "string");
  const dimensions: Record<string, string> = {};
  for (let i = 0; i < parts.length; i += 2) dimensions[parts[i]!] = parts[i + 1]!;
  return { namespace: row[0], dimensions };
}

const ofType = (rows: Row[], type: string) => rows.filter((r) => r.type === type);

/**
 * The functions that run while the stack does: all but those the deployment itself invokes once
 * (`aws.lambda.Invocation`, the demo database's seed), whose failure fails `pulumi up` where the operator sees it.
 */
function watchedFunctions(rows: Row[]): Row[] {
  const invoked = new Set(ofType(rows, "aws:lambda/invocation:Invocation").map((i) => i.inputs.functionName));
  return ofType(rows, "aws:lambda/function:Function").filter((f) => !invoked.has(f.id));
}

/** The resources a dashboard's metrics name (each checked against the synth). */
function dashboardResources(rows: Row[], dashboard: DashboardBody, region: string): Set<Row> {
  const named = new Set<Row>();
  for (const widget of dashboard.widgets) {
    if (widget.type !== "metric") continue;
    expect(widget.properties.region).to.equal(region);
    for (const row of widget.properties.metrics) {
      const metric = rowMetric(row);
      if (metric) resolveMetric(rows, metric.namespace, metric.dimensions).forEach((r) => named.add(r));
    }
  }
  return named;
}

/**
 * Every alarm notifies `topic`, says what broke, and reads metrics of resources of the synth; every function
 * has its errors and throttles alarms, every queue (all are dead-letter queues) its depth alarm, every topic
 * rule its error-action alarm. Returns the alarms.
 */
function checkAlarms(rows: Row[], topic: string): Row[] {
  const alarms = ofType(rows, "aws:cloudwatch/metricAlarm:MetricAlarm");
  for (const alarm of alarms) {
    expect(alarm.inputs.alarmActions, alarm.name).to.deep.equal([topic]);
    expect(alarm.inputs.alarmDescription, alarm.name).to.be.a("string").and.have.length.above(60);
    const queries = (alarm.inputs.metricQueries as { metric?: Record<string, unknown> }[] | undefined) ?? [];
    const metrics =
      queries.length > 0 ? queries.flatMap((q) => (q.metric ? [q.metric] : [])) : [alarm.inputs];
    for (const m of metrics)
      resolveMetric(rows, m.namespace as string, (m.dimensions as Record<string, string>) ?? {});
  }
  const dimensionValues = (metricName: string, dimension: string) =>
    alarms
      .filter((a) => a.inputs.metricName === metricName)
      .map((a) => (a.inputs.dimensions as Record<string, string>)[dimension]);
  for (const fn of watchedFunctions(rows)) {
    expect(dimensionValues("Errors", "FunctionName"), fn.name).to.include(fn.id);
    expect(dimensionValues("Throttles", "FunctionName"), fn.name).to.include(fn.id);
  }
  const errorActionRules = alarms.flatMap((a) =>
    (
      (a.inputs.metricQueries as { metric?: { metricName: string; dimensions: Record<string, string> } }[]) ??
      []
    )
      .filter((q) => q.metric?.metricName === "ErrorActionFailure")
      .map((q) => q.metric!.dimensions.RuleName),
  );
  for (const rule of ofType(rows, "aws:iot/topicRule:TopicRule"))
    expect(errorActionRules, rule.name).to.include(rule.inputs.name);
  for (const queue of ofType(rows, "aws:sqs/queue:Queue"))
    expect(dimensionValues("ApproximateNumberOfMessagesVisible", "QueueName"), queue.name).to.include(
      queue.id!.split("/").pop(),
    );
  return alarms;
}

/** The period of an alarm: its metric's, or the longest of its metric math inputs'. */
function alarmPeriod(alarm: Row): number {
  const queries = (alarm.inputs.metricQueries as { metric?: { period: number } }[] | undefined) ?? [];
  const periods = queries.flatMap((q) => (q.metric ? [q.metric.period] : []));
  return periods.length > 0 ? Math.max(...periods) : (alarm.inputs.period as number);
}

/**
 * The alarms CloudWatch would refuse for their evaluation range (PutMetricAlarm: Period × EvaluationPeriods at
 * most 86,400 s for periods under 3,600 s, at most 604,800 s otherwise).
 */
function evaluationRangeProblems(alarms: Row[]): string[] {
  return alarms.flatMap((alarm) => {
    const period = alarmPeriod(alarm);
    const periods = alarm.inputs.evaluationPeriods as number;
    const limit = period < 3600 ? 86_400 : 604_800;
    return period * periods > limit || period % 60 !== 0
      ? [`${String(alarm.inputs.name)}: ${period} s × ${periods} (at most ${limit} s)`]
      : [];
  });
}

describe("operations in the synth of the shipped stacks", function () {
  this.timeout(180_000);
  let prod: Row[];
  let dev: Row[];
  let prodOutputs: Record<string, unknown>;
  let dashboard: DashboardBody;
  let streaming: Row[];
  let streamingOutputs: Record<string, unknown>;
  let streamingDashboard: DashboardBody;
  before(async function () {
    const [p, d, st] = await Promise.all([synthOnce("prod"), synthOnce("dev"), synthOnce("streaming")]);
    streaming = readSynthJson<Row[]>(st, "resources.json");
    streamingOutputs = readSynthJson<Record<string, unknown>>(st, "outputs.json");
    streamingDashboard = readSynthJson<DashboardBody>(st, "documents/operations-dashboard.json");
    prod = readSynthJson<Row[]>(p, "resources.json");
    dev = readSynthJson<Row[]>(d, "resources.json");
    prodOutputs = readSynthJson<Record<string, unknown>>(p, "outputs.json");
    dashboard = readSynthJson<DashboardBody>(p, "documents/operations-dashboard.json");
  });
  it("prod deploys the dashboard the synth wrote, and each of its metrics names a resource of the same synth", function () {
    const [resource] = ofType(prod, "aws:cloudwatch/dashboard:Dashboard");
    expect(resource!.inputs.dashboardName).to.equal("sensors-prod-operations");
    expect(JSON.parse(resource!.inputs.dashboardBody as string)).to.deep.equal(dashboard);
    const named = dashboardResources(prod, dashboard, "us-east-1");
    const metrics = dashboard.widgets.flatMap((w) => (w.type === "metric" ? w.properties.metrics : []));
    expect(metrics.filter((row) => rowMetric(row))).to.have.length.greaterThan(30);
    // Nothing the pipeline runs is missing from the dashboard.
    for (const type of [
      "aws:iot/topicRule:TopicRule",
      "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
      "aws:sfn/stateMachine:StateMachine",
      "aws:glue/job:Job",
      "aws:lambda/function:Function",
      "aws:sagemaker/endpoint:Endpoint",
    ])
      for (const r of ofType(prod, type))
        expect(named.has(r), `${type} ${r.name} is not on the dashboard`).to.equal(true);
    const titles = dashboard.widgets.flatMap((w) => (w.type === "metric" ? [w.properties.title] : []));
    expect(titles).to.include.members([
      "IoT Core: messages in and rule errors",
      "Quarantine rate (% of messages rejected)",
      "Firehose: data freshness (s)",
      "Lake delivery failures",
      "Executions: ETL, training and scoring",
      "Glue: job durations (ms) and failed runs",
      "Anomaly scoring: lag (s) and anomalies per hour",
      "Endpoint: invocations, p90 latency (µs) and 5xx",
      "Lambda: errors and throttles",
    ]);
  });

  it("prod alarms on the heartbeat, rule errors, Firehose freshness, state machine failures and every function's errors, each on the alert topic", function () {
    const topic = prodOutputs.alarmTopicArn as string;
    expect(topic).to.match(/^arn:aws:sns:us-east-1:\d{12}:/);
    const alarms = checkAlarms(prod, topic);
    const names = alarms.map((a) => a.inputs.name);
    expect(names).to.include.members([
      "sensors-prod-heartbeat",
      "sensors-prod-rule-errors-telemetry",
      "sensors-prod-rule-errors-quarantine",
      "sensors-prod-firehose-freshness-telemetry",
      "sensors-prod-firehose-delivery-telemetry",
      "sensors-prod-sfn-failed-etl",
      "sensors-prod-sfn-failed-training",
      "sensors-prod-sfn-failed-scoring",
      "sensors-prod-sfn-not-started-etl",
      "sensors-prod-sfn-not-started-training",
      "sensors-prod-sfn-not-started-scoring",
      "sensors-prod-glue-job-failures",
      "sensors-prod-scoring-lag",
      "sensors-prod-model-age",
      "sensors-prod-rcf-latency",
      "sensors-prod-rcf-5xx",
    ]);
    const heartbeat = alarms.find((a) => a.inputs.name === "sensors-prod-heartbeat")!;
    expect(heartbeat.inputs).to.deep.include({ evaluationPeriods: 10, treatMissingData: "breaching" }); // Pulumi.prod.yaml
    const latency = alarms.find((a) => a.inputs.name === "sensors-prod-rcf-latency")!;
    expect(latency.inputs.threshold).to.equal(300 * 1000); // alarms.endpointLatencyMs, in µs
    // trainingSchedule cron(0 3 * * ? *), daily: two days plus 6 hours; judged once per 15-minute scoring run.
    const modelAge = alarms.find((a) => a.inputs.name === "sensors-prod-model-age")!;
    expect(modelAge.inputs).to.deep.include({
      threshold: 54 * 3600,
      period: 900,
      metricName: "ModelAgeSeconds",
    });
  });

  it("dev and prod alarm when a scheduled state machine is no longer started, over its schedule's longest gap; no alarm exceeds CloudWatch's evaluation range", function () {
    // [machine, schedule in the stack file, period, evaluation periods]: the gap plus 10% (at least 5 minutes)
    // in one period of at most a day, and one period more (the newest is still filling).
    const expected = {
      dev: [
        ["etl", "cron(0 */6 * * ? *)", 23_760, 2],
        ["training", "rate(1 day)", 86_400, 3],
        ["scoring", "rate(1 hour)", 3960, 2],
      ],
      prod: [
        ["etl", "cron(15 1 * * ? *)", 86_400, 3],
        ["training", "cron(0 3 * * ? *)", 86_400, 3],
        ["scoring", "rate(15 minutes)", 1200, 2],
      ],
    } as const;
    for (const [stack, rows] of [
      ["dev", dev],
      ["prod", prod],
    ] as const) {
      const alarms = ofType(rows, "aws:cloudwatch/metricAlarm:MetricAlarm");
      expect(evaluationRangeProblems(alarms), stack).to.deep.equal([]);
      const byName = Object.fromEntries(alarms.map((a) => [a.inputs.name as string, a.inputs]));
      const schedules = ofType(rows, "aws:scheduler/schedule:Schedule");
      for (const [machine, expression, period, evaluationPeriods] of expected[stack]) {
        const alarm = byName[`sensors-${stack}-sfn-not-started-${machine}`];
        expect(alarm, `${stack} ${machine}`).to.deep.include({
          namespace: "AWS/States",
          metricName: "ExecutionsStarted",
          statistic: "Sum",
          comparisonOperator: "LessThanThreshold",
          threshold: 1,
          treatMissingData: "breaching",
          period,
          evaluationPeriods,
          datapointsToAlarm: evaluationPeriods,
        });
        // The same machine as its failure alarm, and the schedule that starts it named in the description.
        const arn = (alarm!.dimensions as Record<string, string>).StateMachineArn!;
        const failed = byName[`sensors-${stack}-sfn-failed-${machine}`]!.metricQueries as {
          metric?: { dimensions: Record<string, string> };
        }[];
        expect(failed.find((q) => q.metric)!.metric!.dimensions.StateMachineArn).to.equal(arn);
        resolveMetric(rows, "AWS/States", { StateMachineArn: arn });
        const schedule = schedules.find((r) => (r.inputs.target as { arn: string }).arn === arn);
        expect(schedule?.inputs.scheduleExpression, `${stack} ${machine}`).to.equal(expression);
        const description = alarm!.alarmDescription as string;
        expect(description).to.contain(`while its schedule ${expression}`);
        // A schedule's ID is `<group>/<name>`.
        expect(description).to.contain(`EventBridge Scheduler schedule ${schedule!.id!.split("/").pop()!} `);
      }
    }
  });

  it("streaming watches the Kinesis stream, the HTTP API, the sources' functions and their dead-letter queues by their real names", function () {
    const alarms = checkAlarms(streaming, streamingOutputs.alarmTopicArn as string);
    expect(evaluationRangeProblems(alarms)).to.deep.equal([]);
    const byName = Object.fromEntries(alarms.map((a) => [a.inputs.name as string, a.inputs]));
    const [kinesis] = ofType(streaming, "aws:kinesis/stream:Stream");
    const streamName = kinesis!.id!; // auto-named: its ID is its name
    const fn = (name: string) =>
      ofType(streaming, "aws:lambda/function:Function").find((f) => f.name === name)!;
    const queue = (name: string) =>
      ofType(streaming, "aws:sqs/queue:Queue")
        .find((q) => q.name === name)!
        .id!.split("/")
        .pop();
    expect(byName["sensors-streaming-kinesis-iterator-age-ingest"]).to.deep.include({
      namespace: "AWS/Kinesis",
      metricName: "GetRecords.IteratorAgeMilliseconds",
      dimensions: { StreamName: streamName },
      threshold: 300_000, // the consumer's maxRecordAgeSeconds is 3600: capped at 5 minutes
    });
    expect(byName["sensors-streaming-kinesis-throttles-ingest"]).to.deep.include({
      metricName: "WriteProvisionedThroughputExceeded",
      dimensions: { StreamName: streamName },
    });
    const [api] = ofType(streaming, "aws:apigatewayv2/api:Api");
    expect(byName["sensors-streaming-api-5xx-telemetry"]).to.deep.include({
      namespace: "AWS/ApiGateway",
      metricName: "5xx",
      dimensions: { ApiId: api!.id, Stage: "$default" },
    });
    for (const [key, resource] of [
      ["realtime-consumer", "sensors-streaming-realtime-consumer"],
      ["https-ingest", "sensors-streaming-api-ingest"],
      ["latest-state", "sensors-streaming-api-latest-state"],
      ["poller-roof-weather", "sensors-streaming-pollers-roof-weather"],
    ] as const) {
      expect(byName[`sensors-streaming-lambda-errors-${key}`]?.dimensions, key).to.deep.equal({
        FunctionName: fn(resource).id,
      });
      expect(byName[`sensors-streaming-lambda-throttles-${key}`], key).to.not.equal(undefined);
    }
    expect(byName["sensors-streaming-dlq-realtime-consumer"]!.dimensions).to.deep.equal({
      QueueName: queue("sensors-streaming-realtime-dlq"),
    });
    expect(byName["sensors-streaming-dlq-poller-roof-weather"]!.dimensions).to.deep.equal({
      QueueName: queue("sensors-streaming-pollers-roof-weather-dlq"),
    });
    // The telemetry rule writes the Kinesis stream: its error alarm names it, not the Firehose stream.
    const telemetryRule = byName["sensors-streaming-rule-errors-telemetry"]!.alarmDescription as string;
    expect(telemetryRule).to.contain(`its Kinesis stream ${streamName} `);
    expect(telemetryRule).to.not.contain("Firehose stream");

    const named = dashboardResources(streaming, streamingDashboard, "eu-west-1");
    for (const type of ["aws:kinesis/stream:Stream", "aws:apigatewayv2/api:Api", "aws:sqs/queue:Queue"])
      for (const r of [...ofType(streaming, type), ...watchedFunctions(streaming)])
        expect(named.has(r), `${type} ${r.name} is not on the dashboard`).to.equal(true);
  });

  it("prod records the lake buckets' data events in a validated, encrypted trail in the log bucket, which admits only it", function () {
    const [trail] = ofType(prod, "aws:cloudtrail/trail:Trail");
    expect(trail!.inputs).to.deep.include({
      name: "sensors-prod-audit",
      enableLogFileValidation: true,
      s3KeyPrefix: "cloudtrail",
      isMultiRegionTrail: false,
    });
    const buckets = Object.fromEntries(
      ofType(prod, "aws:s3/bucket:Bucket").map((b) => [b.name.replace("sensors-prod-lake-", ""), b.id!]),
    );
    expect(trail!.inputs.s3BucketName).to.equal(buckets.logs);
    const keyArn = trail!.inputs.kmsKeyId as string;
    const key = ofType(prod, "aws:kms/key:Key").find((k) => keyArn.endsWith(k.id!))!;
    expect(key.name).to.equal("sensors-prod-audit-key");
    const selectors = trail!.inputs.advancedEventSelectors as {
      fieldSelectors: { field: string; startsWiths?: string[] }[];
    }[];
    const arns = selectors[0]!.fieldSelectors.find((f) => f.field === "resources.ARN")!.startsWiths;
    expect(arns).to.deep.equal(
      ["raw", "curated", "results", "artifacts"].map((b) => `arn:aws:s3:::${buckets[b]}/`),
    );
    const logsPolicy = ofType(prod, "aws:s3/bucketPolicy:BucketPolicy").find(
      (p) => p.inputs.bucket === buckets.logs,
    )!;
    const statements = (
      JSON.parse(logsPolicy.inputs.policy as string) as { Statement: Record<string, unknown>[] }
    ).Statement;
    const put = statements.find((s) => s.Sid === "AllowCloudTrailLogDelivery")!;
    expect(put.Resource).to.equal(`arn:aws:s3:::${buckets.logs}/cloudtrail/AWSLogs/111122223333/*`);
    expect(put.Condition).to.deep.equal({
      StringEquals: {
        "s3:x-amz-acl": "bucket-owner-full-control",
        "aws:SourceArn": "arn:aws:cloudtrail:us-east-1:111122223333:trail/sensors-prod-audit",
      },
    });
    const lifecycle = ofType(prod, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").find(
      (l) => l.inputs.bucket === buckets.logs,
    )!;
    const rules = lifecycle.inputs.rules as {
      id: string;
      filter: { prefix: string };
      expiration?: { days: number };
    }[];
    expect(rules.find((r) => r.id === "expire-audit-trail")).to.deep.include({
      filter: { prefix: "cloudtrail/" },
      expiration: { days: 2557 },
    });
    expect(rules.find((r) => r.id === "expire-access-logs")!.filter).to.deep.equal({ prefix: "s3-access/" });
  });

  it("dev has the same alarms in batch mode, no trail, and a log bucket that admits no CloudTrail", function () {
    expect(ofType(dev, "aws:cloudtrail/trail:Trail")).to.deep.equal([]);
    const policies = ofType(dev, "aws:s3/bucketPolicy:BucketPolicy").map((p) => p.inputs.policy as string);
    expect(policies.some((p) => p.includes("cloudtrail.amazonaws.com"))).to.equal(false);
    const names = ofType(dev, "aws:cloudwatch/metricAlarm:MetricAlarm").map((a) => a.inputs.name);
    expect(names).to.include.members(["sensors-dev-heartbeat", "sensors-dev-scoring-lag"]);
    expect(names).to.not.include("sensors-dev-rcf-latency");
  });
});
