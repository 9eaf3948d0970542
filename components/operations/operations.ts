import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { registerDocument } from "../documents";
import { accountScopeOutput } from "../shared/aws-scope";
import { platformLogGroup } from "../shared/log-group";
import type { TopicRef } from "../shared/resource-refs";
import type { AlarmThresholds } from "./alarm-settings";
import { alarmName, AlarmSpec, buildAlarmSet } from "./alarms";
import { buildDashboardBody } from "./dashboard";
import { glueFailureEventPattern, glueFailureLogPolicy } from "./glue-failures";
import type { MetricStat, OperationsInventory } from "./inventory";

type Name = pulumi.Input<string>;

export interface OperationsArgs {
  /**
   * What to watch: the names of the stack's topic rules, streams, state machines, Glue jobs and functions, as
   * the resources' own outputs (never copies of the strings), so the dashboard and alarms follow a rename.
   */
  readonly inventory: Omit<OperationsInventory<Name>, "glueFailures">;
  /** Resolved thresholds (`resolveAlarmThresholds(config.alarms, ...)`). */
  readonly thresholds: AlarmThresholds;
  /** Seconds between scoring runs (the scoring-lag alarm's period). */
  readonly scoringIntervalSeconds: number;
  /**
   * The stack's alert topic: every alarm notifies it when it fires and when it recovers. CloudWatch publishes
   * to it, so if it is encrypted its key's policy must admit `cloudwatch.amazonaws.com` (not `alias/aws/sns`).
   */
  readonly alarmTopic: TopicRef;
  /** Key of the log group keeping failed Glue job runs (the lake key). @default - CloudWatch Logs' own encryption */
  readonly kmsKeyArn?: pulumi.Input<string> | undefined;
  readonly logRetentionDays: number;
  /** Tags merged into every taggable child. @default - none */
  readonly tags?: Record<string, string>;
}

/**
 * Operating a stack: a CloudWatch dashboard of the whole pipeline and one alarm per failure mode (see
 * `alarms.ts`), every alarm on the stack's alert topic. Failed Glue job runs are matched by an EventBridge
 * rule, kept in a log group with the error message, and counted for their alarm. Both the dashboard body and
 * the alarm set come from pure builders fed with the resources' real names; the synth writes them as the
 * documents `operations-dashboard` and `operations-alarms`.
 */
export class Operations extends pulumi.ComponentResource {
  public readonly dashboard: aws.cloudwatch.Dashboard;
  public readonly alarms: Readonly<Record<string, aws.cloudwatch.MetricAlarm>>;
  public readonly dashboardName: pulumi.Output<string>;
  /** The dashboard in the CloudWatch console. */
  public readonly dashboardUrl: pulumi.Output<string>;

