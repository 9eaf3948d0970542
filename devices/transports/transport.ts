/**
 * The seam between a simulated device and an MQTT client library. One {@link DeviceConnection} per device (as
 * on IoT Core: one connection per thing, client ID = thing name). Connections reconnect by themselves with the
 * given backoff and wait for the fleet's connect rate limiter before every attempt.
 */
import type { BackoffPolicy } from "../runtime/backoff";

export type Qos = 0 | 1;
export type MqttProtocol = "5" | "3.1.1";

/** A TLS client certificate and its key (PEM). */
export interface ClientCertificate {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

export interface ConnectionOptions {
  /** MQTT client ID: the thing name. */
  readonly clientId: string;
  readonly protocol: MqttProtocol;
  /** Client certificate for mutual TLS. @default - none (plain MQTT or server-authenticated TLS) */
  readonly credentials?: ClientCertificate;
  readonly backoff: BackoffPolicy;
  /** Awaited before every connection attempt: the fleet-wide connect rate limit. */
  readonly beforeConnect: () => Promise<void>;
  /** Give up an attempt (and back off) if CONNACK has not arrived by then, ms. */
  readonly connectTimeoutMs: number;
  readonly keepaliveSeconds: number;
}

/** What a connection tells its device. */
export interface ConnectionListener {
  /** Connected (first time or again). */
  connected(): void;
  /** An established connection was lost; the connection is already reconnecting. */
  disconnected(reason: string): void;
  /** An attempt failed before CONNACK; the connection will retry after a backoff. */
  connectFailed(reason: string): void;
  /** A message arrived on a subscription. */
  message?(topic: string, payload: Buffer): void;
  /** The client library reported an error outside a connection attempt (for the summary's errors). */
  error?(message: string): void;
}

/**
 * Why a publish did not complete. `retryable` is true when the connection went away before the broker
 * acknowledged (send it again: a duplicate at worst), false when the broker refused it (an ACL denial, a
 * quota): sending it again would be refused again.
 */
export class PublishError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = "PublishError";
  }
}

/** Called once per publish: without an error when the broker acknowledged it (QoS 1) or it was written (QoS 0). */
export type PublishCallback = (error: PublishError | undefined) => void;

export interface DeviceConnection {
  /** Whether an MQTT session is established right now. */
  readonly connected: boolean;
  /** Starts connecting (after the rate limiter); keeps reconnecting until {@link stop}. */
  start(): void;
  /**
   * Publishes one message. Callback style (not a Promise) because this is the hot path: at 10,000 devices a
   * promise per publish is measurable. Call only while {@link connected}.
   */
  publish(topic: string, payload: string, qos: Qos, done: PublishCallback): void;
  /** Subscribes (used by fleet provisioning); resolves on SUBACK. */
  subscribe(topicFilter: string, qos: Qos): Promise<void>;
  /** Disconnects cleanly (waiting up to `timeoutMs` for in-flight acknowledgements) and stops reconnecting. */
  stop(timeoutMs: number): Promise<void>;
}

/** Creates connections of one kind (MQTT.js to a URL, or the AWS IoT Device SDK to an endpoint). */
export interface Transport {
  /** For logs and the summary, e.g. `mqtt.js mqtts://127.0.0.1:8883`. */
  readonly description: string;
  connection(options: ConnectionOptions, listener: ConnectionListener): DeviceConnection;
}
