import * as aws from "@pulumi/aws";
import type { FeatureSettings } from "../ml/feature-sql";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../config";
import { registerDocument } from "../documents";
import { accountScopeOutput } from "../shared/aws-scope";
import type { BucketRef, DatabaseRef, TopicRef, VpcRef } from "../shared/resource-refs";
import type { DemoHistoryRequest } from "../sources/demo-history";
import { HistoricalSources } from "../sources/historical-sources";
import type { EtlMachineResources } from "./asl/etl-machine";
import { EtlJobs } from "./etl-jobs";
import { EtlStateMachine } from "./etl-state-machine";
import { GlueFoundation } from "./glue-foundation";
import { glueAccessPolicy } from "./iam-documents";

export interface EtlArgs {
  /** Deployment name (`<app>-<stack>`), shown in failure notices. */
  readonly label: string;
  /** The lake's buckets the ETL reads and writes (e.g. `DataLake#buckets`, or existing ones by name and ARN). */
  readonly buckets: {
    readonly raw: BucketRef;
    readonly curated: BucketRef;
    readonly artifacts: BucketRef;
  };
  /**
   * ARN of the lake key: Glue encrypts job output, logs and bookmarks with it; the sources' secret, database and
   * log groups, the failure topic and the state machine's logs use it too.
   * @default - none (a lake with encryption "s3-managed"): Glue writes SSE-S3, everything else uses its
   * service's AWS-managed encryption, and no role gets a `kms:*` statement for the lake
   */
  readonly kmsKeyArn?: pulumi.Input<string> | undefined;
  /** The lake's catalog database name (`PlatformConfig.lake.catalogDatabase`): the history and curated tables go there. */
  readonly lakeDatabaseName: string;
  /** The resource creating that database, so crawlers are created after it. @default - none (the database already exists) */
  readonly lakeDatabase?: pulumi.Resource;
  readonly historicalPrefix: string;
  readonly glue: PlatformConfig["glue"];
  readonly database: PlatformConfig["database"];
  /** History the demo database is seeded with at deploy (`demo` mode). @default - the demo database stays empty */
  readonly demoHistory?: DemoHistoryRequest;
  readonly etl: PlatformConfig["etl"];
  /** How readings become the model's vectors (`buildModelSettings(...).features`). @default DEFAULT_FEATURES */
  readonly features?: FeatureSettings;
  /** The model-training state machine to start after curation. @default - no training step */
  readonly trainingStateMachineArn?: pulumi.Input<string>;
  /**
   * The existing historical database by reference (its VPC, host, security group and credentials secret), with
   * `database.mode: "existing"` instead of `database.existing` (see `HistoricalSourcesArgs.existingDatabase`).
   * @default - `database.existing` in existing mode; the demo database in demo mode
   */
  readonly existingDatabase?: DatabaseRef;
  /**
   * An existing VPC for the Glue connection (see `HistoricalSourcesArgs.existingGlueVpc`).
   * @default - a dedicated Glue VPC from `glue.vpcCidr`
   */
  readonly existingGlueVpc?: VpcRef;
  /**
   * An existing VPC for the demo database (see `HistoricalSourcesArgs.existingDemoDatabaseVpc`).
   * @default - a VPC of its own from `database.vpcCidr`
   */
  readonly existingDemoDatabaseVpc?: VpcRef;
  /** Hours after which the JDBC import runs again. @default 24 */
  readonly jdbcRefreshHours?: number;
  /** Subscribed to the ETL failure topic. @default - no subscription */
  readonly alertEmail?: string;
  /** An existing topic for failure notices (see `EtlStateMachineArgs.existingFailureTopic`). @default - created */
  readonly existingFailureTopic?: TopicRef;
  readonly logRetentionDays: number;
  /** Protect the demo database, the sources database and created secrets. @default false */
  readonly protectData?: boolean;
  /** @default - the first available zones of the region */
  readonly availabilityZones?: pulumi.Input<string[]>;
  /** Where the configuration came from, for messages (e.g. `Pulumi.dev.yaml`). @default "the stack configuration" */
  readonly configSource?: string;
  /** Tags merged into every taggable child. @default - none */
  readonly tags?: Record<string, string>;
}

/**
 * Historical sources and the ETL, composed: the Glue role and security configuration, the sources (Glue VPC,
 * peering, the database, the JDBC connection, crawlers), the Glue jobs and crawlers, the Glue role's
 * permissions (attached once every ARN they name exists) and the state machine with its schedule.
 */
export class Etl extends pulumi.ComponentResource {
  public readonly foundation: GlueFoundation;
  public readonly sources: HistoricalSources;
  public readonly jobs: EtlJobs;
  public readonly orchestration: EtlStateMachine;
  /** Names and ARNs the state machine drives, as plain strings once resolved (for local bindings and outputs). */
  public readonly machineResources: pulumi.Output<EtlMachineResources>;

