import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { registerDocument } from "../documents";
import type { BucketRef } from "../shared/resource-refs";
import { tlsOnlyStatement, accessLogDeliveryStatement, cloudTrailDeliveryStatements } from "./bucket-policy";

/** One lifecycle rule of a {@link SecureBucket}. */
export interface LifecycleRuleArgs {
  /** Rule ID, unique within the bucket. */
  readonly id: string;
  /** Key prefix the rule applies to. @default - the whole bucket */
  readonly prefix?: string;
  /** Days after creation when current objects expire. @default - never */
  readonly expireAfterDays?: number;
  /** Days after creation to move objects to Standard-IA. @default - no transition */
  readonly infrequentAccessAfterDays?: number;
  /** Days after creation to move objects to Glacier Instant Retrieval. @default - no transition */
  readonly glacierAfterDays?: number;
}

export interface SecureBucketArgs {
  /**
   * KMS key for default encryption (SSE-KMS with an S3 bucket key).
   * @default - SSE-S3 (AES256); only for the access-log bucket, because S3 server access logging cannot
   * deliver into an SSE-KMS bucket
   */
  readonly kmsKeyArn?: pulumi.Input<string> | undefined;
  /** Bucket that receives this bucket's server access logs. @default - no access logging (the log bucket itself) */
  readonly accessLogBucket?: BucketRef;
  /** Prefix of this bucket's access logs in the log bucket. @default - `s3-access/<name>/` */
  readonly accessLogPrefix?: string;
  /** Days a replaced or deleted object version is kept. */
  readonly noncurrentVersionDays: number;
  /** Lifecycle rules in addition to the noncurrent-version and incomplete-upload rules every bucket gets. @default - none */
  readonly lifecycleRules?: readonly LifecycleRuleArgs[];
  /**
   * Makes this the access-log bucket: S3 may deliver server access logs here from buckets of this account
   * whose ARN matches the pattern (a pattern, because the sources need this bucket before they exist).
   * @default - accepts no access logs
   */
  readonly acceptsAccessLogsFrom?: {
    readonly sourceArnPattern: pulumi.Input<string>;
    /** Further source buckets by exact ARN (existing buckets outside the pattern). @default - none */
    readonly sourceArns?: pulumi.Input<string>[];
    readonly accountId: pulumi.Input<string>;
  };
  /**
   * Admits one CloudTrail trail's log files under `<prefix>/AWSLogs/<account>/` (the audit trail's bucket).
   * @default - no CloudTrail delivery
   */
  readonly acceptsCloudTrail?: {
    readonly trailArn: pulumi.Input<string>;
    readonly accountId: pulumi.Input<string>;
    readonly prefix: string;
  };
  /**
   * Adopt this existing bucket instead of creating one. With `applyControls`, the bucket gets this component's
   * public-access block, default encryption, TLS-only bucket policy (replacing the bucket's policy) and access
   * logging, all kept on `pulumi destroy` (retainOnDelete) so the owner's bucket is never left unprotected;
   * its versioning, object ownership and lifecycle stay the owner's (they would rewrite the owner's retention).
   * Without it, nothing on the bucket changes and the owner must ensure those controls; the TLS-only policy
   * this component would apply is still registered as a document (`s3-bucket-policy-<name>`).
   * @default - a new bucket is created
   */
  readonly existing?: { readonly bucket: BucketRef; readonly applyControls: boolean };
  /** Allow `pulumi destroy` to delete a non-empty bucket. @default false */
  readonly forceDestroy?: boolean;
  /** Tags for the bucket. @default - none */
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/**
 * An S3 bucket with the controls every bucket of the platform needs: all four public-access blocks, object
 * ownership enforced (no ACLs), default encryption, versioning, a TLS-only bucket policy, server access
 * logging and lifecycle rules. Modelled on aws-solutions-constructs' `DefaultS3Props`.
 */
export class SecureBucket extends pulumi.ComponentResource {
  /** The bucket this component created. @default - undefined when it adopted an existing bucket */
  public readonly bucket?: aws.s3.Bucket;
  public readonly arn: pulumi.Output<string>;
  public readonly name: pulumi.Output<string>;
  /**
   * The bucket policy; depend on it before writing into the bucket.
   * @default - undefined when an adopted bucket's controls are left to its owner
   */
  public readonly policy?: aws.s3.BucketPolicy;

