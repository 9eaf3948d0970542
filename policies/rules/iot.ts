/**
 * IoT Core rules. Sources: AWS IoT Device Defender audit checks (overly permissive IoT policies, "IoT policy
 * potentially misconfigured": MQTT wildcards in Deny), AWS IoT rules guidance (an error action on every rule),
 * and AWS's advice to attach a certificate to exactly one thing.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { analyzeIotPolicy } from "../../components/iot/policy-analysis";

export const iotPolicyLeastPrivilege: ResourceValidationPolicy = {
  name: "iot-policy-least-privilege",
  description:
    "IoT policies grant no client/* or wildcard topic access, no $aws/things/* reserved topics, no iot:*, require iot:Connection.Thing.IsAttached on every Allow (claim policies: only the provisioning topics), and use no MQTT wildcards in Deny.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== "aws:iot/policy:Policy") return;
    const policy: unknown = args.props.policy;
    if (typeof policy !== "string" && (typeof policy !== "object" || policy === null)) return; // unknown until deployment
    for (const f of analyzeIotPolicy(policy)) {
      reportViolation(`${args.name} [${f.check}] statement ${f.statement}: ${f.message}`);
    }
  },
};

export const iotTopicRuleErrorAction: ResourceValidationPolicy = {
  name: "iot-topic-rule-error-action",
  description:
    "Every topic rule has an error action, so a message its actions cannot deliver is kept (and can be replayed) rather than lost.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== "aws:iot/topicRule:TopicRule") return;
    const errorAction = args.props.errorAction as Record<string, unknown> | undefined;
    const configured = errorAction
      ? Object.keys(errorAction).filter((k) => errorAction[k] !== undefined && errorAction[k] !== null)
      : [];
    if (configured.length === 0) {
      reportViolation(
        `${args.name} has no errorAction; add one (e.g. s3 into the lake's errors/iot-rule/ prefix) so failed deliveries are kept`,
      );
    }
  },
};

export const iotExclusiveThingAttachment: ResourceValidationPolicy = {
  name: "iot-exclusive-thing-attachment",
  description:
    "Certificates are attached to things with EXCLUSIVE_THING, so one certificate can never act as two devices.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== "aws:iot/thingPrincipalAttachment:ThingPrincipalAttachment") return;
    if (args.props.thingPrincipalType !== "EXCLUSIVE_THING") {
      reportViolation(
        `${args.name} attaches its certificate with thingPrincipalType ${String(args.props.thingPrincipalType ?? "NON_EXCLUSIVE_THING (the default)")}; set it to EXCLUSIVE_THING`,
      );
    }
  },
};

export const iotPolicies = [iotPolicyLeastPrivilege, iotTopicRuleErrorAction, iotExclusiveThingAttachment];
