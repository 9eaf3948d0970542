/**
 * The sensor analytics platform as a library: import the whole {@link Platform} or any area component into
 * your own Pulumi program, plus the pure builders (schema, topics, policies, SQL, state machines) they use.
 *
 *   import { DataLake } from "@sensor-analytics/components";
 */
export { Platform } from "./platform";
export type { PlatformArgs } from "./platform";
export * from "./config";
export { DataLake } from "./lake/lake";
export type { DataLakeArgs, DataBucketRole, LakeEncryption } from "./lake/lake";
// Existing resources: buckets, streams, topics, databases and VPCs by names, IDs and ARNs; keys by their ARN.
export { AWS_MANAGED_KEYS, bucketRef, bucketRefFromName, vpcRefProblems } from "./shared/resource-refs";
export type {
  BucketRef,
  DatabaseRef,
  StreamRef,
  SubnetRef,
  TopicRef,
  VpcRef,
  VpcRefNeeds,
} from "./shared/resource-refs";
export { SecureBucket } from "./lake/secure-bucket";
export type { SecureBucketArgs, LifecycleRuleArgs } from "./lake/secure-bucket";
export * from "./lake/layout";
export * from "./telemetry/schema";
export * from "./telemetry/topics";
export * from "./telemetry/fleet";
export { documentScope, documentsOf, registerDocument, registeredDocuments } from "./documents";
export type { DocumentKind, GeneratedDocument } from "./documents";

// The building blocks every area deploys its functions and state machines with (role scoped to ARNs, own log
// group with retention and an optional key, tracing).
export { LambdaFunction, SYNCHRONOUS_INVOCATION_TAG, ownDeadLetterQueueArn } from "./shared/lambda-function";
export type {
  LambdaFunctionArgs,
  LambdaFunctionChild,
  LambdaFunctionResources,
} from "./shared/lambda-function";
export { StateMachine, ownStateMachineArn } from "./shared/state-machine";
export type { StateMachineArgs, StateMachineChild, StateMachineResources } from "./shared/state-machine";
export type { BuildingBlockArgs, FormerPlace } from "./shared/building-block";
export { platformLogGroup } from "./shared/log-group";
export type { PlatformLogGroupArgs } from "./shared/log-group";
export * from "./shared/iam-policy";

// Ingest: device identity, topic rules, Firehose into the lake.
export { TelemetryPipeline } from "./iot/telemetry-pipeline";
export type { TelemetryPipelineArgs } from "./iot/telemetry-pipeline";
export { DeviceFleet } from "./iot/device-fleet";
export type { DeviceFleetArgs } from "./iot/device-fleet";
export { FleetProvisioning } from "./iot/fleet-provisioning";
export type { FleetProvisioningArgs } from "./iot/fleet-provisioning";
export { TelemetryRules } from "./iot/telemetry-rules";
export type { TelemetryRulesArgs } from "./iot/telemetry-rules";
export { TelemetryIngest } from "./ingest/telemetry-ingest";
export type { TelemetryIngestArgs } from "./ingest/telemetry-ingest";
export { LakeDeliveryStream } from "./ingest/delivery-stream";
export type { LakeDeliveryStreamArgs } from "./ingest/delivery-stream";
export { TelemetryCatalog } from "./ingest/telemetry-catalog";
export type { TelemetryCatalogArgs } from "./ingest/telemetry-catalog";
export * from "./iot/iot-policy";
export * from "./iot/policy-analysis";
export * from "./iot/policy-evaluator";
export * from "./iot/rule-sql";
export * from "./iot/provisioning";
export * from "./iot/naming";
export * from "./ingest/firehose-settings";
export * from "./ingest/telemetry-table";

// Historical sources and ETL: Glue VPC + peering + JDBC connection, Glue jobs and crawlers, the state machine.
export { Etl } from "./etl/etl";
export type { EtlArgs } from "./etl/etl";
export { HistoricalSources } from "./sources/historical-sources";
export { DemoHistorySeed } from "./sources/history-seed";
export type { DemoHistorySeedArgs } from "./sources/history-seed";
export { DEMO_HISTORY, demoHistoryRequest } from "./sources/demo-history";
export type { DemoHistoryRequest } from "./sources/demo-history";
export type { HistoricalSourcesArgs } from "./sources/historical-sources";
export { buildEtlStateMachine, ETL_STATES } from "./etl/asl/etl-machine";
export { bindEtlTasks } from "./etl/asl/bindings";
export { ETL_JOBS, ETL_VIEWS, renderEtlSql, DUCKDB_COMPAT_MACROS } from "./etl/transforms";
export * from "./sources/jdbc-url";