  constructor(name: string, args: EtlArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:etl:Etl", name, {}, opts);
    const tags = { ...args.tags };
    const child = { parent: this };
    const bucketNames = {
      raw: args.buckets.raw.name,
      curated: args.buckets.curated.name,
      artifacts: args.buckets.artifacts.name,
    };

    this.foundation = new GlueFoundation(
      `${name}-glue`,
      {
        lakeDatabaseName: args.lakeDatabaseName,
        kmsKeyArn: args.kmsKeyArn,
        protectData: args.protectData,
        tags,
      },
      child,
    );
    const glueRoleArn = this.foundation.role.arn;
    const securityConfigurationName = this.foundation.securityConfiguration.name;

    this.sources = new HistoricalSources(
      `${name}-sources`,
      {
        database: args.database,
        existingDatabase: args.existingDatabase,
        existingGlueVpc: args.existingGlueVpc,
        existingDemoDatabaseVpc: args.existingDemoDatabaseVpc,
        demoHistory: args.demoHistory,
        glue: args.glue,
        historicalPrefix: args.historicalPrefix,
        rawBucketName: bucketNames.raw,
        kmsKeyArn: args.kmsKeyArn,
        glueRoleArn,
        securityConfigurationName,
        catalogDatabaseName: this.foundation.sourcesDatabase.name,
        logRetentionDays: args.logRetentionDays,
        protectData: args.protectData,
        availabilityZones: args.availabilityZones,
        configSource: args.configSource,
        tags,
      },
      child,
    );

    const scope = accountScopeOutput(this);
    // The lake key and the existing database's secret key (either may be absent).
    const keys = pulumi.all([
      pulumi.output(args.kmsKeyArn),
      pulumi.output(args.existingDatabase?.secretKmsKeyArn),
    ]);
    const access = pulumi
      .all([
        scope,
        bucketNames,
        keys,
        this.sources.jdbc.connectionName,
        this.sources.jdbc.secretArn,
        this.sources.glueVpc.connectionSubnet.id,
        this.sources.glueVpc.glueSecurityGroup.id,
        this.foundation.sourcesDatabase.name,
      ])
      .apply(
        ([
          s,
          buckets,
          [keyArn, secretKeyArn],
          connectionName,
          secretArn,
          subnetId,
          securityGroupId,
          sourcesDatabase,
        ]) =>
          glueAccessPolicy({
            scope: s,
            rawBucket: buckets.raw,
            curatedBucket: buckets.curated,
            artifactsBucket: buckets.artifacts,
            historicalPrefix: args.historicalPrefix,
            lakeKeyArn: keyArn,
            databases: [args.lakeDatabaseName, sourcesDatabase],
            jdbc: {
              connectionName,
              secretArn,
              secretKeyArn,
              subnetId,
              securityGroupId,
            },
          }),
      );
    registerDocument(this, `iam-${name}-glue-access`, "json", access);
    const accessPolicy = new aws.iam.RolePolicy(
      `${name}-glue-access`,
      { role: this.foundation.role.id, policy: pulumi.jsonStringify(access) },
      child,
    );

    this.jobs = new EtlJobs(
      `${name}-jobs`,
      {
        buckets: bucketNames,
        kmsKeyArn: args.kmsKeyArn,
        glueRoleArn,
        securityConfigurationName,
        lakeDatabaseName: args.lakeDatabaseName,
        historicalPrefix: args.historicalPrefix,
        jdbc: { connectionName: this.sources.jdbc.connectionName, engine: args.database.engine },
        glue: args.glue,
        features: args.features,
        tags,
      },
      { parent: this, dependsOn: [accessPolicy, ...(args.lakeDatabase ? [args.lakeDatabase] : [])] },
    );

    const ref = (r: aws.glue.Job | aws.glue.Crawler) => ({ name: r.name, arn: r.arn });
    this.orchestration = new EtlStateMachine(
      `${name}-orchestration`,
      {
        label: args.label,
        jobs: {
          s3Import: ref(this.jobs.jobs.s3Import),
          jdbcImport: ref(this.jobs.jobs.jdbcImport),
          curate: ref(this.jobs.jobs.curate),
        },
        crawlers: {
          s3History: ref(this.jobs.crawlers.s3History),
          jdbcHistory: ref(this.jobs.crawlers.jdbcHistory),
          curated: ref(this.jobs.crawlers.curated),
        },
        landing: { bucketName: bucketNames.raw, prefix: args.historicalPrefix },
        jdbcRefreshHours: args.jdbcRefreshHours,
        trainingStateMachineArn: args.trainingStateMachineArn,
        alertEmail: args.alertEmail,
        existingFailureTopic: args.existingFailureTopic,
        kmsKeyArn: args.kmsKeyArn,
        logRetentionDays: args.logRetentionDays,
        schedule: args.etl.schedule,
        crawlerPollSeconds: args.etl.crawlerPollSeconds,
        crawlerMaxPolls: args.etl.crawlerMaxPolls,
        jobTimeoutMinutes: args.glue.jobTimeoutMinutes,
        tags,
      },
      child,
    );
    this.machineResources = this.orchestration.resources;

    this.registerOutputs({
      stateMachineArn: this.orchestration.stateMachine.arn,
      failureTopicArn: this.orchestration.failureTopic.arn,
      jdbcConnectionName: this.sources.jdbc.connectionName,
      sourcesDatabaseName: this.foundation.sourcesDatabase.name,
      machineResources: this.machineResources,
    });
  }
}
