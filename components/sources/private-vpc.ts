import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { planVpc, SUBNETS_PER_VPC } from "./network-plan";
import { VpcFlowLog } from "./vpc-flow-log";

export interface PrivateVpcArgs {
  /** The VPC's IPv4 block; split into {@link SUBNETS_PER_VPC} equal subnets, one per zone. */
  readonly cidrBlock: string;
  /**
   * Availability zones for the subnets, in order.
   * @default - the first zones of the region that are available
   */
  readonly availabilityZones?: pulumi.Input<string[]>;
  /** Key of the flow log group. @default - CloudWatch Logs' own encryption */
  readonly kmsKeyArn?: pulumi.Input<string> | undefined;
  /** Days flow records are kept. */
  readonly logRetentionDays: number;
  /** Tags merged into every taggable child. @default - none */
  readonly tags?: Record<string, string>;
}

/**
 * A VPC with private subnets only: no internet gateway, no NAT, no public addresses; one route table per
 * subnet (so a peering route is visible, and testable, in each), the default security group stripped of its
 * rules, and flow logs. Built from plain `aws.ec2` resources rather than `awsx.ec2.Vpc`, whose children are
 * invisible to tests under mocks.
 */
export class PrivateVpc extends pulumi.ComponentResource {
  public readonly vpc: aws.ec2.Vpc;
  public readonly vpcId: pulumi.Output<string>;
  public readonly cidrBlock: string;
  public readonly subnets: aws.ec2.Subnet[];
  public readonly routeTables: aws.ec2.RouteTable[];
  public readonly routeTableIds: pulumi.Output<string>[];
  public readonly flowLog: VpcFlowLog;

  constructor(name: string, args: PrivateVpcArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:sources:PrivateVpc", name, {}, opts);
    const tags = { ...args.tags };
    const plan = planVpc(args.cidrBlock);
    const zones = pulumi
      .output(
        args.availabilityZones ??
          aws.getAvailabilityZonesOutput({ state: "available" }, { parent: this }).names,
      )
      .apply((names) => {
        if (names.length < SUBNETS_PER_VPC) {
          throw new pulumi.ResourceError(
            `${name} needs ${SUBNETS_PER_VPC} availability zones; the region offers ${names.join(", ") || "none"}`,
            this,
          );
        }
        return names;
      });

    this.cidrBlock = args.cidrBlock;
    this.vpc = new aws.ec2.Vpc(
      `${name}-vpc`,
      // DNS support and host names: interface endpoints' private DNS and RDS host names resolve only with both.
      {
        cidrBlock: args.cidrBlock,
        enableDnsSupport: true,
        enableDnsHostnames: true,
        tags: { ...tags, Name: `${name}-vpc` },
      },
      { parent: this },
    );
    this.vpcId = this.vpc.id;
    // Nothing may use the default security group: it would admit everything else that also uses it.
    new aws.ec2.DefaultSecurityGroup(
      `${name}-default-sg`,
      { vpcId: this.vpc.id, tags: { ...tags, Name: `${name}-default-unused` } },
      { parent: this },
    );

    this.subnets = [];
    this.routeTables = [];
    for (const subnet of plan.subnets) {
      const suffix = `${subnet.zoneIndex + 1}`;
      const created = new aws.ec2.Subnet(
        `${name}-private-${suffix}`,
        {
          vpcId: this.vpc.id,
          cidrBlock: subnet.cidr,
          availabilityZone: zones.apply((z) => z[subnet.zoneIndex]!),
          mapPublicIpOnLaunch: false,
          tags: { ...tags, Name: `${name}-private-${suffix}` },
        },
        { parent: this },
      );
      const table = new aws.ec2.RouteTable(
        `${name}-private-${suffix}`,
        { vpcId: this.vpc.id, tags: { ...tags, Name: `${name}-private-${suffix}` } },
        { parent: this },
      );
      new aws.ec2.RouteTableAssociation(
        `${name}-private-${suffix}`,
        { subnetId: created.id, routeTableId: table.id },
        { parent: this },
      );
      this.subnets.push(created);
      this.routeTables.push(table);
    }
    this.routeTableIds = this.routeTables.map((t) => t.id);
    this.flowLog = new VpcFlowLog(
      `${name}-flow-log`,
      { vpcId: this.vpc.id, kmsKeyArn: args.kmsKeyArn, retentionInDays: args.logRetentionDays, tags },
      { parent: this },
    );

    this.registerOutputs({
      vpcId: this.vpcId,
      subnetIds: this.subnets.map((s) => s.id),
      routeTableIds: this.routeTableIds,
    });
  }
}
