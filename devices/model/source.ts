/**
 * What the device runtime asks a sensor for: the time of its next sample and then the sample itself. A source
 * is a pure, deterministic generator (no clocks, no I/O); the runtime decides when in wall time to take it.
 */
import type { TelemetryPayload } from "../../components/telemetry/schema";
import type { AnomalyLabel } from "./anomalies";

/** One sample of a sensor. */
export interface Sample {
  /** Sample time (simulated, ms since epoch). */
  readonly ts: number;
  /** The reading to publish; `undefined` when the sensor sent nothing for this sample (a dropout). */
  readonly payload: TelemetryPayload | undefined;
  /** An injected anomaly whose window ended with this sample. */
  readonly finished: AnomalyLabel | undefined;
}

/** A stream of samples for one device. */
export interface ReadingSource {
  readonly deviceId: string;
  readonly roomId: string;
  /** Time of the next sample, or `undefined` when the source is exhausted (count, duration or data reached). */
  nextTs(): number | undefined;
  /** Takes the next sample; only call when {@link nextTs} is defined. */
  take(): Sample;
  /** Ends the stream early or at its end; returns the label of an anomaly still in progress, marked truncated. */
  close(): AnomalyLabel | undefined;
}

/** When a source stops. Both limits may be set; the first reached wins. */
export interface SourceLimits {
  /** Readings to publish (seq 0..count-1). */
  readonly count?: number;
  /** Sample times at or after this (simulated ms) are not taken. */
  readonly endTs?: number;
}
