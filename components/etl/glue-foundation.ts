import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { accountScopeOutput, serviceTrustPolicy } from "../shared/aws-scope";

export interface GlueFoundationArgs {
  /** The lake's catalog database (`PlatformConfig.lake.catalogDatabase`); the sources database is named after it. */
  readonly lakeDatabaseName: string;
  /**
   * The lake key: S3 writes, CloudWatch logs and job bookmarks are encrypted with it.
   * @default - none: S3 writes use SSE-S3, logs keep CloudWatch Logs' own encryption, bookmarks are not
   * client-side encrypted (Glue offers only CSE-KMS for them)
   */
  readonly kmsKeyArn?: pulumi.Input<string> | undefined;
  /** Protect the sources database from deletion (`protect` + `retainOnDelete`). @default false */
  readonly protectData?: boolean;
  /** Tags merged into every taggable child. @default - none */
  readonly tags?: Record<string, string>;
}

/** Name of the catalog database holding the sources' schemas: `<lake database>_sources` (Athena-safe). */
export function sourcesDatabaseName(lakeDatabaseName: string): string {
  const name = `${lakeDatabaseName}_sources`;
  if (!/^[a-z0-9_]{1,255}$/.test(name)) {
    throw new Error(
      `catalog database "${name}" must be lowercase letters, digits and "_" (Athena cannot query other names); set sensor-analytics:catalogDatabase`,
    );
  }
  return name;
}

/** A Glue security configuration's encryption: everything with the key, or SSE-S3 for S3 writes without one. */
export function glueEncryption(
  kmsKeyArn: pulumi.Input<string> | undefined,
): aws.types.input.glue.SecurityConfigurationEncryptionConfiguration {
  if (kmsKeyArn === undefined)
    return {
      s3Encryption: { s3EncryptionMode: "SSE-S3" },
      cloudwatchEncryption: { cloudwatchEncryptionMode: "DISABLED" },
      jobBookmarksEncryption: { jobBookmarksEncryptionMode: "DISABLED" },
    };
  return {
    s3Encryption: { s3EncryptionMode: "SSE-KMS", kmsKeyArn },
    cloudwatchEncryption: { cloudwatchEncryptionMode: "SSE-KMS", kmsKeyArn },
    jobBookmarksEncryption: { jobBookmarksEncryptionMode: "CSE-KMS", kmsKeyArn },
  };
}

/**
 * What every Glue job and crawler of the platform shares: the service role they run as (its permissions are
 * attached once the resources they reach exist, see `etl.ts`), the security configuration that encrypts
 * what they write to S3 (SSE-KMS), their CloudWatch logs and their job bookmarks with the lake key (SSE-S3 for S3
 * writes without a key), and the
 * catalog database where the sources' schemas are recorded.
 */
export class GlueFoundation extends pulumi.ComponentResource {
  public readonly role: aws.iam.Role;
  public readonly securityConfiguration: aws.glue.SecurityConfiguration;
  public readonly sourcesDatabase: aws.glue.CatalogDatabase;

  constructor(name: string, args: GlueFoundationArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:etl:GlueFoundation", name, {}, opts);
    const databaseName = sourcesDatabaseName(args.lakeDatabaseName);
    const tags = { ...args.tags };
    const protect = args.protectData ?? false;

    // No source-account condition: Glue does not pass aws:SourceAccount when it assumes a job's role.
    const trust = accountScopeOutput(this).apply((scope) =>
      serviceTrustPolicy("glue.amazonaws.com", scope, { sourceAccount: false }),
    );
    this.role = new aws.iam.Role(
      `${name}-role`,
      {
        description: "Glue jobs and crawlers of the sensor analytics ETL",
        assumeRolePolicy: pulumi.jsonStringify(trust),
        tags,
      },
      { parent: this },
    );

    this.securityConfiguration = new aws.glue.SecurityConfiguration(
      `${name}-encryption`,
      {
        encryptionConfiguration: glueEncryption(args.kmsKeyArn),
      },
      { parent: this },
    );
    this.sourcesDatabase = new aws.glue.CatalogDatabase(
      `${name}-sources`,
      {
        name: databaseName,
        description: "Schemas of the historical sources (landing CSV files, the historical database)",
        tags,
      },
      { parent: this, protect, retainOnDelete: protect },
    );
    this.registerOutputs({
      roleArn: this.role.arn,
      securityConfigurationName: this.securityConfiguration.name,
      sourcesDatabaseName: this.sourcesDatabase.name,
    });
  }
}
