/**
 * Reads the stack configuration that the Pulumi engine hands the program (`pulumi up`/`preview`, or the
 * offline synth, which starts the program the same way) and validates it.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  ConfigError,
  parsePlatformConfig,
  PlatformConfig,
  type PlatformConfigOptions,
  RawStackConfig,
} from "./config";
import { checkNamespaces } from "./config-namespaces";
import { findPlaceholders, isNonDeploymentAccount, placeholderMessage } from "./placeholders";

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
 * Parses and validates the running stack's configuration, before anything is declared. Ends the program
 * with a clean {@link pulumi.RunError} (no stack trace: the messages are the whole story) on configuration
 * problems, and on example values left in the stack file when deploying into a real AWS account. Deploying
 * into an account no real deployment uses (the AWS documentation's example accounts, which offline engines
 * such as the synth answer with, or LocalStack's), each example value is a warning instead.
 *
 * Other namespaces are checked (misspellings of the settings' namespace are errors, keys nothing reads are
 * warnings) when the settings are in the project's own namespace, the default; a program that keeps them
 * in a namespace of their own owns the rest of its stack file.
 * @param options - `namespace` defaults to the running project's name, as `new pulumi.Config()` does.
 */
export async function loadPlatformConfig(options: PlatformConfigOptions = {}): Promise<PlatformConfig> {
  const raw = readRuntimeConfig();
  const namespace = options.namespace ?? pulumi.getProject();
  let config: PlatformConfig;
  try {
    if (namespace === pulumi.getProject()) {
      const namespaces = checkNamespaces(raw, namespace);
      for (const warning of namespaces.warnings) void pulumi.log.warn(warning);
      if (namespaces.problems.length > 0) throw new ConfigError(namespaces.problems, raw.stackFile);
    }
    config = parsePlatformConfig(raw, { ...options, namespace });
  } catch (err) {
    if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
    throw err;
  }
  const placeholders = findPlaceholders(raw, namespace);
  if (placeholders.length > 0) {
    const { accountId } = await aws.getCallerIdentity();
    // AWS always names the account; an engine that answers without one (a test monitor) is no deployment.
    if (accountId && !isNonDeploymentAccount(accountId)) {
      throw new pulumi.RunError(placeholderMessage(raw.stackFile, placeholders, accountId));
    }
    for (const p of placeholders) {
      void pulumi.log.warn(
        `${p.key} is an example value (${JSON.stringify(p.value)}: ${p.reason}); set your own before deploying`,
      );
    }
  }
  return config;
}
