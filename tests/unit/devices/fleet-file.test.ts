import { expect } from "chai";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  FleetFileError,
  parseFleetFile,
  readFleetFile,
  resolveEndpoint,
  writeFleetFile,
  type FleetFile,
} from "../../../components/telemetry/fleet-file";
import {
  certificateCommonName,
  createCertificateAuthority,
  issueDeviceCertificate,
  issueDeviceCertificates,
  issueServerCertificate,
} from "../../../devices/pki";
import { provisioningParameters } from "../../../devices/provisioning";

const ca = createCertificateAuthority("Fleet file test CA");
const device = issueDeviceCertificate(ca, "sensors-dev-lab-001");

function valid(): FleetFile {
  return {
    endpoint: "a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com",
    caCertPem: ca.certificatePem,
    deployment: "sensors-dev",
    devices: [{ thingName: "sensors-dev-lab-001", roomId: "lab", ...pem(device) }],
  };
}

function pem(c: { certificatePem: string; privateKeyPem: string }): {
  certificatePem: string;
  privateKeyPem: string;
} {
  return { certificatePem: c.certificatePem, privateKeyPem: c.privateKeyPem };
}

function problems(value: unknown): readonly string[] {
  try {
    parseFleetFile(value, "fleet.json");
  } catch (err) {
    if (err instanceof FleetFileError) return err.problems;
    throw err;
  }
  return [];
}

