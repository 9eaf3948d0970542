/**
 * AWS IoT Core through the AWS IoT Device SDK v2 (aws-iot-device-sdk-v2, on the AWS Common Runtime): MQTT 5 by
 * default, MQTT 3.1.1 on request, mutual TLS with the device's certificate, client ID = thing name. The SDK's
 * own reconnect is used (full jitter, 1 s to 30 s, as {@link DEFAULT_BACKOFF}); the fleet's rate limiter gates
 * the first connection attempt of each device, which is where a fleet's connection storm happens.
 * Any MQTT 5 / 3.1.1 broker with mutual TLS works too, which is how this transport is tested (mosquitto).
 */
import { iot, mqtt, mqtt5 } from "aws-iot-device-sdk-v2";
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

export class IotSdkTransport implements Transport {
  readonly description: string;
  /** One CRT client (event loop group, host resolver) for all MQTT 3.1.1 connections. */
  private sharedMqtt311Client: mqtt.MqttClient | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly caCertPem: string,
  ) {
    this.description = `aws-iot-device-sdk-v2 mqtts://${host}:${port}`;
  }

  connection(options: ConnectionOptions, listener: ConnectionListener): DeviceConnection {
    if (!options.credentials) {
      throw new Error(
        `${options.clientId} has no certificate: IoT Core needs mutual TLS (or provisioning by claim)`,
      );
    }
    if (options.protocol === "5")
      return new Mqtt5Connection(this.host, this.port, this.caCertPem, options, listener);
    this.sharedMqtt311Client ??= new mqtt.MqttClient();
    return new Mqtt311Connection(
      this.sharedMqtt311Client,
      this.host,
      this.port,
      this.caCertPem,
      options,
      listener,
    );
  }
}

class Mqtt5Connection implements DeviceConnection {
  private client: mqtt5.Mqtt5Client | undefined;
  private sessionUp = false;
  private stopping = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly caCertPem: string,
    private readonly options: ConnectionOptions,
    private readonly listener: ConnectionListener,
  ) {}

  get connected(): boolean {
    return this.sessionUp;
  }

  start(): void {
    void this.options.beforeConnect().then(() => {
      if (this.stopping) return;
      this.client = this.createClient();
      this.client.start();
    });
  }

  private createClient(): mqtt5.Mqtt5Client {
    const { options } = this;
    const credentials = options.credentials as NonNullable<ConnectionOptions["credentials"]>;
    const builder = iot.AwsIotMqtt5ClientConfigBuilder.newDirectMqttBuilderWithMtlsFromMemory(
      this.host,
      credentials.certificatePem,
      credentials.privateKeyPem,
    );
    builder.withPort(this.port);
    builder.withCertificateAuthority(this.caCertPem);
    builder.withConnectProperties({
      clientId: options.clientId,
      keepAliveIntervalSeconds: options.keepaliveSeconds,
    });
    builder.withSessionBehavior(mqtt5.ClientSessionBehavior.Clean);
    builder.withRetryJitterMode(mqtt5.RetryJitterType.Full);
    builder.withMinReconnectDelayMs(options.backoff.minMs);
    builder.withMaxReconnectDelayMs(options.backoff.maxMs);
    builder.withConnackTimeoutMs(options.connectTimeoutMs);
    // Unacknowledged QoS 1 publishes are kept and sent again after a reconnect (the device layer also re-queues
    // anything the client fails, so a reading is never dropped on a disconnect).
    builder.withOfflineQueueBehavior(mqtt5.ClientOperationQueueBehavior.FailNonQos1PublishOnDisconnect);
    const client = new mqtt5.Mqtt5Client(builder.build());
    client.on("connectionSuccess", () => {
      this.sessionUp = true;
      this.listener.connected();
    });
    client.on("connectionFailure", (event) => {
      if (!this.stopping) this.listener.connectFailed(event.error.toString());
    });
    client.on("disconnection", (event) => {
      const wasUp = this.sessionUp;
      this.sessionUp = false;
      if (wasUp && !this.stopping) this.listener.disconnected(event.error.toString());
    });
    client.on("messageReceived", (event) => {
      const payload = event.message.payload;
      this.listener.message?.(event.message.topicName, toBuffer(payload));
    });
    client.on("error", (error) => this.listener.error?.(error.toString()));
    return client;
  }

  publish(topic: string, payload: string, qos: Qos, done: PublishCallback): void {
    const client = this.client;
    if (!client) {
      done(new PublishError("not connected", true));
      return;
    }
    client
      .publish({ topicName: topic, payload, qos: qos === 1 ? mqtt5.QoS.AtLeastOnce : mqtt5.QoS.AtMostOnce })
      .then(
        (result) => {
          const code = result?.reasonCode ?? 0;
          // 0x10 "no matching subscribers" is a success (MQTT 5, 3.4.2.1).
          if (code >= 0x80)
            done(
              new PublishError(
                `broker refused the publish (PUBACK reason code 0x${code.toString(16)})`,
                false,
              ),
            );
          else done(undefined);
        },
        (err: unknown) => done(new PublishError(String(err), true)),
      );
  }

  async subscribe(topicFilter: string, qos: Qos): Promise<void> {
    const client = this.client;
    if (!client) throw new Error(`${this.options.clientId} is not connected`);
    const suback = await client.subscribe({
      subscriptions: [{ topicFilter, qos: qos === 1 ? mqtt5.QoS.AtLeastOnce : mqtt5.QoS.AtMostOnce }],
    });
    const code = suback.reasonCodes[0] ?? 0x80;
    if (code >= 0x80)
      throw new Error(`subscription to ${topicFilter} refused (reason code 0x${code.toString(16)})`);
  }

  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    const client = this.client;
    if (!client) return;
    const stopped = new Promise<void>((resolve) => client.once("stopped", () => resolve()));
    client.stop();
    await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
    this.sessionUp = false;
    client.close();
  }
}

