/**
 * Reads the stack configuration that the Pulumi engine hands the program (`pulumi up`/`preview`, or the
 * offline synth, which sets the same values under mocks) and validates it.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, parsePlatformConfig, PlatformConfig, RawStackConfig } from "./config";
import { checkNamespaces } from "./config-namespaces";

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
 * Parses and validates the running stack's configuration. On problems, logs each one as an error and ends
 * the program with a clean {@link pulumi.RunError} (no stack trace: the messages are the whole story).
 */
export function loadPlatformConfig(): PlatformConfig {
  try {
    const raw = readRuntimeConfig();
    const namespaces = checkNamespaces(raw);
    for (const warning of namespaces.warnings) void pulumi.log.warn(warning);
    if (namespaces.problems.length > 0) throw new ConfigError(namespaces.problems, raw.stackFile);
    return parsePlatformConfig(raw);
  } catch (err) {
    if (err instanceof ConfigError) {
      throw new pulumi.RunError(err.message);
    }
    throw err;
  }
}
