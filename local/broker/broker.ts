/**
 * The local MQTT broker: aedes (MQTT 3.1.1) in-process over TLS with client certificates, standing in for
 * IoT Core's message broker.
 *
 * - TLS: the local CA's server certificate; clients must present a certificate the local CA issued.
 * - CONNECT, PUBLISH, SUBSCRIBE and delivery are authorized with the cloud's IoT policy document (see
 *   `authorizer.ts`); a denied CONNECT gets CONNACK "not authorized", a denied PUBLISH closes the connection
 *   (MQTT 3.1.1 has no negative PUBACK; IoT Core disconnects too), a denied SUBSCRIBE gets the failure code.
 * - Durability: aedes writes a QoS 1 PUBACK *before* it hands the message on (lib/handlers/publish.js,
 *   `enqueuePublish`), so the message is made durable in `authorizePublish`, which runs first: the ingest
 *   log's fsync completes before the hook allows the publish, hence before any PUBACK.
 */
import * as tls from "node:tls";
import type { AddressInfo } from "node:net";
import { Aedes, type AuthenticateError, type Client } from "aedes";
import type { IotPolicyDocument, IotPolicyScope } from "../../components/iot/policy-document";
import type { LocalPki } from "../pki";
import type { IngestPipeline } from "../lake/ingest-pipeline";
import { ConnectionAuthorizer, connectionContext } from "./authorizer";

export interface LocalBrokerOptions {
  readonly pki: LocalPki;
  readonly policy: IotPolicyDocument;
  readonly scope: IotPolicyScope;
  readonly ingest: IngestPipeline;
  /** Simulated clock: `timestamp()` of the rules. */
  readonly now: () => number;
  /** @default "127.0.0.1" (loopback only) */
  readonly host?: string;
  /** 0 picks a free port. @default 8883 */
  readonly port?: number;
}

export interface BrokerStats {
  connected: number;
  connects: number;
  connectsDenied: number;
  publishesDenied: number;
  subscribesDenied: number;
  tlsFailures: number;
  /** Last denial, for the dashboard: who, what, why. */
  lastDenial: string | null;
}

/** CONNACK return code 5 (MQTT 3.1.1): not authorized. */
const NOT_AUTHORIZED = 5;

export class LocalBroker {
  readonly stats: BrokerStats = {
    connected: 0,
    connects: 0,
    connectsDenied: 0,
    publishesDenied: 0,
    subscribesDenied: 0,
    tlsFailures: 0,
    lastDenial: null,
  };
  private readonly authorizers = new WeakMap<Client, ConnectionAuthorizer>();
  private aedes: Aedes | undefined;
  private server: tls.Server | undefined;

  constructor(private readonly options: LocalBrokerOptions) {}

  /** Starts listening; resolves with the port. */
  async start(): Promise<number> {
    const { pki, ingest, now } = this.options;
    const aedes = await Aedes.createBroker({
      authenticate: (client, _username, _password, done) => {
        const socket = client.conn as tls.TLSSocket;
        const peer =
          typeof socket.getPeerCertificate === "function" ? socket.getPeerCertificate() : undefined;
        const commonName = peer?.subject?.CN;
        const context = connectionContext(
          client.id,
          {
            commonName: Array.isArray(commonName) ? commonName[0] : commonName,
            fingerprint256: peer?.fingerprint256,
          },
          pki.things,
        );
        const authorizer = new ConnectionAuthorizer(context, this.options.policy, this.options.scope);
        const decision = authorizer.decide({ action: "iot:Connect" });
        this.stats.connects++;
        if (!decision.allowed) {
          this.stats.connectsDenied++;
          this.stats.lastDenial = `connect of client ${client.id} with certificate ${commonName ?? "(none)"}: ${decision.outcome}`;
          const error = Object.assign(new Error(this.stats.lastDenial), {
            returnCode: NOT_AUTHORIZED,
          }) as AuthenticateError;
          done(error, false);
          return;
        }
        this.authorizers.set(client, authorizer);
        done(null, true);
      },
      authorizePublish: (client, packet, callback) => {
        if (!client) return callback(null); // the broker's own messages (wills are authorized at CONNECT)
        const decision = this.authorizers.get(client)?.decide({ action: "iot:Publish", topic: packet.topic });
        if (!decision?.allowed) {
          this.stats.publishesDenied++;
          this.stats.lastDenial = `publish of ${client.id} to ${packet.topic}: ${decision?.outcome ?? "no session"}`;
          return callback(new Error(this.stats.lastDenial));
        }
        const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
        ingest.ingest({ topic: packet.topic, payload, receivedAt: Math.floor(now()) }, (error) =>
          callback(error),
        );
      },
      authorizeSubscribe: (client, subscription, callback) => {
        const decision = this.authorizers
          .get(client)
          ?.decide({ action: "iot:Subscribe", topicFilter: subscription.topic });
        if (!decision?.allowed) {
          this.stats.subscribesDenied++;
          this.stats.lastDenial = `subscribe of ${client.id} to ${subscription.topic}: ${decision?.outcome ?? "no session"}`;
          return callback(null, null);
        }
        callback(null, subscription);
      },
      authorizeForward: (client, packet) => {
        const decision = this.authorizers.get(client)?.decide({ action: "iot:Receive", topic: packet.topic });
        return decision?.allowed ? packet : null;
      },
    });
    aedes.on("client", () => this.stats.connected++);
    aedes.on("clientDisconnect", () => this.stats.connected--);
    this.aedes = aedes;

    const server = tls.createServer(
      {
        key: pki.server.privateKeyPem,
        cert: pki.server.certificatePem,
        ca: [pki.ca.certificatePem],
        requestCert: true,
        rejectUnauthorized: true,
        minVersion: "TLSv1.2",
      },
      (socket) => aedes.handle(socket),
    );
    server.on("tlsClientError", () => this.stats.tlsFailures++);
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", (err: NodeJS.ErrnoException) =>
        reject(
          err.code === "EADDRINUSE"
            ? new Error(
                `the broker cannot listen on 127.0.0.1:${this.options.port ?? 8883}: the port is in use; pass --mqtt-port with another port, or 0 for any free one`,
              )
            : err,
        ),
      );
      server.listen(this.options.port ?? 8883, this.options.host ?? "127.0.0.1", () => {
        server.removeAllListeners("error");
        resolve();
      });
    });
    return (server.address() as AddressInfo).port;
  }

  /** Stops accepting connections and closes every client. */
  async close(): Promise<void> {
    const server = this.server;
    const aedes = this.aedes;
    this.server = undefined;
    this.aedes = undefined;
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
