/**
 * Network rules. Sources: CIS AWS Foundations 5.2/5.3 (no ingress from 0.0.0.0/0 or ::/0), 5.4 (default
 * security group restricts all traffic) and 3.9 (VPC flow logging), cdk-nag AwsSolutions-VPC7 (flow logs),
 * EC2.18/EC2.19 and the Security Hub RDS controls RDS.2 (not publicly accessible) and RDS.3 (encrypted).
 */
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { resourcesReferencing } from "../lib/resources";

const SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup";
const INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";
const LEGACY_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule";
const VPC = "aws:ec2/vpc:Vpc";
const FLOW_LOG = "aws:ec2/flowLog:FlowLog";
const DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup";
const RDS_INSTANCE = "aws:rds/instance:Instance";

const WORLD = new Set(["0.0.0.0/0", "::/0"]);
/** Descriptions the providers fill in when none is given. */
const PLACEHOLDER_DESCRIPTIONS = new Set(["Managed by Pulumi", "Managed by Terraform"]);

interface InlineRule {
  description?: string;
  cidrBlocks?: string[];
  ipv6CidrBlocks?: string[];
}

export const sgDescriptions: ResourceValidationPolicy = {
  name: "sg-descriptions",
  description:
    "Security groups and their rules say what they are for: a description that is not the provider's placeholder.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    const described = (value: unknown) =>
      typeof value === "string" && value.trim() !== "" && !PLACEHOLDER_DESCRIPTIONS.has(value);
    if (args.type === SECURITY_GROUP) {
      if (!described(args.props.description))
        reportViolation(
          `${args.name} has no description (got ${JSON.stringify(args.props.description ?? null)}); say what uses it`,
        );
      for (const direction of ["ingress", "egress"] as const) {
        ((args.props[direction] as InlineRule[] | undefined) ?? []).forEach((rule, i) => {
          if (!described(rule.description))
            reportViolation(`${args.name} ${direction}[${i}] has no description; say what the rule admits`);
        });
      }
    } else if (args.type === INGRESS_RULE || args.type === EGRESS_RULE || args.type === LEGACY_RULE) {
      if (!described(args.props.description))
        reportViolation(`${args.name} has no description; say what the rule admits`);
    }
  },
};

export const sgNoWorldIngress: ResourceValidationPolicy = {
  name: "sg-no-world-ingress",
  description:
    "No security group admits traffic from the whole internet (0.0.0.0/0 or ::/0); ingress names a security group, a prefix list or a private range.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    const report = (where: string, cidr: string) =>
      reportViolation(
        `${args.name}${where ? ` ${where}` : ""} admits ${cidr}; admit a security group or a specific range instead`,
      );
    if (args.type === SECURITY_GROUP) {
      ((args.props.ingress as InlineRule[] | undefined) ?? []).forEach((rule, i) => {
        for (const cidr of [...(rule.cidrBlocks ?? []), ...(rule.ipv6CidrBlocks ?? [])])
          if (WORLD.has(cidr)) report(`ingress[${i}]`, cidr);
      });
    } else if (args.type === INGRESS_RULE) {
      for (const cidr of [args.props.cidrIpv4, args.props.cidrIpv6])
        if (typeof cidr === "string" && WORLD.has(cidr)) report("", cidr);
    } else if (args.type === LEGACY_RULE && args.props.type === "ingress") {
      for (const cidr of [
        ...((args.props.cidrBlocks as string[] | undefined) ?? []),
        ...((args.props.ipv6CidrBlocks as string[] | undefined) ?? []),
      ]) {
        if (WORLD.has(cidr)) report("", cidr);
      }
    }
  },
};

const vpcsOf = (all: readonly PolicyResource[]) => all.filter((r) => r.type === VPC);

export const vpcFlowLogs: StackValidationPolicy = {
  name: "vpc-flow-logs",
  description: "Every VPC the stack creates has a flow log recording all traffic.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    for (const vpc of vpcsOf(args.resources)) {
      const logs = resourcesReferencing(args.resources, FLOW_LOG, "vpcId", vpc, [vpc.props.id]);
      if (logs.length === 0)
        reportViolation(`${vpc.name} has no flow log; add an aws.ec2.FlowLog with trafficType ALL`, vpc.urn);
      else if (!logs.some((l) => l.props.trafficType === "ALL"))
        reportViolation(
          `${vpc.name}'s flow log does not record ALL traffic (rejected and accepted)`,
          vpc.urn,
        );
    }
  },
};

export const vpcDefaultSecurityGroupClosed: StackValidationPolicy = {
  name: "vpc-default-security-group-closed",
  description:
    "Every VPC the stack creates takes over its default security group and leaves it without rules, so nothing that falls back to it is reachable.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    for (const vpc of vpcsOf(args.resources)) {
      const defaults = resourcesReferencing(args.resources, DEFAULT_SG, "vpcId", vpc, [vpc.props.id]);
      if (defaults.length === 0) {
        reportViolation(
          `${vpc.name}'s default security group is not managed; add an aws.ec2.DefaultSecurityGroup without rules`,
          vpc.urn,
        );
        continue;
      }
      const rules = ["ingress", "egress"].flatMap(
        (d) => (defaults[0]!.props[d] as unknown[] | undefined) ?? [],
      );
      if (rules.length > 0)
        reportViolation(
          `${vpc.name}'s default security group has ${rules.length} rule(s); remove them`,
          vpc.urn,
        );
    }
  },
};

export const rdsPrivateEncrypted: ResourceValidationPolicy = {
  name: "rds-private-encrypted",
  description:
    "RDS instances are not publicly accessible and encrypt their storage (rds-customer-managed-key advises which key).",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== RDS_INSTANCE) return;
    if (args.props.publiclyAccessible === true)
      reportViolation(
        `${args.name} is publicly accessible; set publiclyAccessible to false and reach it through the VPC`,
      );
    if (args.props.storageEncrypted !== true)
      reportViolation(`${args.name} does not encrypt its storage; set storageEncrypted to true`);
  },
};

export const rdsCustomerManagedKey: ResourceValidationPolicy = {
  name: "rds-customer-managed-key",
  description:
    "RDS instances encrypt their storage and their RDS-managed master secret with a customer-managed key. Advisory: the AWS-managed aws/rds and aws/secretsmanager keys encrypt too, a keyless composition's choice.",
  enforcementLevel: "advisory",
  validateResource: (args, reportViolation) => {
    if (args.type !== RDS_INSTANCE) return;
    if (args.props.storageEncrypted === true && !args.props.kmsKeyId)
      reportViolation(`${args.name} encrypts storage with the AWS-managed key; set kmsKeyId to the lake key`);
    if (args.props.manageMasterUserPassword === true && !args.props.masterUserSecretKmsKeyId)
      reportViolation(
        `${args.name}'s managed master secret uses the default key; set masterUserSecretKmsKeyId to the lake key`,
      );
  },
};

export const networkPolicies = [
  sgDescriptions,
  sgNoWorldIngress,
  vpcFlowLogs,
  vpcDefaultSecurityGroupClosed,
  rdsPrivateEncrypted,
  rdsCustomerManagedKey,
];
