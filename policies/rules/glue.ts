/**
 * Glue rules. Sources: cdk-nag AwsSolutions-GL1 (CloudWatch log encryption) and GL3 (job bookmark
 * encryption), Security Hub Glue controls, AWS Glue "Encrypting data written by crawlers, jobs and development
 * endpoints", and the public ETL samples this platform replaces, which grant `glue:*` on `*`.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { policyDocumentsOf } from "../lib/policy-statements";

const CRAWLER = "aws:glue/crawler:Crawler";
const JOB = "aws:glue/job:Job";
const SECURITY_CONFIGURATION = "aws:glue/securityConfiguration:SecurityConfiguration";
const CONNECTION = "aws:glue/connection:Connection";

/** Glue's default job timeout: 48 hours of workers billed for a job stuck on a lock. */
const GLUE_DEFAULT_TIMEOUT_MINUTES = 2880;

export const glueSecurityConfiguration: ResourceValidationPolicy = {
  name: "glue-security-configuration",
  description:
    "Every Glue crawler and job runs with a security configuration, so what it writes to S3, its logs and its bookmarks are encrypted.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== CRAWLER && args.type !== JOB) return;
    const value = args.props.securityConfiguration;
    if (typeof value !== "string" || value === "") {
      reportViolation(
        `${args.name} has no securityConfiguration; set it to the platform's Glue security configuration (SSE-KMS for S3, KMS for logs and bookmarks)`,
      );
    }
  },
};

interface EncryptionConfiguration {
  s3Encryption?: { s3EncryptionMode?: string; kmsKeyArn?: string };
  cloudwatchEncryption?: { cloudwatchEncryptionMode?: string; kmsKeyArn?: string };
  jobBookmarksEncryption?: { jobBookmarksEncryptionMode?: string; kmsKeyArn?: string };
}

/** The three encryptions of a security configuration: field, mode, the KMS mode wanted, key. */
function encryptions(
  config: EncryptionConfiguration,
): [string, string | undefined, string, string | undefined][] {
  return [
    [
      "s3Encryption.s3EncryptionMode",
      config.s3Encryption?.s3EncryptionMode,
      "SSE-KMS",
      config.s3Encryption?.kmsKeyArn,
    ],
    [
      "cloudwatchEncryption.cloudwatchEncryptionMode",
      config.cloudwatchEncryption?.cloudwatchEncryptionMode,
      "SSE-KMS",
      config.cloudwatchEncryption?.kmsKeyArn,
    ],
    [
      "jobBookmarksEncryption.jobBookmarksEncryptionMode",
      config.jobBookmarksEncryption?.jobBookmarksEncryptionMode,
      "CSE-KMS",
      config.jobBookmarksEncryption?.kmsKeyArn,
    ],
  ];
}

const configurationOf = (props: Record<string, unknown>): EncryptionConfiguration =>
  (props.encryptionConfiguration as EncryptionConfiguration | undefined) ?? {};

export const glueSecurityConfigurationEncrypts: ResourceValidationPolicy = {
  name: "glue-security-configuration-encrypts",
  description:
    "A Glue security configuration encrypts what jobs and crawlers write to S3 (SSE-S3, or SSE-KMS with a key), and names the key of every KMS mode it sets (CloudWatch logs SSE-KMS, bookmarks CSE-KMS).",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== SECURITY_CONFIGURATION) return;
    const [s3, ...others] = encryptions(configurationOf(args.props));
    const [field, mode] = s3!;
    if (mode !== "SSE-KMS" && mode !== "SSE-S3")
      reportViolation(
        `${args.name}: ${field} is ${mode ?? "not set"}; set it to SSE-KMS (or SSE-S3 without a key)`,
      );
    for (const [f, m, wanted, key] of [s3!, ...others])
      if (m === wanted && !key)
        reportViolation(`${args.name}: ${f} is ${wanted} without a kmsKeyArn; name the key`);
  },
};

export const glueSecurityConfigurationKms: ResourceValidationPolicy = {
  name: "glue-security-configuration-kms",
  description:
    "A Glue security configuration encrypts all three with a customer-managed key: S3 output with SSE-KMS, CloudWatch logs with SSE-KMS and job bookmarks with CSE-KMS. Advisory: a keyless composition writes SSE-S3 and keeps CloudWatch Logs' own encryption.",
  enforcementLevel: "advisory",
  validateResource: (args, reportViolation) => {
    if (args.type !== SECURITY_CONFIGURATION) return;
    for (const [field, mode, wanted] of encryptions(configurationOf(args.props)))
      if (mode !== wanted)
        reportViolation(`${args.name}: ${field} is ${mode ?? "not set"}; set it to ${wanted}`);
  },
};

export const glueNoWildcardActions: ResourceValidationPolicy = {
  name: "glue-no-wildcard-actions",
  description:
    'No policy grants "glue:*" (or "*"): Glue roles and the state machine get the Glue actions they use, on the jobs, crawlers, connection and catalog they use. A Wildcard Sid does not excuse it.',
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    for (const doc of policyDocumentsOf(args.type, args.props)) {
      doc.statements.forEach((s, i) => {
        if (s.effect !== "Allow") return;
        const wild = s.actions.filter((a) => a === "*" || a.toLowerCase() === "glue:*");
        if (wild.length > 0) {
          reportViolation(
            `${args.name} ${doc.path} statement ${s.sid ?? `#${i}`} allows ${wild.join(", ")}; list the Glue actions it needs`,
          );
        }
      });
    }
  },
};

export const glueJdbcConnectionSecure: ResourceValidationPolicy = {
  name: "glue-jdbc-connection-secure",
  description:
    "JDBC connections enforce TLS (JDBC_ENFORCE_SSL) and take credentials from Secrets Manager (SECRET_ID), never a PASSWORD property stored in the Glue catalog.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== CONNECTION || (args.props.connectionType ?? "JDBC") !== "JDBC") return;
    const properties = (args.props.connectionProperties as Record<string, unknown> | undefined) ?? {};
    if (properties.JDBC_ENFORCE_SSL !== "true") {
      reportViolation(
        `${args.name}: JDBC_ENFORCE_SSL is ${JSON.stringify(properties.JDBC_ENFORCE_SSL ?? null)}; set it to "true"`,
      );
    }
    if (properties.PASSWORD !== undefined)
      reportViolation(
        `${args.name} stores a PASSWORD in the connection; put the credentials in Secrets Manager and set SECRET_ID`,
      );
    if (!properties.SECRET_ID)
      reportViolation(
        `${args.name} has no SECRET_ID; name the Secrets Manager secret holding username and password`,
      );
  },
};

export const glueJobBounded: ResourceValidationPolicy = {
  name: "glue-job-bounded",
  description: `Glue jobs set a timeout below Glue's default of ${GLUE_DEFAULT_TIMEOUT_MINUTES} minutes, so a stuck job stops costing money within the time the pipeline allows.`,
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== JOB) return;
    const timeout = args.props.timeout;
    if (typeof timeout !== "number" || timeout >= GLUE_DEFAULT_TIMEOUT_MINUTES) {
      reportViolation(
        `${args.name}: timeout is ${timeout === undefined ? "not set (48 hours)" : `${String(timeout)} minutes`}; set it from glueJobTimeoutMinutes`,
      );
    }
  },
};

export const gluePolicies = [
  glueSecurityConfiguration,
  glueSecurityConfigurationEncrypts,
  glueSecurityConfigurationKms,
  glueNoWildcardActions,
  glueJdbcConnectionSecure,
  glueJobBounded,
];
