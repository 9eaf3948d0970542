/**
 * Static checks of an IoT policy document, modelled on AWS IoT Device Defender's audit checks for overly
 * permissive policies. Pure: the policy pack (`policies/rules/iot.ts`) runs them on every `aws.iot.Policy`,
 * and tests call them directly on the documents this project builds and on deliberately weakened ones.
 *
 * Two kinds of policy are recognised:
 * - a claim policy (fleet provisioning): any statement names a `$aws/certificates/` or
 *   `$aws/provisioning-templates/` topic. Then every Allow statement must stay within connecting and the
 *   provisioning topics of named templates (the certificate is attached to no thing, so IsAttached cannot apply).
 * - a device policy: everything else. Every Allow statement must carry `iot:Connection.Thing.IsAttached`.
 */
import { IS_ATTACHED_CONDITION_KEY } from "./iot-policy";

export type IotPolicyCheck =
  | "action-wildcard"
  | "client-wildcard"
  | "topic-wildcard"
  | "thing-topic-wildcard"
  | "missing-is-attached"
  | "deny-mqtt-wildcard"
  | "claim-scope"
  | "malformed";

export interface IotPolicyFinding {
  readonly check: IotPolicyCheck;
  /** The statement's Sid, or `#<index>` when it has none. */
  readonly statement: string;
  readonly message: string;
}

interface Statement {
  readonly label: string;
  readonly effect: "Allow" | "Deny";
  readonly actions: string[];
  readonly resources: string[];
  readonly condition: Record<string, Record<string, unknown>>;
}

const MQTT_ACTIONS = ["iot:Publish", "iot:Receive", "iot:Subscribe", "iot:RetainPublish"];
const PROVISIONING_TOPIC =
  /^\$aws\/(certificates\/create(-from-csr)?\/json|provisioning-templates\/[A-Za-z0-9_-]+\/provision\/json)(\/(accepted|rejected))?$/;

const asList = (value: unknown): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value.map(String) : [String(value)];

/** The part of an IoT resource ARN after `<type>/`, with its type; `*` for a bare wildcard resource. */
function splitResource(resource: string): { type: string; name: string } {
  if (resource === "*") return { type: "*", name: "*" };
  const match = /^arn:[^:]*:iot:[^:]*:[^:]*:([a-z]+)\/(.*)$/.exec(resource);
  return match ? { type: match[1]!, name: match[2]! } : { type: "unknown", name: resource };
}

/** A name consisting only of wildcards matches everything of its type. */
const matchesAnything = (name: string) => /^[*?]+$/.test(name);

const grants = (s: Statement, action: string) =>
  s.actions.some((a) => a === "*" || a === "iot:*" || a.toLowerCase() === action.toLowerCase());

function parse(document: unknown): Statement[] | string {
  let doc = document;
  if (typeof doc === "string") {
    try {
      doc = JSON.parse(doc);
    } catch (err) {
      return `policy is not valid JSON: ${(err as Error).message}`;
    }
  }
  const raw = (doc as { Statement?: unknown } | null)?.Statement;
  if (typeof doc !== "object" || doc === null || raw === undefined) return "policy has no Statement";
  const list = Array.isArray(raw) ? (raw as Record<string, unknown>[]) : [raw as Record<string, unknown>];
  return list.map((s, i) => ({
    label: typeof s.Sid === "string" ? s.Sid : `#${i}`,
    effect: s.Effect === "Deny" ? "Deny" : "Allow",
    actions: asList(s.Action),
    resources: asList(s.Resource),
    condition: (s.Condition as Record<string, Record<string, unknown>> | undefined) ?? {},
  }));
}

function requiresAttachment(s: Statement): boolean {
  for (const [operator, entries] of Object.entries(s.condition)) {
    if (operator !== "Bool") continue;
    for (const [key, value] of Object.entries(entries)) {
      if (
        key.toLowerCase() === IS_ATTACHED_CONDITION_KEY.toLowerCase() &&
        asList(value).every((v) => v.toLowerCase() === "true")
      ) {
        return true;
      }
    }
  }
  return false;
}

/** Whether any statement names a fleet-provisioning topic (then the policy is judged as a claim policy). */
export function isClaimPolicy(document: unknown): boolean {
  const statements = parse(document);
  if (typeof statements === "string") return false;
  return statements.some((s) =>
    s.resources.some((r) => /^\$aws\/(certificates|provisioning-templates)\//.test(splitResource(r).name)),
  );
}

/**
 * Every problem found in an IoT policy document (an object or its JSON text). An empty list means it passes.
 */
export function analyzeIotPolicy(document: unknown): IotPolicyFinding[] {
  const statements = parse(document);
  if (typeof statements === "string") return [{ check: "malformed", statement: "-", message: statements }];
  const findings: IotPolicyFinding[] = [];
  const add = (check: IotPolicyCheck, s: Statement, message: string) =>
    findings.push({ check, statement: s.label, message });
  const claim = isClaimPolicy(document);

  for (const s of statements) {
    if (s.effect === "Deny") {
      // IoT policies match "+" and "#" literally: a Deny on dt/+/x denies only a topic literally named "+".
      for (const r of s.resources) {
        const { type, name } = splitResource(r);
        if ((type === "topic" || type === "topicfilter") && /[+#]/.test(name)) {
          add(
            "deny-mqtt-wildcard",
            s,
            `Deny on ${r} uses an MQTT wildcard, which IoT policies match literally, so it denies almost nothing; use "*" in Deny statements`,
          );
        }
      }
      continue;
    }

    for (const a of s.actions) {
      if (a === "*" || a === "iot:*")
        add(
          "action-wildcard",
          s,
          `allows "${a}"; list the MQTT actions the device needs (iot:Connect, iot:Publish, iot:Subscribe, iot:Receive)`,
        );
    }
    for (const r of s.resources) {
      const { type, name } = splitResource(r);
      if (grants(s, "iot:Connect") && (type === "*" || (type === "client" && matchesAnything(name)))) {
        add(
          "client-wildcard",
          s,
          `iot:Connect on ${r} lets a certificate connect as any client ID; use client/\${iot:Connection.Thing.ThingName}`,
        );
      }
      if (
        MQTT_ACTIONS.some((a) => grants(s, a)) &&
        (type === "*" || ((type === "topic" || type === "topicfilter") && matchesAnything(name)))
      ) {
        add(
          "topic-wildcard",
          s,
          `MQTT access to ${r} covers every topic of the account; scope it to the device's own topics`,
        );
      }
      if (/^\$aws\/things\/[*?+#]/.test(name)) {
        add(
          "thing-topic-wildcard",
          s,
          `${r} opens the reserved topics (shadows, jobs) of every thing; use $aws/things/\${iot:Connection.Thing.ThingName}/...`,
        );
      }
      if (
        claim &&
        type !== "client" &&
        !((type === "topic" || type === "topicfilter") && PROVISIONING_TOPIC.test(name))
      ) {
        add(
          "claim-scope",
          s,
          `claim policy grants ${r}; a claim certificate may only connect and use the provisioning topics of a named template`,
        );
      }
    }
    if (!claim && !requiresAttachment(s)) {
      add(
        "missing-is-attached",
        s,
        `Allow statement has no Bool condition "${IS_ATTACHED_CONDITION_KEY}": "true", so a certificate not attached to the thing it names still gets it`,
      );
    }
  }
  return findings;
}
