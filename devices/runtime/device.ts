/**
 * One simulated device at run time: takes samples from its {@link ReadingSource} when the scheduler says so,
 * and delivers them over its {@link DeviceConnection} with QoS 1 semantics that survive a broker restart:
 * - readings wait in a bounded offline queue while disconnected (oldest dropped first when full, counted);
 * - at most `maxInFlight` readings are unacknowledged at once (IoT Core and brokers cap in-flight messages);
 * - a reading whose connection dropped before its PUBACK is queued again at the front and re-sent (a
 *   duplicate at worst), one the broker refused is counted as rejected and not retried.
 * Under a load profile a device also goes offline on purpose ({@link DeviceRunner.park}) once its readings are
 * acknowledged, and comes back with a new connection ({@link DeviceRunner.resume}); neither counts as a
 * disconnect or a reconnect.
 */
import type { AnomalyLabel } from "../model/anomalies";
import { payloadJson } from "../model/payload";
import type { ReadingSource } from "../model/source";
import type { ConnectionListener, DeviceConnection, PublishError, Qos } from "../transports/transport";
import type { SimClock } from "./clock";
import { Deque } from "./deque";
import type { ScheduledTask } from "./scheduler";
import type { FleetStats } from "./stats";

/** Wait before re-sending a reading whose publish failed while the connection still looked up, ms. */
const RETRY_DELAY_MS = 1_000;

/** A reading on its way to the broker. */
interface Outgoing {
  readonly seq: number;
  readonly json: string;
  /** Whether it was sent at least once (counted in `published`). */
  sent: boolean;
  /** performance.now() of the latest send, for the acknowledgement latency. */
  sentAt: number;
}

export interface DeviceRunnerOptions {
  readonly deviceId: string;
  readonly topic: string;
  readonly qos: Qos;
  /** Offline queue capacity, readings. */
  readonly queueSize: number;
  readonly maxInFlight: number;
  readonly stats: FleetStats;
  /** Receives every finished anomaly label. */
  readonly onLabel: (label: AnomalyLabel) => void;
}

export class DeviceRunner implements ConnectionListener, ScheduledTask {
  private connection: DeviceConnection | undefined;
  private source: ReadingSource | undefined;
  private clock: SimClock | undefined;
  private readonly queue = new Deque<Outgoing>();
  private inFlight = 0;
  private hasConnected = false;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Set by a publish that failed while the connection looked up: no sending until the retry timer. */
  private backingOff = false;
  /** Set when disconnecting at the end: nothing more is sent. */
  private stopped = false;
  /** A load profile took the device offline: it disconnects once nothing is pending. */
  private parkRequested = false;
  /** Offline on purpose (load profile); {@link resume} brings it back. */
  parked = false;
  /** The next `connected()` is a planned comeback, not a reconnect after a lost connection. */
  private resuming = false;
  /** `seq` of the last reading published (sent at least once); -1 before the first. */
  lastSeq = -1;
  /** Resolves when the first connection attempt has settled (connected or failed): ramp-up progress. */
  readonly firstAttempt: Promise<boolean>;
  private settleFirstAttempt: ((connected: boolean) => void) | undefined;

  constructor(private readonly options: DeviceRunnerOptions) {
    this.firstAttempt = new Promise((resolve) => (this.settleFirstAttempt = resolve));
  }

  get deviceId(): string {
    return this.options.deviceId;
  }

  /** Readings neither acknowledged nor given up on. */
  get pendingReadings(): number {
    return this.queue.length + this.inFlight;
  }

  get isConnected(): boolean {
    return this.connection?.connected === true;
  }

  /** Attaches the connection and starts connecting. */
  connect(connection: DeviceConnection): void {
    this.connection = connection;
    connection.start();
  }

  /** Whether the device gave up before connecting (provisioning by claim failed): it takes no samples. */
  abandoned = false;

  /** Marks the first attempt as failed without a connection (e.g. provisioning by claim failed). */
  abandon(): void {
    this.abandoned = true;
    this.settle(false);
  }

  /** Gives the device its samples; returns the wall time of its first sample, or `undefined` if it has none. */
  begin(source: ReadingSource, clock: SimClock): number | undefined {
    this.source = source;
    this.clock = clock;
    const ts = source.nextTs();
    return ts === undefined ? undefined : clock.wallAt(ts);
  }

  /** Scheduler callback: takes the sample that is due and hands the reading to the connection. */
  run(): number | undefined {
    const source = this.source as ReadingSource;
    const sample = source.take();
    if (sample.finished) this.options.onLabel(sample.finished);
    if (sample.payload) {
      this.enqueue({ seq: sample.payload.seq, json: payloadJson(sample.payload), sent: false, sentAt: 0 });
    } else {
      this.options.stats.dropoutSamples++;
    }
    const next = source.nextTs();
    this.parkIfIdle();
    return next === undefined ? undefined : (this.clock as SimClock).wallAt(next);
  }

  /** Ends the sample stream (labels an anomaly still in progress as truncated). */
  endSamples(): void {
    const label = this.source?.close();
    if (label) this.options.onLabel(label);
  }

