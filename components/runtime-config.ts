/**
 * Reads the stack configuration that the Pulumi engine hands the program (`pulumi up`/`preview`, or the
 * offline synth, which starts the program the same way) and validates it.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, parsePlatformConfig, PlatformConfig, RawStackConfig } from "./config";
import { findPlaceholders, placeholderMessage } from "./placeholders";

/**
 * Set to "1" to let a stack with example values run, each reported as a warning: the offline synth sets it
 * to show what Pulumi.prod.yaml, as shipped, would deploy. `pulumi up` without it refuses such a stack.
 */
export const ALLOW_PLACEHOLDERS_ENV = "SENSOR_ANALYTICS_ALLOW_PLACEHOLDERS";

/** The engine's configuration as {@link RawStackConfig}. */
export function readRuntimeConfig(): RawStackConfig {
  const stack = pulumi.getStack();
  const values = pulumi.runtime.allConfig();
  // isConfigSecret is exported by the SDK at run time but marked internal in its typings.
  const runtime = pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean };
  const secretKeys = new Set(Object.keys(values).filter((key) => runtime.isConfigSecret?.(key) ?? false));
  return { stack, stackFile: `Pulumi.${stack}.yaml`, values, secretKeys };
}

/**
 * Parses and validates the running stack's configuration. On problems, or on example values still in the
 * stack file, ends the program with a clean {@link pulumi.RunError} (no stack trace: the messages are the
 * whole story).
 */
export function loadPlatformConfig(): PlatformConfig {
  const raw = readRuntimeConfig();
  let config: PlatformConfig;
  try {
    config = parsePlatformConfig(raw);
  } catch (err) {
    if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
    throw err;
  }
  const placeholders = findPlaceholders(raw);
  if (placeholders.length > 0) {
    if (process.env[ALLOW_PLACEHOLDERS_ENV] !== "1") {
      throw new pulumi.RunError(placeholderMessage(raw.stackFile, placeholders));
    }
    for (const p of placeholders) {
      void pulumi.log.warn(
        `${p.key} is an example value (${JSON.stringify(p.value)}: ${p.reason}); set your own before deploying`,
      );
    }
  }
  return config;
}
