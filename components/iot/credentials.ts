/**
 * The device credentials bundle: a fleet file (`components/telemetry/fleet-file.ts`, the simulator's contract) that connects
 * the stack's sensors to IoT Core, exported by the stack as a Pulumi secret
 * (`pulumi stack output deviceFleetFile --show-secrets > fleet.json`). Pure.
 */
import {
  FLEET_FILE_VERSION,
  FleetDeviceCredentials,
  FleetFile,
  FleetProvisioning,
} from "../telemetry/fleet-file";
import { AMAZON_ROOT_CA_1_PEM } from "./amazon-root-ca";
import { PROVISIONING_PARAMETERS } from "./provisioning";

/** One sensor with a stack-managed certificate. */
export interface DeviceCredentials {
  readonly thingName: string;
  readonly roomId: string;
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

/** The claim side of fleet provisioning. */
export interface ClaimCredentials {
  readonly templateName: string;
  readonly claimCertificatePem: string;
  readonly claimPrivateKeyPem: string;
  /** Claim connections must use a client ID starting with this (the claim policy allows no other). */
  readonly clientIdPrefix: string;
}

/** The fleet file's provisioning section, with the template parameters this platform's template takes. */
export type PlatformFleetProvisioning = FleetProvisioning & { readonly clientIdPrefix: string };

export interface CredentialsBundleArgs {
  /** IoT Core's `iot:Data-ATS` endpoint host name. */
  readonly endpoint: string;
  readonly deployment: string;
  /** Every configured sensor: with its certificate, or (fleet provisioning) only its name and room. */
  readonly devices: readonly (DeviceCredentials | { readonly thingName: string; readonly roomId: string })[];
  /** Fleet provisioning by claim: the template and the claim certificate. @default - none (per-device certificates) */
  readonly claim?: ClaimCredentials;
}

export function buildCredentialsBundle(args: CredentialsBundleArgs): FleetFile {
  const devices: FleetDeviceCredentials[] = args.devices.map((d) => ({ ...d }));
  const provisioning: PlatformFleetProvisioning | undefined = args.claim && {
    ...args.claim,
    parameters: {
      [PROVISIONING_PARAMETERS.thingName]: "${thingName}",
      [PROVISIONING_PARAMETERS.roomId]: "${roomId}",
    },
  };
  return {
    version: FLEET_FILE_VERSION,
    endpoint: args.endpoint,
    caCertPem: AMAZON_ROOT_CA_1_PEM,
    deployment: args.deployment,
    devices,
    ...(provisioning ? { provisioning } : {}),
  };
}
