/**
 * The platform-wide lines of the cost estimate: network (interface endpoints, NAT), the demo database, KMS,
 * CloudWatch (alarms, dashboards, pipeline metrics, logs), CloudTrail data events, secrets, DNS zones and
 * container images. Pure; counts come from the synth, volumes from the usage.
 */
import { PIPELINE_METRICS } from "../operations/pipeline-metrics";
import type { AddLine, EstimateInput } from "./estimate";
import { DAYS_PER_MONTH, HOURS_PER_MONTH } from "./schedule-runs";
import { fmt, GIB, type Usage } from "./usage";

export function platformLines(
  addLine: AddLine,
  { config: c, inventory, assumptions: a }: EstimateInput,
  usage: Usage,
): void {
  const hours = HOURS_PER_MONTH;

  if (inventory.interfaceEndpoints > 0) {
    addLine(
      "Amazon VPC",
      "Interface endpoints",
      "vpc.interfaceEndpointHour",
      inventory.interfaceEndpointZones * hours,
      "fixed",
      [
        `${inventory.interfaceEndpoints} interface endpoints in the synth, ${inventory.interfaceEndpointZones} endpoint-zones, all month`,
      ],
    );
    addLine(
      "Amazon VPC",
      "Endpoint data processed",
      "vpc.interfaceEndpointGb",
      inventory.interfaceEndpoints * a.endpointGbPerMonth,
      "fixed",
      [`${a.endpointGbPerMonth} GB a month through each endpoint`],
    );
  }
  addLine("Amazon VPC", "NAT gateways", "vpc.natGatewayHour", inventory.natGateways * hours, "fixed", [
    `${inventory.natGateways} NAT gateways in the synth (the platform reaches AWS through endpoints instead)`,
  ]);
  for (const db of inventory.databases) {
    const priceId = `rds.${db.engine}.${db.instanceClass}`;
    addLine(
      "Amazon RDS",
      `${db.instanceClass} (${db.engine})`,
      priceId,
      hours * (db.multiAz ? 2 : 1),
      "fixed",
      [`the demo database all month${db.multiAz ? ", Multi-AZ (two instances)" : ", Single-AZ"}`],
    );
    addLine(
      "Amazon RDS",
      `Storage (${db.storageType})`,
      `rds.storage.${db.storageType}`,
      db.storageGb * (db.multiAz ? 2 : 1),
      "fixed",
      [`${db.storageGb} GB allocated`],
    );
  }
  addLine("AWS KMS", "Customer-managed keys", "kms.key", inventory.kmsKeys, "fixed", [
    `${inventory.kmsKeys} keys in the synth`,
  ]);
  const kmsRequests = (usage.lakeGets + usage.lakePuts) / 100 + a.kmsBaselineRequests;
  addLine("AWS KMS", "Requests", "kms.requests", kmsRequests / 10_000, "devices", [
    "S3 bucket keys: about 1 KMS request per 100 lake requests",
    `${fmt(a.kmsBaselineRequests)} other requests a month`,
  ]);
  addLine("Amazon CloudWatch", "Alarms", "cloudwatch.alarmMetric", inventory.alarmMetrics, "fixed", [
    `${inventory.alarms} alarms in the synth reading ${inventory.alarmMetrics} metrics`,
  ]);
  addLine("Amazon CloudWatch", "Dashboards", "cloudwatch.dashboard", inventory.dashboards, "fixed", [
    `${inventory.dashboards} dashboards in the synth`,
  ]);
  const customMetrics = Object.keys(PIPELINE_METRICS).length;
  addLine("Amazon CloudWatch", "Pipeline metrics (EMF)", "cloudwatch.customMetric", customMetrics, "fixed", [
    `${customMetrics} pipeline metrics, one Deployment dimension each`,
  ]);
  const logsGib =
    (usage.lambdaInvocations * a.lambdaLogKb * 1024 +
      usage.transitions * a.stateMachineLogKb * 1024 +
      (usage.etlRuns + usage.jdbcImports) * a.glueLogMb * 1024 ** 2 +
      inventory.flowLogs * a.flowLogMbPerDay * 1024 ** 2 * DAYS_PER_MONTH) /
    GIB;
  addLine("Amazon CloudWatch", "Logs ingested", "cloudwatch.logsIngested", logsGib, "fixed", [
    `Lambda ${a.lambdaLogKb} KB per invocation, Step Functions ${a.stateMachineLogKb} KB per transition, Glue ${a.glueLogMb} MB per job run, ${inventory.flowLogs} VPC flow logs at ${a.flowLogMbPerDay} MB/day`,
  ]);
  addLine(
    "Amazon CloudWatch",
    "Logs stored",
    "cloudwatch.logsStored",
    logsGib * (c.logRetentionDays / DAYS_PER_MONTH),
    "fixed",
    [`kept ${c.logRetentionDays} days (logRetentionDays); priced uncompressed, an upper bound`],
  );
  if (inventory.trails > 0)
    addLine(
      "AWS CloudTrail",
      "S3 data events",
      "cloudtrail.dataEvents",
      (usage.lakeGets + usage.lakePuts) / 100_000,
      "devices",
      ["every object read and write on the lake buckets is one data event"],
    );
  const secrets = inventory.secrets + inventory.databases.filter((d) => d.managedSecret).length;
  if (secrets > 0)
    addLine("AWS Secrets Manager", "Secrets", "secretsManager.secret", secrets, "fixed", [
      `${inventory.secrets} secrets in the synth + ${secrets - inventory.secrets} RDS-managed master password`,
    ]);
  if (inventory.hostedZones > 0)
    addLine("Amazon Route 53", "Hosted zones", "route53.hostedZone", inventory.hostedZones, "fixed", [
      `${inventory.hostedZones} private zones in the synth`,
    ]);
  if (inventory.containerRepositories > 0)
    addLine(
      "Amazon ECR",
      "Image storage",
      "ecr.storage",
      inventory.containerRepositories * a.imageGb,
      "fixed",
      [`${a.imageGb} GB image per repository`],
    );
}
