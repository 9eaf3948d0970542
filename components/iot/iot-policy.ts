/**
 * IoT policy documents for devices and for fleet-provisioning claims. Pure: the AWS backend puts them in
 * `aws.iot.Policy`, the local broker authorizes every CONNECT/PUBLISH/SUBSCRIBE with the same document
 * (see `policy-evaluator.ts`), and the simulator's mosquitto ACL mirrors it.
 *
 * The device policy contains no wildcard at all: every resource is pinned to the connecting thing through
 * policy variables, so one shared policy serves the whole fleet and a device can act only as itself
 * (AWS IoT Device Defender's "overly permissive policy" checks are the bar):
 *
 *   connect    client/<thing name>
 *   publish    dt/<deployment>/<room>/<thing>/telemetry, .../diagnostics, cmd/<deployment>/<room>/<thing>/res
 *   subscribe  cmd/<deployment>/<room>/<thing>/req   (and receive on the same topic)
 *
 * `<thing>` is `${iot:Connection.Thing.ThingName}` and `<room>` the thing's `room` attribute, so a device
 * cannot claim to be in another room either (the topic rule takes the room from the topic).
 */
import { commandTopic, dataTopic } from "../telemetry/topics";

/** Policy variable resolving to the name of the thing attached to the connection's certificate. */
export const THING_NAME_VARIABLE = "${iot:Connection.Thing.ThingName}";
/** Thing attribute holding the room a device is installed in (set by the stack or the provisioning template). */
export const ROOM_ATTRIBUTE = "room";
/** Policy variable resolving to the connected thing's room attribute. */
export const ROOM_VARIABLE = `\${iot:Connection.Thing.Attributes[${ROOM_ATTRIBUTE}]}`;
/** Condition key that is true only when the certificate is attached to the thing named by the client ID. */
export const IS_ATTACHED_CONDITION_KEY = "iot:Connection.Thing.IsAttached";

/** An AWS IoT Core policy document (the IAM grammar, with `iot:` actions and IoT resource ARNs). */
export interface IotPolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: readonly IotPolicyStatement[];
}

export interface IotPolicyStatement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Action: string | readonly string[];
  readonly Resource: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

/** Where the policy applies: IoT resource ARNs are `arn:<partition>:iot:<region>:<account>:<type>/<name>`. */
export interface IotPolicyScope {
  readonly region: string;
  readonly accountId: string;
  /** @default "aws" */
  readonly partition?: string;
}

export interface DevicePolicyArgs extends IotPolicyScope {
  /** `<app>-<stack>`, the second segment of every topic (see `components/telemetry/topics.ts`). */
  readonly deployment: string;
}

/** `arn:<partition>:iot:<region>:<account>:` for a scope. */
export function iotArnPrefix(scope: IotPolicyScope): string {
  return `arn:${scope.partition ?? "aws"}:iot:${scope.region}:${scope.accountId}:`;
}

// Stand-ins that pass the topic-segment check, so the topic layout comes from topics.ts and is never
// re-typed here; they are swapped for the policy variables afterwards.
const ROOM_PLACEHOLDER = "__room__";
const THING_PLACEHOLDER = "__thing__";

function withVariables(topic: string): string {
  const parts = topic.split("/");
  if (
    parts.filter((p) => p === ROOM_PLACEHOLDER).length !== 1 ||
    parts.filter((p) => p === THING_PLACEHOLDER).length !== 1
  ) {
    throw new Error(`topic layout changed: expected one room and one thing segment in "${topic}"`);
  }
  return parts
    .map((p) => (p === ROOM_PLACEHOLDER ? ROOM_VARIABLE : p === THING_PLACEHOLDER ? THING_NAME_VARIABLE : p))
    .join("/");
}

/** The topics a device may use, with policy variables in place of its room and thing name. */
export function deviceTopics(deployment: string): { publish: string[]; subscribe: string[] } {
  return {
    publish: [
      withVariables(dataTopic(deployment, ROOM_PLACEHOLDER, THING_PLACEHOLDER, "telemetry")),
      withVariables(dataTopic(deployment, ROOM_PLACEHOLDER, THING_PLACEHOLDER, "diagnostics")),
      withVariables(commandTopic(deployment, ROOM_PLACEHOLDER, THING_PLACEHOLDER, "res")),
    ],
    subscribe: [withVariables(commandTopic(deployment, ROOM_PLACEHOLDER, THING_PLACEHOLDER, "req"))],
  };
}

