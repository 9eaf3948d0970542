/**
 * What aedes reads from a device passes through here first: a stream that follows the MQTT fixed headers (the
 * first byte and the remaining length of every packet) and applies IoT Core's per-connection limits before a
 * packet's bytes are buffered or parsed:
 *
 * - a packet announcing more than `maxPacketBytes` closes the connection at once (its body is never read);
 * - a PUBLISH with QoS 2 closes the connection (IoT Core does not support QoS 2);
 * - PUBLISH packets pass at most `publishesPerSecond` a second (a token bucket of that size); beyond, the
 *   connection is not read until a token is free (throttled, as IoT Core throttles);
 * - at most `maxInflight` QoS 1 PUBLISH packets wait for their PUBACK; beyond, the connection is not read
 *   until the broker acknowledges one ({@link MqttConnectionGuard.acknowledged}).
 *
 * Writes go straight to the socket. Pure of aedes: the broker wires it (`broker.ts`).
 */
import { Duplex } from "node:stream";
import type * as tls from "node:tls";

export interface GuardLimits {
  readonly maxPacketBytes: number;
  readonly publishesPerSecond: number;
  readonly maxInflight: number;
}

export type GuardViolation = "oversized" | "qos2";

const PUBLISH = 3;

/** Where the reader is in the byte stream. */
type ParseState =
  /** At a packet's first byte. */
  | { readonly at: "start" }
  /** Inside the remaining-length varint of a packet whose first byte was `first`. */
  | { readonly at: "length"; readonly first: number; length: number; shift: number; bytes: number }
  /** Inside a packet body: `remaining` bytes to go. */
  | { readonly at: "body"; remaining: number };

export class MqttConnectionGuard extends Duplex {
  /** Called once when a limit closes the connection. */
  onViolation: ((kind: GuardViolation, detail: string) => void) | undefined;
  /** Called each time a publish waits for a token or an acknowledgement. */
  onThrottled: ((reason: "rate" | "inflight") => void) | undefined;
  private state: ParseState = { at: "start" };
  private inflight = 0;
  private tokens: number;
  private refilledAt = performance.now();
  private held: Buffer | undefined;
  private wakeTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly socket: tls.TLSSocket,
    private readonly limits: GuardLimits,
  ) {
    super({ allowHalfOpen: false });
    this.tokens = limits.publishesPerSecond;
    socket.on("data", (chunk: Buffer) => this.inspect(chunk));
    socket.on("end", () => this.push(null));
    socket.on("error", (err) => this.destroy(err));
    socket.on("close", () => this.destroy());
  }

  /** The broker sent the PUBACK of one QoS 1 publish: one more may be read. */
  acknowledged(): void {
    if (this.inflight > 0) this.inflight--;
    if (this.held && this.inflight < this.limits.maxInflight) this.release();
  }

  override _read(): void {
    if (!this.held) this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    if (this.socket.write(chunk)) done();
    else this.socket.once("drain", () => done());
  }

  override _writev(chunks: { chunk: Buffer }[], done: (error?: Error | null) => void): void {
    this.socket.cork();
    let flushed = true;
    for (const { chunk } of chunks) flushed = this.socket.write(chunk);
    this.socket.uncork();
    if (flushed) done();
    else this.socket.once("drain", () => done());
  }

  override _final(done: (error?: Error | null) => void): void {
    this.socket.end(() => done());
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    clearTimeout(this.wakeTimer);
    this.held = undefined;
    this.socket.destroy();
    done(error);
  }

  /** Follows the packet boundaries of a chunk; passes on what is allowed and holds the rest. */
  private inspect(chunk: Buffer): void {
    if (this.destroyed) return;
    let i = 0;
    while (i < chunk.length) {
      const state = this.state;
      if (state.at === "body") {
        const take = Math.min(state.remaining, chunk.length - i);
        state.remaining -= take;
        i += take;
        if (state.remaining === 0) this.state = { at: "start" };
        continue;
      }
      if (state.at === "start") {
        const first = chunk[i]!;
        if (first >> 4 === PUBLISH) {
          const qos = (first >> 1) & 3;
          if (qos === 2) return this.violate("qos2", "a PUBLISH with QoS 2 (IoT Core supports QoS 0 and 1)");
          const wait = this.publishWait(qos);
          if (wait) {
            this.hold(chunk, i, wait);
            return;
          }
        }
        this.state = { at: "length", first, length: 0, shift: 0, bytes: 0 };
        i++;
        continue;
      }
      const byte = chunk[i++]!;
      state.length += (byte & 0x7f) * 2 ** state.shift;
      state.shift += 7;
      state.bytes++;
      if (byte & 0x80 && state.bytes < 4) continue;
      if (state.length > this.limits.maxPacketBytes)
        return this.violate(
          "oversized",
          `a packet of ${state.length} bytes (more than ${this.limits.maxPacketBytes}: IoT Core's 128 KB message size)`,
        );
      this.state = state.length === 0 ? { at: "start" } : { at: "body", remaining: state.length };
    }
    if (!this.push(chunk)) this.socket.pause();
  }

  /** Whether the publish starting now must wait, and for what. Takes its token and inflight slot otherwise. */
  private publishWait(qos: number): "rate" | "inflight" | undefined {
    const now = performance.now();
    const rate = this.limits.publishesPerSecond;
    this.tokens = Math.min(rate, this.tokens + ((now - this.refilledAt) * rate) / 1000);
    this.refilledAt = now;
    if (this.tokens < 1) return "rate";
    if (qos === 1 && this.inflight >= this.limits.maxInflight) return "inflight";
    this.tokens -= 1;
    if (qos === 1) this.inflight++;
    return undefined;
  }

  private hold(chunk: Buffer, at: number, reason: "rate" | "inflight"): void {
    if (at > 0) this.push(chunk.subarray(0, at));
    this.held = chunk.subarray(at);
    this.socket.pause();
    this.onThrottled?.(reason);
    if (reason === "rate") {
      const ms = Math.ceil(((1 - this.tokens) * 1000) / this.limits.publishesPerSecond);
      this.wakeTimer = setTimeout(() => this.release(), ms);
    }
  }

  private release(): void {
    const held = this.held;
    if (!held || this.destroyed) return;
    clearTimeout(this.wakeTimer);
    this.held = undefined;
    this.inspect(held);
    if (!this.held) this.socket.resume();
  }

  private violate(kind: GuardViolation, detail: string): void {
    this.onViolation?.(kind, detail);
    this.onViolation = undefined;
    this.destroy();
  }
}
