/**
 * The local MQTT broker: aedes (MQTT 3.1.1) in-process over TLS with client certificates, standing in for
 * IoT Core's message broker.
 *
 * - TLS: the local CA's server certificate; clients must present a certificate the local CA issued.
 * - CONNECT, PUBLISH, SUBSCRIBE and delivery are authorized with the cloud's IoT policy document (see
 *   `authorizer.ts`); a denied CONNECT gets CONNACK "not authorized", a denied PUBLISH closes the connection
 *   (MQTT 3.1.1 has no negative PUBACK; IoT Core disconnects too), a denied SUBSCRIBE gets the failure code.
 * - IoT Core's limits (`iot-core-limits.ts`): 128 KB payloads, no QoS 2, 100 publishes a second and 100
 *   unacknowledged publishes per connection, keep-alive 30-1,200 s (`connection-guard.ts` reads packet headers
 *   before aedes buffers a packet).
 * - Connection hygiene: a TLS handshake and a CONNECT that do not complete in time close the socket; a total
 *   below the file-descriptor limit and per-source limits refuse new sockets (`connection-limits.ts`), counted
 *   by cause; `close()` destroys every socket, whatever state it is in.
 * - Durability: aedes writes a QoS 1 PUBACK *before* it hands the message on (lib/handlers/publish.js,
 *   `enqueuePublish`), so the message is made durable in `authorizePublish`, which runs first: the ingest
 *   log's fsync completes before the hook allows the publish, hence before any PUBACK.
 */
import type * as net from "node:net";
import * as tls from "node:tls";
import { listenLocally } from "../listen";
import { Aedes, type AuthenticateError, type Client } from "aedes";
import type { IotPolicyDocument, IotPolicyScope } from "../../components/iot/iot-policy";
import type { LocalPki } from "../pki";
import type { IngestPipeline } from "../lake/ingest-pipeline";
import { ConnectionAuthorizer, connectionContext } from "./authorizer";
import { MqttConnectionGuard, type GuardViolation } from "./connection-guard";
import {
  ConnectionAdmission,
  connectionLimits,
  fileDescriptorLimit,
  type ConnectionLimits,
  type RefusalCause,
} from "./connection-limits";
import {
  CONNECT_TIMEOUT_MS,
  HANDSHAKE_TIMEOUT_MS,
  KEEPALIVE_SECONDS,
  MAX_INFLIGHT_INBOUND,
  MAX_PACKET_BYTES,
  MAX_PAYLOAD_BYTES,
  PUBLISHES_PER_SECOND_PER_CONNECTION,
} from "./iot-core-limits";

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
  /** @default limits from the file-descriptor limit (see `connectionLimits`) */
  readonly connectionLimits?: ConnectionLimits;
  /** @default HANDSHAKE_TIMEOUT_MS */
  readonly handshakeTimeoutMs?: number;
  /** @default CONNECT_TIMEOUT_MS */
  readonly connectTimeoutMs?: number;
  /** @default PUBLISHES_PER_SECOND_PER_CONNECTION */
  readonly publishesPerSecond?: number;
  /** Where the first refusal of each kind is logged (all of them are counted in {@link BrokerStats}). */
  readonly log?: (line: string) => void;
}

export interface BrokerStats {
  connected: number;
  connects: number;
  connectsDenied: number;
  publishesDenied: number;
  subscribesDenied: number;
  /** TLS handshakes that failed, by cause (timeout, a certificate refused, a reset, other). */
  tlsFailures: Record<TlsFailureCause, number>;
  /** Sockets refused before the handshake, by the limit they hit (`acceptErrors`: accept failed, e.g. EMFILE). */
  refusedConnections: Record<RefusalCause | "acceptErrors", number>;
  /** Connections closed for sending no CONNECT in time, or nothing within 1.5 keep-alives. */
  connectTimeouts: number;
  keepaliveTimeouts: number;
  /** Connections closed for a payload or packet over IoT Core's 128 KB. */
  oversizedPayloads: number;
  /** Connections closed for a QoS 2 PUBLISH or SUBSCRIBE. */
  qos2Attempts: number;
  /** Times a connection waited for its publish rate or its unacknowledged publishes. */
  throttled: { rate: number; inflight: number };
  /** Last denial, for the dashboard: who, what, why. */
  lastDenial: string | null;
}

