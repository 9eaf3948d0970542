/**
 * The local PKI and thing registry, kept in the data directory and reused across runs: a CA, a server
 * certificate for the loopback broker, and one client certificate per device with CN = thing name, as IoT
 * Core issues them. The registry records which certificate (by SHA-256 fingerprint) is attached to which thing
 * and the thing's `room` attribute: what the IoT policy's `${iot:Connection.Thing.*}` variables and the
 * IsAttached condition resolve against.
 *
 * Certificates come from the fleet engineer's `devices/pki.ts`; this module only decides what to issue and
 * where to keep it, and writes the fleet file (`components/telemetry/fleet-file.ts`) the simulator reads.
 */
import { randomBytes, X509Certificate } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { DeviceIdentity } from "../components/telemetry/fleet";
import { ROOM_ATTRIBUTE } from "../components/iot/iot-policy";
import { writeFleetFile, type FleetFile } from "../components/telemetry/fleet-file";
import {
  createCertificateAuthority,
  issueDeviceCertificates,
  issueServerCertificate,
  type CertificateAuthority,
  type IssuedCertificate,
} from "../devices/pki";
import { writeFileDurably } from "./lake/object-store";

/** A thing of the local registry. */
export interface RegisteredThing {
  readonly thingName: string;
  readonly attributes: Readonly<Record<string, string>>;
  /** SHA-256 fingerprint of the attached certificate, as Node's `fingerprint256` prints it. */
  readonly certificateFingerprint: string;
}

export interface LocalPki {
  readonly ca: CertificateAuthority;
  readonly server: IssuedCertificate;
  readonly devices: ReadonlyMap<string, IssuedCertificate & { readonly roomId: string }>;
  readonly things: ReadonlyMap<string, RegisteredThing>;
  /** Certificates issued by this call (0 when everything was reused). */
  readonly issued: number;
}

/** Host names the broker's certificate is valid for. */
const SERVER_NAMES = ["127.0.0.1", "localhost", "::1"];

function readJson<T>(file: string): T | undefined {
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as T) : undefined;
}

function saveSecret(file: string, value: unknown): void {
  writeFileDurably(file, Buffer.from(`${JSON.stringify(value, null, 2)}\n`), 0o600);
}

/** SHA-256 fingerprint of a PEM certificate, in the form TLS sockets report it. */
export function fingerprintOf(certificatePem: string): string {
  return new X509Certificate(certificatePem).fingerprint256;
}

/**
 * Loads the PKI in `<dataDir>/pki/`, creating the CA and server certificate on first use and issuing a
 * certificate to every device that has none yet (a device that moved room keeps its certificate; its room
 * attribute follows the fleet).
 */
export async function ensureLocalPki(dataDir: string, devices: readonly DeviceIdentity[]): Promise<LocalPki> {
  const dir = path.join(dataDir, "pki");
  fs.mkdirSync(path.join(dir, "devices"), { recursive: true, mode: 0o700 });
  let issued = 0;
  let ca = readJson<CertificateAuthority>(path.join(dir, "ca.json"));
  if (!ca) {
    ca = createCertificateAuthority("sensor-analytics local CA");
    saveSecret(path.join(dir, "ca.json"), ca);
    issued++;
  }
  let server = readJson<IssuedCertificate>(path.join(dir, "server.json"));
  if (!server || !isIssuedBy(server.certificatePem, ca.certificatePem) || isExpiring(server.certificatePem)) {
    server = issueServerCertificate(ca, SERVER_NAMES);
    saveSecret(path.join(dir, "server.json"), server);
    issued++;
  }
  const deviceFile = (thing: string) => path.join(dir, "devices", `${thing}.json`);
  const existing = new Map<string, IssuedCertificate>();
  for (const device of devices) {
    const cert = readJson<IssuedCertificate>(deviceFile(device.thingName));
    if (cert && isIssuedBy(cert.certificatePem, ca.certificatePem) && !isExpiring(cert.certificatePem))
      existing.set(device.thingName, cert);
  }
  const missing = devices.filter((d) => !existing.has(d.thingName));
  if (missing.length > 0) {
    const certificates = await issueDeviceCertificates(
      ca,
      missing.map((d) => d.thingName),
    );
    missing.forEach((device, i) => {
      saveSecret(deviceFile(device.thingName), certificates[i]);
      existing.set(device.thingName, certificates[i]!);
    });
    issued += missing.length;
  }
  const deviceCerts = new Map<string, IssuedCertificate & { roomId: string }>();
  const things = new Map<string, RegisteredThing>();
  for (const device of devices) {
    const cert = existing.get(device.thingName)!;
    deviceCerts.set(device.thingName, { ...cert, roomId: device.roomId });
    things.set(device.thingName, {
      thingName: device.thingName,
      attributes: { [ROOM_ATTRIBUTE]: device.roomId },
      certificateFingerprint: fingerprintOf(cert.certificatePem),
    });
  }
  return { ca, server, devices: deviceCerts, things, issued };
}

/** The fleet file for the local broker (`npm run fleet -- --target mqtts://127.0.0.1:<port> --fleet <file>`). */
export function localFleetFile(pki: LocalPki, deployment: string, mqttPort: number): FleetFile {
  return {
    endpoint: `mqtts://127.0.0.1:${mqttPort}`,
    port: mqttPort,
    caCertPem: pki.ca.certificatePem,
    deployment,
    devices: [...pki.devices].map(([thingName, cert]) => ({
      thingName,
      roomId: cert.roomId,
      certificatePem: cert.certificatePem,
      privateKeyPem: cert.privateKeyPem,
    })),
  };
}

/** Writes the fleet file (mode 0600: it holds private keys). */
export function saveLocalFleetFile(file: string, fleet: FleetFile): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFleetFile(file, fleet);
}

function isIssuedBy(certificatePem: string, caPem: string): boolean {
  try {
    return new X509Certificate(certificatePem).verify(new X509Certificate(caPem).publicKey);
  } catch {
    return false;
  }
}

/** Within a week of expiry: issue a fresh one rather than fail mid-run. */
function isExpiring(certificatePem: string): boolean {
  return new Date(new X509Certificate(certificatePem).validTo).getTime() - Date.now() < 7 * 86_400_000;
}

/** Where the historical database's password lives: with the other local secrets. */
export function databasePasswordFile(dataDir: string): string {
  return path.join(dataDir, "pki", "database-password");
}

/**
 * The historical database's password, generated on first use (256 random bits) and kept in the local PKI
 * folder (mode 0600), as the stack keeps the demo database's in Secrets Manager.
 */
export function ensureDatabasePassword(dataDir: string): string {
  const file = databasePasswordFile(dataDir);
  if (fs.existsSync(file)) {
    const saved = fs.readFileSync(file, "utf8").trim();
    if (saved.length >= 16) return saved;
  }
  const password = randomBytes(32).toString("base64url");
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileDurably(file, Buffer.from(`${password}\n`), 0o600);
  return password;
}
