/**
 * Runs the ETL component (with the data lake it needs) for a stack under mocks, the way the platform
 * composes it, and returns what it registered. Shared by the ETL, sources and policy tests.
 */
import { parsePlatformConfig, PlatformConfig } from "../../../components/config";
import { buildModelSettings } from "../../../components/ml/model-settings";
import { recorded, Recorded, runUnderMocks, ProgramRun, stackConfig } from "../../helpers/mocks";
import type { Etl, EtlArgs } from "../../../components/etl/etl";
import type { LakeBuckets } from "../../../components/ml/pipeline-context";
import type * as pulumi from "@pulumi/pulumi";
import { demoHistoryRequest } from "../../../components/sources/demo-history";

export type EtlRun = ProgramRun<{ config: PlatformConfig; etl: Etl }> & Recorded;

/** The Etl args the platform maps from a stack's config, over the given lake buckets and key (if any). */
export function platformEtlArgs(
  config: PlatformConfig,
  buckets: Pick<LakeBuckets, "raw" | "curated" | "artifacts">,
  kmsKeyArn: pulumi.Input<string> | undefined,
  tags: Record<string, string>,
): EtlArgs {
  return {
    label: config.deployment,
    buckets: { raw: buckets.raw, curated: buckets.curated, artifacts: buckets.artifacts },
    kmsKeyArn,
    lakeDatabaseName: config.lake.catalogDatabase,
    historicalPrefix: config.lake.historicalPrefix,
    glue: config.glue,
    ...(config.glue.existingVpc ? { existingGlueVpc: config.glue.existingVpc } : {}),
    database: config.database,
    demoHistory: demoHistoryRequest(config),
    etl: config.etl,
    features: buildModelSettings(config.anomaly).features,
    alertEmail: config.alertEmail,
    logRetentionDays: config.logRetentionDays,
    protectData: config.protectData,
    configSource: config.stackFile,
    tags,
  };
}

/**
 * @param configOverrides - stack config values to replace (`undefined` removes one)
 * @param argOverrides - Etl args to replace after the config is mapped (a function to create resources they
 *   name inside the program, e.g. `aws.s3.Bucket.get`)
 * @param secretKeys - override keys (without namespace) to mark as secrets, as `pulumi config set --secret` does
 */
export async function runEtl(
  stack: string,
  configOverrides: Record<string, unknown> = {},
  argOverrides: Partial<EtlArgs> | (() => Partial<EtlArgs>) = {},
  secretKeys: readonly string[] = [],
): Promise<EtlRun> {
  const base = stackConfig(stack, configOverrides);
  const raw = {
    ...base,
    secretKeys: new Set([...base.secretKeys, ...secretKeys.map((k) => `sensor-analytics:${k}`)]),
  };
  const run = await runUnderMocks(raw, async () => {
    const { DataLake } = await import("../../../components/lake/lake");
    const { Etl } = await import("../../../components/etl/etl");
    const config = parsePlatformConfig(raw);
    const tags = { ...config.tags, "sensor-analytics:stack": config.stack };
    const lake = new DataLake(`${config.deployment}-lake`, {
      rawRetentionDays: 30,
      curatedRetentionDays: 60,
      protectData: config.protectData,
      tags,
    });
    const etl = new Etl(`${config.deployment}-etl`, {
      ...platformEtlArgs(config, lake.buckets, lake.kmsKeyArn, tags),
      ...(typeof argOverrides === "function" ? argOverrides() : argOverrides),
    });
    return { config, etl };
  });
  return Object.assign(run, recorded(run.resources));
}
