/**
 * Running the local backend as a user does (`node local/main.ts`, its own process) and talking to its broker as
 * a device: shared by the durability test and the adversarial system suite.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { readFleetFile } from "../../components/telemetry/fleet-file";
import { parseAnomalySpec } from "../../devices/model/anomalies";
import type { LocalOptions } from "../../local/options";

export const ROOT = path.resolve(__dirname, "../..");

export interface BackendProcess {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** The broker's port, once it listens. */
  readonly port: Promise<number>;
  readonly exit: Promise<number | null>;
}

/**
 * Starts `npm start -- <args>` as a child process (without npm). `fileDescriptors` runs it under that
 * `ulimit -n`.
 */
export function startBackend(
  args: readonly string[],
  options: { fileDescriptors?: number } = {},
): BackendProcess {
  const node = [process.execPath, "--import", "tsx", path.join(ROOT, "local", "main.ts"), ...args];
  const quoted = node.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const child = options.fileDescriptors
    ? spawn("sh", ["-c", `ulimit -n ${options.fileDescriptors} && exec ${quoted}`], {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "pipe"],
      })
    : spawn(node[0]!, node.slice(1), { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  const port = new Promise<number>((resolve, reject) => {
    child.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
      const match = /broker: mqtts:\/\/127\.0\.0\.1:(\d+)/.exec(err);
      if (match) resolve(Number(match[1]));
    });
    child.once("exit", () => reject(new Error(`the backend exited before its broker started:\n${err}`)));
  });
  port.catch(() => undefined);
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, port, exit };
}

/** Connects over MQTT 3.1.1 with `certificateOf`'s certificate from the fleet file, as client `clientId`. */
export function connectDevice(
  port: number,
  clientId: string,
  certificateOf: string,
  fleetFile: string,
  options: IClientOptions = {},
): Promise<MqttClient> {
  const fleet = readFleetFile(fleetFile);
  const device = fleet.devices.find((d) => d.thingName === certificateOf)!;
  const client = mqtt.connect(`mqtts://127.0.0.1:${port}`, {
    clientId,
    protocolVersion: 4,
    ca: fleet.caCertPem,
    cert: device.certificatePem,
    key: device.privateKeyPem,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
    ...options,
  });
  return new Promise((resolve, reject) => {
    client.once("connect", () => resolve(client));
    client.once("error", (e) => {
      client.end(true);
      reject(e);
    });
  });
}

/** A valid reading of `device` in `room`. */
export const reading = (device: string, room: string, seq: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    device_id: device,
    room_id: room,
    ts: Date.now() + seq,
    seq,
    temperature_c: 20 + (seq % 7) / 10,
    ...extra,
  });

/** Options for a backend started in-process (`LocalBackend.start`): the CLI's defaults, ports picked freely. */
export function localOptions(dataDir: string, overrides: Partial<LocalOptions> = {}): LocalOptions {
  return {
    help: false,
    devices: 4,
    durationMs: undefined,
    speed: 600,
    port: 0,
    mqttPort: 0,
    apiPort: 0,
    dataDir,
    stack: "dev",
    intervalMs: 10_000,
    anomalies: parseAnomalySpec("none"),
    seed: "1",
    fleet: true,
    dashboard: false,
    json: true,
    ...overrides,
  };
}
