/**
 * A sensor that is online only during some windows of the run (a load profile): samples scheduled outside
 * them are skipped, not taken, so `seq` stays contiguous for a receiver (0, 1, 2, ... across windows), `ts`
 * stays on the device's schedule, and the model's drift simply covers the gap when the device comes back.
 */
import type { AnomalyLabel } from "./anomalies";
import type { ReadingSource, Sample } from "./source";

/** A source that can skip ahead without taking samples ({@link SimulatedSensor}). */
export interface SkippableSource extends ReadingSource {
  skipTo(ts: number): void;
}

/** An online window in simulated time (ms since epoch), half-open `[start, end)`. */
export interface TimeWindow {
  readonly start: number;
  readonly end: number;
}

export class WindowedSource implements ReadingSource {
  private window = 0;

  /** @param windows sorted, disjoint */
  constructor(
    private readonly inner: SkippableSource,
    private readonly windows: readonly TimeWindow[],
  ) {}

  get deviceId(): string {
    return this.inner.deviceId;
  }

  get roomId(): string {
    return this.inner.roomId;
  }

  nextTs(): number | undefined {
    for (;;) {
      const ts = this.inner.nextTs();
      if (ts === undefined) return undefined;
      while (this.window < this.windows.length && ts >= (this.windows[this.window] as TimeWindow).end)
        this.window++;
      const current = this.windows[this.window];
      if (!current) return undefined;
      if (ts >= current.start) return ts;
      this.inner.skipTo(current.start);
    }
  }

  take(): Sample {
    if (this.nextTs() === undefined) throw new Error(`sensor ${this.deviceId} has no more samples`);
    return this.inner.take();
  }

  close(): AnomalyLabel | undefined {
    return this.inner.close();
  }
}
