import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { vpcRefProblems, type VpcRef } from "../shared/resource-refs";
import { GLUE_INTERFACE_ENDPOINTS } from "./network-plan";
import { PrivateVpc, PrivateVpcArgs } from "./private-vpc";

/** An existing VPC for Glue, instead of the VPC {@link GlueVpc} would create. */
export interface ExistingGlueVpcArgs {
  /**
   * The VPC Glue attaches to. Needs `cidrBlock` and `routeTableIds` (the peering with the database VPC routes
   * them) and at least one of `privateSubnets` (the Glue connection uses the first; it must hold an address
   * per Glue worker and two for the crawler). The VPC must already reach Glue, S3, Secrets Manager,
   * CloudWatch Logs and KMS (NAT or its own endpoints): nothing but the Glue security group is created in it.
   */
  readonly existingVpc: VpcRef;
  /** Tags merged into every taggable child. @default - none */
  readonly tags?: Record<string, string>;
}

/** A VPC created for Glue ({@link PrivateVpcArgs}) or an existing one ({@link ExistingGlueVpcArgs}). */
export type GlueVpcArgs = PrivateVpcArgs | ExistingGlueVpcArgs;

/** The subnet a Glue connection runs in, and its zone (the connection names both). */
export interface GlueConnectionSubnet {
  readonly id: pulumi.Output<string>;
  readonly availabilityZone: pulumi.Output<string>;
}

/**
 * Where Glue attaches for the JDBC source, and the Glue security group.
 *
 * Created (the default): a dedicated VPC with private subnets, an S3 gateway endpoint on every route table,
 * the interface endpoints a Glue job needs without NAT (in the connection's subnet only: one zone is what a
 * Glue connection uses, and each endpoint zone costs), and the Glue security group.
 *
 * Existing (`existingVpc`): only the Glue security group; its egress to AWS services is HTTPS to any address,
 * since the route there (NAT or the VPC's endpoints) is the VPC owner's.
 *
 * Glue requires its security group to admit all TCP from itself (the workers of one job talk to each other).
 * Egress is narrowed to what a job needs: itself, S3 through the gateway endpoint, the interface endpoints;
 * the JDBC source adds the database port towards the peer VPC.
 */
export class GlueVpc extends pulumi.ComponentResource {
  /** The created VPC. @default - undefined with `existingVpc` */
  public readonly network?: PrivateVpc;
  public readonly vpcId: pulumi.Output<string>;
  public readonly cidrBlock: string;
  /** The subnet the Glue connection uses (the first zone's, or the first of `existingVpc.privateSubnets`). */
  public readonly connectionSubnet: GlueConnectionSubnet;
  public readonly glueSecurityGroup: aws.ec2.SecurityGroup;
  /** Created VPC only, like the endpoints. */
  public readonly endpointSecurityGroup?: aws.ec2.SecurityGroup;
  public readonly s3Endpoint?: aws.ec2.VpcEndpoint;
  public readonly interfaceEndpoints: aws.ec2.VpcEndpoint[] = [];
  public readonly routeTableIds: pulumi.Output<string>[];

  constructor(name: string, args: GlueVpcArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:sources:GlueVpc", name, {}, opts);
    const tags = { ...args.tags };
    const child = { parent: this };

    if ("existingVpc" in args) {
      const ref = args.existingVpc;
      const problems = vpcRefProblems(ref, "existingVpc", {
        peering: true,
        privateSubnets: 1,
        why: "the Glue connection runs in the first private subnet",
      });
      if (problems.length > 0) throw new pulumi.ResourceError(problems.join("\n"), this);
      const subnet = ref.privateSubnets![0]!;
      this.vpcId = pulumi.output(ref.vpcId);
      this.cidrBlock = ref.cidrBlock!;
      this.routeTableIds = ref.routeTableIds!.map((id) => pulumi.output(id));
      this.connectionSubnet = {
        id: pulumi.output(subnet.id),
        availabilityZone: pulumi.output(subnet.availabilityZone),
      };
    } else {
      this.network = new PrivateVpc(name, args, child);
      this.vpcId = this.network.vpcId;
      this.cidrBlock = this.network.cidrBlock;
      this.routeTableIds = this.network.routeTableIds;
      this.connectionSubnet = this.network.subnets[0]!;
    }

    this.glueSecurityGroup = new aws.ec2.SecurityGroup(
      `${name}-glue`,
      {
        vpcId: this.vpcId,
        description: "Glue jobs and crawlers attached to the JDBC connection",
        tags: { ...tags, Name: `${name}-glue` },
      },
      child,
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
      child,
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
    const https = (role: string, description: string, to: Partial<aws.vpc.SecurityGroupEgressRuleArgs>) =>
      new aws.vpc.SecurityGroupEgressRule(
        `${name}-glue-${role}`,
        { securityGroupId: glueSg, ipProtocol: "tcp", fromPort: 443, toPort: 443, description, ...to },
        child,
      );
    if (!this.network) {
      https("aws", "Glue, S3, Secrets Manager, CloudWatch Logs and KMS through the VPC's NAT or endpoints", {
        cidrIpv4: "0.0.0.0/0",
      });
    } else {
      const region = aws.getRegionOutput({}, child).region;
      const s3Endpoint = new aws.ec2.VpcEndpoint(
        `${name}-s3`,
        {
          vpcId: this.vpcId,
          serviceName: pulumi.interpolate`com.amazonaws.${region}.s3`,
          vpcEndpointType: "Gateway",
          routeTableIds: this.routeTableIds,
          tags: { ...tags, Name: `${name}-s3` },
        },
        child,
      );
      const endpointGroup = new aws.ec2.SecurityGroup(
        `${name}-endpoints`,
        {
          vpcId: this.vpcId,
          description: "Interface endpoints of the Glue VPC, reachable from the Glue security group",
          tags: { ...tags, Name: `${name}-endpoints` },
        },
        child,
      );
      https("s3", "S3 through the gateway endpoint", { prefixListId: s3Endpoint.prefixListId });
      https("endpoints", "Glue, Secrets Manager, CloudWatch Logs and KMS through interface endpoints", {
        referencedSecurityGroupId: endpointGroup.id,
      });
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-endpoints-from-glue`,
        {
          securityGroupId: endpointGroup.id,
          referencedSecurityGroupId: glueSg,
          ipProtocol: "tcp",
          fromPort: 443,
          toPort: 443,
          description: "HTTPS from Glue",
        },
        child,
      );
      this.s3Endpoint = s3Endpoint;
      this.endpointSecurityGroup = endpointGroup;
      this.interfaceEndpoints.push(
        ...GLUE_INTERFACE_ENDPOINTS.map(
          (service) =>
            new aws.ec2.VpcEndpoint(
              `${name}-${service}`,
              {
                vpcId: this.vpcId,
                serviceName: pulumi.interpolate`com.amazonaws.${region}.${service}`,
                vpcEndpointType: "Interface",
                privateDnsEnabled: true,
                subnetIds: [this.connectionSubnet.id],
                securityGroupIds: [endpointGroup.id],
                tags: { ...tags, Name: `${name}-${service}` },
              },
              child,
            ),
        ),
      );
    }

    this.registerOutputs({
      vpcId: this.vpcId,
      connectionSubnetId: this.connectionSubnet.id,
      glueSecurityGroupId: this.glueSecurityGroup.id,
      routeTableIds: this.routeTableIds,
    });
  }
}
