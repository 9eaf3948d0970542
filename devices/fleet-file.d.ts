/** Version written by {@link writeFleetFile} and the only one {@link parseFleetFile} accepts. */
export declare const FLEET_FILE_VERSION = 1;
/** Default MQTT over TLS port (IoT Core and most brokers). */
export declare const DEFAULT_MQTTS_PORT = 8883;
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
export declare class FleetFileError extends Error {
  readonly source: string;
  readonly problems: readonly string[];
  constructor(source: string, problems: readonly string[]);
}
/** Validates parsed JSON as a fleet file, reporting every problem at once. */
export declare function parseFleetFile(value: unknown, source?: string): FleetFile;
/** Host and port of the fleet's broker. The `port` field wins over a port in the URL. */
export declare function resolveEndpoint(file: Pick<FleetFile, "endpoint" | "port">): {
  host: string;
  port: number;
};
/**
 * Reads and validates a fleet file; `env:NAME` reads it from an environment variable instead (how a container
 * receives it from Secrets Manager).
 */
export declare function readFleetFile(path: string, env?: NodeJS.ProcessEnv): FleetFile;
/** Writes a fleet file (mode 0600: it holds private keys). */
export declare function writeFleetFile(path: string, file: FleetFile): void;
