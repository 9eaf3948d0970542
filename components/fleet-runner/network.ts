import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { vpcRefProblems, type VpcRef } from "../shared/resource-refs";
import { PrivateVpc } from "../sources/private-vpc";
import type { FleetRunnerNetworking } from "./settings";

/**
 * Interface endpoints a Fargate task needs in a VPC without NAT: the image (ECR API and registry; layers come
 * from S3 through the free gateway endpoint), the log driver, and the secret ECS injects.
 */
export const TASK_INTERFACE_ENDPOINTS = ["ecr.api", "ecr.dkr", "logs", "secretsmanager"] as const;

/** MQTT over TLS (IoT Core also accepts 443 with ALPN; the simulator uses 8883). */
const MQTTS_PORT = 8883;

export interface FleetRunnerNetworkArgs {
  readonly networking: FleetRunnerNetworking;
  /** The IPv4 block of the VPC created for the runner (unused with `existingVpc`). */
  readonly cidrBlock: string;
  /**
   * An existing VPC for the tasks instead of one of their own (see {@link SensorFleetRunnerArgs.existingVpc}).
   * @default - a VPC of its own, from `cidrBlock`
   */
  readonly existingVpc?: VpcRef | undefined;
  /** IoT Core's `iot:Data-ATS` host of the account: private networking resolves it to the VPC endpoint. */
  readonly iotEndpoint: pulumi.Input<string>;
  /** Key of the flow log group. @default - CloudWatch Logs' own encryption */
  readonly kmsKeyArn?: pulumi.Input<string> | undefined;
  readonly logRetentionDays: number;
  /** Tags merged into every taggable child. @default - none */
  readonly tags?: Record<string, string>;
}

/**
 * Where the fleet runner's tasks run: a VPC of their own (flow logs, the default security group closed) and a
 * security group that admits nothing in and lets out only HTTPS and MQTT over TLS.
 *
 * - `private`: no route to the internet. Interface endpoints for ECR, CloudWatch Logs, Secrets Manager and
 *   IoT Core's data plane, an S3 gateway endpoint, all in the first zone's subnet, where the tasks run too
 *   (a load generator needs no second zone, and each endpoint zone is billed by the hour). IoT Core's endpoint
 *   offers no private DNS, so a private hosted zone named after the account's ATS host points it at the
 *   endpoint; devices keep the host name their certificates' TLS checks expect.
 * - `public`: an internet gateway, and the tasks get public IPv4 addresses; nothing is billed by the hour
 *   except the addresses while tasks run.
 * - `existingVpc` (with `private` networking): only the tasks' security group, its egress HTTPS and MQTT over
 *   TLS to any address, since the route to ECR, S3, CloudWatch Logs, Secrets Manager and IoT Core (NAT or
 *   endpoints) is the VPC owner's; the tasks run in all its private subnets without public addresses.
 */
export class FleetRunnerNetwork extends pulumi.ComponentResource {
  /** The VPC created for the runner. @default - undefined with `existingVpc` */
  public readonly vpc?: PrivateVpc;
  /** The tasks' VPC, created or existing. */
  public readonly vpcId: pulumi.Output<string>;
  public readonly securityGroup: aws.ec2.SecurityGroup;
  /** Subnets the tasks run in. */
  public readonly subnetIds: pulumi.Output<string>[];
  public readonly assignPublicIp: boolean;
  /** Private networking: the interface endpoints, the S3 gateway endpoint and IoT Core's. */
  public readonly endpoints: aws.ec2.VpcEndpoint[] = [];