describe("devices: fleet file", () => {
  it("accepts a file from the stack outputs and one with provisioning by claim", () => {
    expect(parseFleetFile(valid())).to.deep.equal(valid());
    const claimed: FleetFile = {
      ...valid(),
      devices: [{ thingName: "sensors-dev-lab-002", roomId: "lab" }],
      provisioning: {
        templateName: "SensorFleet",
        claimCertificatePem: device.certificatePem,
        claimPrivateKeyPem: device.privateKeyPem,
      },
    };
    expect(parseFleetFile(claimed)).to.deep.equal(claimed);
  });

  it("reports every problem at once, naming the field and the fix", () => {
    const bad = {
      version: 2,
      endpoint: "",
      port: 70000,
      caCertPem: "not a pem",
      deployment: "sensors/dev",
      devices: [
        { thingName: "a", roomId: "lab", certificatePem: device.certificatePem },
        { thingName: "a", roomId: "lab+", certificatePem: "x", privateKeyPem: "y" },
        { thingName: "c", roomId: "lab" },
      ],
    };
    expect(problems(bad)).to.deep.equal([
      "version must be 1 (got 2)",
      "endpoint must be a host name or an mqtts:// URL (e.g. the iot:Data-ATS endpoint)",
      "port must be an integer from 1 to 65535 (got 70000)",
      "caCertPem must be a PEM certificate (the broker's CA)",
      'deployment "sensors/dev" cannot be used in an MQTT topic: use 1-64 letters, digits, "_" or "-" (no "/", "+", "#")',
      "devices[0] must have both certificatePem and privateKeyPem, or neither",
      'devices[1].roomId "lab+" cannot be used in an MQTT topic: use 1-64 letters, digits, "_" or "-" (no "/", "+", "#")',
      'devices[1].thingName "a" appears twice',
      "devices[1].certificatePem must be a PEM certificate",
      "devices[1].privateKeyPem must be a PEM private key",
      "devices[2] has no certificate: add certificatePem/privateKeyPem, or a provisioning section to register by claim",
    ]);
    expect(
      problems({
        ...valid(),
        provisioning: {
          templateName: "T",
          claimCertificatePem: "x",
          claimPrivateKeyPem: "y",
          clientIdPrefix: "a/b",
          parameters: { N: 1 },
        },
      }),
    ).to.deep.equal([
      "provisioning.claimCertificatePem must be a PEM certificate",
      "provisioning.claimPrivateKeyPem must be a PEM private key",
      'provisioning.clientIdPrefix must be up to 100 letters, digits, "_", ":" or "-"',
      "provisioning.parameters must be an object of string values",
    ]);
    expect(() => parseFleetFile([], "fleet.json")).to.throw(
      'fleet.json is not a valid fleet file:\n  - the file must contain a JSON object\nSee devices/README.md ("Fleet file").',
    );
  });

  it("resolves the endpoint from a host, a host with the port field, or a URL", () => {
    expect(resolveEndpoint({ endpoint: "abc-ats.iot.eu-west-1.amazonaws.com" })).to.deep.equal({
      host: "abc-ats.iot.eu-west-1.amazonaws.com",
      port: 8883,
    });
    expect(resolveEndpoint({ endpoint: "127.0.0.1", port: 18883 })).to.deep.equal({
      host: "127.0.0.1",
      port: 18883,
    });
    expect(resolveEndpoint({ endpoint: "mqtts://localhost:9000" })).to.deep.equal({
      host: "localhost",
      port: 9000,
    });
    expect(resolveEndpoint({ endpoint: "mqtts://[::1]:9000" })).to.deep.equal({ host: "::1", port: 9000 });
    expect(() => resolveEndpoint({ endpoint: "https://example.com" })).to.throw(
      'endpoint "https://example.com" must be a host name or an mqtts://host:port URL',
    );
  });

  it("round-trips through a file written with owner-only permissions", () => {
    const dir = mkdtempSync(join(tmpdir(), "fleet-file-"));
    try {
      const path = join(dir, "fleet.json");
      writeFleetFile(path, valid());
      expect(statSync(path).mode & 0o777).to.equal(0o600);
      expect(readFleetFile(path)).to.deep.equal({ version: 1, ...valid() });
      writeFileSync(join(dir, "broken.json"), "{");
      expect(() => readFleetFile(join(dir, "broken.json"))).to.throw(
        /broken.json is not a valid fleet file:\n {2}- not JSON/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("fills provisioning parameters per device (default: ThingName, RoomId, as this platform's template takes)", () => {
    const provisioning = { templateName: "T", claimCertificatePem: "", claimPrivateKeyPem: "" };
    expect(provisioningParameters(provisioning, { thingName: "s-lab-001", roomId: "lab" })).to.deep.equal({
      ThingName: "s-lab-001",
      RoomId: "lab",
    });
    expect(
      provisioningParameters(
        { ...provisioning, parameters: { SerialNumber: "${thingName}", Floor: "2" } },
        { thingName: "x", roomId: "y" },
      ),
    ).to.deep.equal({ SerialNumber: "x", Floor: "2" });
  });
});

describe("devices: test PKI", () => {
  const caCert = new X509Certificate(ca.certificatePem);

  it("creates a CA that signs device certificates with CN = thing name, for client authentication", () => {
    const cert = new X509Certificate(device.certificatePem);
    expect(caCert.ca).to.equal(true);
    expect(cert.ca).to.equal(false);
    expect(cert.subject).to.equal("CN=sensors-dev-lab-001");
    expect(cert.issuer).to.equal(caCert.subject);
    expect(cert.verify(caCert.publicKey)).to.equal(true);
    expect(cert.checkPrivateKey(createPrivateKey(device.privateKeyPem))).to.equal(true);
    expect(cert.keyUsage).to.deep.equal(["1.3.6.1.5.5.7.3.2"]);
    expect(certificateCommonName(device.certificatePem)).to.equal("sensors-dev-lab-001");
  });

  it("issues server certificates for DNS names and IP addresses", () => {
    const server = new X509Certificate(issueServerCertificate(ca, ["localhost", "127.0.0.1"]).certificatePem);
    expect(server.subjectAltName).to.equal("DNS:localhost, IP Address:127.0.0.1");
    expect(server.checkHost("localhost")).to.equal("localhost");
    expect(server.checkIP("127.0.0.1")).to.equal("127.0.0.1");
    expect(server.keyUsage).to.deep.equal(["1.3.6.1.5.5.7.3.1"]);
    expect(server.verify(caCert.publicKey)).to.equal(true);
    expect(() => issueServerCertificate(ca, [])).to.throw(
      "issueServerCertificate needs at least one host name or IP address",
    );
  });

  it("issues many device certificates in parallel, in order, fast enough for tests", async () => {
    const names = Array.from({ length: 8 }, (_, i) => `sensors-dev-lab-${String(i + 1).padStart(3, "0")}`);
    const started = performance.now();
    const issued = await issueDeviceCertificates(ca, names);
    const perCertificateMs = (performance.now() - started) / names.length;
    expect(issued.map((c) => new X509Certificate(c.certificatePem).subject)).to.deep.equal(
      names.map((n) => `CN=${n}`),
    );
    expect(new Set(issued.map((c) => new X509Certificate(c.certificatePem).serialNumber)).size).to.equal(
      names.length,
    );
    // RSA 2048 keys from Node's crypto with native signatures: tens of ms each (forge's pure-JS path is ~10x).
    expect(perCertificateMs).to.be.lessThan(400);
  });
});
