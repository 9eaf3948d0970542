/**
 * How the platform wires its analytics and anomaly-detection areas: the Athena workgroup and views over the
 * lake, the QuickSight dashboard when enabled, and the anomaly pipeline scoring what Athena reads. `Platform`
 * builds them with {@link analyticsAreas}; tests that need only this slice (`tests/unit/ml/analytics-stack.ts`)
 * call the same function, so the two cannot drift.
 */
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "./config";
import { AthenaAnalytics } from "./analytics/athena-analytics";
import { QuickSightDashboard } from "./analytics/quicksight-dashboard";
import { AnomalyDetection, type AnomalyDetectionArgs } from "./ml/anomaly-detection";
import { ingestDelaySeconds } from "./ml/ml-env";
import type { ModelSettings } from "./ml/model-settings";
import type { LakeBuckets } from "./ml/pipeline-context";
import { resolveAlarmThresholds, type AlarmThresholds } from "./operations/alarm-settings";
import { approximateIntervalSeconds } from "./schedule";

/** The timings the anomaly pipeline and the alarms share, derived from the stack configuration. */
export interface PlatformTimings {
  /** Seconds a reading may still be missing from the lake after it arrived (Firehose buffering plus margin). */
  readonly ingestDelaySeconds: number;
  /** Seconds between two scoring runs (at most a day). */
  readonly scoringIntervalSeconds: number;
  readonly thresholds: AlarmThresholds;
}

export function platformTimings(config: PlatformConfig): PlatformTimings {
  const delay = ingestDelaySeconds(config.firehose.bufferSeconds);
  const scoringIntervalSeconds = Math.min(86_400, approximateIntervalSeconds(config.anomaly.scoringSchedule));
  const thresholds = resolveAlarmThresholds(config.alarms, {
    firehoseBufferSeconds: config.firehose.bufferSeconds,
    scoringIntervalSeconds,
    trainingIntervalSeconds: approximateIntervalSeconds(config.anomaly.trainingSchedule),
    ingestDelaySeconds: delay,
    streamMaxRecordAgeSeconds: config.ingestStream?.consumer.maxRecordAgeSeconds,
  });
  return { ingestDelaySeconds: delay, scoringIntervalSeconds, thresholds };
}

/** What the analytics areas are built over. */
export interface AnalyticsWiring {
  /** The lake's buckets (or existing ones, by name and ARN). */
  readonly buckets: LakeBuckets;
  /** Key of the lake: the workgroup's results, the pipeline's artifacts and logs. @default - AWS-managed keys */
  readonly kmsKeyArn?: pulumi.Input<string> | undefined;
  /** The Glue catalog database the telemetry table is in. */
  readonly databaseName: pulumi.Input<string>;
  /** The one model settings document every consumer reads. */
  readonly model: ModelSettings;
  /** Existing topics for anomaly alerts and failures (see `AnomalyDetectionArgs.existingTopics`). @default - created */
  readonly anomalyTopics?: AnomalyDetectionArgs["existingTopics"];
  /** Whether training has promoted a model (see `AnomalyDetectionArgs.modelPromoted`). */
  readonly modelPromoted?: boolean;
  readonly timings: PlatformTimings;
  readonly tags: Record<string, string>;
}

/** Athena analytics, the QuickSight dashboard (`quicksight.enabled`) and anomaly detection, children of `parent`. */
export function analyticsAreas(
  name: string,
  config: PlatformConfig,
  wiring: AnalyticsWiring,
  parent: pulumi.Resource | undefined,
): { analytics: AthenaAnalytics; quicksight?: QuickSightDashboard; anomaly: AnomalyDetection } {
  const { buckets, kmsKeyArn, tags } = wiring;
  const opts = parent ? { parent } : {};
  const analytics = new AthenaAnalytics(
    `${name}-analytics`,
    {
      deployment: config.deployment,
      databaseName: wiring.databaseName,
      resultsBucket: buckets.results,
      curatedBucket: buckets.curated,
      kmsKeyArn,
      rooms: config.fleet.rooms,
      bytesScannedCutoffPerQuery: config.athena.bytesScannedCutoffPerQuery,
      model: wiring.model,
      protectData: config.protectData,
      tags,
    },
    opts,
  );
  const quicksight = config.quicksight.enabled
    ? new QuickSightDashboard(
        `${name}-quicksight`,
        {
          deployment: config.deployment,
          principals: config.quicksight.principals,
          workGroupName: analytics.workGroupName,
          workGroupArn: analytics.workGroupArn,
          databaseName: analytics.databaseName,
          buckets: { raw: buckets.raw, curated: buckets.curated, results: buckets.results },
          kmsKeyArn,
          dependsOn: Object.values(analytics.views),
          tags,
        },
        opts,
      )
    : undefined;
  const anomaly = new AnomalyDetection(
    `${name}-anomaly`,
    {
      deployment: config.deployment,
      mode: config.anomaly.mode,
      modelPromoted: wiring.modelPromoted,
      model: wiring.model,
      trainingInstanceType: config.anomaly.trainingInstanceType,
      inferenceInstanceType: config.anomaly.inferenceInstanceType,
      inferenceInstanceCount: config.anomaly.inferenceInstanceCount,
      inferenceMaxInstances: config.anomaly.inferenceMaxInstances,
      trainingSchedule: config.anomaly.trainingSchedule,
      scoringSchedule: config.anomaly.scoringSchedule,
      buckets: {
        raw: buckets.raw,
        curated: buckets.curated,
        results: buckets.results,
        artifacts: buckets.artifacts,
      },
      kmsKeyArn,
      existingTopics: wiring.anomalyTopics,
      athena: {
        workGroupName: analytics.workGroupName,
        workGroupArn: analytics.workGroupArn,
        databaseName: analytics.databaseName,
      },
      ingestDelaySeconds: wiring.timings.ingestDelaySeconds,
      alertEmail: config.alertEmail,
      logRetentionDays: config.logRetentionDays,
      adHocScoringUrl: config.anomaly.scoringUrl,
      endpointLatencyThresholdMs: wiring.timings.thresholds.endpointLatencyMs,
      tags,
    },
    opts,
  );
  return { analytics, ...(quicksight ? { quicksight } : {}), anomaly };
}
