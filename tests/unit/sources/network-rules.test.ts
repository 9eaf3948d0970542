import { expect } from "chai";
import { fakeResource, violationsOf } from "../../helpers/policy";
import {
  rdsPrivateEncrypted,
  sgDescriptions,
  sgNoWorldIngress,
  vpcDefaultSecurityGroupClosed,
  vpcFlowLogs,
} from "../../../policies/rules/network";
import { platformPolicies } from "../../../policies/rules";

describe("policy pack: network rules", function () {
  it("are in the pack, mandatory", function () {
    for (const name of [
      "sg-descriptions",
      "sg-no-world-ingress",
      "vpc-flow-logs",
      "vpc-default-security-group-closed",
      "rds-private-encrypted",
    ]) {
      expect(platformPolicies.find((p) => p.name === name)?.enforcementLevel, name).to.equal("mandatory");
    }
  });

  it("sg-descriptions: needs a real description on groups, inline rules and rule resources", async function () {
    expect(
      await violationsOf(sgDescriptions, [
        fakeResource("aws:ec2/securityGroup:SecurityGroup", "ok", {
          description: "Glue jobs",
          ingress: [{ description: "self", cidrBlocks: ["10.0.0.0/24"] }],
        }),
        fakeResource("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "rule-ok", {
          description: "from Glue",
        }),
      ]),
    ).to.deep.equal([]);
    expect(
      await violationsOf(sgDescriptions, [
        fakeResource("aws:ec2/securityGroup:SecurityGroup", "default-text", {
          description: "Managed by Pulumi",
          egress: [{ cidrBlocks: ["10.0.0.0/24"] }],
        }),
        fakeResource("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "rule", {}),
      ]),
    ).to.deep.equal([
      'default-text has no description (got "Managed by Pulumi"); say what uses it',
      "default-text egress[0] has no description; say what the rule admits",
      "rule has no description; say what the rule admits",
    ]);
  });

  it("sg-no-world-ingress: refuses 0.0.0.0/0 and ::/0 ingress in every form, allows world egress and private ranges", async function () {
    expect(
      await violationsOf(sgNoWorldIngress, [
        fakeResource("aws:ec2/securityGroup:SecurityGroup", "ok", {
          ingress: [{ cidrBlocks: ["10.30.0.0/24"] }],
          egress: [{ cidrBlocks: ["0.0.0.0/0"] }],
        }),
        fakeResource("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "sg-ref", {
          referencedSecurityGroupId: "sg-1",
        }),
        fakeResource("aws:ec2/securityGroupRule:SecurityGroupRule", "egress", {
          type: "egress",
          cidrBlocks: ["0.0.0.0/0"],
        }),
      ]),
    ).to.deep.equal([]);
    expect(
      await violationsOf(sgNoWorldIngress, [
        fakeResource("aws:ec2/securityGroup:SecurityGroup", "inline", {
          ingress: [{ cidrBlocks: ["10.0.0.0/8"] }, { ipv6CidrBlocks: ["::/0"] }],
        }),
        fakeResource("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "rule", {
          cidrIpv4: "0.0.0.0/0",
        }),
        fakeResource("aws:ec2/securityGroupRule:SecurityGroupRule", "legacy", {
          type: "ingress",
          cidrBlocks: ["0.0.0.0/0"],
        }),
      ]),
    ).to.deep.equal([
      "inline ingress[1] admits ::/0; admit a security group or a specific range instead",
      "rule admits 0.0.0.0/0; admit a security group or a specific range instead",
      "legacy admits 0.0.0.0/0; admit a security group or a specific range instead",
    ]);
  });

  it("vpc-flow-logs and vpc-default-security-group-closed: find each VPC's companions through its references", async function () {
    const logged = fakeResource("aws:ec2/vpc:Vpc", "logged", { cidrBlock: "10.20.0.0/24" });
    const bare = fakeResource("aws:ec2/vpc:Vpc", "bare", { cidrBlock: "10.30.0.0/24" });
    const partial = fakeResource("aws:ec2/vpc:Vpc", "partial", { cidrBlock: "10.40.0.0/24" });
    const flow = (vpc: typeof logged, trafficType: string) =>
      fakeResource(
        "aws:ec2/flowLog:FlowLog",
        `${vpc.name}-flow`,
        { trafficType, vpcId: "vpc-x" },
        { vpcId: [vpc] },
      );
    const defaultSg = (vpc: typeof logged, ingress: unknown[]) =>
      fakeResource(
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
        `${vpc.name}-default`,
        { vpcId: "vpc-x", ingress },
        { vpcId: [vpc] },
      );
    const all = [
      logged,
      bare,
      partial,
      flow(logged, "ALL"),
      flow(partial, "REJECT"),
      defaultSg(logged, []),
      defaultSg(partial, [{ protocol: "-1" }]),
    ];
    expect(await violationsOf(vpcFlowLogs, all)).to.deep.equal([
      "bare has no flow log; add an aws.ec2.FlowLog with trafficType ALL",
      "partial's flow log does not record ALL traffic (rejected and accepted)",
    ]);
    expect(await violationsOf(vpcDefaultSecurityGroupClosed, all)).to.deep.equal([
      "bare's default security group is not managed; add an aws.ec2.DefaultSecurityGroup without rules",
      "partial's default security group has 1 rule(s); remove them",
    ]);
  });

  it("rds-private-encrypted: refuses public instances and unencrypted storage", async function () {
    const db = (name: string, inputs: Record<string, unknown>) =>
      fakeResource("aws:rds/instance:Instance", name, inputs);
    expect(
      await violationsOf(rdsPrivateEncrypted, [
        db("ok", { publiclyAccessible: false, storageEncrypted: true, kmsKeyId: "arn:k" }),
      ]),
    ).to.deep.equal([]);
    expect(
      await violationsOf(rdsPrivateEncrypted, [
        db("public", { publiclyAccessible: true, storageEncrypted: true }),
        db("plain", {}),
      ]),
    ).to.deep.equal([
      "public is publicly accessible; set publiclyAccessible to false and reach it through the VPC",
      "plain does not encrypt its storage; set storageEncrypted to true",
    ]);
  });
});
