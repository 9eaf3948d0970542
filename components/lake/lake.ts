import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { registerDocument } from "../documents";
import { accountScopeOutput } from "../shared/aws-scope";
import type { BucketRef } from "../shared/resource-refs";
import { BucketRole, LAKE_ZONES, RAW_RETENTION_ZONES } from "./layout";
import { lakeKeyPolicy } from "./key-policy";
import { SecureBucket, LifecycleRuleArgs } from "./secure-bucket";
import { AUDIT_LOG_PREFIX, auditTrailArn } from "../audit/audit-documents";

/** The lake's data buckets: every bucket but the access-log bucket. */
export type DataBucketRole = Exclude<BucketRole, "logs">;

/**
 * How the lake's data buckets are encrypted at rest.
 * - `"create-key"`: SSE-KMS with a customer-managed key created with the lake (rotation on, key policy scoped
 *   to this account's services).
 * - `{ kmsKeyArn }`: SSE-KMS with an existing customer-managed key; its key policy must let the lake's writers
 *   (Firehose, Glue, SageMaker, Lambda, Athena of this account) use it.
 * - `"s3-managed"`: SSE-S3 (AES-256 with keys S3 owns): no key to manage or pay for, but read access to the
 *   objects is then governed by S3 permissions alone: no separate `kms:Decrypt` grant, no CloudTrail record of
 *   each decryption, no revoking access by disabling a key. Every component takes `kmsKeyArn` as optional
 *   and falls back to its service's AWS-managed encryption; the policy pack accepts it and advises a key.
 */
export type LakeEncryption = "create-key" | "s3-managed" | { readonly kmsKeyArn: pulumi.Input<string> };

export interface DataLakeArgs {
  /** Days raw readings (and quarantine, error and import zones) are kept. */
  readonly rawRetentionDays: number;
  /** Days curated data, anomalies and training sets are kept. */
  readonly curatedRetentionDays: number;
  /** Days after which lake objects move to Standard-IA. @default - no transition */
  readonly infrequentAccessAfterDays?: number;
  /** Days after which lake objects move to Glacier Instant Retrieval. @default - no transition */
  readonly glacierAfterDays?: number;
  /** Days replaced or deleted object versions are kept. @default 7 */
  readonly noncurrentVersionDays?: number;
  /** Days Athena query results are kept. @default 30 */
  readonly resultsRetentionDays?: number;
  /** Days S3 server access logs are kept. @default 365 */
  readonly accessLogRetentionDays?: number;
  /**
   * Prepare the log bucket for the stack's audit trail: its policy admits the trail (named here, since the
   * trail is created after the bucket) under `cloudtrail/`, whose lifecycle keeps the log files `retentionDays`
   * (moving them to Glacier Instant Retrieval after 90 days when kept 180 days or more).
   * @default - no audit trail
   */
  readonly auditTrail?: { readonly trailName: string; readonly retentionDays: number };
  /**
   * Protect the data from deletion: `protect` and `retainOnDelete` on the KMS key and every bucket, and a
   * 30-day key deletion window. When false, buckets are force-destroyable so `pulumi destroy` cleans up a
   * dev stack.
   * @default false
   */
  readonly protectData?: boolean;
  /**
   * Encryption at rest of the data buckets (see {@link LakeEncryption}); the access-log bucket is always SSE-S3,
   * because S3 server access logging cannot deliver into an SSE-KMS bucket.
   * @default "create-key"
   */
  readonly encryption?: LakeEncryption;
  /**
   * Existing buckets to use for some roles instead of creating them (e.g. a landing bucket another team owns,
   * or the organisation's access-log bucket as `logs`), passed as `{ name, arn }` or
   * `bucketRef(aws.s3.Bucket.get(...))`. No bucket is created for those roles; see
   * `applyControlsToExistingBuckets` for what the lake changes on them. The lake's retention, tiering and
   * versioning settings do not apply to an existing bucket: its lifecycle stays its owner's.
   *
   * On `pulumi destroy` an adopted bucket and the controls put on it stay. With `encryption: "create-key"`,
   * objects the platform wrote into an adopted data bucket are encrypted with the lake key, and its default
   * encryption names that key: so the lake then keeps its key on destroy too (`retainOnDelete`), or those
   * objects would become unreadable and writes would fail once the key is deleted. Schedule the key's deletion
   * yourself once no object needs it (and point the bucket's default encryption elsewhere first).
   * @default - every bucket is created
   */
  readonly existingBuckets?: Readonly<Partial<Record<BucketRole, BucketRef>>>;
  /**
   * Apply the lake's controls to existing buckets: the public-access block, default encryption (see
   * `encryption`; SSE-S3 on an adopted log bucket), the TLS-only bucket policy (this REPLACES the bucket's own
   * policy; on an adopted log bucket it also admits the lake's access logs) and server access logging into the
   * lake's log bucket. They are kept on `pulumi destroy`. Set false when the owner manages the bucket's policy
   * and encryption: nothing on the bucket changes, and the owner must ensure TLS-only access (the policy the
   * lake would apply is registered as the document `s3-bucket-policy-<name>-<role>`; for an adopted log bucket
   * it holds the statement admitting the lake's access logs), encryption at rest and blocked public access.
   * @default true
   */
  readonly applyControlsToExistingBuckets?: boolean;
  /** Tags merged into every taggable child. @default - none */
  readonly tags?: Record<string, string>;
}

