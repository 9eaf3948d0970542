/**
 * mosquitto standing in for IoT Core in system tests: an ACL that mirrors the IoT policy, and the AWS side of
 * fleet provisioning by claim as a test double on the documented topics.
 */
import type { MqttClient } from "mqtt";
import { issueDeviceCertificate, type CertificateAuthority } from "../../../../devices/pki";
import { CREATE_CERTIFICATE_TOPIC, registerThingTopic } from "../../../../devices/provisioning";
import { TelemetryReceiver } from "./receiver";
import { startSubscriber } from "./subscriber";

/** The IoT policy's device rules in mosquitto's ACL syntax (`%u` = certificate CN = thing name). */
export function policyAcl(deployment: string, template: string): string {
  return [
    `pattern write dt/${deployment}/+/%u/telemetry`,
    `pattern write dt/${deployment}/+/%u/diagnostics`,
    `pattern read cmd/${deployment}/+/%u/req`,
    `pattern write cmd/${deployment}/+/%u/res`,
    "",
    "user fleet-subscriber",
    "topic read dt/#",
    "",
    "user provisioning-claim",
    `topic write ${CREATE_CERTIFICATE_TOPIC}`,
    `topic read ${CREATE_CERTIFICATE_TOPIC}/+`,
    `topic write ${registerThingTopic(template)}`,
    `topic read ${registerThingTopic(template)}/+`,
    "",
    "user provisioning-service",
    `topic read ${CREATE_CERTIFICATE_TOPIC}`,
    `topic write ${CREATE_CERTIFICATE_TOPIC}/+`,
    `topic read ${registerThingTopic(template)}`,
    `topic write ${registerThingTopic(template)}/+`,
    "",
  ].join("\n");
}

export interface ProvisioningServiceOptions {
  readonly port: number;
  readonly ca: CertificateAuthority;
  readonly template: string;
  /** mosquitto identifies clients by certificate CN, so the certificate issued names this one thing. */
  readonly thingName: string;
}

/**
 * The AWS side of fleet provisioning, as a test double: answers CreateKeysAndCertificate and RegisterThing on
 * the documented topics. mosquitto identifies clients by certificate CN, so the certificate it issues names
 * the one thing under test (IoT Core identifies it by the attachment RegisterThing makes instead).
 */
export async function startProvisioningService(
  options: ProvisioningServiceOptions,
): Promise<{ client: MqttClient; requests: string[] }> {
  const { ca, template, thingName } = options;
  const requests: string[] = [];
  const tokens = new Set<string>();
  const service = issueDeviceCertificate(ca, "provisioning-service");
  const client = await startSubscriber({
    url: `mqtts://127.0.0.1:${options.port}`,
    receiver: new TelemetryReceiver(),
    clientId: "provisioning-service",
    topic: CREATE_CERTIFICATE_TOPIC,
    caCertPem: ca.certificatePem,
    credentials: service,
  });
  await client.subscribeAsync(registerThingTopic(template), { qos: 1 });
  client.removeAllListeners("message");
  client.on("message", (topic, payload) => {
    if (topic === CREATE_CERTIFICATE_TOPIC) {
      requests.push(topic);
      const issued = issueDeviceCertificate(ca, thingName);
      const token = `token-${tokens.size + 1}`;
      tokens.add(token);
      void client.publishAsync(
        `${topic}/accepted`,
        JSON.stringify({
          certificateId: "c0ffee",
          certificatePem: issued.certificatePem,
          privateKey: issued.privateKeyPem,
          certificateOwnershipToken: token,
        }),
        { qos: 1 },
      );
    } else {
      const request = JSON.parse(payload.toString()) as {
        certificateOwnershipToken: string;
        parameters: Record<string, string>;
      };
      requests.push(
        `${topic} ${Object.entries(request.parameters)
          .map(([k, v]) => `${k}=${v}`)
          .join(" ")}`,
      );
      const ok = tokens.delete(request.certificateOwnershipToken);
      void client.publishAsync(
        `${topic}/${ok ? "accepted" : "rejected"}`,
        JSON.stringify(
          ok
            ? { thingName: request.parameters.ThingName, deviceConfiguration: {} }
            : { statusCode: 400, errorCode: "InvalidToken" },
        ),
        { qos: 1 },
      );
    }
  });
  return { client, requests };
}
