/**
 * The fleet file (`--fleet <file>`): where the devices connect and with which credentials. Written by the
 * stack outputs (IoT Core endpoint, Amazon root CA, one certificate per thing or a provisioning claim) and by
 * the local backend (its broker and local PKI), read by the simulator. This type is the contract between them:
 * add optional fields only, and bump {@link FLEET_FILE_VERSION} for anything else.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { assertTopicSegment } from "./topics";

/** Version written by {@link writeFleetFile} and the only one {@link parseFleetFile} accepts. */
export const FLEET_FILE_VERSION = 1;

/** Default MQTT over TLS port (IoT Core and most brokers). */
export const DEFAULT_MQTTS_PORT = 8883;

/** Credentials of one device. */
export interface FleetDeviceCredentials {
  /** IoT thing name = MQTT client ID = certificate CN, e.g. `sensors-dev-lab-001`. */
  readonly thingName: string;
  /** Room the device is in (the `<room>` topic segment). */
  readonly roomId: string;
  /** Device certificate (PEM). Absent when the device registers itself by claim (needs `provisioning`). */
  readonly certificatePem?: string;
  /** Private key of the certificate (PEM); present exactly when `certificatePem` is. */
  readonly privateKeyPem?: string;
}

/** Fleet provisioning by claim (AWS IoT "provisioning by claim"), for devices without a certificate. */
export interface FleetProvisioning {
  /** Name of the provisioning template (`$aws/provisioning-templates/<templateName>/provision/json`). */
  readonly templateName: string;
  /** The shared claim certificate and key the devices use until they have their own. */
  readonly claimCertificatePem: string;
  readonly claimPrivateKeyPem: string;
  /**
   * Template parameters sent with RegisterThing; `${thingName}` and `${roomId}` in a value are replaced per device.
   * @default - `{ "ThingName": "${thingName}", "RoomId": "${roomId}" }` (this platform's template)
   */
  readonly parameters?: Readonly<Record<string, string>>;
  /**
   * Client ID prefix the claim policy allows (e.g. `sensors-dev--claim-`): a device provisions over a connection
   * with client ID `<clientIdPrefix><thingName>`, so a claim can never take over a registered thing's client ID.
   * @default - the thing name itself
   */
  readonly clientIdPrefix?: string;
}

/** Contents of a fleet file (JSON). */
export interface FleetFile {
  /** Format version. @default - 1 */
  readonly version?: number;
  /** Broker host (e.g. the `iot:Data-ATS` endpoint) or URL (`mqtts://host:port`). */
  readonly endpoint: string;
  /** Broker port. @default - the URL's port, else 8883 */
  readonly port?: number;
  /** CA certificate(s) that signed the broker's certificate (PEM, e.g. Amazon Root CA 1). */
  readonly caCertPem: string;
  /** Deployment name `<app>-<stack>`: the `<app>` segment of the topics, e.g. `sensors-dev`. */
  readonly deployment: string;
  /**
   * The devices. Empty only in a claim-only file (with {@link provisioning}): the simulator then names the
   * devices itself (`--devices`, `--rooms`), and they register by claim.
   */
  readonly devices: readonly FleetDeviceCredentials[];
  readonly provisioning?: FleetProvisioning;
}

/** A fleet file that failed validation; `problems` has one line per problem. */
export class FleetFileError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(
      `${source} is not a valid fleet file:\n  - ${problems.join("\n  - ")}\nSee devices/README.md ("Fleet file").`,
    );
    this.name = "FleetFileError";
  }
}

const CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/;
const PRIVATE_KEY = /-----BEGIN ((RSA|EC) )?PRIVATE KEY-----[\s\S]+-----END ((RSA|EC) )?PRIVATE KEY-----/;

