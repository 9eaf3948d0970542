/**
 * Runs the analytics and anomaly-detection areas under mocks for a stack, wired by the platform's own
 * `analyticsAreas` (components/platform-analytics.ts) over a lake and a catalog database standing in for the
 * ingest area's, and returns what they registered. Shared by the analytics and ML component tests.
 */
import * as aws from "@pulumi/aws";
import { parsePlatformConfig, PlatformConfig } from "../../../components/config";
import { Etl } from "../../../components/etl/etl";
import type { AnomalyDetectionArgs } from "../../../components/ml/anomaly-detection";
import { DataLake, type LakeEncryption } from "../../../components/lake/lake";
import { bucketRef } from "../../../components/shared/resource-refs";
import { buildModelSettings } from "../../../components/ml/model-settings";
import { analyticsAreas, platformTimings } from "../../../components/platform-analytics";
import { recorded, Recorded, runUnderMocks, stackConfig, ProgramRun } from "../../helpers/mocks";
import { platformEtlArgs } from "../etl/run-etl";

export type AnalyticsRun = ProgramRun<PlatformConfig> & Recorded;

/** Options the stack config does not have: the ad-hoc scoring URL, and the deployment's state. */
export interface SliceOptions {
  /** The ad-hoc scoring URL (`anomalyScoringUrl`), set past the config's check. @default - the stack's */
  readonly adHocScoringUrl?: boolean;
  /** Whether training has promoted a model (what index.ts looks up). @default true */
  readonly modelPromoted?: boolean;
  /**
   * Analytics and ML take buckets another program made, looked up with `aws.s3.Bucket.get` (IDs
   * `existing-<role>`), instead of the lake's. @default false
   */
  readonly existingBuckets?: boolean;
  /** The lake's encryption; every area takes the lake's key (none with "s3-managed"). @default "create-key" */
  readonly lakeEncryption?: LakeEncryption;
  /** Existing anomaly topics (`AnomalyDetectionArgs.existingTopics`). @default - created */
  readonly anomalyTopics?: AnomalyDetectionArgs["existingTopics"];
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
    const parsed = parsePlatformConfig(raw);
    // Past the config's own check, so the component's validation of the URL is what answers.
    const config: PlatformConfig =
      options.adHocScoringUrl === undefined
        ? parsed
        : { ...parsed, anomaly: { ...parsed.anomaly, scoringUrl: options.adHocScoringUrl } };
    const name = config.deployment;
    const tags = { ...config.tags };
    const lake = new DataLake(`${name}-lake`, {
      rawRetentionDays: config.lake.rawRetentionDays,
      curatedRetentionDays: config.lake.curatedRetentionDays,
      protectData: config.protectData,
      encryption: options.lakeEncryption,
      tags,
    });
    const existing = (role: string) => bucketRef(aws.s3.Bucket.get(`existing-${role}`, `existing-${role}`));
    const buckets = options.existingBuckets
      ? {
          raw: existing("raw"),
          curated: existing("curated"),
          results: existing("results"),
          artifacts: existing("artifacts"),
        }
      : lake.buckets;
    const database = new aws.glue.CatalogDatabase(`${name}-catalog`, { name: config.lake.catalogDatabase });
    analyticsAreas(
      name,
      config,
      {
        buckets,
        kmsKeyArn: lake.kmsKeyArn,
        anomalyTopics: options.anomalyTopics,
        databaseName: database.name,
        model: buildModelSettings(config.anomaly),
        modelPromoted: options.modelPromoted ?? true,
        timings: platformTimings(config),
        tags,
      },
      undefined,
    );
    if (options.etl) new Etl(`${name}-etl`, platformEtlArgs(config, buckets, lake.kmsKeyArn, tags));
    return config;
  });
  return Object.assign(run, recorded(run.resources));
}
