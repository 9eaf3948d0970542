/** The fleet CLI's `--help`, generated from the option table ({@link FLEET_OPTIONS}). */
import { helpPage } from "./command";
import { FLEET_OPTIONS } from "./options";

/** The `--help` text. */
export function helpText(): string {
  return helpPage({
    usage: "npm run fleet -- [options]   (or: sensor-fleet [options])",
    about: [
      "Simulates a fleet of temperature sensors publishing readings over MQTT, one connection per device,",
      "with labelled anomalies. Progress goes to stderr; the summary to stdout (JSON with --json).",
    ],
    options: FLEET_OPTIONS,
    sections: [
      {
        title: "Examples:",
        lines: [
          "  npm run fleet -- --target mqtt://127.0.0.1:1883 --devices 200 --interval 100ms --duration 20s --json",
          "  npm run fleet -- --fleet fleet.json --interval 5m --speed 3600 --duration 1d --anomalies 1%,spike,drift --labels labels.jsonl",
          "  npm run fleet -- --replay data/nab/data/realKnownCause/machine_temperature_system_failure.csv --devices 1 --speed 3000",
          '  npm run fleet -- --profile "0s:0,1m:300,4m:300,5m:0" --interval 1s --shard 1/3 --out .fleet-runs --run ramp',
        ],
      },
    ],
    exitStatus: "0 all readings delivered, 1 a reading was lost or a device never connected, 2 bad options.",
  });
}
