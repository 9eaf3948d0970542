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

/**
 * Seed of the simulator's sensor model unless told otherwise: the simulator's and the local backend's default,
 * and the demo database history's, so history and the live fleet share a climate.
 */
export const DEFAULT_SENSOR_SEED = "1";

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

/**
 * Every device of a fleet, room by room, in a stable order (resource names depend on it): the same number of
 * sensors in every room, or a number per room (`{ lab: 3, office: 1 }`, in the map's order).
 */
export function fleetDevices(
  deployment: string,
  rooms: readonly string[],
  sensorsPerRoom: number,
): DeviceIdentity[];
export function fleetDevices(
  deployment: string,
  sensorsByRoom: Readonly<Record<string, number>>,
): DeviceIdentity[];
export function fleetDevices(
  deployment: string,
  rooms: readonly string[] | Readonly<Record<string, number>>,
  sensorsPerRoom?: number,
): DeviceIdentity[] {
  const counts: [string, number][] = isRoomList(rooms)
    ? rooms.map((room) => [room, sensorsPerRoom ?? 0])
    : Object.entries(rooms);
  const devices: DeviceIdentity[] = [];
  for (const [roomId, count] of counts) {
    if (!Number.isInteger(count) || count < 1) {
      throw new Error(`room ${roomId} needs a whole number of sensors, at least 1 (got ${count})`);
    }
    for (let index = 1; index <= count; index++) {
      devices.push({ thingName: thingName(deployment, roomId, index), roomId, index });
    }
  }
  return devices;
}

function isRoomList(rooms: readonly string[] | Readonly<Record<string, number>>): rooms is readonly string[] {
  return Array.isArray(rooms);
}

/** The rooms of a list of devices, each once, in the devices' order. */
export function roomsOf(devices: readonly DeviceIdentity[]): string[] {
  return [...new Set(devices.map((d) => d.roomId))];
}
