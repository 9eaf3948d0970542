// The Pulumi program: configuration in, the Platform component, outputs out. Everything else lives in
// components/ (the library platform teams import) and is described in README.md.
import { loadPlatformConfig } from "./components/runtime-config";
import { Platform } from "./components/platform";

const config = loadPlatformConfig();
const platform = new Platform(config.deployment, { config });

export const region = config.region;
export const lakeBuckets = platform.lake.bucketNames;
export const lakeKmsKeyArn = platform.lake.kmsKey.arn;

// Ingest: the device data endpoint and, as a secret, the fleet file the simulator reads
// (`pulumi stack output deviceFleetFile --show-secrets > fleet.json`).
export const iotEndpoint = platform.telemetry.devices.endpoint;
export const deviceFleetFile = platform.telemetry.devices.credentials;
export const telemetryStream = {
  name: platform.telemetry.ingest.telemetryStream.name,
  arn: platform.telemetry.ingest.telemetryStream.arn,
};
export const quarantineStream = {
  name: platform.telemetry.ingest.quarantineStream.name,
  arn: platform.telemetry.ingest.quarantineStream.arn,
};
export const topicRules = platform.telemetry.rules.ruleNames;
export const catalogDatabase = platform.telemetry.ingest.catalog.databaseName;
export const telemetryTable = platform.telemetry.ingest.catalog.tableName;

// Historical sources and ETL.
export const etlStateMachineArn = platform.etl.orchestration.stateMachine.arn;
export const etlFailureTopicArn = platform.etl.orchestration.failureTopic.arn;
export const etlResources = platform.etl.machineResources;
export const jdbcConnectionName = platform.etl.sources.jdbc.connectionName;
export const glueVpcId = platform.etl.sources.glueVpc.vpcId;
export const peeringConnectionId = platform.etl.sources.peering.connection.id;
export const historicalLandingUri = platform.etl.sources.s3.landingUri;
export const sourcesDatabaseName = platform.etl.foundation.sourcesDatabase.name;
export const demoDatabase = platform.etl.sources.demoDatabase
  ? { host: platform.etl.sources.demoDatabase.host, secretArn: platform.etl.sources.demoDatabase.secretArn }
  : undefined;

// Analytics and anomaly detection.
export const athenaWorkGroup = platform.analytics.workGroupName;
export const trainingStateMachineArn = platform.anomaly.trainingStateMachineArn;
export const scoringStateMachineArn = platform.anomaly.scoringStateMachineArn;
export const anomalyAlertTopicArn = platform.anomaly.alertTopic.arn;
export const anomalyEndpointName = platform.anomaly.endpoint?.endpointName;
export const quickSightDashboardUrl = platform.quicksight?.dashboardUrl;
export const anomalyScoringUrl = platform.anomaly.scoringUrl;
