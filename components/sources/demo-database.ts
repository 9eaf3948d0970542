import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { DatabaseEngine } from "../config";
import { platformLogGroup } from "../shared/log-group";
import { DEMO_ENGINES } from "./demo-database-settings";
import { demoInstanceClassProblem } from "./network-plan";
import { PrivateVpc } from "./private-vpc";
import { vpcRefProblems, type VpcRef } from "../shared/resource-refs";

export interface DemoDatabaseArgs {
  readonly engine: DatabaseEngine;
  /** RDS instance class, e.g. `db.t4g.micro`. */
  readonly instanceClass: string;
  /** Database holding the readings table (created at launch where the engine allows; not on SQL Server). */
  readonly databaseName: string;
  readonly port: number;
  /** The block of the VPC created for the database. @default - none: required unless `existingVpc` is given */
  readonly vpcCidr?: string;
  /**
   * An existing VPC for the database instead of one created with `vpcCidr`: at least two `privateSubnets` in
   * different zones (the RDS subnet group spans two). Only the database's security group, subnet group,
   * parameter group, log groups and instance are created; no VPC, subnet, route table, flow log or endpoint.
   * @default - a VPC of its own ({@link PrivateVpc}, from `vpcCidr`)
   */
  readonly existingVpc?: VpcRef;
  /** @default - the first available zones of the region */
  readonly availabilityZones?: pulumi.Input<string[]>;
  /**
   * Key for storage, the RDS-managed credentials secret and the log groups.
   * @default - the AWS-managed `aws/rds` and `aws/secretsmanager` keys, CloudWatch Logs' own encryption
   */
  readonly kmsKeyArn?: pulumi.Input<string> | undefined;
  readonly logRetentionDays: number;
  /**
   * Keep the data: deletion protection, a final snapshot, 7 days of backups, `protect` + `retainOnDelete`.
   * @default false
   */
  readonly protectData?: boolean;
  /** Tags merged into every taggable child. @default - none */
  readonly tags?: Record<string, string>;
}

/** Master user of the demo database (RDS keeps its password in Secrets Manager). */
export const DEMO_MASTER_USER = "historian_admin";

/**
 * The dev stack's historical database in a VPC of its own (or an existing one, `existingVpc`), so the JDBC path (peering, routes, security
 * groups, TLS, Secrets Manager) is exercised exactly as with an existing database elsewhere: RDS in private
 * subnets, not publicly accessible, storage encrypted with the lake key, TLS forced by a parameter group,
 * and the master password generated, stored (KMS) and rotated by RDS itself (`manageMasterUserPassword`),
 * never seen by Pulumi. Its security group admits nothing until the JDBC source adds the Glue rule (and the
 * seed function, `DemoHistorySeed`, its own).
 *
 * The demo connects as the master user; an existing production database should give Glue a read-only user.
 */
export class DemoDatabase extends pulumi.ComponentResource {
  /** The created VPC. @default - undefined with `existingVpc` */
  public readonly network?: PrivateVpc;
  /** The database's VPC, created or existing. */
  public readonly vpcId: pulumi.Output<string>;
  /** The private subnets of the database's subnet group. */
  public readonly subnetIds: pulumi.Output<string>[];
  /** Route tables of those subnets, which peering routes from. @default - none with an existingVpc without them */
  public readonly routeTableIds: pulumi.Output<string>[];
  public readonly securityGroup: aws.ec2.SecurityGroup;
  public readonly instance: aws.rds.Instance;
  public readonly host: pulumi.Output<string>;
  public readonly port: pulumi.Output<number>;
  /** The RDS-managed secret with `username` and `password`. */
  public readonly secretArn: pulumi.Output<string>;