/** Validates parsed JSON as a fleet file, reporting every problem at once. */
export function parseFleetFile(value: unknown, source = "fleet file"): FleetFile {
  const problems: string[] = [];
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new FleetFileError(source, ["the file must contain a JSON object"]);
  }
  const file = value as Record<string, unknown>;
  if (file.version !== undefined && file.version !== FLEET_FILE_VERSION) {
    problems.push(`version must be ${FLEET_FILE_VERSION} (got ${JSON.stringify(file.version)})`);
  }
  if (typeof file.endpoint !== "string" || file.endpoint.trim() === "") {
    problems.push("endpoint must be a host name or an mqtts:// URL (e.g. the iot:Data-ATS endpoint)");
  } else {
    try {
      resolveEndpoint({
        endpoint: file.endpoint,
        port: typeof file.port === "number" ? file.port : undefined,
      });
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (file.port !== undefined && !isPort(file.port)) {
    problems.push(`port must be an integer from 1 to 65535 (got ${JSON.stringify(file.port)})`);
  }
  if (!isPem(file.caCertPem, CERTIFICATE))
    problems.push("caCertPem must be a PEM certificate (the broker's CA)");
  checkSegment(problems, "deployment", file.deployment);
  const provisioning = checkProvisioning(problems, file.provisioning);
  if (!Array.isArray(file.devices) || (file.devices.length === 0 && !provisioning)) {
    problems.push(
      "devices must be a non-empty array of { thingName, roomId, certificatePem, privateKeyPem } (it may be empty only with a provisioning section: the simulator then names the devices, see --devices and --rooms)",
    );
  } else {
    const seen = new Set<string>();
    file.devices.forEach((device: unknown, i: number) =>
      checkDevice(problems, device, i, seen, provisioning),
    );
  }
  if (problems.length > 0) throw new FleetFileError(source, problems);
  return value as FleetFile;
}

function checkDevice(
  problems: string[],
  value: unknown,
  i: number,
  seen: Set<string>,
  provisioning: boolean,
): void {
  const where = `devices[${i}]`;
  if (typeof value !== "object" || value === null) {
    problems.push(`${where} must be an object`);
    return;
  }
  const device = value as Record<string, unknown>;
  checkSegment(problems, `${where}.thingName`, device.thingName);
  checkSegment(problems, `${where}.roomId`, device.roomId);
  if (typeof device.thingName === "string") {
    if (seen.has(device.thingName)) problems.push(`${where}.thingName "${device.thingName}" appears twice`);
    seen.add(device.thingName);
  }
  const hasCert = device.certificatePem !== undefined;
  const hasKey = device.privateKeyPem !== undefined;
  if (hasCert && !isPem(device.certificatePem, CERTIFICATE)) {
    problems.push(`${where}.certificatePem must be a PEM certificate`);
  }
  if (hasKey && !isPem(device.privateKeyPem, PRIVATE_KEY))
    problems.push(`${where}.privateKeyPem must be a PEM private key`);
  if (hasCert !== hasKey)
    problems.push(`${where} must have both certificatePem and privateKeyPem, or neither`);
  if (!hasCert && !hasKey && !provisioning) {
    problems.push(
      `${where} has no certificate: add certificatePem/privateKeyPem, or a provisioning section to register by claim`,
    );
  }
}

function checkProvisioning(problems: string[], value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== "object" || value === null) {
    problems.push("provisioning must be an object { templateName, claimCertificatePem, claimPrivateKeyPem }");
    return false;
  }
  const p = value as Record<string, unknown>;
  checkSegment(problems, "provisioning.templateName", p.templateName);
  if (!isPem(p.claimCertificatePem, CERTIFICATE))
    problems.push("provisioning.claimCertificatePem must be a PEM certificate");
  if (!isPem(p.claimPrivateKeyPem, PRIVATE_KEY))
    problems.push("provisioning.claimPrivateKeyPem must be a PEM private key");
  if (
    p.clientIdPrefix !== undefined &&
    (typeof p.clientIdPrefix !== "string" || !/^[A-Za-z0-9_:-]{0,100}$/.test(p.clientIdPrefix))
  ) {
    problems.push('provisioning.clientIdPrefix must be up to 100 letters, digits, "_", ":" or "-"');
  }
  if (p.parameters !== undefined) {
    const params = p.parameters;
    if (
      typeof params !== "object" ||
      params === null ||
      Array.isArray(params) ||
      !Object.values(params).every((v) => typeof v === "string")
    ) {
      problems.push("provisioning.parameters must be an object of string values");
    }
  }
  return true;
}

function checkSegment(problems: string[], name: string, value: unknown): void {
  if (typeof value !== "string") {
    problems.push(`${name} must be a string`);
    return;
  }
  try {
    assertTopicSegment(name, value);
  } catch (err) {
    problems.push((err as Error).message);
  }
}

function isPem(value: unknown, pattern: RegExp): boolean {
  return typeof value === "string" && pattern.test(value);
}

function isPort(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= 65535;
}

/** Host and port of the fleet's broker. The `port` field wins over a port in the URL. */
export function resolveEndpoint(file: Pick<FleetFile, "endpoint" | "port">): { host: string; port: number } {
  const text = file.endpoint.trim();
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `mqtts://${text}`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`endpoint "${file.endpoint}" is neither a host name nor a URL`);
  }
  if (!["mqtts:", "ssl:", "tls:", "tcp:", "mqtt:"].includes(parsed.protocol) || parsed.hostname === "") {
    throw new Error(`endpoint "${file.endpoint}" must be a host name or an mqtts://host:port URL`);
  }
  const port = file.port ?? (parsed.port ? Number(parsed.port) : DEFAULT_MQTTS_PORT);
  // URL keeps IPv6 literals in brackets; sockets want them bare.
  return { host: parsed.hostname.replace(/^\[(.*)\]$/, "$1"), port };
}

/**
 * Reads and validates a fleet file; `env:NAME` reads it from an environment variable instead (how a container
 * receives it from Secrets Manager).
 */
export function readFleetFile(path: string, env: NodeJS.ProcessEnv = process.env): FleetFile {
  let text: string;
  if (path.startsWith("env:")) {
    const variable = path.slice(4);
    const value = env[variable];
    if (value === undefined || value === "") {
      throw new FleetFileError(path, [`the environment variable ${variable} is not set`]);
    }
    text = value;
  } else {
    try {
      text = readFileSync(path, "utf8");
    } catch (err) {
      throw new FleetFileError(path, [`cannot read the file (${(err as Error).message})`]);
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new FleetFileError(path, [`not JSON (${(err as Error).message})`]);
  }
  return parseFleetFile(json, path);
}

/** Writes a fleet file (mode 0600: it holds private keys). */
export function writeFleetFile(path: string, file: FleetFile): void {
  const { version: _version, ...rest } = file;
  writeFileSync(path, `${JSON.stringify({ version: FLEET_FILE_VERSION, ...rest }, null, 2)}\n`, {
    mode: 0o600,
  });
}