class Mqtt311Connection implements DeviceConnection {
  private connection: mqtt.MqttClientConnection | undefined;
  private sessionUp = false;
  private stopping = false;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: mqtt.MqttClient,
    private readonly host: string,
    private readonly port: number,
    private readonly caCertPem: string,
    private readonly options: ConnectionOptions,
    private readonly listener: ConnectionListener,
  ) {}

  get connected(): boolean {
    return this.sessionUp;
  }

  start(): void {
    void this.connectWhenAllowed();
  }

  /**
   * The 3.1.1 client reconnects by itself only after a first success, so the first connection is retried
   * here, with the same backoff.
   */
  private async connectWhenAllowed(): Promise<void> {
    await this.options.beforeConnect();
    if (this.stopping) return;
    this.connection ??= this.createConnection();
    try {
      await this.connection.connect();
    } catch (err) {
      if (this.stopping) return;
      this.listener.connectFailed(String(err));
      this.retryTimer = setTimeout(
        () => void this.connectWhenAllowed(),
        backoffDelayMs(this.options.backoff, this.attempt++),
      );
    }
  }

  private createConnection(): mqtt.MqttClientConnection {
    const { options } = this;
    const credentials = options.credentials as NonNullable<ConnectionOptions["credentials"]>;
    const config = iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder(
      credentials.certificatePem,
      credentials.privateKeyPem,
    )
      .with_certificate_authority(this.caCertPem)
      .with_endpoint(this.host)
      .with_port(this.port)
      .with_client_id(options.clientId)
      .with_clean_session(true)
      .with_keep_alive_seconds(options.keepaliveSeconds)
      .with_timeout_ms(options.connectTimeoutMs)
      .with_reconnect_min_sec(Math.max(1, Math.round(options.backoff.minMs / 1000)))
      .with_reconnect_max_sec(Math.max(1, Math.round(options.backoff.maxMs / 1000)))
      .build();
    const connection = this.client.new_connection(config);
    connection.on("connection_success", () => {
      this.attempt = 0;
      this.sessionUp = true;
      this.listener.connected();
    });
    connection.on("interrupt", (error) => {
      this.sessionUp = false;
      if (!this.stopping) this.listener.disconnected(error.toString());
    });
    connection.on("message", (topic, payload) => this.listener.message?.(topic, toBuffer(payload)));
    connection.on("error", (error) => this.listener.error?.(error.toString()));
    return connection;
  }

  publish(topic: string, payload: string, qos: Qos, done: PublishCallback): void {
    const connection = this.connection;
    if (!connection) {
      done(new PublishError("not connected", true));
      return;
    }
    connection.publish(topic, payload, qos === 1 ? mqtt.QoS.AtLeastOnce : mqtt.QoS.AtMostOnce).then(
      () => done(undefined),
      (err: unknown) => done(new PublishError(String(err), true)),
    );
  }

  async subscribe(topicFilter: string, qos: Qos): Promise<void> {
    const connection = this.connection;
    if (!connection) throw new Error(`${this.options.clientId} is not connected`);
    const granted = await connection.subscribe(
      topicFilter,
      qos === 1 ? mqtt.QoS.AtLeastOnce : mqtt.QoS.AtMostOnce,
    );
    if (granted.error_code || (granted.qos as number) >= 0x80) {
      throw new Error(`subscription to ${topicFilter} refused (code ${granted.error_code ?? granted.qos})`);
    }
  }

  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const connection = this.connection;
    if (!connection) return;
    await Promise.race([
      connection.disconnect().catch(() => undefined),
      new Promise((resolve) => setTimeout(resolve, timeoutMs).unref()),
    ]);
    this.sessionUp = false;
  }
}

function toBuffer(payload: unknown): Buffer {
  if (payload === undefined || payload === null) return Buffer.alloc(0);
  if (Buffer.isBuffer(payload)) return payload;
  if (payload instanceof ArrayBuffer) return Buffer.from(payload);
  if (ArrayBuffer.isView(payload)) return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  return Buffer.from(String(payload));
}
