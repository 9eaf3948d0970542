import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { registerDocument } from "../documents";
import { flowLogPolicy } from "../etl/iam-documents";
import { accountScopeOutput, serviceTrustPolicy } from "../shared/aws-scope";
import { platformLogGroup } from "../shared/log-group";

export interface VpcFlowLogArgs {
  readonly vpcId: pulumi.Input<string>;
  /**
   * Key the log group is encrypted with (its policy must let CloudWatch Logs use it).
   * @default - CloudWatch Logs' own encryption
   */
  readonly kmsKeyArn?: pulumi.Input<string> | undefined;
  /** Days the flow records are kept. */
  readonly retentionInDays: number;
  /** Tags merged into every taggable child. @default - none */
  readonly tags?: Record<string, string>;
}

/**
 * Flow logs of one VPC (accepted and rejected traffic) into a KMS-encrypted CloudWatch log group with
 * retention, delivered by a role that may write only to that group. The record of who talked to the
 * database across the peering, and the first place to look when Glue cannot reach it.
 */
export class VpcFlowLog extends pulumi.ComponentResource {
  public readonly logGroup: aws.cloudwatch.LogGroup;
  public readonly flowLog: aws.ec2.FlowLog;

  constructor(name: string, args: VpcFlowLogArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:sources:VpcFlowLog", name, {}, opts);
    const tags = { ...args.tags };

    this.logGroup = platformLogGroup(
      `${name}-logs`,
      { retentionDays: args.retentionInDays, kmsKeyArn: args.kmsKeyArn, tags },
      { parent: this },
    );
    const trust = accountScopeOutput(this).apply((scope) =>
      serviceTrustPolicy("vpc-flow-logs.amazonaws.com", scope, {
        sourceArn: `arn:${scope.partition}:ec2:${scope.region}:${scope.accountId}:vpc-flow-log/*`,
      }),
    );
    const role = new aws.iam.Role(
      `${name}-role`,
      { assumeRolePolicy: pulumi.jsonStringify(trust), tags },
      { parent: this },
    );
    const policy = this.logGroup.arn.apply((arn) => flowLogPolicy(arn));
    registerDocument(this, `iam-${name}`, "json", policy);
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-delivery`,
      { role: role.id, policy: pulumi.jsonStringify(policy) },
      { parent: this },
    );

    this.flowLog = new aws.ec2.FlowLog(
      name,
      {
        vpcId: args.vpcId,
        trafficType: "ALL",
        logDestinationType: "cloud-watch-logs",
        logDestination: this.logGroup.arn,
        iamRoleArn: role.arn,
        maxAggregationInterval: 60,
        tags,
      },
      { parent: this, dependsOn: [rolePolicy] },
    );
    this.registerOutputs({ logGroupName: this.logGroup.name, flowLogId: this.flowLog.id });
  }
}
