/**
 * Authorizes MQTT requests the way IoT Core does, with the IoT policy document the cloud attaches to every
 * device certificate (`buildDevicePolicyDocument`) evaluated by `components/iot/policy-evaluator.ts`:
 *
 * - the connection's thing is the registry thing whose attached certificate the client presented (its CN
 *   names the thing, its fingerprint must be the attached one), with the thing's attributes;
 * - `${iot:Connection.Thing.ThingName}` resolves to that thing, IsAttached is true when the client ID is its
 *   name; a certificate of no registered thing gets no thing, so every statement's IsAttached fails.
 *
 * Decisions are cached per connection (they depend only on the connection and the topic).
 */
import {
  evaluateIotPolicy,
  IotConnectionContext,
  IotDecision,
  MqttRequest,
} from "../../components/iot/policy-evaluator";
import type { IotPolicyDocument, IotPolicyScope } from "../../components/iot/iot-policy";
import type { RegisteredThing } from "../pki";

/** What the TLS handshake proved about a client. */
export interface PresentedCertificate {
  readonly commonName: string | undefined;
  readonly fingerprint256: string | undefined;
}

export class ConnectionAuthorizer {
  private readonly cache = new Map<string, IotDecision>();

  constructor(
    readonly context: IotConnectionContext,
    private readonly policy: IotPolicyDocument,
    private readonly scope: IotPolicyScope,
  ) {}

  decide(request: MqttRequest): IotDecision {
    const key =
      request.action === "iot:Connect"
        ? request.action
        : `${request.action} ${"topic" in request ? request.topic : request.topicFilter}`;
    let decision = this.cache.get(key);
    if (!decision) {
      decision = evaluateIotPolicy(this.policy, this.scope, this.context, request);
      this.cache.set(key, decision);
    }
    return decision;
  }
}

/** The IoT connection context of a client: its client ID and, if its certificate is attached to one, its thing. */
export function connectionContext(
  clientId: string,
  certificate: PresentedCertificate,
  things: ReadonlyMap<string, RegisteredThing>,
): IotConnectionContext {
  const thing = certificate.commonName ? things.get(certificate.commonName) : undefined;
  if (!thing || thing.certificateFingerprint !== certificate.fingerprint256) return { clientId };
  return { clientId, thing: { name: thing.thingName, attributes: thing.attributes } };
}
