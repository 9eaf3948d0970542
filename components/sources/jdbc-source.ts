import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { DatabaseEngine } from "../config";
import { historicalCrawlPath } from "./historical-schema";
import { jdbcUrl } from "./jdbc-url";

/** Where the credentials come from: an existing secret, or a user and password this component stores. */
export type JdbcCredentials =
  | { readonly secretArn: pulumi.Input<string>; readonly username?: never; readonly password?: never }
  | { readonly secretArn?: never; readonly username: string; readonly password: pulumi.Input<string> };

export interface JdbcSourceArgs {
  readonly engine: DatabaseEngine;
  readonly host: pulumi.Input<string>;
  readonly port: number;
  readonly databaseName: string;
  readonly credentials: JdbcCredentials;
  /** Key for a secret this component creates. @default - Secrets Manager's AWS-managed key */
  readonly kmsKeyArn?: pulumi.Input<string> | undefined;
  /** The Glue side: the connection's subnet (and its zone) and the Glue security group. */
  readonly glueNetwork: {
    readonly subnetId: pulumi.Input<string>;
    readonly availabilityZone: pulumi.Input<string>;
    readonly securityGroupId: pulumi.Input<string>;
  };
  /** The database side: its security group (gets one ingress rule) and its VPC's block (Glue's egress). */
  readonly databaseNetwork: { readonly securityGroupId: pulumi.Input<string>; readonly cidrBlock: string };
  /** Role the JDBC crawler runs as. */
  readonly glueRoleArn: pulumi.Input<string>;
  /** Catalog database the crawler records the source's schema in. */
  readonly catalogDatabaseName: pulumi.Input<string>;
  readonly securityConfigurationName: pulumi.Input<string>;
  /** Glue cron expression for the crawler. @default - run on demand (after deploying, to check the path end to end) */
  readonly crawlerSchedule?: string;
  /** Protect a created secret: 30-day recovery window instead of immediate deletion. @default false */
  readonly protectData?: boolean;
  /** Tags merged into every taggable child. @default - none */
  readonly tags?: Record<string, string>;
}

/**
 * The historical database as a Glue source: a JDBC connection (URL in the engine's syntax, credentials by
 * `SECRET_ID`, TLS enforced, the Glue subnet, zone and security group as physical requirements), the
 * database security group opened to the Glue security group on the database port only, Glue's egress to
 * that port, and a crawler that records the readings table's schema.
 *
 * Credentials live in Secrets Manager: an existing secret (the RDS-managed one of the demo database, which
 * RDS rotates, or the one named in config), or one created here from a Pulumi secret, KMS-encrypted. A
 * secret created here is not rotated: rotating it needs a rotation function with a route to the database.
 */
export class JdbcSource extends pulumi.ComponentResource {
  public readonly connection: aws.glue.Connection;
  public readonly connectionName: pulumi.Output<string>;
  public readonly secretArn: pulumi.Output<string>;
  /** The secret value this component stored (only when given a username and password). */
  public readonly credentialsVersion?: aws.secretsmanager.SecretVersion;
  public readonly crawler: aws.glue.Crawler;
  public readonly jdbcUrl: pulumi.Output<string>;

  constructor(name: string, args: JdbcSourceArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:sources:JdbcSource", name, {}, opts);
    const creds = args.credentials;
    if ((creds.secretArn === undefined) === (creds.password === undefined)) {
      throw new pulumi.ResourceError(
        "credentials take either secretArn (an existing secret) or username and password (stored here), not both and not neither",
        this,
      );
    }
    const tags = { ...args.tags };

    if (creds.secretArn !== undefined) {
      this.secretArn = pulumi.output(creds.secretArn);
    } else {
      const secret = new aws.secretsmanager.Secret(
        `${name}-credentials`,
        {
          description: `Credentials Glue reads the historical ${args.engine} database with`,
          kmsKeyId: args.kmsKeyArn,
          recoveryWindowInDays: args.protectData ? 30 : 0,
          tags,
        },
        { parent: this },
      );
      this.credentialsVersion = new aws.secretsmanager.SecretVersion(
        `${name}-credentials`,
        {
          secretId: secret.id,
          secretString: pulumi.jsonStringify({
            username: creds.username,
            password: pulumi.secret(creds.password),
          }),
        },
        { parent: this },
      );
      this.secretArn = secret.arn;
    }

    new aws.vpc.SecurityGroupIngressRule(
      `${name}-from-glue`,
      {
        securityGroupId: args.databaseNetwork.securityGroupId,
        referencedSecurityGroupId: args.glueNetwork.securityGroupId,
        ipProtocol: "tcp",
        fromPort: args.port,
        toPort: args.port,
        description: `${args.engine} from the Glue security group across the VPC peering`,
      },
      { parent: this },
    );
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-to-database`,
      {
        securityGroupId: args.glueNetwork.securityGroupId,
        cidrIpv4: args.databaseNetwork.cidrBlock,
        ipProtocol: "tcp",
        fromPort: args.port,
        toPort: args.port,
        description: `Glue to the historical ${args.engine} database across the VPC peering`,
      },
      { parent: this },
    );

    this.jdbcUrl = pulumi
      .output(args.host)
      .apply((host) => jdbcUrl({ engine: args.engine, host, port: args.port, database: args.databaseName }));
    this.connection = new aws.glue.Connection(
      `${name}-connection`,
      {
        connectionType: "JDBC",
        description: `Historical ${args.engine} database ${args.databaseName}, through the Glue VPC's peering`,
        connectionProperties: {
          JDBC_CONNECTION_URL: this.jdbcUrl,
          SECRET_ID: this.secretArn,
          JDBC_ENFORCE_SSL: "true",
        },
        physicalConnectionRequirements: {
          subnetId: args.glueNetwork.subnetId,
          availabilityZone: args.glueNetwork.availabilityZone,
          securityGroupIdLists: [args.glueNetwork.securityGroupId],
        },
        tags,
      },
      { parent: this },
    );
    this.connectionName = this.connection.name;

    this.crawler = new aws.glue.Crawler(
      `${name}-crawler`,
      {
        description: "Records the schema of the historical database's readings table",
        role: args.glueRoleArn,
        databaseName: args.catalogDatabaseName,
        tablePrefix: "jdbc_",
        jdbcTargets: [
          { connectionName: this.connection.name, path: historicalCrawlPath(args.engine, args.databaseName) },
        ],
        securityConfiguration: args.securityConfigurationName,
        // A JDBC crawl always reads the whole source; report schema changes, never drop tables.
        schemaChangePolicy: { updateBehavior: "UPDATE_IN_DATABASE", deleteBehavior: "DEPRECATE_IN_DATABASE" },
        recrawlPolicy: { recrawlBehavior: "CRAWL_EVERYTHING" },
        schedule: args.crawlerSchedule,
        tags,
      },
      { parent: this },
    );

    this.registerOutputs({
      connectionName: this.connectionName,
      secretArn: this.secretArn,
      crawlerName: this.crawler.name,
      jdbcUrl: this.jdbcUrl,
    });
  }
}
