/**
 * The historical sources in a platform team's VPCs (`existingGlueVpc`, `existingDemoDatabaseVpc`): nothing of a
 * VPC is created, the Glue connection and the database use the given subnets, peering routes the given blocks
 * from the given route tables (none at all in one shared VPC), and a VpcRef missing what is needed is refused
 * by field name before anything is created.
 */
import { expect } from "chai";
import { evaluatePolicies } from "../../../policies/harness";
import { vpcRefProblems, type VpcRef } from "../../../components/shared/resource-refs";
import { runEtl, type EtlRun } from "../etl/run-etl";
import { parsePlatformConfig } from "../../../components/config";
import { runPlatform, stackConfig } from "../../helpers/mocks";

const GLUE_VPC: VpcRef = {
  vpcId: "vpc-0platform",
  cidrBlock: "10.40.0.0/16",
  routeTableIds: ["rtb-0platform-a", "rtb-0platform-b"],
  privateSubnets: [
    { id: "subnet-0platform-a", availabilityZone: "eu-west-1a" },
    { id: "subnet-0platform-b", availabilityZone: "eu-west-1b" },
  ],
};
const DATABASE_VPC: VpcRef = {
  vpcId: "vpc-0data",
  cidrBlock: "10.50.0.0/16",
  routeTableIds: ["rtb-0data"],
  privateSubnets: [
    { id: "subnet-0data-a", availabilityZone: "eu-west-1a" },
    { id: "subnet-0data-b", availabilityZone: "eu-west-1b" },
  ],
};
/** Everything a created VPC brings, none of which an existing VPC may get. */
const VPC_PARTS = [
  "aws:ec2/vpc:Vpc",
  "aws:ec2/subnet:Subnet",
  "aws:ec2/routeTable:RouteTable",
  "aws:ec2/routeTableAssociation:RouteTableAssociation",
  "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
  "aws:ec2/flowLog:FlowLog",
  "aws:ec2/vpcEndpoint:VpcEndpoint",
  "aws:ec2/internetGateway:InternetGateway",
];

