/**
 * Fleet layout: which devices a stack has and what they are called. Pure, so the IoT component (things and
 * certificates), the simulator and the local backend's PKI all agree on the same names.
 */
import { assertTopicSegment } from "./topics";

/**
 * Seconds between two readings of a sensor unless told otherwise: the simulator's, the fleet runner's and the
 * local backend's default, and the spacing of the demo database's history (the model's features count
 * readings, so history must be sampled like the live fleet).
 */
export const DEFAULT_READING_INTERVAL_SECONDS = 10;

export interface DeviceIdentity {
  /** IoT thing name, MQTT client ID and certificate subject CN, e.g. `sensors-dev-lab-001`. */
  readonly thingName: string;
  readonly roomId: string;
  /** 1-based position of the sensor within its room. */
  readonly index: number;
}

/** Prefix of every thing name of a deployment: `<app>-<stack>`, so two stacks in one account never collide. */
export function deploymentName(app: string, stack: string): string {
  return `${app}-${stack}`;
}

/** Thing name of the `index`-th (1-based) sensor of a room. */
export function thingName(deployment: string, roomId: string, index: number): string {
  const name = `${deployment}-${roomId}-${String(index).padStart(3, "0")}`;
  assertTopicSegment("thing name", name);
  return name;
}

/** Every device of a fleet, room by room, in a stable order (resource names depend on it). */
export function fleetDevices(
  deployment: string,
  rooms: readonly string[],
  sensorsPerRoom: number,
): DeviceIdentity[] {
  const devices: DeviceIdentity[] = [];
  for (const roomId of rooms) {
    for (let index = 1; index <= sensorsPerRoom; index++) {
      devices.push({ thingName: thingName(deployment, roomId, index), roomId, index });
    }
  }
  return devices;
}
