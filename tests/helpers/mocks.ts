/**
 * Test helpers: run the platform (or any program) under mocks and query what it registered.
 */
import { parsePlatformConfig, PlatformConfig, RawStackConfig } from "../../components/config";
import { readStackFile } from "../../components/stack-files";
import {
  recorded,
  runUnderMocks,
  RecordedResource,
  ProgramRun,
  Recorded,
  unwrapSecrets,
} from "../../components/testing";

export { recorded, runUnderMocks, unwrapSecrets };
export type { RecordedResource, ProgramRun, Recorded };

/** A stack file's raw config with some values replaced (JSON-encoded like the engine does) or removed. */
export function stackConfig(stack: string, overrides: Record<string, unknown> = {}): RawStackConfig {
  const raw = readStackFile(stack);
  const values: Record<string, string> = { ...raw.values };
  for (const [key, value] of Object.entries(overrides)) {
    const fullKey = key.includes(":") ? key : `sensor-analytics:${key}`;
    if (value === undefined) delete values[fullKey];
    else values[fullKey] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return { ...raw, values };
}

/**
 * Runs the Platform component for a stack (with optional config overrides) under mocks, as a deployment
 * whose training has promoted a model unless `anomalyModelPromoted` is false.
 */
export async function runPlatform(
  stack: string,
  overrides: Record<string, unknown> = {},
  { anomalyModelPromoted = true }: { anomalyModelPromoted?: boolean } = {},
): Promise<ProgramRun<PlatformConfig> & Recorded> {
  const raw = stackConfig(stack, overrides);
  const run = await runUnderMocks(raw, async () => {
    const { Platform } = await import("../../components/platform");
    const config = parsePlatformConfig(raw);
    new Platform(config.deployment, { config, anomalyModelPromoted });
    return config;
  });
  return Object.assign(run, recorded(run.resources));
}
