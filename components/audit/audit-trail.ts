import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { registerDocument } from "../documents";
import type { LakeEncryption } from "../lake/lake";
import { accountScopeOutput } from "../shared/aws-scope";
import {
  AUDIT_LOG_PREFIX,
  auditTrailArn,
  auditTrailKeyPolicy,
  lakeDataEventSelectors,
} from "./audit-documents";

export interface AuditTrailArgs {
  /** The trail's name (`auditTrailName(deployment)`); fixed because the log bucket's policy names its ARN. */
  readonly trailName: string;
  /**
   * The bucket the log files go to, under `cloudtrail/`. Its policy must admit this trail (DataLake does with
   * `auditTrail` set); CloudTrail checks that policy when the trail is created, so pass the policy resource
   * when it is created in the same program (`policy` @default - none: the bucket's policy already exists).
   */
  readonly logBucket: { readonly name: pulumi.Input<string>; readonly policy?: pulumi.Resource | undefined };
  /** Buckets whose object-level reads and writes are recorded (the lake, not the log bucket itself). */
  readonly dataBucketArns: readonly pulumi.Input<string>[];
  /**
   * How the log files are encrypted, in the shape of `DataLake`'s `encryption`:
   * - `"create-key"`: a key of the trail's own (readers of lake data do not thereby read the audit logs), its
   *   policy admitting CloudTrail for this trail only (`auditTrailKeyPolicy`).
   * - `{ kmsKeyArn }`: an existing customer-managed key; its policy must let `cloudtrail.amazonaws.com`
   *   `kms:GenerateDataKey*` and `kms:DescribeKey` for this trail (`auditTrailKeyPolicy` shows the statements).
   * - `"s3-managed"`: no key: the files take the log bucket's default encryption (SSE-S3 on the lake's log
   *   bucket), so S3 permissions alone govern reading them; the policy pack's advisory `cloudtrail-kms` says so.
   * @default "create-key"
   */
  readonly encryption?: LakeEncryption;
  /** Keep a created key on delete and protect it (the log files stay readable). @default false */
  readonly protectData?: boolean;
  /** Tags merged into every taggable child. @default - none */
  readonly tags?: Record<string, string>;
}

/**
 * An audit trail of the lake: a CloudTrail trail recording S3 data events (every object read and write) on the
 * lake buckets, with log file validation (signed digest files prove no log file was changed or deleted),
 * encrypted with a key of its own by default (readers of lake data do not thereby read the audit logs; see
 * `encryption` for an existing key or the log bucket's SSE-S3), delivered into
 * the log bucket whose lifecycle keeps them `auditRetentionDays`. Management events are left to the
 * account's or organization's trail.
 */
export class AuditTrail extends pulumi.ComponentResource {
  public readonly trail: aws.cloudtrail.Trail;
  /** The key created with `encryption: "create-key"`. @default - undefined with an existing key or SSE-S3 */
  public readonly kmsKey?: aws.kms.Key;
  /** The key the log files are encrypted with. @default - undefined with `"s3-managed"` */
  public readonly kmsKeyArn?: pulumi.Output<string>;
  public readonly trailArn: pulumi.Output<string>;

  constructor(name: string, args: AuditTrailArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:audit:AuditTrail", name, {}, opts);
    const tags = { ...args.tags };
    const protect = args.protectData ?? false;
    const encryption = args.encryption ?? "create-key";
    if (encryption === "create-key") {
      const scope = accountScopeOutput(this);
      const keyPolicy = scope.apply((s) => auditTrailKeyPolicy(s, auditTrailArn(s, args.trailName)));
      registerDocument(this, "kms-audit-trail-key-policy", "json", keyPolicy);
      this.kmsKey = new aws.kms.Key(
        `${name}-key`,
        {
          description: `Audit trail log files (${args.trailName})`,
          enableKeyRotation: true,
          deletionWindowInDays: 30,
          policy: pulumi.jsonStringify(keyPolicy),
          tags,
        },
        { parent: this, protect, retainOnDelete: protect },
      );
      this.kmsKeyArn = this.kmsKey.arn;
    } else if (encryption !== "s3-managed") {
      this.kmsKeyArn = pulumi.output(encryption.kmsKeyArn);
    }
    const selectors = pulumi.all([...args.dataBucketArns]).apply(lakeDataEventSelectors);
    registerDocument(this, "cloudtrail-audit-event-selectors", "json", selectors);
    this.trail = new aws.cloudtrail.Trail(
      name,
      {
        name: args.trailName,
        s3BucketName: args.logBucket.name,
        s3KeyPrefix: AUDIT_LOG_PREFIX,
        enableLogFileValidation: true,
        kmsKeyId: this.kmsKeyArn,
        enableLogging: true,
        isMultiRegionTrail: false,
        includeGlobalServiceEvents: false,
        advancedEventSelectors: selectors,
        tags,
      },
      { parent: this, dependsOn: args.logBucket.policy ? [args.logBucket.policy] : [] },
    );
    this.trailArn = this.trail.arn;
    this.registerOutputs({ trailArn: this.trailArn, kmsKeyArn: this.kmsKeyArn });
  }
}
