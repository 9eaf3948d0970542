/**
 * Test helpers: run the platform (or any program) under mocks and query what it registered.
 */
import { parsePlatformConfig, PlatformConfig, RawStackConfig } from "../../components/config";
import { readStackFile } from "../../components/stack-files";
import { runUnderMocks, RecordedResource, ProgramRun, unwrapSecrets } from "../../components/synth/mocks";

export { runUnderMocks, unwrapSecrets };
export type { RecordedResource, ProgramRun };

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

export interface Recorded {
  /** Custom resources of a type token, e.g. `aws:s3/bucket:Bucket`. */
  ofType(type: string): RecordedResource[];
  /** The one resource with this type and logical name; throws when missing. */
  named(type: string, name: string): RecordedResource;
  /** Resource counts by type. */
  countByType(): Record<string, number>;
}

export function recorded(resources: RecordedResource[]): Recorded {
  return {
    ofType: (type) => resources.filter((r) => r.type === type),
    named: (type, name) => {
      const found = resources.find((r) => r.type === type && r.name === name);
      if (!found) {
        const names = resources.filter((r) => r.type === type).map((r) => r.name);
        throw new Error(`no ${type} named ${name}; have: ${names.join(", ") || "none"}`);
      }
      return found;
    },
    countByType: () => {
      const counts: Record<string, number> = {};
      for (const r of resources) counts[r.type] = (counts[r.type] ?? 0) + 1;
      return counts;
    },
  };
}