describe("historical sources in existing VPCs", function () {
  let separate: EtlRun;
  let shared: EtlRun;
  before(async function () {
    separate = await runEtl("dev", {}, { existingGlueVpc: GLUE_VPC, existingDemoDatabaseVpc: DATABASE_VPC });
    // The database's VpcRef without a block of its own: in one VPC, Glue's block is the database's.
    const { cidrBlock: _sameBlock, ...sameVpc } = GLUE_VPC;
    shared = await runEtl("dev", {}, { existingGlueVpc: GLUE_VPC, existingDemoDatabaseVpc: sameVpc });
  });

  it("creates no VPC, subnet, route table, flow log or endpoint, in two VPCs or one", function () {
    for (const run of [separate, shared]) {
      expect(VPC_PARTS.flatMap((type) => run.ofType(type).map((r) => r.name))).to.deep.equal([]);
    }
  });

  it("runs the Glue connection in the first given subnet and the database in the given two", function () {
    const connection = separate.ofType("aws:glue/connection:Connection")[0]!;
    expect(connection.inputs.physicalConnectionRequirements).to.deep.include({
      subnetId: "subnet-0platform-a",
      availabilityZone: "eu-west-1a",
    });
    const subnetGroup = separate.ofType("aws:rds/subnetGroup:SubnetGroup")[0]!;
    expect(subnetGroup.inputs.subnetIds).to.deep.equal(["subnet-0data-a", "subnet-0data-b"]);
    const groups = separate.ofType("aws:ec2/securityGroup:SecurityGroup");
    expect([...new Set(groups.map((g) => g.inputs.vpcId))].sort()).to.deep.equal([
      "vpc-0data",
      "vpc-0platform",
    ]);
  });

  it("peers the two given VPCs, routing each given block from the other's given route tables", function () {
    const [peering] = separate.ofType("aws:ec2/vpcPeeringConnection:VpcPeeringConnection");
    expect(peering!.inputs).to.include({ vpcId: "vpc-0platform", peerVpcId: "vpc-0data" });
    const routes = separate
      .ofType("aws:ec2/route:Route")
      .map((r) => `${r.inputs.routeTableId} -> ${r.inputs.destinationCidrBlock}`);
    expect(routes).to.deep.equal([
      "rtb-0platform-a -> 10.50.0.0/16",
      "rtb-0platform-b -> 10.50.0.0/16",
      "rtb-0data -> 10.40.0.0/16",
    ]);
    const toDatabase = separate.named(
      "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
      "sensors-dev-etl-sources-jdbc-to-database",
    );
    expect(toDatabase.inputs.cidrIpv4).to.equal("10.50.0.0/16");
  });

  it("peers nothing when Glue and the database share one VPC", function () {
    expect(shared.ofType("aws:ec2/vpcPeeringConnection:VpcPeeringConnection")).to.deep.equal([]);
    expect(shared.ofType("aws:ec2/route:Route")).to.deep.equal([]);
    expect(shared.ofType("aws:glue/connection:Connection")).to.have.length(1);
    const toDatabase = shared.named(
      "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
      "sensors-dev-etl-sources-jdbc-to-database",
    );
    expect(toDatabase.inputs.cidrIpv4).to.equal("10.40.0.0/16");
  });

  it("reaches AWS services over HTTPS through the VPC's own route, and passes the policy pack", async function () {
    const https = separate
      .ofType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
      .filter((r) => r.inputs.cidrIpv4 === "0.0.0.0/0")
      .map((r) => [r.name, r.inputs.fromPort]);
    expect(https).to.deep.equal([
      ["sensors-dev-etl-sources-glue-glue-aws", 443],
      ["sensors-dev-etl-sources-database-seed-to-secrets-manager", 443],
    ]);
    const report = await evaluatePolicies(separate.resources);
    expect(report.mandatory.map((v) => `${v.policy}: ${v.message}`)).to.deep.equal([]);
  });

  it("takes the Glue VPC from a stack file's existingGlueVpc, as pulumi up runs the platform", async function () {
    this.timeout(120_000);
    const existingGlueVpc = {
      vpcId: "vpc-0a1b2c3d4e5f60718",
      cidrBlock: "10.40.0.0/16",
      routeTableIds: ["rtb-0123456789abcdef0", "rtb-0fedcba9876543210"],
      privateSubnets: [
        { id: "subnet-0123456789abcdef0", availabilityZone: "eu-west-1a" },
        { id: "subnet-0fedcba9876543210", availabilityZone: "eu-west-1b" },
      ],
    };
    // Pulumi.dev.yaml's glueVpcCidr stays, unused: only a created Glue VPC has that block.
    const run = await runPlatform("dev", { existingGlueVpc });
    expect(run.value.glue.existingVpc).to.deep.equal(existingGlueVpc);
    // The demo database's VPC is still created; nothing of a Glue VPC is.
    const vpcs = run.ofType("aws:ec2/vpc:Vpc").map((r) => r.name);
    expect(vpcs).to.have.length(1);
    expect(vpcs[0]).to.contain("database");
    const connection = run.ofType("aws:glue/connection:Connection")[0]!;
    expect(connection.inputs.physicalConnectionRequirements).to.deep.include({
      subnetId: "subnet-0123456789abcdef0",
      availabilityZone: "eu-west-1a",
    });
    const [peering] = run.ofType("aws:ec2/vpcPeeringConnection:VpcPeeringConnection");
    expect(peering!.inputs).to.include({ vpcId: "vpc-0a1b2c3d4e5f60718" });
    const routes = run
      .ofType("aws:ec2/route:Route")
      .map((r) => `${String(r.inputs.routeTableId)} -> ${r.inputs.destinationCidrBlock}`);
    // Each given route table to Pulumi.dev.yaml's databaseVpcCidr, and the database side back to the given block.
    expect(routes.filter((r) => r.startsWith("rtb-0"))).to.deep.equal([
      "rtb-0123456789abcdef0 -> 10.30.0.0/24",
      "rtb-0fedcba9876543210 -> 10.30.0.0/24",
    ]);
    expect(routes.filter((r) => r.endsWith("10.40.0.0/16"))).to.not.deep.equal([]);
  });

  it("refuses a Glue VPC without private subnets, naming the field and the fix, before creating anything", async function () {
    const { privateSubnets: _none, ...withoutSubnets } = GLUE_VPC;
    const error = await runEtl("dev", {}, { existingGlueVpc: withoutSubnets }).then(
      () => undefined,
      (e: unknown) => String(e),
    );
    expect(error).to.include(
      "existingVpc.privateSubnets has 0 subnet(s), 1 needed: the Glue connection runs in the first private subnet; pass the VPC's private subnets as { id, availabilityZone }",
    );
  });

  it("names every missing field: peering blocks and route tables, two zones for RDS, overlapping blocks", async function () {
    const oneZone = {
      vpcId: "vpc-1",
      privateSubnets: [
        { id: "subnet-1", availabilityZone: "eu-west-1a" },
        { id: "subnet-2", availabilityZone: "eu-west-1a" },
      ],
    };
    expect(
      vpcRefProblems(oneZone, "existingDemoDatabaseVpc", { peering: true, privateSubnets: 2, why: "RDS" }),
    ).to.deep.equal([
      "existingDemoDatabaseVpc.privateSubnets are all in eu-west-1a: RDS; add a private subnet of another zone",
      "existingDemoDatabaseVpc.routeTableIds is empty: VPC peering routes the other side from them, without them no answer comes back; pass the route table of every subnet that must reach the peer",
      'existingDemoDatabaseVpc.cidrBlock is missing: the other side of the peering routes it; pass the VPC\'s IPv4 block, e.g. "10.40.0.0/16"',
    ]);
    expect(vpcRefProblems({ vpcId: "vpc-1" }, "existingVpc", { peering: false, privateSubnets: 0, why: "" }))
      .to.be.empty;
    const overlapping = { ...DATABASE_VPC, cidrBlock: "10.40.128.0/17" };
    const error = await runEtl(
      "dev",
      {},
      { existingGlueVpc: GLUE_VPC, existingDemoDatabaseVpc: overlapping },
    ).then(
      () => undefined,
      (e: unknown) => String(e),
    );
    expect(error).to.include(
      "the Glue VPC's block 10.40.0.0/16 overlaps the database VPC's 10.40.128.0/17 (existingDemoDatabaseVpc)",
    );
    const { existing: _fromConfig, ...demoSettings } = parsePlatformConfig(stackConfig("dev")).database;
    const noRoutes = await runEtl(
      "dev",
      {},
      {
        database: { ...demoSettings, mode: "existing" },
        existingDatabase: {
          vpc: { vpcId: "vpc-0historian" },
          host: "historian.corp.internal",
          securityGroupId: "sg-0historian",
          secretArn: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:historian-AbCdEf",
        },
      },
    ).then(
      () => undefined,
      (e: unknown) => String(e),
    );
    expect(noRoutes).to.include("existingDatabase.vpc.routeTableIds is empty");
  });
});
