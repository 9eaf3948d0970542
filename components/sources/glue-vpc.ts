import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { GLUE_INTERFACE_ENDPOINTS } from "./network-plan";
import { PrivateVpc, PrivateVpcArgs } from "./private-vpc";

export type GlueVpcArgs = PrivateVpcArgs;

/**
 * The dedicated VPC Glue attaches to for the JDBC source: private subnets, an S3 gateway endpoint on every
 * route table, the interface endpoints a Glue job needs without NAT (in the connection's subnet only: one
 * zone is what a Glue connection uses, and each endpoint zone costs), and the Glue security group.
 *
 * Glue requires its security group to admit all TCP from itself (the workers of one job talk to each other).
 * Egress is narrowed to what a job needs: itself, S3 through the gateway endpoint, the interface endpoints;
 * the JDBC source adds the database port towards the peer VPC.
 */
export class GlueVpc extends pulumi.ComponentResource {
  public readonly network: PrivateVpc;
  public readonly vpcId: pulumi.Output<string>;
  public readonly cidrBlock: string;
  /** The subnet the Glue connection uses (the first zone's). */
  public readonly connectionSubnet: aws.ec2.Subnet;
  public readonly glueSecurityGroup: aws.ec2.SecurityGroup;
  public readonly endpointSecurityGroup: aws.ec2.SecurityGroup;
  public readonly s3Endpoint: aws.ec2.VpcEndpoint;
  public readonly interfaceEndpoints: aws.ec2.VpcEndpoint[];
  public readonly routeTableIds: pulumi.Output<string>[];

  constructor(name: string, args: GlueVpcArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:sources:GlueVpc", name, {}, opts);
    const tags = { ...args.tags };
    const region = aws.getRegionOutput({}, { parent: this }).region;

    this.network = new PrivateVpc(name, args, { parent: this });
    this.vpcId = this.network.vpcId;
    this.cidrBlock = this.network.cidrBlock;
    this.routeTableIds = this.network.routeTableIds;
    this.connectionSubnet = this.network.subnets[0]!;

    this.s3Endpoint = new aws.ec2.VpcEndpoint(
      `${name}-s3`,
      {
        vpcId: this.vpcId,
        serviceName: pulumi.interpolate`com.amazonaws.${region}.s3`,
        vpcEndpointType: "Gateway",
        routeTableIds: this.routeTableIds,
        tags: { ...tags, Name: `${name}-s3` },
      },
      { parent: this },
    );

    this.glueSecurityGroup = new aws.ec2.SecurityGroup(
      `${name}-glue`,
      {
        vpcId: this.vpcId,
        description: "Glue jobs and crawlers attached to the JDBC connection",
        tags: { ...tags, Name: `${name}-glue` },
      },
      { parent: this },
    );
    this.endpointSecurityGroup = new aws.ec2.SecurityGroup(
      `${name}-endpoints`,
      {
        vpcId: this.vpcId,
        description: "Interface endpoints of the Glue VPC, reachable from the Glue security group",
        tags: { ...tags, Name: `${name}-endpoints` },
      },
      { parent: this },
    );
    const glueSg = this.glueSecurityGroup.id;
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-glue-self`,
      {
        securityGroupId: glueSg,
        referencedSecurityGroupId: glueSg,
        ipProtocol: "tcp",
        fromPort: 0,
        toPort: 65535,
        description: "Glue requires all TCP between the workers of a job",
      },
      { parent: this },
    );
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-glue-self`,
      {
        securityGroupId: glueSg,
        referencedSecurityGroupId: glueSg,
        ipProtocol: "tcp",
        fromPort: 0,
        toPort: 65535,
        description: "Glue workers to each other",
      },
      { parent: this },
    );
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-glue-s3`,
      {
        securityGroupId: glueSg,
        prefixListId: this.s3Endpoint.prefixListId,
        ipProtocol: "tcp",
        fromPort: 443,
        toPort: 443,
        description: "S3 through the gateway endpoint",
      },
      { parent: this },
    );
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-glue-endpoints`,
      {
        securityGroupId: glueSg,
        referencedSecurityGroupId: this.endpointSecurityGroup.id,
        ipProtocol: "tcp",
        fromPort: 443,
        toPort: 443,
        description: "Glue, Secrets Manager, CloudWatch Logs and KMS through interface endpoints",
      },
      { parent: this },
    );
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-endpoints-from-glue`,
      {
        securityGroupId: this.endpointSecurityGroup.id,
        referencedSecurityGroupId: glueSg,
        ipProtocol: "tcp",
        fromPort: 443,
        toPort: 443,
        description: "HTTPS from Glue",
      },
      { parent: this },
    );

    this.interfaceEndpoints = GLUE_INTERFACE_ENDPOINTS.map(
      (service) =>
        new aws.ec2.VpcEndpoint(
          `${name}-${service}`,
          {
            vpcId: this.vpcId,
            serviceName: pulumi.interpolate`com.amazonaws.${region}.${service}`,
            vpcEndpointType: "Interface",
            privateDnsEnabled: true,
            subnetIds: [this.connectionSubnet.id],
            securityGroupIds: [this.endpointSecurityGroup.id],
            tags: { ...tags, Name: `${name}-${service}` },
          },
          { parent: this },
        ),
    );

    this.registerOutputs({
      vpcId: this.vpcId,
      connectionSubnetId: this.connectionSubnet.id,
      glueSecurityGroupId: this.glueSecurityGroup.id,
      routeTableIds: this.routeTableIds,
    });
  }
}
