/** The device fleet (rooms, sensors per room, provisioning) and the load-test fleet runner. */
import { readFleetRunnerSettings } from "../fleet-runner/settings";
import type { ConfigReader } from "./reader";
import type { PlatformConfig } from "./types";

const ROOM = /^[A-Za-z0-9_]{1,32}$/;

/** The fleet's settings; `devices` is derived from them once the deployment name is known. */
export type FleetConfig = Omit<PlatformConfig["fleet"], "devices">;

/** Reads the rooms, sensors per room and fleet provisioning; problems go to `r`. */
export function readFleetConfig(r: ConfigReader): FleetConfig {
  const rooms = r.stringArray("rooms", {
    pattern: ROOM,
    describe: "room IDs of 1-32 letters, digits or '_'",
    example: "hall_a",
    minItems: 1,
  });
  const sensorsPerRoom = r.integer("sensorsPerRoom", 1, 10000, 4);
  const fleetProvisioning = r.boolean("fleetProvisioning");
  if (!fleetProvisioning && rooms.length * sensorsPerRoom > 2000) {
    r.problem(
      "sensorsPerRoom",
      `gives ${rooms.length * sensorsPerRoom} devices, more than the 2000 that per-device things and certificates keep manageable in stack state`,
      `set ${r.full("fleetProvisioning")} to true so devices register themselves by claim, or lower sensorsPerRoom`,
    );
  }
  return { rooms, sensorsPerRoom, fleetProvisioning };
}

/** Reads the load-test fleet runner (off unless the stack sets fleetRunner); it needs fleet provisioning. */
export function readLoadTestConfig(
  r: ConfigReader,
  fleetProvisioning: boolean,
): PlatformConfig["fleetRunner"] {
  const runnerValue = r.object("fleetRunner");
  const fleetRunner =
    runnerValue === undefined
      ? undefined
      : readFleetRunnerSettings(runnerValue, (field, message, fix, value) =>
          r.problem(field === "" ? "fleetRunner" : `fleetRunner.${field}`, message, fix, value),
        );
  if (runnerValue && Object.keys(runnerValue).length > 0 && !fleetProvisioning) {
    r.problem(
      "fleetRunner",
      "needs fleetProvisioning: the runner's devices register by claim (the certificates of thousands of devices fit neither stack state nor Secrets Manager's 64 KB secrets)",
      `set ${r.full("fleetProvisioning")} to true in this stack`,
    );
  }
  return fleetRunner;
}
