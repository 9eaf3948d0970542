/**
 * The deploying account's scope (partition, region, account ID), looked up the same way by every component,
 * and the pure policy-document helpers re-exported beside it.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AccountScope } from "./iam-policy";

export { policyDocument, serviceTrustPolicy } from "./iam-policy";
export type { AccountScope, ServiceTrustOptions } from "./iam-policy";

/**
 * The deploying account's scope, looked up through the provider of `parent` (so a component placed in another
 * region or account by its provider gets that one's scope).
 */
export function accountScopeOutput(parent: pulumi.Resource): pulumi.Output<AccountScope> {
  const child = { parent };
  return pulumi
    .all([
      aws.getPartitionOutput({}, child).partition,
      aws.getRegionOutput({}, child).region,
      aws.getCallerIdentityOutput({}, child).accountId,
    ])
    .apply(([partition, region, accountId]): AccountScope => ({ partition, region, accountId }));
}
