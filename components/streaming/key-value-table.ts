/**
 * The DynamoDB table shape the real-time aggregates and the pollers' de-duplication share (the layout in
 * `realtime-layout.ts`).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { REALTIME_TABLE } from "./realtime-layout";

/**
 * A DynamoDB table keyed `pk` (partition) and `sk` (sort), both strings, with TTL on `expiresAt`: on-demand,
 * encrypted with `kmsKeyArn` (DynamoDB's AWS-owned key without one), point-in-time recovery on, deletion protection with `protectData`.
 */
export function keyValueTable(
  parent: pulumi.Resource,
  name: string,
  args: {
    /** @default - DynamoDB's AWS-owned key */
    readonly kmsKeyArn?: pulumi.Input<string> | undefined;
    readonly protectData: boolean;
    readonly tags: Record<string, string>;
  },
): aws.dynamodb.Table {
  return new aws.dynamodb.Table(
    name,
    {
      billingMode: "PAY_PER_REQUEST",
      hashKey: REALTIME_TABLE.partitionKey,
      rangeKey: REALTIME_TABLE.sortKey,
      attributes: [
        { name: REALTIME_TABLE.partitionKey, type: "S" },
        { name: REALTIME_TABLE.sortKey, type: "S" },
      ],
      ttl: { attributeName: REALTIME_TABLE.ttlAttribute, enabled: true },
      ...(args.kmsKeyArn === undefined
        ? {}
        : { serverSideEncryption: { enabled: true, kmsKeyArn: args.kmsKeyArn } }),
      pointInTimeRecovery: { enabled: true },
      deletionProtectionEnabled: args.protectData,
      tags: args.tags,
    },
    { parent, protect: args.protectData, retainOnDelete: args.protectData },
  );
}
