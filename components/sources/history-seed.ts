import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { LambdaFunction } from "../shared/lambda-function";
import { DemoHistoryRequest, SEED_ENV } from "./demo-history";
import { historySeedPolicy } from "./history-seed-policy";

export interface DemoHistorySeedArgs {
  /** The database VPC: the function runs in its subnets. */
  readonly vpcId: pulumi.Input<string>;
  readonly subnetIds: pulumi.Input<string>[];
  /** The database: where it listens, its security group (gets one ingress rule), its credentials. */
  readonly database: {
    readonly host: pulumi.Input<string>;
    readonly port: number;
    readonly name: string;
    readonly securityGroupId: pulumi.Input<string>;
    /** The RDS-managed secret with `username` and `password`. */
    readonly secretArn: pulumi.Input<string>;
    /** Changes when the database is replaced (e.g. its `resourceId`): a new database is seeded again. */
    readonly identity: pulumi.Input<string>;
  };
  /**
   * Create a Secrets Manager interface endpoint for the function (the database VPC has no NAT). Off in an
   * existing VPC, which reaches Secrets Manager its own way (a second endpoint with private DNS would clash
   * with one it already has): the function may then send HTTPS to any address.
   * @default true
   */
  readonly createSecretsEndpoint?: boolean;
  /** What to load (see `demo-history.ts`). */
  readonly request: DemoHistoryRequest;
  /** Key of the secret, the log group and the function's environment. */
  /** @default - AWS-managed keys */
  readonly kmsKeyArn?: pulumi.Input<string> | undefined;
  readonly logRetentionDays: number;
  /** Tags merged into every taggable child. @default - none */
  readonly tags?: Record<string, string>;
}

/**
 * Seeds the demo database at deploy time, so dev's first ETL run finds the table it imports: a function in
 * the database's VPC (`functions/history-seed/`) that creates the readings table and loads a few days of
 * history, invoked once by the stack (`aws.lambda.Invocation`, again only for a replaced database). It is
 * idempotent: a table that holds rows is left alone.
 *
 * The VPC has no NAT, so the function reaches Secrets Manager through an interface endpoint; its security
 * group opens only the database port towards the database and HTTPS towards that endpoint. In an existing
 * VPC (`createSecretsEndpoint: false`) the VPC's own route to Secrets Manager serves, and HTTPS goes anywhere.
 */
export class DemoHistorySeed extends pulumi.ComponentResource {
  /** The seed function with its role and log group. */
  public readonly seedFunction: LambdaFunction;
  public readonly function: aws.lambda.Function;
  public readonly invocation: aws.lambda.Invocation;
  public readonly securityGroup: aws.ec2.SecurityGroup;
  /** @default - undefined with `createSecretsEndpoint: false` */
  public readonly secretsEndpoint?: aws.ec2.VpcEndpoint;

