/**
 * S3 rules. In @pulumi/aws v7 a bucket's settings are separate resources (public-access block, encryption,
 * versioning, policy, logging), so these are stack rules that look for the companion resources of each bucket.
 * Sources: cdk-nag AwsSolutions-S1/S2/S10, Security Hub S3.1/S3.4/S3.5/S3.14, aws-solutions-constructs DefaultS3Props.
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { parsePolicyDocument } from "../lib/policy-statements";
import { resourcesReferencing } from "../lib/resources";

const BUCKET = "aws:s3/bucket:Bucket";
const companions = (all: readonly PolicyResource[], type: string, bucket: PolicyResource) =>
  resourcesReferencing(all, type, "bucket", bucket, [bucket.props.bucket, bucket.props.id]);

/** Buckets that receive S3 server access logs: they cannot use SSE-KMS and need not log themselves. */
function accessLogTargets(all: readonly PolicyResource[]): Set<string> {
  const targets = new Set<string>();
  for (const bucket of all.filter((r) => r.type === BUCKET)) {
    if (
      resourcesReferencing(all, "aws:s3/bucketLogging:BucketLogging", "targetBucket", bucket, [
        bucket.props.bucket,
      ]).length > 0
    ) {
      targets.add(bucket.urn);
    }
  }
  return targets;
}

function forEachBucket(
  check: (
    bucket: PolicyResource,
    all: readonly PolicyResource[],
    logTargets: Set<string>,
  ) => string | undefined,
): StackValidationPolicy["validateStack"] {
  return (args, reportViolation) => {
    const logTargets = accessLogTargets(args.resources);
    for (const bucket of args.resources.filter((r) => r.type === BUCKET)) {
      const problem = check(bucket, args.resources, logTargets);
      if (problem) reportViolation(`${bucket.name}: ${problem}`, bucket.urn);
    }
  };
}

export const s3PublicAccessBlock: StackValidationPolicy = {
  name: "s3-public-access-block",
  description: "Every bucket has a public-access block with all four settings on.",
  enforcementLevel: "mandatory",
  validateStack: forEachBucket((bucket, all) => {
    const blocks = companions(all, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", bucket);
    if (blocks.length === 0) return "has no BucketPublicAccessBlock";
    const settings = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];
    const off = settings.filter((s) => blocks[0]!.props[s] !== true);
    return off.length > 0 ? `public-access block leaves ${off.join(", ")} off` : undefined;
  }),
};

type EncryptionRule = {
  applyServerSideEncryptionByDefault?: { sseAlgorithm?: string; kmsMasterKeyId?: string };
};

/** The default-encryption rules of a bucket, or undefined when it has no encryption configuration. */
function encryptionRules(
  all: readonly PolicyResource[],
  bucket: PolicyResource,
): EncryptionRule[] | undefined {
  const configs = companions(
    all,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    bucket,
  );
  if (configs.length === 0) return undefined;
  return (configs[0]!.props.rules as EncryptionRule[] | undefined) ?? [];
}

const algorithmsOf = (rules: EncryptionRule[]) =>
  rules.map((r) => r.applyServerSideEncryptionByDefault?.sseAlgorithm);

export const s3DefaultEncryption: StackValidationPolicy = {
  name: "s3-default-encryption",
  description:
    "Every bucket states its default encryption, and an access-log target bucket uses SSE-S3 (S3 cannot deliver access logs into SSE-KMS buckets).",
  enforcementLevel: "mandatory",
  validateStack: forEachBucket((bucket, all, logTargets) => {
    const rules = encryptionRules(all, bucket);
    if (rules === undefined) return "has no default encryption configuration";
    if (logTargets.has(bucket.urn) && !algorithmsOf(rules).includes("AES256"))
      return "is an access-log target and must default to SSE-S3 (AES256)";
    return undefined;
  }),
};

export const s3KmsEncryption: StackValidationPolicy = {
  name: "s3-kms-encryption",
  description:
    'Every bucket but an access-log target is encrypted by default with SSE-KMS and a customer-managed key. Advisory: SSE-S3 encrypts at rest too; a keyless composition (DataLake encryption "s3-managed") chooses it knowingly, giving up key-policy control and the key\'s audit trail.',
  enforcementLevel: "advisory",
  validateStack: forEachBucket((bucket, all, logTargets) => {
    const rules = encryptionRules(all, bucket);
    if (rules === undefined || logTargets.has(bucket.urn)) return undefined;
    const kms = rules.find((r) => r.applyServerSideEncryptionByDefault?.sseAlgorithm?.startsWith("aws:kms"));
    if (!kms)
      return `defaults to ${algorithmsOf(rules).join(", ") || "no algorithm"}; use aws:kms with a customer-managed key`;
    return kms.applyServerSideEncryptionByDefault?.kmsMasterKeyId
      ? undefined
      : "uses aws:kms without naming a customer-managed key";
  }),
};

export const s3TlsOnly: StackValidationPolicy = {
  name: "s3-tls-only",
  description:
    "Every bucket has a bucket policy denying requests without TLS (aws:SecureTransport false) on the bucket and its objects.",
  enforcementLevel: "mandatory",
  validateStack: forEachBucket((bucket, all) => {
    const policies = companions(all, "aws:s3/bucketPolicy:BucketPolicy", bucket);
    if (policies.length === 0) return "has no bucket policy (needs one denying non-TLS requests)";
    const statements = parsePolicyDocument(policies[0]!.props.policy);
    if (!statements) return undefined; // not known until deployment (preview of a new stack)
    const denies = statements.some(
      (s) =>
        s.effect === "Deny" &&
        (s.actions.includes("s3:*") || s.actions.includes("*")) &&
        String(s.condition.Bool?.["aws:SecureTransport"]) === "false" &&
        s.resources.some((r) => r.endsWith("/*")) &&
        s.resources.some((r) => !r.endsWith("/*")),
    );
    return denies
      ? undefined
      : "bucket policy does not deny s3:* on the bucket and its objects when aws:SecureTransport is false";
  }),
};

export const s3Versioning: StackValidationPolicy = {
  name: "s3-versioning",
  description: "Every bucket has versioning enabled, so an overwrite or delete can be undone.",
  enforcementLevel: "mandatory",
  validateStack: forEachBucket((bucket, all) => {
    const versioning = companions(all, "aws:s3/bucketVersioning:BucketVersioning", bucket);
    const status = (versioning[0]?.props.versioningConfiguration as { status?: string } | undefined)?.status;
    return status === "Enabled" ? undefined : `versioning is ${status ?? "not configured"}; enable it`;
  }),
};

export const s3AccessLogging: StackValidationPolicy = {
  name: "s3-access-logging",
  description:
    "Every bucket logs its access into the log bucket; the log bucket itself is exempt (it would log into itself).",
  enforcementLevel: "mandatory",
  validateStack: forEachBucket((bucket, all, logTargets) => {
    if (logTargets.has(bucket.urn)) return undefined;
    return companions(all, "aws:s3/bucketLogging:BucketLogging", bucket).length > 0
      ? undefined
      : "has no server access logging; add a BucketLogging into the log bucket";
  }),
};

export const s3Policies = [
  s3PublicAccessBlock,
  s3DefaultEncryption,
  s3KmsEncryption,
  s3TlsOnly,
  s3Versioning,
  s3AccessLogging,
];
