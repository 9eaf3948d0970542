/**
 * Runs the ingest path (the lake plus the TelemetryPipeline, wired as the platform wires them) for a stack under
 * mocks, so the IoT and ingest tests see every resource with realistic ARNs.
 */
import { parsePlatformConfig, PlatformConfig } from "../../../components/config";
import { recorded, Recorded, runUnderMocks, ProgramRun, stackConfig } from "../../helpers/mocks";

export type PipelineRun = ProgramRun<unknown> &
  Recorded & {
    /** The parsed stack configuration. */
    readonly config: PlatformConfig;
    /** Stack outputs the pipeline provides, resolved (secrets wrapped). */
    readonly exported: { readonly endpoint: string; readonly fleetFile: unknown };
  };

export async function runPipeline(
  stack: string,
  overrides: Record<string, unknown> = {},
): Promise<PipelineRun> {
  const raw = stackConfig(stack, overrides);
  const run = await runUnderMocks(raw, async () => {
    const { DataLake } = await import("../../../components/lake/lake");
    const { TelemetryPipeline } = await import("../../../components/iot/telemetry-pipeline");
    const config = parsePlatformConfig(raw);
    const name = config.deployment;
    const lake = new DataLake(`${name}-lake`, {
      rawRetentionDays: config.lake.rawRetentionDays,
      curatedRetentionDays: config.lake.curatedRetentionDays,
      protectData: config.protectData,
    });
    const pipeline = new TelemetryPipeline(
      `${name}-telemetry`,
      {
        deployment: config.deployment,
        fleet: config.fleet,
        firehose: config.firehose,
        catalogDatabase: config.lake.catalogDatabase,
        rawBucket: lake.buckets.raw,
        kmsKeyArn: lake.kmsKey!.arn,
        logRetentionDays: config.logRetentionDays,
        protectData: config.protectData,
        tags: config.tags,
      },
      { dependsOn: [lake.secureBuckets.raw] },
    );
    return { config, endpoint: pipeline.devices.endpoint, fleetFile: pipeline.devices.credentials };
  });
  const { config, ...exported } = run.outputs as {
    config: PlatformConfig;
    endpoint: string;
    fleetFile: unknown;
  };
  return Object.assign(run, recorded(run.resources), { config, exported });
}