export type TlsFailureCause = "handshakeTimeout" | "certificate" | "reset" | "other";

/** CONNACK return code 5 (MQTT 3.1.1): not authorized. */
const NOT_AUTHORIZED = 5;

export class LocalBroker {
  readonly stats: BrokerStats = {
    connected: 0,
    connects: 0,
    connectsDenied: 0,
    publishesDenied: 0,
    subscribesDenied: 0,
    tlsFailures: { handshakeTimeout: 0, certificate: 0, reset: 0, other: 0 },
    refusedConnections: { total: 0, perSource: 0, pendingPerSource: 0, acceptErrors: 0 },
    connectTimeouts: 0,
    keepaliveTimeouts: 0,
    oversizedPayloads: 0,
    qos2Attempts: 0,
    throttled: { rate: 0, inflight: 0 },
    lastDenial: null,
  };
  private readonly authorizers = new WeakMap<Client, ConnectionAuthorizer>();
  /** Every socket accepted and not closed yet (closed by `close()`, whatever its state). */
  private readonly sockets = new Set<net.Socket>();
  /** Connections not established yet, by `address:port`. */
  private readonly pending = new Set<string>();
  private admission: ConnectionAdmission | undefined;
  private readonly noted = new Set<string>();
  private aedes: Aedes | undefined;
  private server: tls.Server | undefined;

  constructor(private readonly options: LocalBrokerOptions) {}

