import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { registerDocument } from "../documents";
import { accountScopeOutput } from "../shared/aws-scope";
import { BucketRole, LAKE_ZONES, RAW_RETENTION_ZONES } from "./layout";
import { lakeKeyPolicy } from "./key-policy";
import { SecureBucket, LifecycleRuleArgs } from "./secure-bucket";
import { AUDIT_LOG_PREFIX, auditTrailArn } from "../audit/audit-documents";

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
  /** Tags merged into every taggable child. @default - none */
  readonly tags?: Record<string, string>;
}

/**
 * The data lake: a customer-managed KMS key with rotation and five buckets (raw, curated, query results,
 * artifacts, access logs), each a {@link SecureBucket}. Every bucket but the log bucket is SSE-KMS with the
 * lake key and logs its access into the log bucket.
 */
export class DataLake extends pulumi.ComponentResource {
  public readonly kmsKey: aws.kms.Key;
  public readonly kmsKeyAlias: aws.kms.Alias;
  public readonly buckets: Readonly<Record<BucketRole, aws.s3.Bucket>>;
  /** The SecureBucket components, for their policies (dependencies of writers). */
  public readonly secureBuckets: Readonly<Record<BucketRole, SecureBucket>>;
  public readonly bucketNames: pulumi.Output<Record<BucketRole, string>>;

  constructor(name: string, args: DataLakeArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:lake:DataLake", name, {}, opts);
    const tags = { ...args.tags };
    const protect = args.protectData ?? false;
    const dataOpts = { parent: this, protect, retainOnDelete: protect };

    const scope = accountScopeOutput(this);
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
      dataOpts,
    );
    this.kmsKeyAlias = new aws.kms.Alias(
      `${name}-key-alias`,
      { name: pulumi.interpolate`alias/${name}-lake`, targetKeyId: this.kmsKey.keyId },
      { parent: this },
    );

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
          accountId: scope.accountId,
        },
      },
      dataOpts,
    );
    const kms = { kmsKeyArn: this.kmsKey.arn, accessLogBucket: logs.bucket };
    const raw = new SecureBucket(
      `${name}-raw`,
      {
        ...common,
        ...kms,
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
        lifecycleRules: [{ id: "expire-curated", expireAfterDays: args.curatedRetentionDays, ...tiering }],
      },
      dataOpts,
    );
    const results = new SecureBucket(
      `${name}-results`,
      {
        ...common,
        ...kms,
        lifecycleRules: [{ id: "expire-query-results", expireAfterDays: args.resultsRetentionDays ?? 30 }],
      },
      dataOpts,
    );
    // Code and model artifacts: versioned, never expired by age (a model in service must not vanish).
    const artifacts = new SecureBucket(`${name}-artifacts`, { ...common, ...kms }, dataOpts);

    this.secureBuckets = { raw, curated, results, artifacts, logs };
    this.buckets = {
      raw: raw.bucket,
      curated: curated.bucket,
      results: results.bucket,
      artifacts: artifacts.bucket,
      logs: logs.bucket,
    };

    this.bucketNames = pulumi.output({
      raw: raw.name,
      curated: curated.name,
      results: results.name,
      artifacts: artifacts.name,
      logs: logs.name,
    });
    this.registerOutputs({ kmsKeyArn: this.kmsKey.arn, bucketNames: this.bucketNames });
  }
}
