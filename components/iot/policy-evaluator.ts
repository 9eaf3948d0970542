/**
 * Evaluates an IoT policy document for one MQTT request, the way AWS IoT Core authorizes it: resolve the
 * connection's policy variables, match resource patterns (`*` any run of characters, `?` one character,
 * MQTT `+`/`#` literally), evaluate conditions, and let an explicit Deny win over any Allow. Pure.
 *
 * The local broker authorizes CONNECT, PUBLISH and SUBSCRIBE with the very document the cloud deploys, and the
 * tests use it to show what a device can and cannot do. Supported: the policy variables
 * `${iot:Connection.Thing.ThingName}`, `${iot:Connection.Thing.Attributes[<name>]}` and `${iot:ClientId}`,
 * and `Bool` conditions on `iot:Connection.Thing.IsAttached`. Anything else in a statement that applies throws,
 * so the local broker never silently grants more (or less) than IoT Core would.
 */
import { IS_ATTACHED_CONDITION_KEY, IotPolicyDocument, IotPolicyScope, iotArnPrefix } from "./iot-policy";

/** Who is asking: what IoT Core knows about the connection. */
export interface IotConnectionContext {
  readonly clientId: string;
  /** The thing attached to the certificate whose name equals the client ID, if any. */
  readonly thing?: { readonly name: string; readonly attributes?: Readonly<Record<string, string>> };
}

export type MqttRequest =
  | { readonly action: "iot:Connect" }
  | { readonly action: "iot:Publish" | "iot:Receive"; readonly topic: string }
  | { readonly action: "iot:Subscribe"; readonly topicFilter: string };

export interface IotDecision {
  readonly allowed: boolean;
  /** `allow`, `explicit-deny` or `implicit-deny` (nothing allows it). */
  readonly outcome: "allow" | "explicit-deny" | "implicit-deny";
  /** Sid (or `#index`) of the deciding statement. */
  readonly statement?: string;
}

/** The resource ARN IoT Core checks for a request. */
export function requestResourceArn(
  scope: IotPolicyScope,
  context: IotConnectionContext,
  request: MqttRequest,
): string {
  const prefix = iotArnPrefix(scope);
  switch (request.action) {
    case "iot:Connect":
      return `${prefix}client/${context.clientId}`;
    case "iot:Subscribe":
      return `${prefix}topicfilter/${request.topicFilter}`;
    default:
      return `${prefix}topic/${request.topic}`;
  }
}

/** Replaces policy variables; `undefined` when one cannot be resolved (then the resource matches nothing). */
export function resolvePolicyVariables(pattern: string, context: IotConnectionContext): string | undefined {
  let unresolved = false;
  const resolved = pattern.replace(/\$\{([^}]+)\}/g, (_, variable: string) => {
    if (variable === "iot:ClientId") return context.clientId;
    if (variable === "iot:Connection.Thing.ThingName") {
      if (context.thing) return context.thing.name;
      unresolved = true;
      return "";
    }
    const attribute = /^iot:Connection\.Thing\.Attributes\[([^\]]+)\]$/.exec(variable);
    if (attribute) {
      const value = context.thing?.attributes?.[attribute[1]!];
      if (value !== undefined) return value;
      unresolved = true;
      return "";
    }
    throw new Error(`policy variable \${${variable}} is not supported by the local IoT policy evaluator`);
  });
  return unresolved ? undefined : resolved;
}

/** IAM-style wildcard match: `*` any run of characters (including "/"), `?` exactly one. */
export function matchesResourcePattern(pattern: string, value: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
    "s",
  );
  return regex.test(value);
}

const asList = (value: unknown): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value.map(String) : [String(value)];

function conditionsHold(condition: unknown, context: IotConnectionContext, label: string): boolean {
  if (condition === undefined) return true;
  for (const [operator, entries] of Object.entries(condition as Record<string, Record<string, unknown>>)) {
    for (const [key, expected] of Object.entries(entries)) {
      if (operator !== "Bool" || key !== IS_ATTACHED_CONDITION_KEY) {
        throw new Error(
          `statement ${label}: condition ${operator} ${key} is not supported by the local IoT policy evaluator`,
        );
      }
      // IsAttached: the client ID names a thing and the certificate is attached to it.
      const actual = context.thing !== undefined && context.thing.name === context.clientId;
      if (!asList(expected).some((v) => v.toLowerCase() === String(actual))) return false;
    }
  }
  return true;
}

/** Decides one request against a policy document. */
export function evaluateIotPolicy(
  document: IotPolicyDocument,
  scope: IotPolicyScope,
  context: IotConnectionContext,
  request: MqttRequest,
): IotDecision {
  const resource = requestResourceArn(scope, context, request);
  let allowedBy: string | undefined;
  for (const [index, statement] of document.Statement.entries()) {
    const label = statement.Sid ?? `#${index}`;
    const actionMatches = asList(statement.Action).some((a) =>
      matchesResourcePattern(a.toLowerCase(), request.action.toLowerCase()),
    );
    if (!actionMatches) continue;
    const resourceMatches = asList(statement.Resource).some((pattern) => {
      const resolved = resolvePolicyVariables(pattern, context);
      return resolved !== undefined && matchesResourcePattern(resolved, resource);
    });
    if (!resourceMatches || !conditionsHold(statement.Condition, context, label)) continue;
    if (statement.Effect === "Deny") return { allowed: false, outcome: "explicit-deny", statement: label };
    allowedBy ??= label;
  }
  return allowedBy
    ? { allowed: true, outcome: "allow", statement: allowedBy }
    : { allowed: false, outcome: "implicit-deny" };
}