  constructor(name: string, args: DemoDatabaseArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:sources:DemoDatabase", name, {}, opts);
    const problem = demoInstanceClassProblem(args.engine, args.instanceClass);
    if (problem) throw new pulumi.ResourceError(`instanceClass ${problem}`, this);
    const tags = { ...args.tags };
    const protect = args.protectData ?? false;
    const settings = DEMO_ENGINES[args.engine];

    if (args.existingVpc) {
      const ref = args.existingVpc;
      const problems = vpcRefProblems(ref, "existingVpc", {
        peering: false,
        privateSubnets: 2,
        why: "an RDS subnet group spans two zones",
      });
      if (args.vpcCidr !== undefined) {
        problems.push("vpcCidr and existingVpc are both given: a VPC is created from vpcCidr only; drop one");
      }
      if (problems.length > 0) throw new pulumi.ResourceError(problems.join("\n"), this);
      this.vpcId = pulumi.output(ref.vpcId);
      this.subnetIds = ref.privateSubnets!.map((subnet) => pulumi.output(subnet.id));
      this.routeTableIds = (ref.routeTableIds ?? []).map((id) => pulumi.output(id));
    } else {
      if (args.vpcCidr === undefined) {
        throw new pulumi.ResourceError(
          "vpcCidr is missing: the database's VPC is created from it; pass a block such as 10.30.0.0/24, or an existingVpc",
          this,
        );
      }
      this.network = new PrivateVpc(
        name,
        {
          cidrBlock: args.vpcCidr,
          availabilityZones: args.availabilityZones,
          kmsKeyArn: args.kmsKeyArn,
          logRetentionDays: args.logRetentionDays,
          tags,
        },
        { parent: this },
      );
      this.vpcId = this.network.vpcId;
      this.subnetIds = this.network.subnets.map((s) => s.id);
      this.routeTableIds = this.network.routeTableIds;
    }
    this.securityGroup = new aws.ec2.SecurityGroup(
      `${name}-database`,
      {
        vpcId: this.vpcId,
        description: "Demo historical database; admits only the Glue security group on the database port",
        tags: { ...tags, Name: `${name}-database` },
      },
      { parent: this },
    );
    const subnetGroup = new aws.rds.SubnetGroup(
      `${name}-subnets`,
      {
        subnetIds: this.subnetIds,
        description: "Private subnets of the demo historical database",
        tags,
      },
      { parent: this },
    );
    const parameters = new aws.rds.ParameterGroup(
      `${name}-tls`,
      {
        family: settings.family,
        description: "Demo historical database: refuse unencrypted connections",
        parameters: [
          {
            name: settings.forceTls.name,
            value: settings.forceTls.value,
            applyMethod: settings.forceTls.applyMethod,
          },
        ],
        tags,
      },
      { parent: this },
    );

    // RDS names log groups after the instance, so the identifier is fixed here to create them first,
    // encrypted and with retention (RDS would create them unencrypted and kept forever).
    const identifier = `${name}-db`
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, "-")
      .replace(/-+/g, "-")
      .slice(0, 63)
      .replace(/-$/, "");
    const logGroups = settings.logExports.map((type) =>
      platformLogGroup(
        `${name}-log-${type}`,
        {
          name: `/aws/rds/instance/${identifier}/${type}`,
          retentionDays: args.logRetentionDays,
          kmsKeyArn: args.kmsKeyArn,
          tags,
        },
        { parent: this },
      ),
    );

    const dataOpts = { parent: this, protect, retainOnDelete: protect, dependsOn: logGroups };
    this.instance = new aws.rds.Instance(
      `${name}-db`,
      {
        identifier,
        engine: settings.engine,
        engineVersion: settings.engineVersion,
        licenseModel: settings.licenseModel,
        instanceClass: args.instanceClass,
        port: args.port,
        dbName: settings.createsDatabase ? args.databaseName : undefined,
        username: DEMO_MASTER_USER,
        manageMasterUserPassword: true,
        masterUserSecretKmsKeyId: args.kmsKeyArn,
        allocatedStorage: 20,
        maxAllocatedStorage: 100,
        storageType: "gp3",
        storageEncrypted: true,
        kmsKeyId: args.kmsKeyArn,
        dbSubnetGroupName: subnetGroup.name,
        vpcSecurityGroupIds: [this.securityGroup.id],
        parameterGroupName: parameters.name,
        publiclyAccessible: false,
        iamDatabaseAuthenticationEnabled: settings.iamAuthentication,
        enabledCloudwatchLogsExports: [...settings.logExports],
        autoMinorVersionUpgrade: true,
        backupRetentionPeriod: protect ? 7 : 1,
        copyTagsToSnapshot: true,
        deletionProtection: protect,
        skipFinalSnapshot: !protect,
        finalSnapshotIdentifier: protect ? `${identifier}-final` : undefined,
        applyImmediately: !protect,
        tags,
      },
      dataOpts,
    );
    this.host = this.instance.address;
    this.port = this.instance.port;
    this.secretArn = this.instance.masterUserSecrets.apply((secrets) => {
      const arn = secrets?.[0]?.secretArn;
      if (!arn)
        throw new pulumi.ResourceError(
          "RDS returned no managed master user secret (manageMasterUserPassword is on)",
          this,
        );
      return arn;
    });

    this.registerOutputs({
      host: this.host,
      port: this.port,
      secretArn: this.secretArn,
      vpcId: this.vpcId,
    });
  }
}