  constructor(name: string, args: FleetRunnerNetworkArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:fleet-runner:FleetRunnerNetwork", name, {}, opts);
    const tags = { ...args.tags };
    const child = { parent: this };
    const region = aws.getRegionOutput({}, child).region;

    const existing = args.existingVpc;
    if (existing) {
      const problems = vpcRefProblems(existing, "existingVpc", {
        peering: false,
        privateSubnets: 1,
        why: "the fleet runner's tasks run in the VPC's private subnets",
      });
      if (args.networking === "public") {
        problems.push(
          'fleetRunner networking "public" builds the runner\'s own VPC with an internet gateway, but existingVpc is given (its tasks run in private subnets without public addresses): set networking to "private" or drop existingVpc',
        );
      }
      if (problems.length > 0) throw new pulumi.ResourceError(problems.join("\n"), this);
      this.vpcId = pulumi.output(existing.vpcId);
    } else {
      this.vpc = new PrivateVpc(
        name,
        {
          cidrBlock: args.cidrBlock,
          kmsKeyArn: args.kmsKeyArn,
          logRetentionDays: args.logRetentionDays,
          tags,
        },
        child,
      );
      this.vpcId = this.vpc.vpcId;
    }
    const vpcId = this.vpcId;
    this.securityGroup = new aws.ec2.SecurityGroup(
      `${name}-tasks`,
      {
        vpcId,
        description: "Fleet runner tasks: no inbound traffic, outbound HTTPS and MQTT over TLS only",
        tags: { ...tags, Name: `${name}-tasks` },
      },
      child,
    );
    const egress = (
      role: string,
      description: string,
      port: number,
      to: Partial<aws.vpc.SecurityGroupEgressRuleArgs>,
    ) =>
      new aws.vpc.SecurityGroupEgressRule(
        `${name}-tasks-${role}`,
        {
          securityGroupId: this.securityGroup.id,
          ipProtocol: "tcp",
          fromPort: port,
          toPort: port,
          description,
          ...to,
        },
        child,
      );

    this.assignPublicIp = args.networking === "public";
    if (existing) {
      this.subnetIds = existing.privateSubnets!.map((subnet) => pulumi.output(subnet.id));
      egress(
        "https",
        "HTTPS to ECR, S3, CloudWatch Logs and Secrets Manager through the VPC's NAT or endpoints",
        443,
        {
          cidrIpv4: "0.0.0.0/0",
        },
      );
      egress("mqtts", "MQTT over TLS to IoT Core through the VPC's NAT or endpoint", MQTTS_PORT, {
        cidrIpv4: "0.0.0.0/0",
      });
    } else if (args.networking === "public") {
      const vpc = this.vpc!;
      const gateway = new aws.ec2.InternetGateway(
        `${name}-igw`,
        { vpcId, tags: { ...tags, Name: `${name}-igw` } },
        child,
      );
      vpc.routeTables.forEach(
        (table, i) =>
          new aws.ec2.Route(
            `${name}-internet-${i + 1}`,
            { routeTableId: table.id, destinationCidrBlock: "0.0.0.0/0", gatewayId: gateway.id },
            child,
          ),
      );
      this.subnetIds = vpc.subnets.map((s) => s.id);
      egress("https", "HTTPS to ECR, S3, CloudWatch Logs and Secrets Manager", 443, {
        cidrIpv4: "0.0.0.0/0",
      });
      egress("mqtts", "MQTT over TLS to IoT Core", MQTTS_PORT, { cidrIpv4: "0.0.0.0/0" });
    } else {
      const vpc = this.vpc!;
      const subnet = vpc.subnets[0]!;
      this.subnetIds = [subnet.id];
      const endpointGroup = new aws.ec2.SecurityGroup(
        `${name}-endpoints`,
        {
          vpcId,
          description: "Interface endpoints of the fleet runner VPC, reachable from its tasks",
          tags: { ...tags, Name: `${name}-endpoints` },
        },
        child,
      );
      for (const [role, port, what] of [
        ["https", 443, "HTTPS"],
        ["mqtts", MQTTS_PORT, "MQTT over TLS"],
      ] as const) {
        new aws.vpc.SecurityGroupIngressRule(
          `${name}-endpoints-${role}`,
          {
            securityGroupId: endpointGroup.id,
            referencedSecurityGroupId: this.securityGroup.id,
            ipProtocol: "tcp",
            fromPort: port,
            toPort: port,
            description: `${what} from the fleet runner tasks`,
          },
          child,
        );
        egress(role, `${what} to the interface endpoints`, port, {
          referencedSecurityGroupId: endpointGroup.id,
        });
      }
      const s3 = new aws.ec2.VpcEndpoint(
        `${name}-s3`,
        {
          vpcId,
          serviceName: pulumi.interpolate`com.amazonaws.${region}.s3`,
          vpcEndpointType: "Gateway",
          routeTableIds: vpc.routeTableIds,
          tags: { ...tags, Name: `${name}-s3` },
        },
        child,
      );
      egress("s3", "S3 (image layers, run files) through the gateway endpoint", 443, {
        prefixListId: s3.prefixListId,
      });
      const iface = (service: string, privateDnsEnabled: boolean) =>
        new aws.ec2.VpcEndpoint(
          `${name}-${service.replace(/\./g, "-")}`,
          {
            vpcId,
            serviceName: pulumi.interpolate`com.amazonaws.${region}.${service}`,
            vpcEndpointType: "Interface",
            privateDnsEnabled,
            subnetIds: [subnet.id],
            securityGroupIds: [endpointGroup.id],
            tags: { ...tags, Name: `${name}-${service}` },
          },
          child,
        );
      const taskEndpoints = TASK_INTERFACE_ENDPOINTS.map((service) => iface(service, true));
      const iot = iface("iot.data", false);
      this.endpoints.push(s3, ...taskEndpoints, iot);
      const zone = new aws.route53.Zone(
        `${name}-iot`,
        {
          name: args.iotEndpoint,
          comment: "IoT Core's data endpoint, resolved to the fleet runner VPC's interface endpoint",
          vpcs: [{ vpcId }],
          forceDestroy: true,
          tags,
        },
        child,
      );
      const entry = iot.dnsEntries.apply((entries) => {
        const first = entries[0];
        if (!first) throw new pulumi.ResourceError(`${name}: the IoT Core endpoint has no DNS entry`, this);
        return first;
      });
      new aws.route53.Record(
        `${name}-iot`,
        {
          zoneId: zone.zoneId,
          name: args.iotEndpoint,
          type: "A",
          aliases: [{ name: entry.dnsName, zoneId: entry.hostedZoneId, evaluateTargetHealth: false }],
        },
        child,
      );
    }

    this.registerOutputs({
      vpcId,
      subnetIds: this.subnetIds,
      securityGroupId: this.securityGroup.id,
      assignPublicIp: this.assignPublicIp,
    });
  }
}
