/**
 * Stack configuration: parse and validate everything a stack file says into one typed {@link PlatformConfig}
 * before any resource is created.
 *
 * Pulumi.yaml declares every key (type, description, default); the area readers beside this file hold the rules,
 * one readXConfig per area. Every problem is collected and reported at once, each naming the key, the value
 * received, the stack file and the fix, so a user fixes a stack file in one pass instead of one `pulumi up` per
 * typo.
 *
 * Only this folder and index.ts read configuration; components receive plain typed args.
 */
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { PLATFORM_CONFIG_DECLARATIONS } from "../config-declarations";
import { deploymentName, fleetDevices } from "../telemetry/fleet";
import { readAnalyticsConfig } from "./analytics";
import { readAnomalyConfig } from "./anomaly";
import { readFleetConfig, readLoadTestConfig } from "./fleet";
import { readGeneralConfig } from "./general";
import { readEntrancesConfig, readIngestConfig } from "./ingest";
import { readLakeConfig } from "./lake";
import { readOperationsConfig } from "./operations";
import { ConfigReader } from "./reader";
import { readSourcesConfig } from "./sources";
import {
  ConfigError,
  PROJECT,
  type ConfigProblem,
  type DeclaredKey,
  type PlatformConfig,
  type RawStackConfig,
} from "./types";

/** The `config:` declarations of a project's Pulumi.yaml, keyed without the project namespace. */
export function readProjectDeclarations(projectDir: string): Record<string, DeclaredKey> {
  const doc = parseYaml(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")) as {
    config?: Record<string, DeclaredKey>;
  };
  return doc.config ?? {};
}

/** Where {@link parsePlatformConfig} finds the platform's settings. */
export interface PlatformConfigOptions {
  /**
   * The namespace of the settings: `<namespace>:rooms`, `<namespace>:sensorsPerRoom`, ... Set it to your own
   * project's name to keep the platform's settings beside your own keys.
   * @default "sensor-analytics"
   */
  readonly namespace?: string;
  /**
   * Other keys your program reads in the same namespace (without it), left alone; any other key there that
   * is not a platform setting is reported, with the setting it was probably meant to be.
   * @default - none
   */
  readonly ownKeys?: readonly string[];
  /**
   * The settings with their types and defaults.
   * @default - the platform's ({@link PLATFORM_CONFIG_DECLARATIONS}, which this template's Pulumi.yaml declares)
   */
  readonly declarations?: Readonly<Record<string, DeclaredKey>>;
}

/**
 * Parses and validates a stack's configuration; unset keys take the defaults of
 * {@link PLATFORM_CONFIG_DECLARATIONS}.
 * @throws ConfigError listing every problem.
 */
export function parsePlatformConfig(
  raw: RawStackConfig,
  options: PlatformConfigOptions = {},
): PlatformConfig {
  const reader = new ConfigReader(
    raw,
    options.declarations ?? PLATFORM_CONFIG_DECLARATIONS,
    options.namespace ?? PROJECT,
    options.ownKeys ?? [],
  );
  const config = readAll(reader, raw);
  if (reader.problems.length > 0 || !config) throw new ConfigError(reader.problems, raw.stackFile);
  return config;
}

/** Like {@link parsePlatformConfig}, but returns the problems instead of throwing. */
export function validatePlatformConfig(
  raw: RawStackConfig,
  options: PlatformConfigOptions = {},
): { config?: PlatformConfig; problems: readonly ConfigProblem[] } {
  try {
    return { config: parsePlatformConfig(raw, options), problems: [] };
  } catch (err) {
    if (err instanceof ConfigError) return { problems: err.problems };
    throw err;
  }
}

/** Every area's settings, read in one pass so every problem of the stack file is reported together. */
function readAll(r: ConfigReader, raw: RawStackConfig): PlatformConfig | undefined {
  const general = readGeneralConfig(r, raw);
  const fleet = readFleetConfig(r);
  const ingest = readIngestConfig(r);
  const lake = readLakeConfig(r, general.app, raw.stack);
  const sources = readSourcesConfig(r);
  const analytics = readAnalyticsConfig(r);
  const anomaly = readAnomalyConfig(r);
  const fleetRunner = readLoadTestConfig(r, fleet.fleetProvisioning);
  const entrances = readEntrancesConfig(r);
  const operations = readOperationsConfig(r);
  if (r.problems.length > 0) return undefined;
  const deployment = deploymentName(general.app, raw.stack);
  return {
    project: r.namespace,
    stack: raw.stack,
    stackFile: raw.stackFile,
    deployment,
    ...general,
    fleet: { ...fleet, devices: fleetDevices(deployment, fleet.rooms, fleet.sensorsPerRoom) },
    ...ingest,
    lake,
    ...sources,
    ...analytics,
    anomaly,
    fleetRunner,
    ...entrances,
    ...operations,
  };
}
