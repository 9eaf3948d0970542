/**
 * AWS IoT fleet provisioning by claim, device side, over MQTT (the protocol documented in the AWS IoT Core
 * Developer Guide, "Device provisioning MQTT API"):
 * 1. connect with the shared claim certificate;
 * 2. subscribe to `$aws/certificates/create/json/{accepted,rejected}`, publish `{}` to
 *    `$aws/certificates/create/json` → CreateKeysAndCertificate: a new certificate, its private key and a
 *    `certificateOwnershipToken`;
 * 3. subscribe to `$aws/provisioning-templates/<template>/provision/json/{accepted,rejected}`, publish
 *    `{ certificateOwnershipToken, parameters }` → RegisterThing: the thing is created from the template and
 *    the certificate activated and attached;
 * 4. disconnect; the device then connects with its own certificate.
 * Works over any {@link Transport}, so the same code runs against IoT Core (SDK) and test brokers (MQTT.js).
 */
import type { FleetProvisioning } from "../components/telemetry/fleet-file";
import type { ClientCertificate, ConnectionOptions, Qos, Transport } from "./transports/transport";

export const CREATE_CERTIFICATE_TOPIC = "$aws/certificates/create/json";

export function registerThingTopic(templateName: string): string {
  return `$aws/provisioning-templates/${templateName}/provision/json`;
}

/** CreateKeysAndCertificate's accepted response. */
export interface CreateKeysAndCertificateResponse {
  certificateId: string;
  certificatePem: string;
  privateKey: string;
  certificateOwnershipToken: string;
}

/** RegisterThing's request and accepted response. */
export interface RegisterThingRequest {
  certificateOwnershipToken: string;
  parameters: Record<string, string>;
}
export interface RegisterThingResponse {
  thingName: string;
  deviceConfiguration?: Record<string, string>;
}

/** A rejected response (`.../rejected`). */
interface ErrorResponse {
  statusCode?: number;
  errorCode?: string;
  errorMessage?: string;
}

/** What a device gets from provisioning. */
export interface ProvisionedCredentials extends ClientCertificate {
  readonly certificateId: string;
  readonly thingName: string;
}

/** What this platform's provisioning template takes (components/iot/provisioning.ts): the thing name and room. */
export const DEFAULT_PROVISIONING_PARAMETERS: Readonly<Record<string, string>> = {
  ThingName: "${thingName}",
  RoomId: "${roomId}",
};

/** Template parameters for one device, with `${thingName}` and `${roomId}` substituted. */
export function provisioningParameters(
  provisioning: FleetProvisioning,
  device: { thingName: string; roomId: string },
): Record<string, string> {
  const template = provisioning.parameters ?? DEFAULT_PROVISIONING_PARAMETERS;
  return Object.fromEntries(
    Object.entries(template).map(([key, value]) => [
      key,
      value.replaceAll("${thingName}", device.thingName).replaceAll("${roomId}", device.roomId),
    ]),
  );
}

/** Client ID of a device's claim connection: `<clientIdPrefix><thingName>`, or the thing name without a prefix. */
export function claimClientId(provisioning: FleetProvisioning, thingName: string): string {
  return `${provisioning.clientIdPrefix ?? ""}${thingName}`;
}

export interface ProvisionOptions {
  readonly transport: Transport;
  /** Connection settings; `credentials` are replaced by the claim certificate. */
  readonly connection: Omit<ConnectionOptions, "credentials">;
  readonly provisioning: FleetProvisioning;
  readonly device: { readonly thingName: string; readonly roomId: string };
  /** Give up after this long (connect + both requests), ms. */
  readonly timeoutMs: number;
}

/** Provisions one device by claim; rejects with the service's error (code and message) on refusal. */
export async function provisionByClaim(options: ProvisionOptions): Promise<ProvisionedCredentials> {
  const { provisioning, device } = options;
  const waiters = new Map<string, (payload: Buffer) => void>();
  let connectedResolve: (() => void) | undefined;
  let lastFailure = "no connection attempt finished";
  const connectedPromise = new Promise<void>((resolve) => (connectedResolve = resolve));
  const connection = options.transport.connection(
    {
      ...options.connection,
      clientId: claimClientId(provisioning, device.thingName),
      credentials: {
        certificatePem: provisioning.claimCertificatePem,
        privateKeyPem: provisioning.claimPrivateKeyPem,
      },
    },
    {
      connected: () => connectedResolve?.(),
      disconnected: (reason) => (lastFailure = reason),
      connectFailed: (reason) => (lastFailure = reason),
      message: (topic, payload) => waiters.get(topic)?.(payload),
    },
  );
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(
            `provisioning ${device.thingName} timed out after ${options.timeoutMs} ms (${lastFailure})`,
          ),
        ),
      options.timeoutMs,
    );
  });
  const exchange = async (): Promise<ProvisionedCredentials> => {
    connection.start();
    await connectedPromise;
    const created = await request<CreateKeysAndCertificateResponse>(CREATE_CERTIFICATE_TOPIC, "{}");
    for (const field of [
      "certificateId",
      "certificatePem",
      "privateKey",
      "certificateOwnershipToken",
    ] as const) {
      if (typeof created[field] !== "string")
        throw new Error(`CreateKeysAndCertificate response has no ${field}`);
    }
    const registerRequest: RegisterThingRequest = {
      certificateOwnershipToken: created.certificateOwnershipToken,
      parameters: provisioningParameters(provisioning, device),
    };
    const registered = await request<RegisterThingResponse>(
      registerThingTopic(provisioning.templateName),
      JSON.stringify(registerRequest),
    );
    if (registered.thingName !== device.thingName) {
      throw new Error(
        `template ${provisioning.templateName} registered the thing as "${registered.thingName}", but the fleet file names it "${device.thingName}": make the template take ThingName from the parameters`,
      );
    }
    return {
      certificateId: created.certificateId,
      certificatePem: created.certificatePem,
      privateKeyPem: created.privateKey,
      thingName: registered.thingName,
    };
  };

  /** Subscribes to both outcomes first (as the API requires), then publishes and waits for one of them. */
  async function request<T>(topic: string, body: string): Promise<T> {
    const qos: Qos = 1;
    await connection.subscribe(`${topic}/accepted`, qos);
    await connection.subscribe(`${topic}/rejected`, qos);
    const response = new Promise<T>((resolve, reject) => {
      waiters.set(`${topic}/accepted`, (payload) => resolve(JSON.parse(payload.toString("utf8")) as T));
      waiters.set(`${topic}/rejected`, (payload) => {
        const error = JSON.parse(payload.toString("utf8")) as ErrorResponse;
        reject(
          new Error(
            `${topic} rejected: ${error.errorCode ?? "error"} ${error.statusCode ?? ""} ${error.errorMessage ?? ""}`.trim(),
          ),
        );
      });
    });
    // A refusal can arrive before the PUBACK; mark it handled here, it is awaited just below.
    response.catch(() => undefined);
    await new Promise<void>((resolve, reject) =>
      connection.publish(topic, body, qos, (error) => (error ? reject(error) : resolve())),
    );
    try {
      return await response;
    } finally {
      waiters.delete(`${topic}/accepted`);
      waiters.delete(`${topic}/rejected`);
    }
  }

  try {
    return await Promise.race([exchange(), timeout]);
  } finally {
    clearTimeout(timer);
    await connection.stop(2_000);
  }
}
