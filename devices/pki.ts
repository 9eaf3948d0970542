/**
 * A small X.509 PKI for tests and the local backend: a CA, device certificates with CN = thing name (as IoT
 * Core's per-thing certificates, and what a broker with `use_identity_as_username` maps to the user), and
 * server certificates for loopback brokers.
 *
 * node-forge builds the certificates (Node has no API for that); Node's crypto generates the RSA keys and
 * computes the signatures natively. Measured on a 2-core machine: 40-70 ms per device certificate, nearly all
 * of it RSA key generation; forge's pure-JS signature would add about 35 ms each (forge already delegates key
 * generation to Node). {@link issueDeviceCertificates} generates keys in parallel on libuv's thread pool.
 * RSA 2048, because forge cannot encode EC keys in certificates and IoT Core accepts RSA 2048.
 */
import { generateKeyPair, generateKeyPairSync, randomBytes, sign as nodeSign } from "node:crypto";
import { promisify } from "node:util";
import forge from "node-forge";

/** A certificate and its private key, both PEM (the key as PKCS#8). */
export interface IssuedCertificate {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

/** A certificate authority: its self-signed certificate and the key it signs with. Plain data, safe to persist. */
export type CertificateAuthority = IssuedCertificate;

export interface CertificateOptions {
  /** Validity from one hour ago (tolerates clock skew) to this many days ahead. @default - 365 (CA: 3650) */
  readonly validDays?: number;
}

const RSA_BITS = 2048;
const generateKeyPairAsync = promisify(generateKeyPair);

interface KeyPairPem {
  readonly publicKeyPem: string;
  readonly privateKeyPem: string;
}

function newKeyPair(): KeyPairPem {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", {
    modulusLength: RSA_BITS,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  return { publicKeyPem: publicKey, privateKeyPem: privateKey };
}

async function newKeyPairAsync(): Promise<KeyPairPem> {
  const { publicKey, privateKey } = await generateKeyPairAsync("rsa", {
    modulusLength: RSA_BITS,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  return { publicKeyPem: publicKey, privateKeyPem: privateKey };
}

/** Creates a self-signed CA certificate (basic constraints CA, may sign certificates and CRLs). */
export function createCertificateAuthority(
  commonName = "Sensor fleet test CA",
  options: CertificateOptions = {},
): CertificateAuthority {
  const keys = newKeyPair();
  const subject = [
    { name: "commonName", value: commonName },
    { name: "organizationName", value: "sensor-analytics" },
  ];
  const cert = baseCertificate(keys.publicKeyPem, subject, subject, options.validDays ?? 3650);
  cert.setExtensions([
    { name: "basicConstraints", cA: true, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
    { name: "subjectKeyIdentifier" },
  ]);
  signWith(cert, keys.privateKeyPem);
  return { certificatePem: forge.pki.certificateToPem(cert), privateKeyPem: keys.privateKeyPem };
}

/** Issues a TLS client certificate for a device: CN = thing name, extended key usage clientAuth. */
export function issueDeviceCertificate(
  ca: CertificateAuthority,
  thingName: string,
  options: CertificateOptions = {},
): IssuedCertificate {
  return deviceCertificate(ca, thingName, newKeyPair(), options);
}

/**
 * Issues device certificates for many devices, generating keys on libuv's thread pool in parallel: about
 * twice as fast as a loop of {@link issueDeviceCertificate} on two cores. Results are in the order of `thingNames`.
 */
export async function issueDeviceCertificates(
  ca: CertificateAuthority,
  thingNames: readonly string[],
  options: CertificateOptions & { readonly concurrency?: number } = {},
): Promise<IssuedCertificate[]> {
  const results: IssuedCertificate[] = new Array<IssuedCertificate>(thingNames.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < thingNames.length) {
      const i = next++;
      results[i] = deviceCertificate(ca, thingNames[i] as string, await newKeyPairAsync(), options);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));
  return results;
}

/** Issues a TLS server certificate for the given DNS names and/or IP addresses (the first is also the CN). */
export function issueServerCertificate(
  ca: CertificateAuthority,
  hostnames: readonly string[],
  options: CertificateOptions = {},
): IssuedCertificate {
  if (hostnames.length === 0)
    throw new Error("issueServerCertificate needs at least one host name or IP address");
  const keys = newKeyPair();
  const caCert = forge.pki.certificateFromPem(ca.certificatePem);
  const cert = baseCertificate(
    keys.publicKeyPem,
    [{ name: "commonName", value: hostnames[0] as string }],
    caCert.subject.attributes,
    options.validDays ?? 365,
  );
  cert.setExtensions([
    { name: "basicConstraints", cA: false },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    { name: "extKeyUsage", serverAuth: true },
    {
      name: "subjectAltName",
      // type 7 = iPAddress, type 2 = dNSName (RFC 5280 GeneralName).
      altNames: hostnames.map((h) => (isIpAddress(h) ? { type: 7, ip: h } : { type: 2, value: h })),
    },
    { name: "subjectKeyIdentifier" },
    authorityKeyIdentifier(caCert),
  ]);
  signWith(cert, ca.privateKeyPem);
  return { certificatePem: forge.pki.certificateToPem(cert), privateKeyPem: keys.privateKeyPem };
}

/** The subject CN of a PEM certificate (what a broker with `use_identity_as_username` sees). */
export function certificateCommonName(certificatePem: string): string | undefined {
  const field = forge.pki.certificateFromPem(certificatePem).subject.getField("CN") as {
    value: string;
  } | null;
  return field?.value;
}

function deviceCertificate(
  ca: CertificateAuthority,
  thingName: string,
  keys: KeyPairPem,
  options: CertificateOptions,
): IssuedCertificate {
  const caCert = forge.pki.certificateFromPem(ca.certificatePem);
  const cert = baseCertificate(
    keys.publicKeyPem,
    [{ name: "commonName", value: thingName }],
    caCert.subject.attributes,
    options.validDays ?? 365,
  );
  cert.setExtensions([
    { name: "basicConstraints", cA: false },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    { name: "extKeyUsage", clientAuth: true },
    { name: "subjectKeyIdentifier" },
    authorityKeyIdentifier(caCert),
  ]);
  signWith(cert, ca.privateKeyPem);
  return { certificatePem: forge.pki.certificateToPem(cert), privateKeyPem: keys.privateKeyPem };
}

function baseCertificate(
  publicKeyPem: string,
  subject: forge.pki.CertificateField[],
  issuer: forge.pki.CertificateField[],
  validDays: number,
): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKeyPem);
  // 16 random bytes with the top bit cleared: a positive serial, unique without bookkeeping (RFC 5280 4.1.2.2).
  const serial = randomBytes(16);
  serial[0] = (serial[0] as number) & 0x7f;
  cert.serialNumber = serial.toString("hex");
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 3_600_000);
  cert.validity.notAfter = new Date(now + validDays * 86_400_000);
  cert.setSubject(subject);
  cert.setIssuer(issuer);
  return cert;
}

function authorityKeyIdentifier(caCert: forge.pki.Certificate): { name: string; keyIdentifier: string } {
  return { name: "authorityKeyIdentifier", keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() };
}

/**
 * Signs with SHA-256/RSA. forge's `cert.sign(key, md)` feeds the TBSCertificate DER to `md.update` and then
 * calls `key.sign(md)`; a recording digest and a key backed by Node's crypto make the signature native.
 */
function signWith(cert: forge.pki.Certificate, privateKeyPem: string): void {
  const recorder = {
    algorithm: "sha256",
    bytes: "",
    update(data: string) {
      this.bytes += data;
      return this;
    },
  };
  const signer = {
    sign: (md: typeof recorder): string =>
      nodeSign("sha256", Buffer.from(md.bytes, "binary"), privateKeyPem).toString("binary"),
  };
  cert.sign(signer as unknown as forge.pki.rsa.PrivateKey, recorder as unknown as forge.md.MessageDigest);
}

function isIpAddress(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(":");
}
