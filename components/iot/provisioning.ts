/**
 * Fleet provisioning by claim, as plain data: the provisioning template and the rule the pre-provisioning hook
 * applies to each request. Pure: the FleetProvisioning component deploys the template, the hook Lambda
 * (`functions/pre-provisioning-hook`) bundles {@link checkProvisioningRequest}, and the local backend can
 * provision simulated devices the same way.
 *
 * A device connects with the shared claim certificate, creates its own certificate from a CSR and calls
 * RegisterThing with `{ SerialNumber, RoomId }`. IoT Core asks the hook; if it allows, the template creates the
 * thing `<deployment>-<room>-<serial>` with its `room` attribute (which the device policy's topics use), puts it
 * in the room's thing group, activates the certificate and attaches the shared device policy.
 */
import { ROOM_ATTRIBUTE } from "./policy-document";
import { provisionedThingName, SERIAL_NUMBER_PATTERN } from "./naming";

/** Template parameters a device sends in RegisterThing. */
export const PROVISIONING_PARAMETERS = { serialNumber: "SerialNumber", roomId: "RoomId" } as const;

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
        readonly ThingName: Join;
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
    readonly policy: { readonly Type: "AWS::IoT::Policy"; readonly Properties: { readonly PolicyName: string } };
  };
}

export function buildProvisioningTemplateBody(args: ProvisioningTemplateArgs): ProvisioningTemplateBody {
  const serial: Ref = { Ref: PROVISIONING_PARAMETERS.serialNumber };
  const room: Ref = { Ref: PROVISIONING_PARAMETERS.roomId };
  return {
    Parameters: {
      [PROVISIONING_PARAMETERS.serialNumber]: { Type: "String" },
      [PROVISIONING_PARAMETERS.roomId]: { Type: "String" },
      "AWS::IoT::Certificate::Id": { Type: "String" },
    },
    Resources: {
      thing: {
        Type: "AWS::IoT::Thing",
        Properties: {
          // Same shape as provisionedThingName and thingGroupName (checked by the tests).
          ThingName: { "Fn::Join": ["-", [args.deployment, room, serial]] },
          ThingTypeName: args.thingTypeName,
          ThingGroups: [{ "Fn::Join": ["-", [args.deployment, room]] }],
          AttributePayload: { [ROOM_ATTRIBUTE]: room },
        },
        // A thing that exists already keeps its groups; the hook refuses things that still have a certificate.
        OverrideSettings: { AttributePayload: "REPLACE", ThingTypeName: "REPLACE", ThingGroups: "DO_NOTHING" },
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
 * Whether a RegisterThing request's parameters describe a sensor of this deployment: a serial number of the
 * expected format and one of the configured rooms. (Whether the thing already has a certificate needs the
 * registry; the hook checks that separately.)
 */
export function checkProvisioningRequest(parameters: Record<string, unknown> | undefined, rules: ProvisioningRules): ProvisioningDecision {
  const serial = parameters?.[PROVISIONING_PARAMETERS.serialNumber];
  const room = parameters?.[PROVISIONING_PARAMETERS.roomId];
  if (typeof serial !== "string" || !SERIAL_NUMBER_PATTERN.test(serial)) {
    return { allowed: false, reason: `${PROVISIONING_PARAMETERS.serialNumber} ${JSON.stringify(serial)} is not 3-24 letters and digits` };
  }
  if (typeof room !== "string" || !rules.rooms.includes(room)) {
    return { allowed: false, reason: `${PROVISIONING_PARAMETERS.roomId} ${JSON.stringify(room)} is not a room of ${rules.deployment} (${rules.rooms.join(", ")})` };
  }
  try {
    return { allowed: true, thingName: provisionedThingName(rules.deployment, room, serial) };
  } catch (err) {
    return { allowed: false, reason: (err as Error).message };
  }
}
