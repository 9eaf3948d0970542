import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../config";
import { vpcRefProblems, type DatabaseRef, type VpcRef } from "../shared/resource-refs";
import { cidrsOverlap, parseCidr } from "../net/cidr";
import { DemoDatabase } from "./demo-database";
import type { DemoHistoryRequest } from "./demo-history";
import { DemoHistorySeed } from "./history-seed";
import { GlueVpc } from "./glue-vpc";
import { JdbcCredentials, JdbcSource } from "./jdbc-source";
import { validateSourceNetwork } from "./network-plan";
import { S3HistoricalSource } from "./s3-source";
import { VpcPeering } from "./vpc-peering";

export interface HistoricalSourcesArgs {
  /**
   * The historical database's settings: demo (created here) or existing (peered with), its engine, port, name
   * and VPC block. An existing database is named by `existingDatabase` or, from stack configuration, by
   * `database.existing`.
   */
  readonly database: PlatformConfig["database"];
  /**
   * The existing database by reference (VPC, host, security group, credentials secret), with
   * `database.mode: "existing"` and without `database.existing`.
   * @default - `database.existing` in existing mode; the demo database in demo mode
   */
  readonly existingDatabase?: DatabaseRef;
  /**
   * History to load into the demo database at deploy (`demo` mode, PostgreSQL), so the first ETL run finds
   * its table. @default - the demo database is created empty (the ETL then reports the missing table)
   */
  readonly demoHistory?: DemoHistoryRequest;
  /**
   * An existing VPC for the Glue connection instead of the dedicated Glue VPC (see `ExistingGlueVpcArgs`:
   * `cidrBlock`, `routeTableIds` and a private subnet are required; only the Glue security group is created
   * in it). When it is also the database's VPC (the same `vpcId` value), nothing is peered.
   * @default - a dedicated Glue VPC from `glue.vpcCidr`, with its endpoints, peered with the database's
   */
  readonly existingGlueVpc?: VpcRef;
  /**
   * An existing VPC for the demo database instead of one created from `database.vpcCidr` (`demo` mode; two
   * private subnets in different zones; `cidrBlock` and `routeTableIds` too unless it is `existingGlueVpc`).
   * @default - a VPC of its own from `database.vpcCidr`
   */
  readonly existingDemoDatabaseVpc?: VpcRef;
  /** The Glue VPC's block and the JDBC import's worker count (which the Glue subnet must hold). */
  readonly glue: Pick<PlatformConfig["glue"], "vpcCidr" | "workers">;
  /** Prefix of the historical CSV files in the raw bucket. */
  readonly historicalPrefix: string;
  readonly rawBucketName: pulumi.Input<string>;
  /** The lake key: flow logs, the demo database, a created secret. @default - AWS-managed keys for each */
  readonly kmsKeyArn?: pulumi.Input<string> | undefined;
  /** Role the source crawlers run as, and their security configuration and catalog database. */
  readonly glueRoleArn: pulumi.Input<string>;
  readonly securityConfigurationName: pulumi.Input<string>;
  readonly catalogDatabaseName: pulumi.Input<string>;
  readonly logRetentionDays: number;
  /** Protect the demo database and a created secret. @default false */
  readonly protectData?: boolean;
  /** @default - the first available zones of the region */
  readonly availabilityZones?: pulumi.Input<string[]>;
  /** Where the configuration came from, for messages. @default "the stack configuration" */
  readonly configSource?: string;
  /** Tags merged into every taggable child. @default - none */
  readonly tags?: Record<string, string>;
}

/**
 * The two historical sources: CSV files in the landing prefix, and a SQL database in another VPC reached
 * through a dedicated Glue VPC and VPC peering (the demo database created here in `demo` mode, or the
 * existing one named in config). Validates the network plan before creating anything.
 */
export class HistoricalSources extends pulumi.ComponentResource {
  public readonly glueVpc: GlueVpc;
  /** The demo database (`demo` mode only). */
  public readonly demoDatabase?: DemoDatabase;
  /** What seeds the demo database (`demo` mode with {@link HistoricalSourcesArgs.demoHistory}). */
  public readonly demoHistorySeed?: DemoHistorySeed;
  /** The peering of the Glue and database VPCs. @default - undefined when both are the same existing VPC */
  public readonly peering?: VpcPeering;
  public readonly jdbc: JdbcSource;
  public readonly s3: S3HistoricalSource;