/**
 * The data lake: a customer-managed KMS key with rotation and five buckets (raw, curated, query results,
 * artifacts, access logs), each a {@link SecureBucket}. Every bucket but the log bucket is SSE-KMS with the
 * lake key and logs its access into the log bucket. The key may be an existing one or none (SSE-S3), and any
 * bucket, the log bucket included, may be an existing one (`existingBuckets`).
 */
export class DataLake extends pulumi.ComponentResource {
  /** The key created with `encryption: "create-key"`. @default - undefined with an existing key or SSE-S3 */
  public readonly kmsKey?: aws.kms.Key;
  /** @default - undefined unless the key is created here */
  public readonly kmsKeyAlias?: aws.kms.Alias;
  /** ARN of the key the data buckets are encrypted with, created or given. @default - undefined with SSE-S3 */
  public readonly kmsKeyArn?: pulumi.Output<string>;
  /** Every bucket of the lake, created or existing, by name and ARN: what the other components take. */
  public readonly buckets: Readonly<Record<BucketRole, BucketRef>>;
  /** The SecureBucket components, for their policies (dependencies of writers). */
  public readonly secureBuckets: Readonly<Record<BucketRole, SecureBucket>>;
  public readonly bucketNames: pulumi.Output<Record<BucketRole, string>>;

