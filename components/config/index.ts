/**
 * Stack configuration, by area: {@link parsePlatformConfig} reads a stack file into one typed PlatformConfig,
 * reporting every problem at once. The reader (reader.ts) gives typed accessors with declared defaults and
 * typo suggestions; each area's rules live in its own readXConfig (general, fleet, ingest, lake, sources,
 * analytics, anomaly, operations), testable one by one with a ConfigReader.
 */
export * from "./types";
export {
  readProjectDeclarations,
  parsePlatformConfig,
  validatePlatformConfig,
  type PlatformConfigOptions,
} from "./parse";
export { ConfigReader, closestKey } from "./reader";
export { readGeneralConfig, type GeneralConfig } from "./general";
export { readFleetConfig, readLoadTestConfig, type FleetConfig } from "./fleet";
export { readIngestConfig, readEntrancesConfig, type IngestConfig, type EntrancesConfig } from "./ingest";
export { readLakeConfig } from "./lake";
export { readSourcesConfig, type SourcesConfig } from "./sources";
export { readAnalyticsConfig, type AnalyticsConfig } from "./analytics";
export { readAnomalyConfig } from "./anomaly";
export { readOperationsConfig, type OperationsConfig } from "./operations";