  constructor(name: string, args: HistoricalSourcesArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:sources:HistoricalSources", name, {}, opts);
    const { database } = args;
    const problems = validateSourceNetwork({
      stackFile: args.configSource ?? "the stack configuration",
      glue: args.existingGlueVpc ? undefined : args.glue,
      database: args.existingDemoDatabaseVpc ? { ...database, vpcCidr: undefined } : database,
    });
    if (args.existingDemoDatabaseVpc && database.mode !== "demo") {
      problems.push(
        `existingDemoDatabaseVpc places the demo database, but database.mode is "${database.mode}"; drop it (an existing database's VPC is existingDatabase.vpc)`,
      );
    }
    if (problems.length > 0) throw new pulumi.ResourceError(problems.join("\n"), this);
    const givenExisting = [database.existing, args.existingDatabase].filter((d) => d !== undefined).length;
    if (database.mode === "existing" ? givenExisting !== 1 : givenExisting !== 0) {
      throw new pulumi.ResourceError(
        database.mode === "existing"
          ? 'database.mode is "existing": name the database by exactly one of existingDatabase (a DatabaseRef) and database.existing (stack configuration)'
          : `existingDatabase and database.existing need database.mode "existing" (mode is "${database.mode}"); set the mode or remove them`,
        this,
      );
    }
    const tags = { ...args.tags };
    const child = { parent: this };
    const common = {
      kmsKeyArn: args.kmsKeyArn,
      logRetentionDays: args.logRetentionDays,
      availabilityZones: args.availabilityZones,
      tags,
    };

    this.glueVpc = new GlueVpc(
      `${name}-glue`,
      args.existingGlueVpc
        ? { existingVpc: args.existingGlueVpc, tags }
        : { cidrBlock: args.glue.vpcCidr, ...common },
      child,
    );

    let side: {
      vpcId: pulumi.Input<string>;
      /** The database VPC's block: peering routes and Glue's egress name it. */
      cidrBlock: string;
      routeTableIds: readonly pulumi.Input<string>[];
      securityGroupId: pulumi.Input<string>;
      host: pulumi.Input<string>;
    };
    let credentials: JdbcCredentials;
    if (args.existingDatabase) {
      const ref = args.existingDatabase;
      side = {
        vpcId: ref.vpc.vpcId,
        cidrBlock: ref.vpc.cidrBlock ?? database.vpcCidr,
        routeTableIds: ref.vpc.routeTableIds ?? [],
        securityGroupId: ref.securityGroupId,
        host: ref.host,
      };
      credentials = { secretArn: ref.secretArn };
    } else if (database.existing) {
      const existing = database.existing;
      side = {
        vpcId: existing.vpcId,
        cidrBlock: database.vpcCidr,
        routeTableIds: existing.routeTableIds,
        securityGroupId: existing.securityGroupId,
        host: existing.host,
      };
      if (existing.secretArn) {
        credentials = { secretArn: existing.secretArn };
      } else if (existing.password) {
        credentials = { username: existing.username, password: pulumi.secret(existing.password.reveal()) };
      } else {
        throw new pulumi.ResourceError(
          "database.existing needs secretArn or password (sensor-analytics:databaseSecretArn or databasePassword)",
          this,
        );
      }
    } else {
      const demo = new DemoDatabase(
        `${name}-database`,
        {
          engine: database.engine,
          instanceClass: database.instanceClass,
          databaseName: database.name,
          port: database.port,
          ...(args.existingDemoDatabaseVpc
            ? { existingVpc: args.existingDemoDatabaseVpc }
            : { vpcCidr: database.vpcCidr }),
          protectData: args.protectData,
          ...common,
        },
        child,
      );
      this.demoDatabase = demo;
      if (args.demoHistory && database.engine === "postgres") {
        this.demoHistorySeed = new DemoHistorySeed(
          `${name}-database-seed`,
          {
            vpcId: demo.vpcId,
            subnetIds: demo.subnetIds,
            database: {
              host: demo.host,
              port: database.port,
              name: database.name,
              securityGroupId: demo.securityGroup.id,
              secretArn: demo.secretArn,
              identity: demo.instance.resourceId,
            },
            request: args.demoHistory,
            createSecretsEndpoint: !args.existingDemoDatabaseVpc,
            kmsKeyArn: args.kmsKeyArn,
            logRetentionDays: args.logRetentionDays,
            tags,
          },
          child,
        );
      } else if (args.demoHistory) {
        // The seed function speaks PostgreSQL only; other demo engines start empty.
        void pulumi.log.warn(
          `the demo ${database.engine} database is created empty (the seed function loads PostgreSQL only): create its table with historicalTableDdl("${database.engine}") from components/sources/historical-schema.ts before the first ETL run`,
          this,
        );
      }
      side = {
        vpcId: demo.vpcId,
        cidrBlock: args.existingDemoDatabaseVpc?.cidrBlock ?? database.vpcCidr,
        routeTableIds: demo.routeTableIds,
        securityGroupId: demo.securityGroup.id,
        host: demo.host,
      };
      credentials = { secretArn: demo.secretArn };
    }

    // One VPC for both (the same vpcId value given twice): Glue reaches the database without peering.
    const givenDatabaseVpcId =
      args.existingDatabase?.vpc.vpcId ?? args.existingDemoDatabaseVpc?.vpcId ?? database.existing?.vpcId;
    const sameVpc = args.existingGlueVpc !== undefined && args.existingGlueVpc.vpcId === givenDatabaseVpcId;
    if (!sameVpc) {
      const databaseField = args.existingDatabase
        ? "existingDatabase.vpc"
        : args.existingDemoDatabaseVpc
          ? "existingDemoDatabaseVpc"
          : "database.existing";
      // An existing database's block may come from database.vpcCidr; its route tables are needed all the same.
      const givenDatabaseVpc =
        args.existingDemoDatabaseVpc ??
        (args.existingDatabase ? { ...args.existingDatabase.vpc, cidrBlock: side.cidrBlock } : undefined);
      const peeringProblems = [
        ...(givenDatabaseVpc
          ? vpcRefProblems(givenDatabaseVpc, databaseField, {
              peering: true,
              privateSubnets: args.existingDemoDatabaseVpc ? 2 : 0,
              why: "an RDS subnet group spans two zones",
            })
          : []),
        ...overlapProblem(this.glueVpc.cidrBlock, side.cidrBlock, databaseField),
      ];
      if (peeringProblems.length > 0) throw new pulumi.ResourceError(peeringProblems.join("\n"), this);
      this.peering = new VpcPeering(
        `${name}-peering`,
        {
          glue: {
            vpcId: this.glueVpc.vpcId,
            cidrBlock: this.glueVpc.cidrBlock,
            routeTableIds: this.glueVpc.routeTableIds,
          },
          database: { vpcId: side.vpcId, cidrBlock: side.cidrBlock, routeTableIds: side.routeTableIds },
          tags,
        },
        child,
      );
    }
    this.jdbc = new JdbcSource(
      `${name}-jdbc`,
      {
        engine: database.engine,
        host: side.host,
        port: database.port,
        databaseName: database.name,
        credentials,
        kmsKeyArn: args.kmsKeyArn,
        glueNetwork: {
          subnetId: this.glueVpc.connectionSubnet.id,
          availabilityZone: this.glueVpc.connectionSubnet.availabilityZone,
          securityGroupId: this.glueVpc.glueSecurityGroup.id,
        },
        databaseNetwork: {
          securityGroupId: side.securityGroupId,
          // One shared VPC: the database is somewhere in Glue's block.
          cidrBlock: sameVpc ? this.glueVpc.cidrBlock : side.cidrBlock,
        },
        glueRoleArn: args.glueRoleArn,
        catalogDatabaseName: args.catalogDatabaseName,
        securityConfigurationName: args.securityConfigurationName,
        protectData: args.protectData,
        tags,
      },
      // Glue tests the route when a connection is used: the peering routes must exist first.
      { parent: this, dependsOn: this.peering ? [this.peering] : [] },
    );
    this.s3 = new S3HistoricalSource(
      `${name}-s3`,
      {
        rawBucketName: args.rawBucketName,
        historicalPrefix: args.historicalPrefix,
        glueRoleArn: args.glueRoleArn,
        catalogDatabaseName: args.catalogDatabaseName,
        securityConfigurationName: args.securityConfigurationName,
        tags,
      },
      child,
    );

    this.registerOutputs({
      glueVpcId: this.glueVpc.vpcId,
      peeringConnectionId: this.peering?.connection.id,
      jdbcConnectionName: this.jdbc.connectionName,
      jdbcCrawlerName: this.jdbc.crawler.name,
      landingCrawlerName: this.s3.crawler.name,
    });
  }
}

/** The peering's two blocks must not overlap (config.ts checks the configured ones; these may be given). */
function overlapProblem(glueCidr: string, databaseCidr: string, databaseField: string): string[] {
  const [glue, database] = [parseCidr(glueCidr), parseCidr(databaseCidr)];
  if (typeof glue === "string" || typeof database === "string" || !cidrsOverlap(glue, database)) return [];
  return [
    `the Glue VPC's block ${glueCidr} overlaps the database VPC's ${databaseCidr} (${databaseField}): VPC peering cannot route between overlapping ranges; place Glue in a VPC with a disjoint block`,
  ];
}