  /** Readings still queued or unacknowledged, given up at shutdown. */
  abandonPending(): { unsent: number; unacknowledged: number } {
    const result = { unsent: this.queue.length, unacknowledged: this.inFlight };
    this.options.stats.queued -= this.queue.length;
    this.options.stats.inFlight -= this.inFlight;
    while (this.queue.length > 0) this.queue.shift();
    this.inFlight = 0;
    return result;
  }

  /**
   * Takes the device offline (a load profile's ramp-down): it disconnects cleanly as soon as every reading it
   * has is acknowledged. Sampling is the source's business (a windowed source takes no samples meanwhile).
   */
  park(): void {
    this.parkRequested = true;
    this.parkIfIdle();
  }

  /** Brings a parked (or parking) device back online; a parked one connects again with `connection`. */
  resume(connection: () => DeviceConnection): void {
    this.parkRequested = false;
    if (!this.parked || this.stopped) return;
    this.parked = false;
    this.resuming = true;
    this.connection = connection();
    this.connection.start();
  }

  private parkIfIdle(): void {
    if (!this.parkRequested || this.parked || this.stopped || this.pendingReadings > 0) return;
    // A sample of the window that the scheduler has not taken yet (it runs late under load) is still owed.
    const next = this.source?.nextTs();
    if (next !== undefined && this.clock && next <= this.clock.simNow()) return;
    this.parked = true;
    const connection = this.connection;
    this.connection = undefined;
    if (connection?.connected) this.options.stats.connected--;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.backingOff = false;
    void connection?.stop(2_000);
  }

  async disconnect(timeoutMs: number): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.connection?.stop(timeoutMs);
  }

  connected(): void {
    const { stats } = this.options;
    this.backingOff = false;
    stats.connected++;
    if (this.resuming) {
      this.resuming = false;
    } else if (this.hasConnected) {
      stats.reconnects++;
      // The client library sends unacknowledged QoS 1 publishes again on reconnect (the broker may have them).
      stats.resent += this.inFlight;
    } else {
      this.hasConnected = true;
      stats.everConnected++;
      this.settle(true);
    }
    this.pump();
  }

  disconnected(reason: string): void {
    this.options.stats.connected--;
    this.options.stats.disconnects++;
    this.options.stats.noteError("disconnect", `${this.options.deviceId}: ${reason}`);
  }

  error(message: string): void {
    this.options.stats.noteError("client", `${this.options.deviceId}: ${message}`);
  }

  connectFailed(reason: string): void {
    this.options.stats.connectFailures++;
    this.options.stats.noteError("connect", `${this.options.deviceId}: ${reason}`);
    this.settle(false);
  }

  private settle(connected: boolean): void {
    this.settleFirstAttempt?.(connected);
    this.settleFirstAttempt = undefined;
  }

  private enqueue(item: Outgoing): void {
    const { stats, queueSize } = this.options;
    if (this.queue.length >= queueSize) {
      this.queue.shift();
      stats.queued--;
      stats.dropped++;
      stats.noteError(
        "dropped",
        `${this.options.deviceId}: offline queue full (${queueSize} readings), oldest dropped`,
      );
    }
    this.queue.push(item);
    stats.queued++;
    this.pump();
  }

  private pump(): void {
    const connection = this.connection;
    if (!connection?.connected || this.backingOff || this.stopped) return;
    const { stats, maxInFlight } = this.options;
    // A publish can fail synchronously (a client that is closing); backingOff then ends this loop.
    while (this.inFlight < maxInFlight && this.queue.length > 0 && !this.backingOff) {
      const item = this.queue.shift() as Outgoing;
      stats.queued--;
      this.send(connection, item);
    }
  }

  private send(connection: DeviceConnection, item: Outgoing): void {
    const { stats, qos } = this.options;
    if (item.sent) {
      stats.resent++;
    } else {
      item.sent = true;
      stats.published++;
      if (item.seq > this.lastSeq) this.lastSeq = item.seq;
    }
    this.inFlight++;
    stats.inFlight++;
    item.sentAt = performance.now();
    connection.publish(this.options.topic, item.json, qos, (error) => this.settlePublish(item, error));
  }

  private retryLater(): void {
    this.backingOff = true;
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.backingOff = false;
      this.pump();
    }, RETRY_DELAY_MS);
    this.retryTimer.unref();
  }

  private settlePublish(item: Outgoing, error: PublishError | undefined): void {
    const { stats } = this.options;
    // abandonPending() may have zeroed the counters at shutdown; late callbacks must not drive them negative.
    if (this.inFlight === 0) return;
    this.inFlight--;
    stats.inFlight--;
    if (!error) {
      stats.acknowledged++;
      if (this.options.qos === 1) stats.ackLatency.record(performance.now() - item.sentAt);
    } else if (error.retryable) {
      this.queue.unshift(item);
      stats.queued++;
      stats.noteError("retry", `${this.options.deviceId} seq ${item.seq}: ${error.message}`);
      // Not straight away: a connection that still claims to be up while failing publishes would spin.
      this.retryLater();
      return;
    } else {
      stats.rejected++;
      stats.noteError("rejected", `${this.options.deviceId} seq ${item.seq}: ${error.message}`);
    }
    this.pump();
    this.parkIfIdle();
  }
}