  constructor(name: string, args: DataLakeArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:lake:DataLake", name, {}, opts);
    const tags = { ...args.tags };
    const protect = args.protectData ?? false;
    const dataOpts = { parent: this, protect, retainOnDelete: protect };

    const scope = accountScopeOutput(this);
    const encryption = args.encryption ?? "create-key";
    const existing = args.existingBuckets ?? {};
    const adoptsDataBuckets = Object.keys(existing).some((role) => role !== "logs");
    if (encryption === "create-key") {
      const keyPolicy = scope.apply(lakeKeyPolicy);
      registerDocument(this, "kms-lake-key-policy", "json", keyPolicy);
      this.kmsKey = new aws.kms.Key(
        `${name}-key`,
        {
          description: `Data lake encryption key (${name})`,
          enableKeyRotation: true,
          deletionWindowInDays: protect ? 30 : 7,
          policy: pulumi.jsonStringify(keyPolicy),
          tags,
        },
        // Objects in an adopted bucket outlive the stack: the key that encrypts them must too.
        { ...dataOpts, retainOnDelete: protect || adoptsDataBuckets },
      );
      this.kmsKeyAlias = new aws.kms.Alias(
        `${name}-key-alias`,
        { name: pulumi.interpolate`alias/${name}-lake`, targetKeyId: this.kmsKey.keyId },
        { parent: this },
      );
      this.kmsKeyArn = this.kmsKey.arn;
    } else if (encryption !== "s3-managed") {
      this.kmsKeyArn = pulumi.output(encryption.kmsKeyArn);
    }
    const applyControls = args.applyControlsToExistingBuckets ?? true;
    const adopt = (role: BucketRole) => {
      const bucket = existing[role];
      return bucket ? { existing: { bucket, applyControls } } : {};
    };

    const noncurrentVersionDays = args.noncurrentVersionDays ?? 7;
    const common = { noncurrentVersionDays, forceDestroy: !protect, tags };
    const tiering = {
      infrequentAccessAfterDays: args.infrequentAccessAfterDays,
      glacierAfterDays: args.glacierAfterDays,
    };

    const audit = args.auditTrail;
    const logs = new SecureBucket(
      `${name}-logs`,
      {
        ...common,
        ...adopt("logs"),
        lifecycleRules: [
          {
            id: "expire-access-logs",
            prefix: LAKE_ZONES.accessLogs.prefix,
            expireAfterDays: args.accessLogRetentionDays ?? 365,
          },
          ...(audit
            ? [
                {
                  id: "expire-audit-trail",
                  prefix: LAKE_ZONES.auditTrail.prefix,
                  expireAfterDays: audit.retentionDays,
                  // Glacier Instant Retrieval bills 90 days at least: only worth it for logs kept well beyond.
                  glacierAfterDays: audit.retentionDays >= 180 ? 90 : undefined,
                },
              ]
            : []),
        ],
        acceptsCloudTrail: audit
          ? {
              trailArn: scope.apply((s) => auditTrailArn(s, audit.trailName)),
              accountId: scope.accountId,
              prefix: AUDIT_LOG_PREFIX,
            }
          : undefined,
        // Auto-named buckets start with their logical name, so "<name>-*" covers exactly this lake's buckets.
        acceptsAccessLogsFrom: {
          sourceArnPattern: pulumi.interpolate`arn:${scope.partition}:s3:::${name}-*`,
          sourceArns: Object.entries(existing)
            .filter(([role]) => role !== "logs")
            .map(([, bucket]) => bucket.arn),
          accountId: scope.accountId,
        },
      },
      dataOpts,
    );
    const kms = { kmsKeyArn: this.kmsKeyArn, accessLogBucket: { name: logs.name, arn: logs.arn } };
    const raw = new SecureBucket(
      `${name}-raw`,
      {
        ...common,
        ...kms,
        ...adopt("raw"),
        lifecycleRules: RAW_RETENTION_ZONES.map((zone): LifecycleRuleArgs => ({
          id: `expire-${zone}`,
          prefix: LAKE_ZONES[zone].prefix,
          expireAfterDays: args.rawRetentionDays,
          ...tiering,
        })),
      },
      dataOpts,
    );
    const curated = new SecureBucket(
      `${name}-curated`,
      {
        ...common,
        ...kms,
        ...adopt("curated"),
        lifecycleRules: [{ id: "expire-curated", expireAfterDays: args.curatedRetentionDays, ...tiering }],
      },
      dataOpts,
    );
    const results = new SecureBucket(
      `${name}-results`,
      {
        ...common,
        ...kms,
        ...adopt("results"),
        lifecycleRules: [{ id: "expire-query-results", expireAfterDays: args.resultsRetentionDays ?? 30 }],
      },
      dataOpts,
    );
    // Code and model artifacts: versioned, never expired by age (a model in service must not vanish).
    const artifacts = new SecureBucket(
      `${name}-artifacts`,
      { ...common, ...kms, ...adopt("artifacts") },
      dataOpts,
    );

    this.secureBuckets = { raw, curated, results, artifacts, logs };
    const ref = (b: SecureBucket): BucketRef => ({ name: b.name, arn: b.arn });
    this.buckets = {
      raw: ref(raw),
      curated: ref(curated),
      results: ref(results),
      artifacts: ref(artifacts),
      logs: ref(logs),
    };

    this.bucketNames = pulumi.output({
      raw: raw.name,
      curated: curated.name,
      results: results.name,
      artifacts: artifacts.name,
      logs: logs.name,
    });
    this.registerOutputs({ kmsKeyArn: this.kmsKeyArn, bucketNames: this.bucketNames });
  }
}
