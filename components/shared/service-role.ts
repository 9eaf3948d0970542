/**
 * The role + inline policy pair every platform function, state machine and schedule is given: assumable only
 * by its one service on behalf of this account, with its permissions registered as a generated document so
 * reviewers read exactly what was deployed.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { registerDocument } from "../documents";
import { AccountScope, serviceTrustPolicy, ServiceTrustOptions } from "./iam-policy";

export interface ServiceRoleArgs {
  /** Service principal that assumes the role, e.g. `lambda.amazonaws.com`. */
  readonly service: string;
  /** The deploying account (the trust policy's source-account condition). */
  readonly scope: pulumi.Output<AccountScope>;
  /** The role's inline permissions. */
  readonly policy: pulumi.Input<aws.iam.PolicyDocument>;
  /** Name the permissions are registered under as a generated document, e.g. `iam-ml-scoring-function`. */
  readonly documentName: string;
  /** Logical name of the role. */
  readonly roleName: string;
  /** Logical name of the inline policy. */
  readonly policyName: string;
  /** The inline policy's name in IAM. @default - auto-named by Pulumi from `policyName` */
  readonly inlinePolicyName?: string;
  /** The role's description (cut to IAM's 1000 characters). @default - none */
  readonly description?: string;
  /**
   * Conditions of the trust policy, from the scope (e.g. a source-ARN pattern).
   * @default - the service on behalf of this account (`aws:SourceAccount`)
   */
  readonly trust?: (scope: AccountScope) => ServiceTrustOptions;
  readonly tags: Record<string, string>;
  /** Former places of the role and the policy (see `building-block.ts`). @default - none */
  readonly aliases?: { readonly role?: pulumi.Alias[]; readonly policy?: pulumi.Alias[] };
}

/** A role with one inline policy, both children of `parent`. Depend on `policy` before first use of the role. */
export function serviceRole(
  parent: pulumi.Resource,
  args: ServiceRoleArgs,
): { readonly role: aws.iam.Role; readonly policy: aws.iam.RolePolicy } {
  registerDocument(parent, args.documentName, "json", args.policy);
  const role = new aws.iam.Role(
    args.roleName,
    {
      ...(args.description === undefined ? {} : { description: args.description.slice(0, 1000) }),
      assumeRolePolicy: pulumi.jsonStringify(
        args.scope.apply((s) => serviceTrustPolicy(args.service, s, args.trust?.(s))),
      ),
      tags: args.tags,
    },
    { parent, aliases: args.aliases?.role },
  );
  const policy = new aws.iam.RolePolicy(
    args.policyName,
    {
      role: role.id,
      ...(args.inlinePolicyName === undefined ? {} : { name: args.inlinePolicyName }),
      policy: pulumi.jsonStringify(args.policy),
    },
    { parent, aliases: args.aliases?.policy },
  );
  return { role, policy };
}
