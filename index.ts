// The Pulumi program: configuration in, the Platform component, outputs out. Everything else lives in
// components/ (the library platform teams import) and is described in README.md.
import { loadPlatformConfig } from "./components/runtime-config";
import { Platform } from "./components/platform";
import { findPromotedModel } from "./components/ml/promoted-model";

export = (async () => {
  const config = await loadPlatformConfig();
  // The real-time endpoint serves the promoted model: it is declared once training has promoted one.
  const anomalyModelPromoted =
    config.anomaly.mode === "endpoint"
      ? (await findPromotedModel(config.deployment)) !== undefined
      : undefined;
  const platform = new Platform(config.deployment, { config, anomalyModelPromoted });
  const {
    lake,
    telemetry,
    etl,
    analytics,
    anomaly,
    quicksight,
    fleetRunner,
    operations,
    auditTrail,
    realtime,
    api,
    pollers,
  } = platform;

  // Outputs a stack does not have (no endpoint, no QuickSight, ...) are left out: an undefined output
  // makes `pulumi up` warn "Undefined value (...) will not show as a stack output".
  return definedOnly({
    region: config.region,
    lakeBuckets: lake.bucketNames,
    lakeKmsKeyArn: lake.kmsKeyArn,

    // Ingest: the device data endpoint and, as a secret, the fleet file the simulator reads
    // (`pulumi stack output deviceFleetFile --show-secrets > fleet.json`).
    iotEndpoint: telemetry.devices.endpoint,
    deviceFleetFile: telemetry.devices.credentials,
    telemetryStream: {
      name: telemetry.ingest.telemetryStream.name,
      arn: telemetry.ingest.telemetryStream.arn,
    },
    quarantineStream: {
      name: telemetry.ingest.quarantineStream.name,
      arn: telemetry.ingest.quarantineStream.arn,
    },
    topicRules: telemetry.rules.ruleNames,
    catalogDatabase: telemetry.ingest.catalog.databaseName,
    telemetryTable: telemetry.ingest.catalog.tableName,

    // Historical sources and ETL.
    etlStateMachineArn: etl.orchestration.stateMachine.arn,
    etlFailureTopicArn: etl.orchestration.failureTopic.arn,
    etlResources: etl.machineResources,
    jdbcConnectionName: etl.sources.jdbc.connectionName,
    glueVpcId: etl.sources.glueVpc.vpcId,
    peeringConnectionId: etl.sources.peering?.connection.id,
    historicalLandingUri: etl.sources.s3.landingUri,
    sourcesDatabaseName: etl.foundation.sourcesDatabase.name,
    demoDatabase: etl.sources.demoDatabase
      ? { host: etl.sources.demoDatabase.host, secretArn: etl.sources.demoDatabase.secretArn }
      : undefined,

    // Analytics and anomaly detection.
    athenaWorkGroup: analytics.workGroupName,
    trainingStateMachineArn: anomaly.trainingStateMachineArn,
    scoringStateMachineArn: anomaly.scoringStateMachineArn,
    anomalyAlertTopicArn: anomaly.alertTopic.arn,
    // serving, awaiting-first-model (endpoint mode before the first training run) or batch-mode.
    anomalyEndpointStatus: anomaly.endpointStatus,
    anomalyEndpointName: anomaly.endpoint?.endpointName,
    promotedModelParameter: anomaly.promotedModelParameter.name,
    quickSightDashboardUrl: quicksight?.dashboardUrl,
    anomalyScoringUrl: anomaly.scoringUrl,

    // More ways in and out (each when its setting is on): the ingest stream, the real-time table, the HTTP API
    // (with the client policies to attach in IAM mode), the pollers' functions.
    ingestStream: telemetry.stream ? { name: telemetry.stream.name, arn: telemetry.stream.arn } : undefined,
    realtimeTable: realtime?.tableName,
    httpApi: api
      ? {
          url: api.url,
          ingestClientPolicyArn: api.clientPolicies?.ingest.arn,
          readClientPolicyArn: api.clientPolicies?.read?.arn,
        }
      : undefined,
    pollers: pollers
      ? Object.fromEntries(Object.entries(pollers.pollers).map(([n, p]) => [n, p.function.name]))
      : undefined,
    // Operations: the dashboard, the topic every alarm notifies, and (auditTrail on) the trail.
    operationsDashboardUrl: operations.dashboardUrl,
    alarmTopicArn: anomaly.failureTopic.arn,
    auditTrailArn: auditTrail?.trailArn,

    // Load tests (fleetRunner set): what `npm run fleet:cloud -- --stack <stack> --run <name>` starts tasks with.
    fleetRunner: fleetRunner?.output,
  });
})();

function definedOnly<T extends Record<string, unknown>>(outputs: T): Partial<T> {
  return Object.fromEntries(Object.entries(outputs).filter(([, value]) => value !== undefined)) as Partial<T>;
}
