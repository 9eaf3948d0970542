/**
 * A simulated sensor: the base signal of {@link SensorModel} on a fixed sampling schedule, passed through the
 * {@link AnomalyInjector}. Deterministic in (seed, thing name, room, start, interval, anomaly config): the
 * scheduler's timing, sharding and the transport never change what a device sends.
 */
import { Prng } from "../prng";
import { AnomalyInjector, type AnomalyConfig, type AnomalyLabel } from "./anomalies";
import { buildPayload } from "./payload";
import { roomClimate, SensorModel, sensorProfile, type RoomClimate } from "./sensor-model";
import type { ReadingSource, Sample, SourceLimits } from "./source";

export interface SimulatedSensorOptions {
  readonly seed: string;
  readonly deviceId: string;
  readonly roomId: string;
  /** Simulated start of the run (ms since epoch); the first sample falls within one interval after it. */
  readonly startTs: number;
  /** Sampling interval (simulated ms). */
  readonly intervalMs: number;
  readonly anomalies: AnomalyConfig;
  readonly limits: SourceLimits;
  /** The room's climate, when the caller shares one object between a room's sensors. @default - drawn from the seed */
  readonly climate?: RoomClimate;
}

/**
 * Offset of a device's first sample after the start, in [0, interval): devices that all started at once
 * would otherwise publish in lockstep, which no real fleet does and which makes load spiky.
 */
export function samplingPhaseMs(seed: string, deviceId: string, intervalMs: number): number {
  return Math.floor(new Prng(seed, `phase/${deviceId}`).next() * intervalMs);
}

export class SimulatedSensor implements ReadingSource {
  readonly deviceId: string;
  readonly roomId: string;
  private readonly model: SensorModel;
  private readonly injector: AnomalyInjector;
  private readonly firstTs: number;
  private readonly intervalMs: number;
  private readonly limits: SourceLimits;
  private step = 0;
  private seq = 0;
  private lastPublishedC: number | undefined;
  private closed = false;

  constructor(options: SimulatedSensorOptions) {
    this.deviceId = options.deviceId;
    this.roomId = options.roomId;
    this.intervalMs = options.intervalMs;
    this.limits = options.limits;
    this.firstTs = options.startTs + samplingPhaseMs(options.seed, options.deviceId, options.intervalMs);
    const climate = options.climate ?? roomClimate(options.seed, options.roomId);
    this.model = new SensorModel(
      options.seed,
      options.deviceId,
      climate,
      sensorProfile(options.seed, options.deviceId),
      this.firstTs,
    );
    this.injector = new AnomalyInjector(options.seed, options.deviceId, options.roomId, options.anomalies);
  }

  nextTs(): number | undefined {
    if (this.closed) return undefined;
    if (this.limits.count !== undefined && this.seq >= this.limits.count) return undefined;
    const ts = this.firstTs + this.step * this.intervalMs;
    if (this.limits.endTs !== undefined && ts >= this.limits.endTs) return undefined;
    return ts;
  }

  /**
   * Skips the samples scheduled before `ts` without taking them (a device that is offline under a load
   * profile): no reading, no `seq`, no anomaly step. The model's drift still covers the gap when sampling resumes.
   */
  skipTo(ts: number): void {
    const step = Math.ceil((ts - this.firstTs) / this.intervalMs);
    if (step > this.step) this.step = step;
  }

  take(): Sample {
    const ts = this.nextTs();
    if (ts === undefined) throw new Error(`sensor ${this.deviceId} has no more samples`);
    this.step++;
    const base = this.model.sample(ts);
    const injected = this.injector.apply(
      ts,
      base.temperatureC,
      this.lastPublishedC,
      this.seq,
      this.remainingSamples(ts),
    );
    if (injected.temperatureC === undefined) return { ts, payload: undefined, finished: injected.finished };
    const payload = buildPayload(this.deviceId, this.roomId, ts, this.seq++, injected.temperatureC, base);
    this.lastPublishedC = payload.temperature_c;
    return { ts, payload, finished: injected.finished };
  }

  /** Samples left from `ts` on (this one included) when the run's end is known, else Infinity. */
  private remainingSamples(ts: number): number {
    const { count, endTs } = this.limits;
    const byTime = endTs === undefined ? Infinity : Math.ceil((endTs - ts) / this.intervalMs);
    // `count` limits published readings; a dropout publishes none, so this is a lower bound, as it should be.
    const byCount = count === undefined ? Infinity : count - this.seq;
    return Math.min(byTime, byCount);
  }

  close(): AnomalyLabel | undefined {
    this.closed = true;
    return this.injector.finish();
  }
}