  constructor(name: string, args: OperationsArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:operations:Operations", name, {}, opts);
    const tags = { ...args.tags };
    const child = { parent: this };
    const { deployment } = args.inventory;

    // Failed Glue job runs: an EventBridge rule on Glue's job state changes, into a log group people can read.
    let glueFailures: OperationsInventory<Name>["glueFailures"];
    if (args.inventory.glueJobs.length > 0) {
      const logGroup = platformLogGroup(
        `${name}-glue-failures`,
        {
          // EventBridge writes to CloudWatch Logs under /aws/events/.
          name: `/aws/events/${deployment}/glue-job-failures`,
          retentionDays: args.logRetentionDays,
          kmsKeyArn: args.kmsKeyArn,
          tags,
        },
        child,
      );
      const rule = new aws.cloudwatch.EventRule(
        `${name}-glue-failures`,
        {
          name: `${deployment}-glue-job-failures`,
          description: `Failed, timed-out or errored runs of the ${deployment} Glue jobs`,
          eventPattern: pulumi.jsonStringify(
            pulumi.output(args.inventory.glueJobs.map((j) => j.name)).apply(glueFailureEventPattern),
          ),
          tags,
        },
        child,
      );
      const policy = pulumi
        .all([logGroup.arn, rule.arn])
        .apply(([logGroupArn, ruleArn]) => glueFailureLogPolicy(logGroupArn, ruleArn));
      registerDocument(this, "logs-glue-failures-resource-policy", "json", policy);
      const access = new aws.cloudwatch.LogResourcePolicy(
        `${name}-glue-failures`,
        { policyName: `${deployment}-glue-job-failures`, policyDocument: pulumi.jsonStringify(policy) },
        child,
      );
      new aws.cloudwatch.EventTarget(
        `${name}-glue-failures`,
        { rule: rule.name, arn: logGroup.arn },
        { parent: this, dependsOn: [access] },
      );
      glueFailures = { ruleName: rule.name, logGroup: logGroup.name };
    }
    const inventory: OperationsInventory<Name> = { ...args.inventory, glueFailures };

    const specs = buildAlarmSet(inventory, args.thresholds, {
      scoringIntervalSeconds: args.scoringIntervalSeconds,
    });
    registerDocument(
      this,
      "operations-alarms",
      "json",
      pulumi.output(specs).apply((resolved) =>
        resolved.map(({ key, description, ...spec }) => ({
          name: alarmName(deployment, key),
          description: description.join(""),
          ...spec,
        })),
      ),
    );
    const alarms: Record<string, aws.cloudwatch.MetricAlarm> = {};
    for (const spec of specs) {
      alarms[spec.key] = new aws.cloudwatch.MetricAlarm(
        `${name}-${spec.key}`,
        {
          name: alarmName(deployment, spec.key),
          alarmDescription: pulumi.concat(...spec.description),
          ...alarmMetric(spec),
          comparisonOperator: spec.comparison,
          threshold: spec.threshold,
          evaluationPeriods: spec.evaluationPeriods,
          datapointsToAlarm: spec.datapointsToAlarm,
          treatMissingData: spec.treatMissingData,
          alarmActions: [args.alarmTopic.arn],
          okActions: [args.alarmTopic.arn],
          tags,
        },
        child,
      );
    }
    this.alarms = alarms;

    const body = pulumi
      .all([pulumi.output(inventory), Object.values(alarms).map((a) => a.arn)])
      .apply(([resolved, alarmArns]) => buildDashboardBody(resolved, args.thresholds, alarmArns));
    registerDocument(this, "operations-dashboard", "json", body);
    this.dashboard = new aws.cloudwatch.Dashboard(
      `${name}-dashboard`,
      { dashboardName: `${deployment}-operations`, dashboardBody: pulumi.jsonStringify(body) },
      child,
    );
    this.dashboardName = this.dashboard.dashboardName;
    const scope = accountScopeOutput(this);
    this.dashboardUrl = pulumi.interpolate`https://${scope.region}.console.aws.amazon.com/cloudwatch/home?region=${scope.region}#dashboards/dashboard/${this.dashboard.dashboardName}`;
    this.registerOutputs({
      dashboardName: this.dashboardName,
      dashboardUrl: this.dashboardUrl,
      alarmNames: Object.values(alarms).map((a) => a.name),
    });
  }
}

/** The metric part of a MetricAlarm's args for a spec: one metric, or metric math over named inputs. */
function alarmMetric(
  spec: AlarmSpec<Name>,
): Pick<
  aws.cloudwatch.MetricAlarmArgs,
  "namespace" | "metricName" | "dimensions" | "statistic" | "extendedStatistic" | "period" | "metricQueries"
> {
  if (spec.metric) {
    const m = spec.metric;
    const percentile = /^p\d/.test(m.stat);
    return {
      namespace: m.namespace,
      metricName: m.metricName,
      dimensions: m.dimensions,
      period: m.period,
      ...(percentile ? { extendedStatistic: m.stat } : { statistic: m.stat }),
    };
  }
  const e = spec.expression!;
  const input = (id: string, m: MetricStat<Name>) => ({
    id,
    returnData: false,
    metric: {
      namespace: m.namespace,
      metricName: m.metricName,
      dimensions: m.dimensions,
      stat: m.stat,
      period: m.period,
    },
  });
  return {
    metricQueries: [
      { id: "alarm", expression: e.expression, label: e.label, returnData: true },
      ...Object.entries(e.inputs).map(([id, m]) => input(id, m)),
    ],
  };
}
