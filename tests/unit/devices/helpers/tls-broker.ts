/**
 * An MQTT 3.1.1 broker for tests: aedes in-process, behind Node's TLS server with client certificates
 * required, enforcing what the IoT policy enforces on IoT Core:
 * - a device connects only as itself (client ID = the thing its certificate is attached to);
 * - it publishes only to its own `dt/<deployment>/<room>/<thing>/...` topics (others: refused, disconnected,
 *   as IoT Core does with MQTT 3.1.1);
 * - the claim certificate may only use the fleet provisioning topics.
 * Optionally it answers fleet provisioning requests the way IoT Core documents them (a test double of AWS:
 * CreateKeysAndCertificate issues a certificate from the test CA, RegisterThing checks the ownership token
 * and attaches the certificate to the thing named by the template parameter), replying only to the requester.
 */
import { randomUUID, X509Certificate } from "node:crypto";
import type { AddressInfo } from "node:net";
import tls from "node:tls";
import { Aedes, type AedesPublishPacket, type Client } from "aedes";
import {
  issueDeviceCertificate,
  type CertificateAuthority,
  type IssuedCertificate,
} from "../../../../devices/pki";
import { CREATE_CERTIFICATE_TOPIC, registerThingTopic } from "../../../../devices/provisioning";
import type { TelemetryReceiver } from "./receiver";

export interface TlsBrokerOptions {
  readonly ca: CertificateAuthority;
  readonly server: IssuedCertificate;
  readonly deployment: string;
  /** Receives every message published under `dt/` (an in-process subscriber). */
  readonly receiver?: TelemetryReceiver;
  /** CN of the provisioning claim certificate. */
  readonly claimCommonName?: string;
  /** Client IDs the claim may connect with start with this (the claim policy's `client/<prefix>*`). */
  readonly claimClientIdPrefix?: string;
  /** Answer fleet provisioning requests for this template. */
  readonly provisioning?: {
    readonly templateName: string;
    /** Return an error message to reject a RegisterThing request. */
    readonly reject?: (parameters: Record<string, string>) => string | undefined;
  };
}

interface PendingCertificate {
  readonly fingerprint: string;
  readonly ownerClientId: string;
  used: boolean;
}

export class TlsTestBroker {
  port = 0;
  /** Publishes the policy refused, as `clientId -> topic`. */
  readonly denied: string[] = [];
  /** Things created by RegisterThing. */
  readonly registered: string[] = [];
  connections = 0;
  private aedes: Aedes | undefined;
  private server: tls.Server | undefined;
  private readonly sockets = new Set<tls.TLSSocket>();
  /** Certificate fingerprint -> thing it is attached to (IoT Core's principal attachment). */
  private readonly attachments = new Map<string, string>();
  private readonly pending = new Map<string, PendingCertificate>();
  private readonly subscriptions = new Map<string, Set<string>>();

  private constructor(private readonly options: TlsBrokerOptions) {}

  static async start(options: TlsBrokerOptions): Promise<TlsTestBroker> {
    const broker = new TlsTestBroker(options);
    await broker.listen(0);
    return broker;
  }

