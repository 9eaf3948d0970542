/**
 * Names of the IoT registry resources of a deployment. They are explicit (not auto-named) because devices,
 * the provisioning template and the pre-provisioning hook refer to them by name. Every name starts with the
 * deployment (`<app>-<stack>`), so stacks sharing an account never collide. Pure.
 */
import { assertTopicSegment } from "../telemetry/topics";

/** Thing type of every sensor: `<deployment>-sensor`. */
export function thingTypeName(deployment: string): string {
  return `${deployment}-sensor`;
}

/** Static thing group of a room: `<deployment>-<room>`. */
export function thingGroupName(deployment: string, roomId: string): string {
  return `${deployment}-${roomId}`;
}

/** The IoT policy every device certificate carries: `<deployment>-device`. */
export function devicePolicyName(deployment: string): string {
  return `${deployment}-device`;
}

/** The claim certificate's IoT policy: `<deployment>-provisioning-claim`. */
export function claimPolicyName(deployment: string): string {
  return `${deployment}-provisioning-claim`;
}

/** The fleet-provisioning template: `<deployment>-sensors`. */
export function provisioningTemplateName(deployment: string): string {
  return `${deployment}-sensors`;
}

/** Serial numbers a self-registering sensor may report: 3-24 letters and digits (e.g. `001`, `SN7F3A21`). */
export const SERIAL_NUMBER_PATTERN = /^[A-Za-z0-9]{3,24}$/;

/**
 * Thing name of a sensor that registered itself: `<deployment>-<room>-<serial>`, the same shape as the names
 * of stack-managed sensors (`thingName` in `components/telemetry/fleet.ts`, whose serial is the padded index).
 */
export function provisionedThingName(deployment: string, roomId: string, serialNumber: string): string {
  if (!SERIAL_NUMBER_PATTERN.test(serialNumber)) {
    throw new Error(`serial number "${serialNumber}" must be 3-24 letters and digits`);
  }
  const name = `${deployment}-${roomId}-${serialNumber}`;
  assertTopicSegment("thing name", name);
  return name;
}
