/**
 * Any MQTT broker through MQTT.js: `mqtt://` (plain) or `mqtts://` (TLS, with a client certificate when the
 * device has one). MQTT.js's own reconnect timer is fixed-period, so reconnects are driven here with
 * exponential backoff and jitter; MQTT.js's outgoing store is kept across reconnects, so QoS 1 messages that
 * were in flight when the connection dropped are sent again (as duplicates, if the broker had them already).
 */
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { backoffDelayMs } from "../runtime/backoff";
import {
  PublishError,
  type ConnectionListener,
  type ConnectionOptions,
  type DeviceConnection,
  type PublishCallback,
  type Qos,
  type Transport,
} from "./transport";

/** Publish options, shared by every publish (MQTT.js copies them): one allocation less per reading. */
const QOS_0 = { qos: 0 } as const;
const QOS_1 = { qos: 1 } as const;

/** MQTT.js to one broker URL. */
export class MqttJsTransport implements Transport {
  readonly description: string;

  /**
   * @param url `mqtt://host:port` or `mqtts://host:port`
   * @param caCertPem CA of the broker's certificate for `mqtts://`. @default - Node's bundled root CAs
   */
  constructor(
    private readonly url: string,
    private readonly caCertPem?: string,
  ) {
    this.description = `mqtt.js ${url}`;
  }

  connection(options: ConnectionOptions, listener: ConnectionListener): DeviceConnection {
    return new MqttJsConnection(this.url, this.caCertPem, options, listener);
  }
}

class MqttJsConnection implements DeviceConnection {
  private client: MqttClient | undefined;
  private attempt = 0;
  private stopping = false;
  private sessionUp = false;
  private lastError: string | undefined;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: string,
    private readonly caCertPem: string | undefined,
    private readonly options: ConnectionOptions,
    private readonly listener: ConnectionListener,
  ) {}

  get connected(): boolean {
    return this.sessionUp;
  }

  start(): void {
    void this.connectWhenAllowed();
  }

  private async connectWhenAllowed(): Promise<void> {
    await this.options.beforeConnect();
    if (this.stopping) return;
    const client = this.client;
    if (!client) {
      this.client = this.createClient();
      this.client.connect();
    } else {
      // Passing the current stores keeps unacknowledged QoS 1 messages; reconnect() without them starts empty.
      client.reconnect({ incomingStore: client.incomingStore, outgoingStore: client.outgoingStore });
    }
  }

  private createClient(): MqttClient {
    const { options } = this;
    const clientOptions: IClientOptions = {
      clientId: options.clientId,
      protocolVersion: options.protocol === "5" ? 5 : 4,
      clean: true,
      keepalive: options.keepaliveSeconds,
      connectTimeout: options.connectTimeoutMs,
      reconnectPeriod: 0,
      manualConnect: true,
      resubscribe: false,
      queueQoSZero: false,
      rejectUnauthorized: true,
      ...(this.caCertPem ? { ca: this.caCertPem } : {}),
      ...(options.credentials
        ? { cert: options.credentials.certificatePem, key: options.credentials.privateKeyPem }
        : {}),
    };
    const client = mqtt.connect(this.url, clientOptions);
    client.on("connect", () => {
      this.attempt = 0;
      this.sessionUp = true;
      this.listener.connected();
    });
    client.on("error", (err) => {
      // aedes (and other 3.1.1-only brokers) refuse an MQTT 5 CONNECT this way; say what to do about it.
      const hint =
        options.protocol === "5" &&
        /unacceptable protocol version|unsupported protocol version/i.test(err.message)
          ? " (the broker does not speak MQTT 5: use --protocol 3.1.1)"
          : "";
      this.lastError = `${err.message}${hint}`;
    });
    client.on("close", () => this.onClose());
    client.on("message", (topic, payload) => this.listener.message?.(topic, payload));
    return client;
  }

  private onClose(): void {
    const reason = this.lastError ?? "connection closed";
    this.lastError = undefined;
    const wasUp = this.sessionUp;
    this.sessionUp = false;
    if (this.stopping) return;
    if (wasUp) this.listener.disconnected(reason);
    else this.listener.connectFailed(reason);
    const delay = backoffDelayMs(this.options.backoff, this.attempt++);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.connectWhenAllowed();
    }, delay);
  }

  publish(topic: string, payload: string, qos: Qos, done: PublishCallback): void {
    const client = this.client;
    if (!client) {
      done(new PublishError("not connected", true));
      return;
    }
    client.publish(topic, payload, qos === 1 ? QOS_1 : QOS_0, (err) =>
      done(err ? toPublishError(err) : undefined),
    );
  }

  subscribe(topicFilter: string, qos: Qos): Promise<void> {
    const client = this.client;
    if (!client) return Promise.reject(new Error(`${this.options.clientId} is not connected`));
    return new Promise((resolve, reject) => {
      client.subscribe(topicFilter, { qos }, (err, granted) => {
        const code = granted?.[0]?.qos;
        if (err) reject(err);
        else if (code === undefined || code >= 0x80)
          reject(new Error(`subscription to ${topicFilter} refused (code ${code})`));
        else resolve();
      });
    });
  }

  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    if (!client) return;
    // end(false) waits for in-flight acknowledgements; past the timeout (broker gone), close the socket.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => client.end(true, {}, () => resolve()), timeoutMs);
      client.end(false, {}, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.sessionUp = false;
  }
}

/** A PUBACK reason code >= 0x80 (MQTT 5) is the broker's refusal; any other error is a lost connection. */
function toPublishError(err: Error): PublishError {
  const code = (err as Error & { code?: unknown }).code;
  if (typeof code === "number" && code >= 0x80) return new PublishError(err.message, false);
  return new PublishError(err.message, true);
}