  constructor(name: string, args: DemoHistorySeedArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:sources:DemoHistorySeed", name, {}, opts);
    const tags = { ...args.tags };
    const child = { parent: this };
    const region = aws.getRegionOutput({}, child).region;
    const { port } = args.database;

    this.securityGroup = new aws.ec2.SecurityGroup(
      `${name}-function`,
      {
        vpcId: args.vpcId,
        description: "Demo database seed function: the database port and Secrets Manager's endpoint only",
        tags: { ...tags, Name: `${name}-function` },
      },
      child,
    );
    const rules: pulumi.Resource[] = [
      new aws.vpc.SecurityGroupEgressRule(
        `${name}-to-database`,
        {
          securityGroupId: this.securityGroup.id,
          referencedSecurityGroupId: args.database.securityGroupId,
          ipProtocol: "tcp",
          fromPort: port,
          toPort: port,
          description: "Seed function to the demo database",
        },
        child,
      ),
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-from-function`,
        {
          securityGroupId: args.database.securityGroupId,
          referencedSecurityGroupId: this.securityGroup.id,
          ipProtocol: "tcp",
          fromPort: port,
          toPort: port,
          description: "Demo database from its seed function",
        },
        child,
      ),
    ];
    if (args.createSecretsEndpoint ?? true) {
      const endpointGroup = new aws.ec2.SecurityGroup(
        `${name}-endpoint`,
        {
          vpcId: args.vpcId,
          description: "Secrets Manager endpoint of the database VPC, reachable from the seed function",
          tags: { ...tags, Name: `${name}-endpoint` },
        },
        child,
      );
      rules.push(
        new aws.vpc.SecurityGroupEgressRule(
          `${name}-to-endpoint`,
          {
            securityGroupId: this.securityGroup.id,
            referencedSecurityGroupId: endpointGroup.id,
            ipProtocol: "tcp",
            fromPort: 443,
            toPort: 443,
            description: "Seed function to the Secrets Manager endpoint",
          },
          child,
        ),
        new aws.vpc.SecurityGroupIngressRule(
          `${name}-endpoint-from-function`,
          {
            securityGroupId: endpointGroup.id,
            referencedSecurityGroupId: this.securityGroup.id,
            ipProtocol: "tcp",
            fromPort: 443,
            toPort: 443,
            description: "HTTPS from the seed function",
          },
          child,
        ),
      );
      this.secretsEndpoint = new aws.ec2.VpcEndpoint(
        `${name}-secretsmanager`,
        {
          vpcId: args.vpcId,
          serviceName: pulumi.interpolate`com.amazonaws.${region}.secretsmanager`,
          vpcEndpointType: "Interface",
          privateDnsEnabled: true,
          // One zone: the function is short-lived and reaches the endpoint from either subnet.
          subnetIds: [args.subnetIds[0]!],
          securityGroupIds: [endpointGroup.id],
          tags: { ...tags, Name: `${name}-secretsmanager` },
        },
        child,
      );
    } else {
      rules.push(
        new aws.vpc.SecurityGroupEgressRule(
          `${name}-to-secrets-manager`,
          {
            securityGroupId: this.securityGroup.id,
            cidrIpv4: "0.0.0.0/0",
            ipProtocol: "tcp",
            fromPort: 443,
            toPort: 443,
            description: "Seed function to Secrets Manager through the VPC's NAT or endpoint",
          },
          child,
        ),
      );
    }

    // Its role, policy and log group were named `<name>-function` before it became a LambdaFunction.
    const functionName = `${name}-function`;
    this.seedFunction = new LambdaFunction(
      functionName,
      {
        entry: "history-seed",
        description: "Creates the demo database's readings table and loads a few days of history (once)",
        roleDescription: "Demo database seed function: reads the database secret, runs in the database VPC",
        policy: ({ logGroupArn, scope }) =>
          pulumi
            .all([
              args.database.secretArn,
              pulumi.output(args.kmsKeyArn),
              pulumi.all(args.subnetIds),
              this.securityGroup.id,
            ])
            .apply(([secretArn, keyArn, subnetIds, securityGroupId]) =>
              historySeedPolicy({
                scope,
                secretArn,
                secretKeyArn: keyArn,
                logGroupArn,
                subnetIds,
                securityGroupId,
              }),
            ),
        timeoutSeconds: 300,
        memorySize: 512,
        logRetentionDays: args.logRetentionDays,
        kmsKeyArn: args.kmsKeyArn,
        environment: {
          [SEED_ENV.host]: args.database.host,
          [SEED_ENV.port]: String(port),
          [SEED_ENV.database]: args.database.name,
          [SEED_ENV.secretArn]: args.database.secretArn,
          // The runtime's Amazon CA bundle, which holds the RDS certificate authorities (not loaded by default).
          NODE_EXTRA_CA_CERTS: "/var/runtime/ca-cert.pem",
        },
        vpcConfig: { subnetIds: args.subnetIds, securityGroupIds: [this.securityGroup.id] },
        // Invoked only by the stack, synchronously (no dead-letter queue, tagged so): a failure fails the
        // deployment, nothing to keep aside.
        formerly: {
          parent: this,
          names: { logGroup: functionName, role: functionName, policy: functionName },
        },
        tags,
      },
      child,
    );
    this.function = this.seedFunction.function;
    this.invocation = new aws.lambda.Invocation(
      `${name}-run`,
      {
        functionName: this.function.name,
        input: JSON.stringify(args.request),
        triggers: { database: args.database.identity },
      },
      {
        parent: this,
        dependsOn: [
          ...rules,
          ...(this.secretsEndpoint ? [this.secretsEndpoint] : []),
          this.seedFunction.rolePolicy,
        ],
      },
    );

    this.registerOutputs({
      functionName: this.function.name,
      securityGroupId: this.securityGroup.id,
    });
  }
}
