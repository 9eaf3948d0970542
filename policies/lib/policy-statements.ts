/** Reading IAM-style policy documents (IAM, bucket, key and IoT policies) inside policy rules. Pure. */

export interface NormalizedStatement {
  readonly sid?: string;
  readonly effect: "Allow" | "Deny";
  readonly actions: string[];
  readonly notActions: string[];
  readonly resources: string[];
  readonly notResources: string[];
  readonly principal: unknown;
  readonly condition: Record<string, Record<string, unknown>>;
}

const list = (value: unknown): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value.map(String) : [String(value)];

/**
 * Parses a policy given as a JSON string or an object. Returns `undefined` when the value is not known yet
 * (a preview of a new stack) or not a policy document at all, so rules can skip rather than guess.
 */
export function parsePolicyDocument(value: unknown): NormalizedStatement[] | undefined {
  let doc: unknown = value;
  if (typeof value === "string") {
    try {
      doc = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  if (typeof doc !== "object" || doc === null) return undefined;
  const statements = (doc as { Statement?: unknown }).Statement;
  if (statements === undefined) return undefined;
  return (Array.isArray(statements) ? statements : [statements]).map((s: Record<string, unknown>) => ({
    sid: typeof s.Sid === "string" ? s.Sid : undefined,
    effect: s.Effect === "Deny" ? "Deny" : "Allow",
    actions: list(s.Action),
    notActions: list(s.NotAction),
    resources: list(s.Resource),
    notResources: list(s.NotResource),
    principal: s.Principal,
    condition: (s.Condition as Record<string, Record<string, unknown>> | undefined) ?? {},
  }));
}

/** Every policy document a resource carries, by property path (e.g. `policy`, `inlinePolicies[0].policy`). */
export function policyDocumentsOf(
  type: string,
  props: Record<string, unknown>,
): { path: string; statements: NormalizedStatement[] }[] {
  const found: { path: string; statements: NormalizedStatement[] }[] = [];
  const add = (path: string, value: unknown) => {
    const statements = parsePolicyDocument(value);
    if (statements) found.push({ path, statements });
  };
  switch (type) {
    case "aws:iam/policy:Policy":
    case "aws:iam/rolePolicy:RolePolicy":
    case "aws:iam/userPolicy:UserPolicy":
    case "aws:iam/groupPolicy:GroupPolicy":
    case "aws:s3/bucketPolicy:BucketPolicy":
    case "aws:kms/key:Key":
    case "aws:sns/topicPolicy:TopicPolicy":
    case "aws:sqs/queuePolicy:QueuePolicy":
    case "aws:iot/policy:Policy":
    case "aws:secretsmanager/secretPolicy:SecretPolicy":
      add("policy", props.policy);
      break;
    case "aws:cloudwatch/logResourcePolicy:LogResourcePolicy":
      add("policyDocument", props.policyDocument);
      break;
    case "aws:iam/role:Role": {
      add("assumeRolePolicy", props.assumeRolePolicy);
      const inline = Array.isArray(props.inlinePolicies)
        ? (props.inlinePolicies as Record<string, unknown>[])
        : [];
      inline.forEach((p, i) => add(`inlinePolicies[${i}].policy`, p.policy));
      break;
    }
  }
  return found;
}

/** Whether a document is an IAM identity policy (where `Resource: "*"` grants on every resource). */
export function isIdentityPolicy(type: string, path: string): boolean {
  return (
    [
      "aws:iam/policy:Policy",
      "aws:iam/rolePolicy:RolePolicy",
      "aws:iam/userPolicy:UserPolicy",
      "aws:iam/groupPolicy:GroupPolicy",
    ].includes(type) ||
    (type === "aws:iam/role:Role" && path.startsWith("inlinePolicies"))
  );
}