  /** Starts listening; resolves with the port. */
  async start(): Promise<number> {
    const { pki, ingest, now } = this.options;
    const aedes = await Aedes.createBroker({
      connectTimeout: this.options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
      authenticate: (client, _username, _password, done) => {
        const socket = (client.conn as unknown as MqttConnectionGuard).socket;
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
        this.established(socket);
        done(null, true);
      },
      preConnect: (_client, packet, done) => {
        // IoT Core's keep-alive: below 30 s counts as 30, 0 and above 1,200 as 1,200.
        const asked = packet.keepalive ?? 0;
        packet.keepalive =
          asked === 0
            ? KEEPALIVE_SECONDS.max
            : Math.min(KEEPALIVE_SECONDS.max, Math.max(KEEPALIVE_SECONDS.min, asked));
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
        const guard = client.conn as unknown as MqttConnectionGuard;
        const acknowledge = (error: Error | null) => {
          if (packet.qos === 1) guard.acknowledged();
          callback(error);
        };
        if (payload.length > MAX_PAYLOAD_BYTES) {
          this.refuse(guard, "oversized", `a payload of ${payload.length} bytes from ${client.id}`);
          return acknowledge(new Error(`payload over ${MAX_PAYLOAD_BYTES} bytes`));
        }
        ingest.ingest({ topic: packet.topic, payload, receivedAt: Math.floor(now()) }, acknowledge);
      },
      authorizeSubscribe: (client, subscription, callback) => {
        if (subscription.qos === 2) {
          this.stats.qos2Attempts++;
          this.stats.lastDenial = `subscribe of ${client.id} to ${subscription.topic} with QoS 2 (IoT Core supports QoS 0 and 1)`;
          this.note("QoS 2 attempts", this.stats.lastDenial);
          return callback(new Error(this.stats.lastDenial), null);
        }
        const decision = this.authorizers
          .get(client)
          ?.decide({ action: "iot:Subscribe", topicFilter: subscription.topic });
        if (!decision?.allowed) {
          this.stats.subscribesDenied++;
          this.stats.lastDenial = `subscribe of ${client.id} to ${subscription.topic}: ${decision?.outcome ?? "no session"}`;
          this.note("refused subscriptions", `refused ${this.stats.lastDenial}`);
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
    aedes.on("connectionError", (_client, error) => {
      if (!/connect did not arrive in time/.test(error.message)) return;
      this.stats.connectTimeouts++;
      this.note("CONNECT timeouts", "closed a connection that sent no CONNECT in time");
    });
    aedes.on("keepaliveTimeout", () => this.stats.keepaliveTimeouts++);
    this.aedes = aedes;

    const server = tls.createServer(
      {
        key: pki.server.privateKeyPem,
        cert: pki.server.certificatePem,
        ca: [pki.ca.certificatePem],
        requestCert: true,
        rejectUnauthorized: true,
        minVersion: "TLSv1.2",
        handshakeTimeout: this.options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS,
      },
      (socket) => this.serve(aedes, socket),
    );
    this.admit(server);
    server.on("tlsClientError", (error: NodeJS.ErrnoException, socket) => {
      // Node leaves the socket open after a failed or timed-out handshake while this listener exists.
      socket.destroy();
      const cause: TlsFailureCause =
        error.code === "ERR_TLS_HANDSHAKE_TIMEOUT"
          ? "handshakeTimeout"
          : error.code === "ECONNRESET"
            ? "reset"
            : /certificate/i.test(error.message)
              ? "certificate"
              : "other";
      this.stats.tlsFailures[cause]++;
      this.note(`TLS ${cause} failures`, `TLS handshake failed (${cause}): ${error.message}`);
    });
    this.server = server;
    return listenLocally(server, {
      what: "the broker",
      host: this.options.host ?? "127.0.0.1",
      port: this.options.port ?? 8883,
      portOption: "--mqtt-port",
      // From now on an accept that fails (EMFILE, ENFILE) is counted; the server keeps listening.
      onAcceptError: (err) => {
        this.stats.refusedConnections.acceptErrors++;
        this.note("accept errors", `could not accept a connection: ${err.message}`);
      },
    });
  }

  /** The limits in force (for the summary and tests). */
  get limits(): ConnectionLimits | undefined {
    return this.admission?.limits;
  }

  /** Stops accepting connections and closes every client, and every socket still in its handshake. */
  async close(): Promise<void> {
    const server = this.server;
    const aedes = this.aedes;
    this.server = undefined;
    this.aedes = undefined;
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Puts admission in front of the TLS server's own connection listener. */
  private admit(server: tls.Server): void {
    const admission = new ConnectionAdmission(
      this.options.connectionLimits ?? connectionLimits(fileDescriptorLimit()),
    );
    this.admission = admission;
    const startTls = server.listeners("connection") as ((socket: net.Socket) => void)[];
    server.removeAllListeners("connection");
    server.on("connection", (socket: net.Socket) => {
      const source = socket.remoteAddress ?? "unknown";
      const key = `${source}:${socket.remotePort}`;
      const refusal = admission.admit(source);
      if (refusal) {
        this.stats.refusedConnections[refusal]++;
        this.note(`${refusal} refusals`, `refused a connection from ${source}: ${refusal} limit reached`);
        socket.destroy();
        return;
      }
      this.sockets.add(socket);
      this.pending.add(key);
      socket.once("close", () => {
        this.sockets.delete(socket);
        admission.closed(source, this.pending.delete(key));
      });
      for (const listener of startTls) listener.call(server, socket);
    });
  }

  /** A connection whose CONNECT was accepted no longer counts against its source's pending ones. */
  private established(socket: tls.TLSSocket): void {
    const key = `${socket.remoteAddress}:${socket.remotePort}`;
    if (this.pending.delete(key)) this.admission?.established(socket.remoteAddress ?? "unknown");
  }

  /** Hands a TLS connection to aedes behind IoT Core's per-connection limits. */
  private serve(aedes: Aedes, socket: tls.TLSSocket): void {
    const guard = new MqttConnectionGuard(socket, {
      maxPacketBytes: MAX_PACKET_BYTES,
      publishesPerSecond: this.options.publishesPerSecond ?? PUBLISHES_PER_SECOND_PER_CONNECTION,
      maxInflight: MAX_INFLIGHT_INBOUND,
    });
    guard.onViolation = (kind, detail) => this.count(kind, `${detail} from ${socket.remoteAddress}`);
    guard.onThrottled = (reason) => this.stats.throttled[reason]++;
    aedes.handle(guard as unknown as net.Socket);
  }

  private refuse(guard: MqttConnectionGuard, kind: GuardViolation, detail: string): void {
    this.count(kind, detail);
    guard.destroy();
  }

  private count(kind: GuardViolation, detail: string): void {
    if (kind === "oversized") this.stats.oversizedPayloads++;
    else this.stats.qos2Attempts++;
    this.stats.lastDenial = `connection closed: ${detail}`;
    this.note(kind, this.stats.lastDenial);
  }

  /** Logs the first event of a kind; the rest are counted. */
  private note(kind: string, line: string): void {
    if (this.noted.has(kind)) return;
    this.noted.add(kind);
    this.options.log?.(`broker: ${line} (further ${kind} are counted in the run summary)`);
  }
}