  constructor(name: string, args: SecureBucketArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:lake:SecureBucket", name, {}, opts);
    const child = { parent: this };

    const existing = args.existing;
    if (existing) {
      this.name = pulumi.output(existing.bucket.name);
      this.arn = pulumi.output(existing.bucket.arn);
    } else {
      // retainOnDelete is not inherited from the parent, so the bucket (the data) takes it explicitly.
      this.bucket = new aws.s3.Bucket(
        name,
        { forceDestroy: args.forceDestroy ?? false, tags: args.tags },
        { parent: this, protect: opts.protect, retainOnDelete: opts.retainOnDelete },
      );
      this.name = this.bucket.bucket;
      this.arn = this.bucket.arn;
    }
    const bucket = this.bucket ? this.bucket.id : this.name;
    // On an adopted bucket the controls stay on `pulumi destroy`: removing them would leave it less protected.
    const controlOpts = existing ? { parent: this, retainOnDelete: true } : child;

    const ownership = existing
      ? undefined
      : new aws.s3.BucketOwnershipControls(
          `${name}-ownership`,
          { bucket, rule: { objectOwnership: "BucketOwnerEnforced" } },
          child,
        );
    const policyDocument = pulumi
      .all([this.arn, pulumi.output(args.acceptsAccessLogsFrom), pulumi.output(args.acceptsCloudTrail)])
      .apply(([arn, logSources, trail]) => {
        const statements: aws.iam.PolicyStatement[] = [tlsOnlyStatement(arn)];
        if (logSources) statements.push(accessLogDeliveryStatement(arn, logSources));
        if (trail) statements.push(...cloudTrailDeliveryStatements(arn, trail));
        return { Version: "2012-10-17", Statement: statements } satisfies aws.iam.PolicyDocument;
      });
    registerDocument(this, `s3-bucket-policy-${name}`, "json", policyDocument);

    if (existing && !existing.applyControls) {
      this.registerOutputs({ arn: this.arn, name: this.name });
      return;
    }

    const publicAccess = new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      {
        bucket,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      controlOpts,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      {
        bucket,
        rules: [
          args.kmsKeyArn
            ? {
                applyServerSideEncryptionByDefault: {
                  sseAlgorithm: "aws:kms",
                  kmsMasterKeyId: args.kmsKeyArn,
                },
                // Bucket keys cut KMS request costs by ~99% for high-volume writers like Firehose.
                bucketKeyEnabled: true,
              }
            : { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
        ],
      },
      controlOpts,
    );
    this.policy = new aws.s3.BucketPolicy(
      `${name}-policy`,
      { bucket, policy: pulumi.jsonStringify(policyDocument) },
      // A bucket policy put before the public-access block can be rejected as "public" by S3.
      { ...controlOpts, dependsOn: ownership ? [publicAccess, ownership] : [publicAccess] },
    );

    if (args.accessLogBucket) {
      new aws.s3.BucketLogging(
        `${name}-access-logging`,
        {
          bucket,
          targetBucket: args.accessLogBucket.name,
          targetPrefix: args.accessLogPrefix ?? `s3-access/${name}/`,
          // Date-partitioned keys make the logs queryable by Athena without a crawler.
          targetObjectKeyFormat: { partitionedPrefix: { partitionDateSource: "EventTime" } },
        },
        controlOpts,
      );
    }
    if (existing) {
      this.registerOutputs({ arn: this.arn, name: this.name });
      return;
    }

    const versioning = new aws.s3.BucketVersioning(
      `${name}-versioning`,
      { bucket, versioningConfiguration: { status: "Enabled" } },
      child,
    );

    new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      { bucket, rules: lifecycleRules(args) },
      // Lifecycle rules on noncurrent versions need versioning in place first.
      { parent: this, dependsOn: [versioning] },
    );

    this.registerOutputs({ arn: this.arn, name: this.name });
  }
}

function lifecycleRules(args: SecureBucketArgs): aws.types.input.s3.BucketLifecycleConfigurationRule[] {
  const rules: aws.types.input.s3.BucketLifecycleConfigurationRule[] = [
    {
      id: "noncurrent-versions",
      status: "Enabled",
      filter: {},
      noncurrentVersionExpiration: { noncurrentDays: args.noncurrentVersionDays },
      expiration: { expiredObjectDeleteMarker: true },
    },
    {
      id: "incomplete-uploads",
      status: "Enabled",
      filter: {},
      abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
    },
  ];
  for (const rule of args.lifecycleRules ?? []) {
    const transitions: aws.types.input.s3.BucketLifecycleConfigurationRuleTransition[] = [];
    if (rule.infrequentAccessAfterDays)
      transitions.push({ days: rule.infrequentAccessAfterDays, storageClass: "STANDARD_IA" });
    if (rule.glacierAfterDays) transitions.push({ days: rule.glacierAfterDays, storageClass: "GLACIER_IR" });
    rules.push({
      id: rule.id,
      status: "Enabled",
      filter: { prefix: rule.prefix ?? "" },
      ...(rule.expireAfterDays ? { expiration: { days: rule.expireAfterDays } } : {}),
      ...(transitions.length > 0 ? { transitions } : {}),
    });
  }
  return rules;
}