// Analytics (Athena, QuickSight) and anomaly detection (SageMaker Random Cut Forest).
export { AthenaAnalytics } from "./analytics/athena-analytics";
export type { AthenaAnalyticsArgs } from "./analytics/athena-analytics";
export { QuickSightDashboard } from "./analytics/quicksight-dashboard";
export type { QuickSightDashboardArgs } from "./analytics/quicksight-dashboard";
export { renderQuery } from "./analytics/queries";
export { AnomalyDetection } from "./ml/anomaly-detection";
export type { AnomalyDetectionArgs } from "./ml/anomaly-detection";
export type { LakeBuckets } from "./ml/pipeline-context";
// Endpoint mode: whether training has promoted a model yet (pass the answer as `modelPromoted`).
export { findPromotedModel } from "./ml/promoted-model";
export { planEndpoint, promotedModelParameterName } from "./ml/ml-layout";
export type { EndpointPlan, EndpointStatus, PromotedModel } from "./ml/ml-layout";
export { TrainingPipeline } from "./ml/training-pipeline";
export type { TrainingPipelineArgs } from "./ml/training-pipeline";
export { ScoringPipeline } from "./ml/scoring-pipeline";
export type { ScoringPipelineArgs } from "./ml/scoring-pipeline";
export { RcfEndpoint } from "./ml/rcf-endpoint";
export type { RcfEndpointArgs } from "./ml/rcf-endpoint";
export * from "./ml/model-settings";

// Load tests: the simulated fleet as ECS Fargate tasks (awsx), its settings, network and the output fleet:cloud reads.
export { SensorFleetRunner } from "./fleet-runner/fleet-runner";
export type { SensorFleetRunnerArgs, FleetRunnerImageArgs } from "./fleet-runner/fleet-runner";
export { FleetRunnerNetwork, TASK_INTERFACE_ENDPOINTS } from "./fleet-runner/network";
export type { FleetRunnerNetworkArgs } from "./fleet-runner/network";
export * from "./fleet-runner/settings";
export * from "./fleet-runner/outputs";
export { taskRolePolicy, executionRolePolicy } from "./fleet-runner/iam-documents";
export * from "./telemetry/load-profile";
export * from "./telemetry/durations";

// More ways in and out: the Kinesis ingest stream with real-time aggregates in DynamoDB, the HTTP API (HTTPS
// ingestion, latest state), scheduled REST pollers; the validation every source shares.
export { IngestStream } from "./streaming/ingest-stream";
export type { IngestStreamArgs } from "./streaming/ingest-stream";
export { RealtimeAggregates } from "./streaming/realtime-aggregates";
export type { RealtimeAggregatesArgs } from "./streaming/realtime-aggregates";
export { TelemetryApi } from "./api/telemetry-api";
export type { TelemetryApiArgs } from "./api/telemetry-api";
export { RestPollers } from "./pollers/rest-pollers";
export type { RestPollersArgs, DeployedPoller } from "./pollers/rest-pollers";
export type { DeliveryResources } from "./streaming/delivery-resources";
export * from "./streaming/stream-settings";
export * from "./streaming/realtime-layout";
export * from "./api/api-settings";
export * from "./api/routes";
export * from "./pollers/poller-settings";
export * from "./pollers/mapping";
export * from "./pollers/jsonpath";
export * from "./ingest/reading-validation";
export * from "./ingest/delivery-targets";
// Operating a stack: the dashboard and alarms, the pipeline metrics both backends share, the audit trail and the
// monthly cost estimate (`npm run cost`).
export { Operations } from "./operations/operations";
export type { OperationsArgs } from "./operations/operations";
export { buildAlarmSet, alarmName, notStartedWindow } from "./operations/alarms";
// Schedules (EventBridge rate/cron/at): what a watched state machine's `schedule` is, and its longest gap.
export { parseSchedule, longestGapSeconds, approximateIntervalSeconds } from "./schedule";
export type { ScheduleExpression } from "./schedule";
export type { AlarmSpec, ComparisonOperator } from "./operations/alarms";
export { buildDashboardBody } from "./operations/dashboard";
export type { DashboardBody, DashboardWidget } from "./operations/dashboard";
export type * from "./operations/inventory";
export * from "./operations/alarm-settings";
export * from "./operations/pipeline-metrics";
export { AuditTrail } from "./audit/audit-trail";
export type { AuditTrailArgs } from "./audit/audit-trail";
export * from "./audit/audit-documents";
export { estimateMonthlyCost, storageByClass } from "./cost/estimate";
export type { CostEstimate, CostLine, ServiceCost, EstimateInput } from "./cost/estimate";
export { synthInventory } from "./cost/synth-inventory";
export type { SynthInventory, SynthResourceRow } from "./cost/synth-inventory";
export { loadPriceTable, RegionPrices, charge } from "./cost/prices";
export type { PriceTable, UnitPrice } from "./cost/prices";
export { ASSUMPTIONS, assumptionsWith } from "./cost/assumptions";
export type { Assumptions, AssumptionKey } from "./cost/assumptions";
