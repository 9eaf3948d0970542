/**
 * Analytics rules: Athena workgroups and QuickSight data sources. Sources: Security Hub Athena.4 (workgroup
 * logging/metrics), the Athena best practice of an enforced workgroup with encrypted results and a data scan
 * limit, QuickSight's "Require SSL" data source setting.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";

/** Athena refuses a smaller per-query scan limit. */
const MIN_CUTOFF = 10 * 1024 * 1024;

interface WorkgroupConfiguration {
  enforceWorkgroupConfiguration?: boolean;
  bytesScannedCutoffPerQuery?: number;
  resultConfiguration?: { encryptionConfiguration?: { encryptionOption?: string; kmsKeyArn?: string } };
}

export const athenaWorkgroupEnforced: ResourceValidationPolicy = {
  name: "athena-workgroup-enforced",
  description:
    "Athena workgroups enforce their settings on every query: results encrypted (SSE_KMS or CSE_KMS with a key, or SSE_S3 without one) and a per-query data scan limit, so a client cannot write results in clear or scan the whole lake by accident.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== "aws:athena/workgroup:Workgroup") return;
    const config = args.props.configuration as WorkgroupConfiguration | undefined;
    if (config?.enforceWorkgroupConfiguration !== true) {
      reportViolation(
        `${args.name}: configuration.enforceWorkgroupConfiguration is not true; clients could override its encryption and limits`,
      );
    }
    const encryption = config?.resultConfiguration?.encryptionConfiguration;
    if (!encryption || !["SSE_KMS", "CSE_KMS", "SSE_S3"].includes(encryption.encryptionOption ?? "")) {
      reportViolation(
        `${args.name}: query results are not encrypted (encryptionOption ${encryption?.encryptionOption ?? "not set"}); set resultConfiguration.encryptionConfiguration { encryptionOption: "SSE_KMS", kmsKeyArn } (or "SSE_S3" without a key)`,
      );
    } else if (encryption.encryptionOption !== "SSE_S3" && !encryption.kmsKeyArn) {
      reportViolation(
        `${args.name}: encryptionOption ${encryption.encryptionOption} without kmsKeyArn; name the key`,
      );
    }
    const cutoff = config?.bytesScannedCutoffPerQuery;
    if (typeof cutoff !== "number" || cutoff < MIN_CUTOFF) {
      reportViolation(
        `${args.name}: no per-query scan limit (bytesScannedCutoffPerQuery ${cutoff ?? "not set"}); set one of at least ${MIN_CUTOFF} bytes`,
      );
    }
  },
};

export const athenaResultsKms: ResourceValidationPolicy = {
  name: "athena-results-kms",
  description:
    "Athena workgroups encrypt query results with a customer-managed KMS key (SSE_KMS or CSE_KMS). Advisory: SSE_S3 encrypts too, a keyless composition's choice.",
  enforcementLevel: "advisory",
  validateResource: (args, reportViolation) => {
    if (args.type !== "aws:athena/workgroup:Workgroup") return;
    const config = args.props.configuration as WorkgroupConfiguration | undefined;
    const option = config?.resultConfiguration?.encryptionConfiguration?.encryptionOption;
    if (option === "SSE_S3")
      reportViolation(
        `${args.name}: query results use SSE_S3; set encryptionOption "SSE_KMS" with the lake key`,
      );
  },
};

export const quickSightDataSourceSsl: ResourceValidationPolicy = {
  name: "quicksight-datasource-ssl",
  description:
    "QuickSight data sources connect over SSL (sslProperties.disableSsl is false), so query traffic is encrypted in transit.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== "aws:quicksight/dataSource:DataSource") return;
    const ssl = args.props.sslProperties as { disableSsl?: boolean } | undefined;
    if (ssl?.disableSsl !== false) {
      reportViolation(
        `${args.name}: sslProperties.disableSsl is ${ssl?.disableSsl ?? "not set"}; set sslProperties { disableSsl: false }`,
      );
    }
  },
};

export const analyticsPolicies = [athenaWorkgroupEnforced, athenaResultsKms, quickSightDataSourceSsl];