/**
 * The one IoT policy every device certificate carries. Each Allow statement requires
 * `iot:Connection.Thing.IsAttached`, so a certificate that is not attached to the thing it names gets nothing.
 */
export function buildDevicePolicyDocument(args: DevicePolicyArgs): IotPolicyDocument {
  const arn = iotArnPrefix(args);
  const attached = { Bool: { [IS_ATTACHED_CONDITION_KEY]: "true" } };
  const topics = deviceTopics(args.deployment);
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ConnectAsOwnThing",
        Effect: "Allow",
        Action: "iot:Connect",
        Resource: `${arn}client/${THING_NAME_VARIABLE}`,
        Condition: attached,
      },
      {
        Sid: "PublishOwnTopics",
        Effect: "Allow",
        Action: "iot:Publish",
        Resource: topics.publish.map((t) => `${arn}topic/${t}`),
        Condition: attached,
      },
      {
        Sid: "SubscribeOwnCommands",
        Effect: "Allow",
        Action: "iot:Subscribe",
        Resource: topics.subscribe.map((t) => `${arn}topicfilter/${t}`),
        Condition: attached,
      },
      {
        Sid: "ReceiveOwnCommands",
        Effect: "Allow",
        Action: "iot:Receive",
        Resource: topics.subscribe.map((t) => `${arn}topic/${t}`),
        Condition: attached,
      },
    ],
  };
}

export interface ClaimPolicyArgs extends IotPolicyScope {
  /** `<app>-<stack>`: claim client IDs start with {@link claimClientIdPrefix} of it. */
  readonly deployment: string;
  /** Name of the fleet-provisioning template the claim may call. */
  readonly templateName: string;
}

/**
 * Client IDs a claim certificate may connect with: `<deployment>--claim-`. No thing name can start like this
 * (thing names are `<deployment>-<room>-<serial>` and rooms are never empty nor contain "-"), so a holder of the
 * shared claim certificate cannot take over a registered device's client ID and disconnect it.
 */
export function claimClientIdPrefix(deployment: string): string {
  return `${deployment}--claim-`;
}

/**
 * The MQTT topics of fleet provisioning by claim, in the JSON payload format: a new certificate either with a key
 * pair AWS generates (CreateKeysAndCertificate) or from the device's own CSR (CreateCertificateFromCsr, the key
 * never leaves the device), then RegisterThing with one template.
 */
export function provisioningTopics(templateName: string): { publish: string[]; subscribe: string[] } {
  const requests = [
    "$aws/certificates/create/json",
    "$aws/certificates/create-from-csr/json",
    `$aws/provisioning-templates/${templateName}/provision/json`,
  ];
  return {
    publish: requests,
    subscribe: requests.flatMap((t) => [`${t}/accepted`, `${t}/rejected`]),
  };
}

/**
 * The policy of the shared claim certificate: connect with a client ID of this deployment and use exactly the
 * provisioning topics of one template; nothing else (no telemetry, no other templates). A claim certificate is
 * attached to no thing, so the IsAttached condition cannot apply; the pre-provisioning hook checks each request.
 */
export function buildClaimPolicyDocument(args: ClaimPolicyArgs): IotPolicyDocument {
  const arn = iotArnPrefix(args);
  const topics = provisioningTopics(args.templateName);
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ConnectWithDeploymentClientId",
        Effect: "Allow",
        Action: "iot:Connect",
        Resource: `${arn}client/${claimClientIdPrefix(args.deployment)}*`,
      },
      {
        Sid: "PublishProvisioningRequests",
        Effect: "Allow",
        Action: "iot:Publish",
        Resource: topics.publish.map((t) => `${arn}topic/${t}`),
      },
      {
        Sid: "SubscribeProvisioningReplies",
        Effect: "Allow",
        Action: "iot:Subscribe",
        Resource: topics.subscribe.map((t) => `${arn}topicfilter/${t}`),
      },
      {
        Sid: "ReceiveProvisioningReplies",
        Effect: "Allow",
        Action: "iot:Receive",
        Resource: topics.subscribe.map((t) => `${arn}topic/${t}`),
      },
    ],
  };
}
