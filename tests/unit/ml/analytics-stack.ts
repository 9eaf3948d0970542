/**
 * Runs the analytics and anomaly-detection areas under mocks for a stack, wired by the platform's own
 * `analyticsAreas` (components/platform-analytics.ts) over a lake and a catalog database standing in for the
 * ingest area's, and returns what they registered. Shared by the analytics and ML component tests.
 */
import * as aws from "@pulumi/aws";
import { parsePlatformConfig, PlatformConfig } from "../../../components/config";
import { DataLake } from "../../../components/lake/lake";
import { bucketRef } from "../../../components/shared/resource-refs";
import { buildModelSettings } from "../../../components/ml/model-settings";
import { analyticsAreas, platformTimings } from "../../../components/platform-analytics";
import { recorded, Recorded, runUnderMocks, stackConfig, ProgramRun } from "../../helpers/mocks";

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
        kmsKeyArn: lake.kmsKey!.arn,
        databaseName: database.name,
        model: buildModelSettings(config.anomaly),
        modelPromoted: options.modelPromoted ?? true,
        timings: platformTimings(config),
        tags,
      },
      undefined,
    );
    return config;
  });
  return Object.assign(run, recorded(run.resources));
}
