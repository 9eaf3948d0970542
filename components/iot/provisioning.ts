/**
 * Fleet provisioning by claim, as plain data: the provisioning template and the rule the pre-provisioning hook
 * applies to each request. Pure: the FleetProvisioning component deploys the template, the hook Lambda
 * (`functions/pre-provisioning-hook`) bundles {@link checkProvisioningRequest}, and the local backend can
 * provision simulated devices the same way.
 *
 * A device connects with the shared claim certificate, gets its own certificate (CreateKeysAndCertificate or
 * CreateCertificateFromCsr) and calls RegisterThing with `{ ThingName, RoomId }`. IoT Core asks the hook, which
 * allows only a thing name `<deployment>-<room>-<serial>` with a well-formed serial number and a configured room;
 * then the template creates the thing with its `room` attribute (which the device policy's topics use), puts it in
 * the room's thing group, activates the certificate and attaches the shared device policy.
 */
import { ROOM_ATTRIBUTE } from "./iot-policy";
import { provisionedThingName, SERIAL_NUMBER_PATTERN } from "./naming";

/** Template parameters a device sends in RegisterThing. */
export const PROVISIONING_PARAMETERS = { thingName: "ThingName", roomId: "RoomId" } as const;

export interface ProvisioningTemplateArgs {
  readonly deployment: string;
  readonly thingTypeName: string;
  readonly devicePolicyName: string;
}

type Ref = { Ref: string };
type Join = { "Fn::Join": [string, (string | Ref)[]] };

/** A fleet-provisioning template body (the JSON document IoT Core evaluates on RegisterThing). */
export interface ProvisioningTemplateBody {
  readonly Parameters: Record<string, { Type: "String" }>;
  readonly Resources: {
    readonly thing: {
      readonly Type: "AWS::IoT::Thing";
      readonly Properties: {
        readonly ThingName: Ref;
        readonly ThingTypeName: string;
        readonly ThingGroups: Join[];
        readonly AttributePayload: Record<string, Ref>;
      };
      readonly OverrideSettings: Record<string, "DO_NOTHING" | "REPLACE" | "FAIL" | "MERGE">;
    };
    readonly certificate: {
      readonly Type: "AWS::IoT::Certificate";
      readonly Properties: { readonly CertificateId: Ref; readonly Status: "ACTIVE" };
    };
    readonly policy: {
      readonly Type: "AWS::IoT::Policy";
      readonly Properties: { readonly PolicyName: string };
    };
  };
}

export function buildProvisioningTemplateBody(args: ProvisioningTemplateArgs): ProvisioningTemplateBody {
  const thing: Ref = { Ref: PROVISIONING_PARAMETERS.thingName };
  const room: Ref = { Ref: PROVISIONING_PARAMETERS.roomId };
  return {
    Parameters: {
      [PROVISIONING_PARAMETERS.thingName]: { Type: "String" },
      [PROVISIONING_PARAMETERS.roomId]: { Type: "String" },
      "AWS::IoT::Certificate::Id": { Type: "String" },
    },
    Resources: {
      thing: {
        Type: "AWS::IoT::Thing",
        Properties: {
          // The hook has checked that the name is <deployment>-<RoomId>-<serial>.
          ThingName: thing,
          ThingTypeName: args.thingTypeName,
          // Same shape as thingGroupName (checked by the tests).
          ThingGroups: [{ "Fn::Join": ["-", [args.deployment, room]] }],
          AttributePayload: { [ROOM_ATTRIBUTE]: room },
        },
        // A thing that exists already keeps its groups; the hook refuses things that still have a certificate.
        OverrideSettings: {
          AttributePayload: "REPLACE",
          ThingTypeName: "REPLACE",
          ThingGroups: "DO_NOTHING",
        },
      },
      certificate: {
        Type: "AWS::IoT::Certificate",
        Properties: { CertificateId: { Ref: "AWS::IoT::Certificate::Id" }, Status: "ACTIVE" },
      },
      policy: { Type: "AWS::IoT::Policy", Properties: { PolicyName: args.devicePolicyName } },
    },
  };
}

export interface ProvisioningRules {
  readonly deployment: string;
  readonly rooms: readonly string[];
}

export type ProvisioningDecision =
  | { readonly allowed: true; readonly thingName: string }
  | { readonly allowed: false; readonly reason: string };

/**
 * Whether a RegisterThing request's parameters describe a sensor of this deployment: a configured room, and the
 * thing name `<deployment>-<room>-<serial>` with a serial number of the expected format. (Whether the thing
 * already has a certificate needs the registry; the hook checks that separately.)
 */
export function checkProvisioningRequest(
  parameters: Record<string, unknown> | undefined,
  rules: ProvisioningRules,
): ProvisioningDecision {
  const thingName = parameters?.[PROVISIONING_PARAMETERS.thingName];
  const room = parameters?.[PROVISIONING_PARAMETERS.roomId];
  if (typeof room !== "string" || !rules.rooms.includes(room)) {
    return {
      allowed: false,
      reason: `${PROVISIONING_PARAMETERS.roomId} ${JSON.stringify(room)} is not a room of ${rules.deployment} (${rules.rooms.join(", ")})`,
    };
  }
  const prefix = `${rules.deployment}-${room}-`;
  if (typeof thingName !== "string" || !thingName.startsWith(prefix)) {
    return {
      allowed: false,
      reason: `${PROVISIONING_PARAMETERS.thingName} ${JSON.stringify(thingName)} does not start with "${prefix}"`,
    };
  }
  const serial = thingName.slice(prefix.length);
  if (!SERIAL_NUMBER_PATTERN.test(serial)) {
    return {
      allowed: false,
      reason: `serial number ${JSON.stringify(serial)} of ${thingName} is not 3-24 letters and digits`,
    };
  }
  try {
    return { allowed: true, thingName: provisionedThingName(rules.deployment, room, serial) };
  } catch (err) {
    return { allowed: false, reason: (err as Error).message };
  }
}
