"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.FleetFileError = exports.DEFAULT_MQTTS_PORT = exports.FLEET_FILE_VERSION = void 0;
exports.parseFleetFile = parseFleetFile;
exports.resolveEndpoint = resolveEndpoint;
exports.readFleetFile = readFleetFile;
exports.writeFleetFile = writeFleetFile;
/**
 * The fleet file (`--fleet <file>`): where the devices connect and with which credentials. Written by the
 * stack outputs (IoT Core endpoint, Amazon root CA, one certificate per thing or a provisioning claim) and by
 * the local backend (its broker and local PKI), read by the simulator. This type is the contract between them:
 * add optional fields only, and bump {@link FLEET_FILE_VERSION} for anything else.
 */
const node_fs_1 = require("node:fs");
const topics_1 = require("../components/telemetry/topics");
/** Version written by {@link writeFleetFile} and the only one {@link parseFleetFile} accepts. */
exports.FLEET_FILE_VERSION = 1;
/** Default MQTT over TLS port (IoT Core and most brokers). */
exports.DEFAULT_MQTTS_PORT = 8883;
/** A fleet file that failed validation; `problems` has one line per problem. */
class FleetFileError extends Error {
  source;
  problems;
  constructor(source, problems) {
    super(
      `${source} is not a valid fleet file:\n  - ${problems.join("\n  - ")}\nSee devices/README.md ("Fleet file").`,
    );
    this.source = source;
    this.problems = problems;
    this.name = "FleetFileError";
  }
}
exports.FleetFileError = FleetFileError;
const CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/;
const PRIVATE_KEY = /-----BEGIN ((RSA|EC) )?PRIVATE KEY-----[\s\S]+-----END ((RSA|EC) )?PRIVATE KEY-----/;
/** Validates parsed JSON as a fleet file, reporting every problem at once. */
function parseFleetFile(value, source = "fleet file") {
  const problems = [];
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new FleetFileError(source, ["the file must contain a JSON object"]);
  }
  const file = value;
  if (file.version !== undefined && file.version !== exports.FLEET_FILE_VERSION) {
    problems.push(`version must be ${exports.FLEET_FILE_VERSION} (got ${JSON.stringify(file.version)})`);
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
      problems.push(err.message);
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
    const seen = new Set();
    file.devices.forEach((device, i) => checkDevice(problems, device, i, seen, provisioning));
  }
  if (problems.length > 0) throw new FleetFileError(source, problems);
  return value;
}
function checkDevice(problems, value, i, seen, provisioning) {
  const where = `devices[${i}]`;
  if (typeof value !== "object" || value === null) {
    problems.push(`${where} must be an object`);
    return;
  }
  const device = value;
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
function checkProvisioning(problems, value) {
  if (value === undefined) return false;
  if (typeof value !== "object" || value === null) {
    problems.push("provisioning must be an object { templateName, claimCertificatePem, claimPrivateKeyPem }");
    return false;
  }
  const p = value;
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
function checkSegment(problems, name, value) {
  if (typeof value !== "string") {
    problems.push(`${name} must be a string`);
    return;
  }
  try {
    (0, topics_1.assertTopicSegment)(name, value);
  } catch (err) {
    problems.push(err.message);
  }
}
function isPem(value, pattern) {
  return typeof value === "string" && pattern.test(value);
}
function isPort(value) {
  return typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= 65535;
}
/** Host and port of the fleet's broker. The `port` field wins over a port in the URL. */
function resolveEndpoint(file) {
  const text = file.endpoint.trim();
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `mqtts://${text}`;
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`endpoint "${file.endpoint}" is neither a host name nor a URL`);
  }
  if (!["mqtts:", "ssl:", "tls:", "tcp:", "mqtt:"].includes(parsed.protocol) || parsed.hostname === "") {
    throw new Error(`endpoint "${file.endpoint}" must be a host name or an mqtts://host:port URL`);
  }
  const port = file.port ?? (parsed.port ? Number(parsed.port) : exports.DEFAULT_MQTTS_PORT);
  // URL keeps IPv6 literals in brackets; sockets want them bare.
  return { host: parsed.hostname.replace(/^\[(.*)\]$/, "$1"), port };
}
/**
 * Reads and validates a fleet file; `env:NAME` reads it from an environment variable instead (how a container
 * receives it from Secrets Manager).
 */
function readFleetFile(path, env = process.env) {
  let text;
  if (path.startsWith("env:")) {
    const variable = path.slice(4);
    const value = env[variable];
    if (value === undefined || value === "") {
      throw new FleetFileError(path, [`the environment variable ${variable} is not set`]);
    }
    text = value;
  } else {
    try {
      text = (0, node_fs_1.readFileSync)(path, "utf8");
    } catch (err) {
      throw new FleetFileError(path, [`cannot read the file (${err.message})`]);
    }
  }
  let json;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new FleetFileError(path, [`not JSON (${err.message})`]);
  }
  return parseFleetFile(json, path);
}
/** Writes a fleet file (mode 0600: it holds private keys). */
function writeFleetFile(path, file) {
  const { version: _version, ...rest } = file;
  (0, node_fs_1.writeFileSync)(
    path,
    `${JSON.stringify({ version: exports.FLEET_FILE_VERSION, ...rest }, null, 2)}\n`,
    {
      mode: 0o600,
    },
  );
}