  /** Stops the broker abruptly (connections cut), like a crash; {@link restart} brings it back on the same port. */
  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => (this.aedes ? this.aedes.close(() => resolve()) : resolve()));
    this.server = undefined;
    this.aedes = undefined;
  }

  async restart(): Promise<void> {
    await this.listen(this.port);
  }

  private async listen(port: number): Promise<void> {
    const aedes = await Aedes.createBroker({
      authenticate: (client, _username, _password, done) => {
        const identity = this.identityOf(client);
        const claim = identity !== undefined && identity === this.options.claimCommonName;
        const ok =
          identity !== undefined &&
          (claim ? client.id.startsWith(this.options.claimClientIdPrefix ?? "") : identity === client.id);
        if (ok) done(null, true);
        else
          done(
            Object.assign(new Error(`client ID ${client.id} is not ${identity ?? "a known identity"}`), {
              returnCode: 5 as const,
            }),
            false,
          );
      },
      authorizePublish: (client, packet, done) => {
        const identity = client ? this.identityOf(client) : undefined;
        if (client && identity !== undefined && this.mayPublish(identity, packet.topic)) {
          done(null);
        } else {
          this.denied.push(`${client?.id ?? "?"} -> ${packet.topic}`);
          done(new Error(`${identity} may not publish to ${packet.topic}`));
        }
      },
      authorizeSubscribe: (client, subscription, done) => {
        const identity = this.identityOf(client);
        if (identity !== undefined && this.maySubscribe(identity, subscription.topic))
          done(null, subscription);
        else done(new Error(`${identity} may not subscribe to ${subscription.topic}`));
      },
    });
    aedes.on("subscribe", (subscriptions, client) => {
      let set = this.subscriptions.get(client.id);
      if (!set) this.subscriptions.set(client.id, (set = new Set()));
      for (const s of subscriptions) set.add(s.topic);
    });
    aedes.on("publish", (packet, client) => {
      if (client && packet.topic.startsWith("$aws/")) this.answerProvisioning(client, packet);
    });
    const receiver = this.options.receiver;
    if (receiver) {
      aedes.subscribe(
        "dt/#",
        (packet: AedesPublishPacket, callback: () => void) => {
          receiver.record(packet.topic, Buffer.from(packet.payload));
          callback();
        },
        () => undefined,
      );
    }
    const server = tls.createServer(
      {
        key: this.options.server.privateKeyPem,
        cert: this.options.server.certificatePem,
        ca: this.options.ca.certificatePem,
        requestCert: true,
        rejectUnauthorized: true,
      },
      (socket) => {
        this.connections++;
        this.sockets.add(socket);
        socket.on("close", () => this.sockets.delete(socket));
        aedes.handle(socket);
      },
    );
    server.on("tlsClientError", () => undefined);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.aedes = aedes;
    this.server = server;
  }

  /** The thing (or the claim) a client's certificate stands for. */
  private identityOf(client: Client): string | undefined {
    const socket = client.conn as tls.TLSSocket;
    const peer = socket.getPeerCertificate?.();
    if (!peer || !peer.fingerprint256) return undefined;
    const attached = this.attachments.get(peer.fingerprint256);
    if (attached) return attached;
    const cn = peer.subject?.CN;
    const commonName = Array.isArray(cn) ? cn[0] : cn;
    // Certificates issued up front carry the thing name as CN; provisioned ones must be attached first.
    return commonName && !commonName.startsWith("provisioned-") ? commonName : undefined;
  }

  private mayPublish(identity: string, topic: string): boolean {
    if (identity === this.options.claimCommonName) {
      const template = this.options.provisioning?.templateName;
      return (
        topic === CREATE_CERTIFICATE_TOPIC ||
        (template !== undefined && topic === registerThingTopic(template))
      );
    }
    const parts = topic.split("/");
    return (
      parts.length === 5 &&
      parts[0] === "dt" &&
      parts[1] === this.options.deployment &&
      parts[3] === identity &&
      (parts[4] === "telemetry" || parts[4] === "diagnostics")
    );
  }

  private maySubscribe(identity: string, topic: string): boolean {
    if (identity === this.options.claimCommonName) {
      const template = this.options.provisioning?.templateName;
      const allowed = [CREATE_CERTIFICATE_TOPIC, ...(template ? [registerThingTopic(template)] : [])];
      return allowed.some((t) => topic === `${t}/accepted` || topic === `${t}/rejected`);
    }
    const parts = topic.split("/");
    return parts.length === 5 && parts[0] === "cmd" && parts[3] === identity && parts[4] === "req";
  }

  private answerProvisioning(client: Client, packet: AedesPublishPacket): void {
    const provisioning = this.options.provisioning;
    if (!provisioning) return;
    const request = JSON.parse(Buffer.from(packet.payload).toString("utf8") || "{}") as Record<
      string,
      unknown
    >;
    if (packet.topic === CREATE_CERTIFICATE_TOPIC) {
      const certificateId = randomUUID().replace(/-/g, "");
      // IoT Core's certificates do not name the thing; the attachment does. The CN marks it as unattached here.
      const issued = issueDeviceCertificate(this.options.ca, `provisioned-${certificateId}`);
      const token = randomUUID();
      this.pending.set(token, {
        fingerprint: new X509Certificate(issued.certificatePem).fingerprint256,
        ownerClientId: client.id,
        used: false,
      });
      this.reply(client, `${CREATE_CERTIFICATE_TOPIC}/accepted`, {
        certificateId,
        certificatePem: issued.certificatePem,
        privateKey: issued.privateKeyPem,
        certificateOwnershipToken: token,
      });
      return;
    }
    const topic = registerThingTopic(provisioning.templateName);
    if (packet.topic !== topic) return;
    const token = request.certificateOwnershipToken;
    const parameters = (request.parameters ?? {}) as Record<string, string>;
    const pending = typeof token === "string" ? this.pending.get(token) : undefined;
    const rejection =
      !pending || pending.used || pending.ownerClientId !== client.id
        ? "Invalid certificate ownership token"
        : typeof parameters.ThingName !== "string"
          ? "Missing parameter ThingName"
          : provisioning.reject?.(parameters);
    if (rejection || !pending) {
      this.reply(client, `${topic}/rejected`, {
        statusCode: 400,
        errorCode: "InvalidParameters",
        errorMessage: rejection,
      });
      return;
    }
    pending.used = true;
    const thingName = parameters.ThingName as string;
    this.attachments.set(pending.fingerprint, thingName);
    this.registered.push(thingName);
    this.reply(client, `${topic}/accepted`, {
      thingName,
      deviceConfiguration: { roomId: parameters.RoomId ?? "" },
    });
  }

  /** Replies to the requesting client only, and only if it subscribed to the response topic (as IoT Core). */
  private reply(client: Client, topic: string, body: unknown): void {
    if (!this.subscriptions.get(client.id)?.has(topic)) return;
    client.publish(
      {
        cmd: "publish",
        topic,
        payload: Buffer.from(JSON.stringify(body)),
        qos: 1,
        retain: false,
        dup: false,
      },
      () => undefined,
    );
  }
}
