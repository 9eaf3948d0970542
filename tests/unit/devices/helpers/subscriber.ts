/**
 * A counting subscriber for system tests: MQTT.js with a persistent session (clean: false, QoS 1), so readings
 * published while it reconnects after a broker restart are queued for it by the broker, as a real consumer's
 * would be.
 */
import mqtt, { type MqttClient } from "mqtt";
import type { ClientCertificate } from "../../../../devices/transports/transport";
import type { TelemetryReceiver } from "./receiver";

export interface SubscriberOptions {
  readonly url: string;
  readonly receiver: TelemetryReceiver;
  readonly clientId?: string;
  readonly topic?: string;
  readonly caCertPem?: string;
  readonly credentials?: ClientCertificate;
}

export async function startSubscriber(options: SubscriberOptions): Promise<MqttClient> {
  const client = mqtt.connect(options.url, {
    clientId: options.clientId ?? "fleet-subscriber",
    protocolVersion: 4,
    clean: false,
    reconnectPeriod: 100,
    ...(options.caCertPem ? { ca: options.caCertPem } : {}),
    ...(options.credentials
      ? { cert: options.credentials.certificatePem, key: options.credentials.privateKeyPem }
      : {}),
  });
  client.on("message", (topic, payload) => options.receiver.record(topic, payload));
  client.on("error", () => undefined);
  await new Promise<void>((resolve, reject) => {
    client.once("connect", () => resolve());
    client.once("error", reject);
  });
  await client.subscribeAsync(options.topic ?? "dt/#", { qos: 1 });
  return client;
}

/** Waits until `check` holds (polling), or fails with `message` after `timeoutMs`. */
export async function eventually(
  check: () => boolean,
  timeoutMs: number,
  message: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(message());
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
