import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { registerDocument } from "../documents";
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
   * `auditTrail` set); CloudTrail checks that policy when the trail is created.
   */
  readonly logBucket: { readonly name: pulumi.Input<string>; readonly policy: pulumi.Resource };
  /** Buckets whose object-level reads and writes are recorded (the lake, not the log bucket itself). */
  readonly dataBucketArns: readonly pulumi.Input<string>[];
  /** Keep the trail's key on delete and protect it (the log files stay readable). @default false */
  readonly protectData?: boolean;
  /** Tags merged into every taggable child. @default - none */
  readonly tags?: Record<string, string>;
}

/**
 * An audit trail of the lake: a CloudTrail trail recording S3 data events (every object read and write) on the
 * lake buckets, with log file validation (signed digest files prove no log file was changed or deleted),
 * encrypted with a key of its own (readers of lake data do not thereby read the audit logs), delivered into
 * the log bucket whose lifecycle keeps them `auditRetentionDays`. Management events are left to the
 * account's or organization's trail.
 */
export class AuditTrail extends pulumi.ComponentResource {
  public readonly trail: aws.cloudtrail.Trail;
  public readonly kmsKey: aws.kms.Key;
  public readonly trailArn: pulumi.Output<string>;

  constructor(name: string, args: AuditTrailArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:audit:AuditTrail", name, {}, opts);
    const tags = { ...args.tags };
    const protect = args.protectData ?? false;
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
    const selectors = pulumi.all([...args.dataBucketArns]).apply(lakeDataEventSelectors);
    registerDocument(this, "cloudtrail-audit-event-selectors", "json", selectors);
    this.trail = new aws.cloudtrail.Trail(
      name,
      {
        name: args.trailName,
        s3BucketName: args.logBucket.name,
        s3KeyPrefix: AUDIT_LOG_PREFIX,
        enableLogFileValidation: true,
        kmsKeyId: this.kmsKey.arn,
        enableLogging: true,
        isMultiRegionTrail: false,
        includeGlobalServiceEvents: false,
        advancedEventSelectors: selectors,
        tags,
      },
      { parent: this, dependsOn: [args.logBucket.policy] },
    );
    this.trailArn = this.trail.arn;
    this.registerOutputs({ trailArn: this.trailArn, kmsKeyArn: this.kmsKey.arn });
  }
}
