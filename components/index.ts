/**
 * The sensor analytics platform as a library: import the whole {@link Platform} or any area component into
 * your own Pulumi program, plus the pure builders (schema, topics, policies, SQL, state machines) they use.
 *
 *   import { DataLake } from "sensor-analytics-platform/components";
 */
export { Platform } from "./platform";
export type { PlatformArgs } from "./platform";
export * from "./config";
export { DataLake } from "./lake/lake";
export type { DataLakeArgs } from "./lake/lake";
export { SecureBucket } from "./lake/secure-bucket";
export type { SecureBucketArgs, LifecycleRuleArgs } from "./lake/secure-bucket";
export * from "./lake/layout";
export * from "./telemetry/schema";
export * from "./telemetry/topics";
export * from "./telemetry/fleet";
export { registerDocument, registeredDocuments } from "./documents";
