/**
 * Permissions of the demo database's seed function: read the RDS-managed secret (and decrypt it, through
 * Secrets Manager only), attach to the database VPC's subnets, write its logs and traces. Pure.
 */
import type * as aws from "@pulumi/aws";
import { AccountScope, keyViaService, policyDocument, xrayStatement } from "../shared/iam-policy";

export interface HistorySeedAccessArgs {
  readonly scope: AccountScope;
  readonly secretArn: string;
  /** The key the secret is encrypted with. */
  /** Customer-managed key of the secret. @default - none (Secrets Manager's AWS-managed key): no `kms:*` */
  readonly secretKeyArn?: string | undefined;
  readonly logGroupArn: string;
  /** The subnets and security group the function attaches to. */
  readonly subnetIds: readonly string[];
  readonly securityGroupId: string;
}

export function historySeedPolicy(a: HistorySeedAccessArgs): aws.iam.PolicyDocument {
  const { partition: p, region, accountId } = a.scope;
  const ec2 = (resource: string) => `arn:${p}:ec2:${region}:${accountId}:${resource}`;
  return policyDocument([
    {
      Sid: "ReadDatabaseSecret",
      Effect: "Allow",
      Action: ["secretsmanager:GetSecretValue"],
      Resource: [a.secretArn],
    },
    ...keyViaService("DecryptDatabaseSecret", region, "secretsmanager", a.secretKeyArn, ["kms:Decrypt"]),
    {
      Sid: "AttachToDatabaseSubnets",
      Effect: "Allow",
      Action: ["ec2:CreateNetworkInterface"],
      Resource: [
        ...a.subnetIds.map((id) => ec2(`subnet/${id}`)),
        ec2(`security-group/${a.securityGroupId}`),
        ec2("network-interface/*"),
      ],
    },
    {
      Sid: "ManageFunctionInterfaces",
      Effect: "Allow",
      Action: [
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
      ],
      Resource: [ec2("network-interface/*")],
    },
    {
      // ec2:DescribeNetworkInterfaces supports no resource-level permissions; Lambda calls it as the function's
      // role to find the interfaces it attached.
      Sid: "DescribeInterfacesWildcard",
      Effect: "Allow",
      Action: ["ec2:DescribeNetworkInterfaces"],
      Resource: "*",
    },
    {
      Sid: "WriteOwnLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: [a.logGroupArn, `${a.logGroupArn}:*`],
    },
    xrayStatement(),
  ]);
}
