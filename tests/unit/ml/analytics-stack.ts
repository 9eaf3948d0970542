/**
 * Runs the analytics and anomaly-detection components under mocks for a stack, wired the way
 * components/platform.ts wires them (the lake from the foundation, a catalog database standing in for the
 * ingest area's), and returns what they registered. Shared by the analytics and ML component tests.
 */
import * as aws from "@pulumi/aws";
import { parsePlatformConfig, PlatformConfig } from "../../../components/config";
import { DataLake, type LakeEncryption } from "../../../components/lake/lake";
import { Etl } from "../../../components/etl/etl";
import { platformEtlArgs } from "../etl/run-etl";
import { bucketRef } from "../../../components/shared/resource-refs";
import { AthenaAnalytics } from "../../../components/analytics/athena-analytics";
import { QuickSightDashboard } from "../../../components/analytics/quicksight-dashboard";
import { AnomalyDetection } from "../../../components/ml/anomaly-detection";
import { buildModelSettings } from "../../../components/ml/model-settings";
import { ingestDelaySeconds } from "../../../components/ml/ml-env";
import { recorded, Recorded, runUnderMocks, stackConfig, ProgramRun } from "../../helpers/mocks";
import { platformPolicies, PlatformPolicy } from "../../../policies/rules";
import { analyticsPolicies } from "../../../policies/rules/analytics";
import { mlPolicies } from "../../../policies/rules/ml";
import { lambdaPolicies } from "../../../policies/rules/lambda";
import { logsPolicies } from "../../../policies/rules/logs";

/** The policy pack with this area's rules, whether or not policies/rules.ts lists them yet (each rule once). */
export function withAnalyticsRules(): PlatformPolicy[] {
  const all = [...platformPolicies, ...analyticsPolicies, ...mlPolicies, ...lambdaPolicies, ...logsPolicies];
  return all.filter((p, i) => all.findIndex((q) => q.name === p.name) === i);
}

export type AnalyticsRun = ProgramRun<PlatformConfig> & Recorded;

/** Options the stack config does not have: the ad-hoc scoring URL, and the deployment's state. */
export interface SliceOptions {
  readonly adHocScoringUrl?: boolean;
  /** Whether training has promoted a model (what index.ts looks up). @default true */
  readonly modelPromoted?: boolean;
  /**
   * Analytics and ML take buckets another program made, looked up with `aws.s3.Bucket.get` (IDs
   * `existing-<role>`), instead of the lake's. @default false
   */
  readonly existingBuckets?: boolean;
  /** The lake's encryption; every component takes the lake's key (none with "s3-managed"). @default "create-key" */
  readonly lakeEncryption?: LakeEncryption;
  /** Compose the ETL over the same lake too. @default false */
  readonly etl?: boolean;
}

export async function runAnalyticsSlice(
  stack: string,
  overrides: Record<string, unknown> = {},
  options: SliceOptions = {},
): Promise<AnalyticsRun> {
  const raw = stackConfig(stack, overrides);
  const run = await runUnderMocks(raw, () => {
    const config = parsePlatformConfig(raw);
    const name = config.deployment;
    const tags = { ...config.tags };
    const lake = new DataLake(`${name}-lake`, {
      rawRetentionDays: config.lake.rawRetentionDays,
      curatedRetentionDays: config.lake.curatedRetentionDays,
      protectData: config.protectData,
      encryption: options.lakeEncryption,
      tags,
    });
    const kmsKeyArn = lake.kmsKeyArn;
    const buckets = options.existingBuckets
      ? {
          raw: bucketRef(aws.s3.Bucket.get("existing-raw", "existing-raw")),
          curated: bucketRef(aws.s3.Bucket.get("existing-curated", "existing-curated")),
          results: bucketRef(aws.s3.Bucket.get("existing-results", "existing-results")),
          artifacts: bucketRef(aws.s3.Bucket.get("existing-artifacts", "existing-artifacts")),
        }
      : lake.buckets;
    const database = new aws.glue.CatalogDatabase(`${name}-catalog`, { name: config.lake.catalogDatabase });
    const analytics = new AthenaAnalytics(`${name}-analytics`, {
      deployment: name,
      databaseName: database.name,
      resultsBucket: buckets.results,
      curatedBucket: buckets.curated,
      kmsKeyArn,
      rooms: config.fleet.rooms,
      bytesScannedCutoffPerQuery: config.athena.bytesScannedCutoffPerQuery,
      model: buildModelSettings(config.anomaly),
      protectData: config.protectData,
      tags,
    });
    if (config.quicksight.enabled) {
      new QuickSightDashboard(`${name}-quicksight`, {
        deployment: name,
        principals: config.quicksight.principals,
        workGroupName: analytics.workGroupName,
        workGroupArn: analytics.workGroupArn,
        databaseName: analytics.databaseName,
        buckets: { raw: buckets.raw, curated: buckets.curated, results: buckets.results },
        kmsKeyArn,
        dependsOn: Object.values(analytics.views),
        tags,
      });
    }
    new AnomalyDetection(`${name}-anomaly`, {
      deployment: name,
      mode: config.anomaly.mode,
      modelPromoted: options.modelPromoted ?? true,
      model: buildModelSettings(config.anomaly),
      trainingInstanceType: config.anomaly.trainingInstanceType,
      inferenceInstanceType: config.anomaly.inferenceInstanceType,
      inferenceInstanceCount: config.anomaly.inferenceInstanceCount,
      inferenceMaxInstances: config.anomaly.inferenceMaxInstances,
      trainingSchedule: config.anomaly.trainingSchedule,
      scoringSchedule: config.anomaly.scoringSchedule,
      buckets,
      kmsKeyArn,
      athena: {
        workGroupName: analytics.workGroupName,
        workGroupArn: analytics.workGroupArn,
        databaseName: analytics.databaseName,
      },
      ingestDelaySeconds: ingestDelaySeconds(config.firehose.bufferSeconds),
      alertEmail: config.alertEmail,
      logRetentionDays: config.logRetentionDays,
      adHocScoringUrl: options.adHocScoringUrl,
      tags,
    });
    if (options.etl) new Etl(`${name}-etl`, platformEtlArgs(config, buckets, kmsKeyArn, tags));
    return config;
  });
  return Object.assign(run, recorded(run.resources));
}
