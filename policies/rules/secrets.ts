/**
 * Secrets rules. Sources: Security Hub SecretsManager.1-4, cdk-nag AwsSolutions-SMG4 and RDS "Password
 * management with Amazon RDS and AWS Secrets Manager".
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";

const SECRET = "aws:secretsmanager/secret:Secret";
const RDS_INSTANCE = "aws:rds/instance:Instance";
const RDS_CLUSTER = "aws:rds/cluster:Cluster";

export const secretsKms: ResourceValidationPolicy = {
  name: "secrets-kms",
  description:
    "Secrets Manager secrets are encrypted with a customer-managed KMS key (kmsKeyId), not the account's default aws/secretsmanager key. Advisory: the default key encrypts too, a keyless composition's choice.",
  enforcementLevel: "advisory",
  validateResource: (args, reportViolation) => {
    if (args.type !== SECRET) return;
    const key = args.props.kmsKeyId;
    if (typeof key !== "string" || key === "" || key === "alias/aws/secretsmanager") {
      reportViolation(`${args.name} is encrypted with the default key; set kmsKeyId to the lake key`);
    }
  },
};

export const databaseCredentialsManaged: ResourceValidationPolicy = {
  name: "database-credentials-managed",
  description:
    "RDS master passwords are generated, stored and rotated by RDS in Secrets Manager (manageMasterUserPassword), never given as a password the stack state would hold (rds-customer-managed-key advises the secret's key).",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== RDS_INSTANCE && args.type !== RDS_CLUSTER) return;
    // Replicas and restores inherit their credentials from the source.
    if (args.props.replicateSourceDb !== undefined || args.props.snapshotIdentifier !== undefined) return;
    if (args.props.password !== undefined || args.props.masterPassword !== undefined) {
      reportViolation(
        `${args.name} is given a master password; remove it and set manageMasterUserPassword to true`,
      );
    } else if (args.props.manageMasterUserPassword !== true) {
      reportViolation(
        `${args.name} does not set manageMasterUserPassword; set it to true so RDS keeps and rotates the password in Secrets Manager`,
      );
    }
  },
};

export const secretsPolicies = [secretsKms, databaseCredentialsManaged];
