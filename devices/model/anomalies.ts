/**
 * Anomaly injection with ground truth. Each device has its own anomaly stream (separate from its signal
 * stream), so the same seed gives the same base readings with anomalies on or off, and every reading outside
 * a labelled window is exactly the reading the clean run would have sent. That is what lets a detector be
 * scored against the labels, and what the tests check.
 */
import { Prng } from "../prng";

/** The kinds of anomaly the simulator can inject, in the order `--help` lists them. */
export const ANOMALY_KINDS = ["spike", "level_shift", "drift", "stuck", "dropout", "noise_burst"] as const;
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];

/** Which anomalies to inject and how often. */
export interface AnomalyConfig {
  /** Probability that an anomaly starts at a given sample while none is active (0 turns injection off). */
  readonly rate: number;
  /** Kinds to draw from, uniformly. */
  readonly kinds: readonly AnomalyKind[];
}

/** No anomalies. */
export const NO_ANOMALIES: AnomalyConfig = { rate: 0, kinds: [] };

/**
 * One injected anomaly: a line of the labels file. Times are the `ts` of the affected readings (ms since
 * epoch, like the payload's `ts`), both ends inclusive.
 */
export interface AnomalyLabel {
  device_id: string;
  room_id: string;
  kind: AnomalyKind;
  /** `ts` of the first affected sample. */
  start: number;
  /** `ts` of the last affected sample. */
  end: number;
  /** `seq` of the first and last affected published readings; `null` for a dropout (nothing was published). */
  first_seq: number | null;
  last_seq: number | null;
  /** Samples in the window (for a dropout: samples not sent). */
  samples: number;
  /**
   * Size of the anomaly in °C: the offset added (spike, level_shift; drift: the offset reached at the last
   * sample), the frozen value (stuck), the standard deviation of the added noise (noise_burst); 0 for dropout.
   */
  magnitude: number;
  /** `true` when the run ended inside the window (`end` is then the last sample taken). */
  truncated: boolean;
}

/** Parses `--anomalies`: `<rate>[,<kind>...]`, e.g. `0.01`, `1%,spike,drift`, `none`. */
export function parseAnomalySpec(text: string): AnomalyConfig {
  const parts = text
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  const usage = `use <rate>[,<kind>...] with rate a probability per sample (0-1 or a percentage such as 1%) and kinds from ${ANOMALY_KINDS.join(", ")}`;
  if (parts.length === 0) throw new Error(`--anomalies is empty: ${usage}`);
  if (parts[0] === "none") {
    if (parts.length > 1) throw new Error(`--anomalies "${text}": "none" takes no kinds`);
    return NO_ANOMALIES;
  }
  const rateText = parts[0] as string;
  const rate = rateText.endsWith("%") ? Number(rateText.slice(0, -1)) / 100 : Number(rateText);
  if (!/^\d*\.?\d+%?$/.test(rateText) || !Number.isFinite(rate) || rate < 0 || rate > 1) {
    throw new Error(`--anomalies rate must be from 0 to 1 (got "${rateText}"): ${usage}`);
  }
  const kinds: AnomalyKind[] = [];
  for (const kind of parts.slice(1)) {
    const normalized = kind.replace(/-/g, "_");
    if (!(ANOMALY_KINDS as readonly string[]).includes(normalized)) {
      throw new Error(`--anomalies has an unknown kind "${kind}": ${usage}`);
    }
    if (!kinds.includes(normalized as AnomalyKind)) kinds.push(normalized as AnomalyKind);
  }
  if (rate === 0) return NO_ANOMALIES;
  return { rate, kinds: kinds.length > 0 ? kinds : [...ANOMALY_KINDS] };
}

/** Samples after one anomaly ends before the next may start, so that windows never touch. */
export const ANOMALY_COOLDOWN_SAMPLES = 10;

interface ActiveAnomaly {
  readonly kind: AnomalyKind;
  readonly samples: number;
  readonly magnitude: number;
  done: number;
  start: number;
  end: number;
  firstSeq: number | null;
  lastSeq: number | null;
}

/** Result of passing one sample through the injector. */
export interface InjectedSample {
  /** Temperature to publish (°C, unrounded); `undefined` when the sample is dropped (dropout). */
  readonly temperatureC: number | undefined;
  /** The label of an anomaly whose window ended with this sample. */
  readonly finished: AnomalyLabel | undefined;
}

/** Draws and applies anomalies for one device, sample by sample. */
export class AnomalyInjector {
  private readonly prng: Prng;
  private active: ActiveAnomaly | undefined;
  private cooldown = 0;

  constructor(
    seed: string,
    private readonly deviceId: string,
    private readonly roomId: string,
    private readonly config: AnomalyConfig,
  ) {
    this.prng = new Prng(seed, `anomalies/${deviceId}`);
  }

  /**
   * Applies the anomaly (if any) to the sample at `ts`.
   * @param baseC the clean temperature of this sample
   * @param lastPublishedC the last temperature actually published (as rounded in its payload), for `stuck`
   * @param nextSeq the `seq` this sample gets if it is published
   * @param remainingSamples samples left in the run, this one included, when the run's end is known. A fault
   *   drawn that could not complete before it (a dropout: nor be followed by one reading, the only one that
   *   shows it) is not started, so a run of known length labels whole faults only; a run stopped early (no
   *   known end) can still end inside one, and its label says `truncated`.
   */
  apply(
    ts: number,
    baseC: number,
    lastPublishedC: number | undefined,
    nextSeq: number,
    remainingSamples = Infinity,
  ): InjectedSample {
    if (!this.active) {
      if (this.cooldown > 0) {
        this.cooldown--;
      } else if (this.config.rate > 0 && this.prng.chance(this.config.rate)) {
        const drawn = this.draw(ts, baseC, lastPublishedC);
        const needs = drawn.samples + (drawn.kind === "dropout" ? 1 : 0);
        if (needs <= remainingSamples) this.active = drawn;
      }
    }
    const anomaly = this.active;
    if (!anomaly) return { temperatureC: baseC, finished: undefined };

    const temperatureC = this.transform(anomaly, baseC);
    anomaly.end = ts;
    if (temperatureC !== undefined) {
      anomaly.firstSeq ??= nextSeq;
      anomaly.lastSeq = nextSeq;
    }
    anomaly.done++;
    let finished: AnomalyLabel | undefined;
    if (anomaly.done >= anomaly.samples) {
      finished = this.label(anomaly, false);
      this.active = undefined;
      this.cooldown = ANOMALY_COOLDOWN_SAMPLES;
    }
    return { temperatureC, finished };
  }

  /** The label of the anomaly still active when the run ends, marked truncated. */
  finish(): AnomalyLabel | undefined {
    const anomaly = this.active;
    this.active = undefined;
    return anomaly && anomaly.done > 0 ? this.label(anomaly, true) : undefined;
  }

  private draw(ts: number, baseC: number, lastPublishedC: number | undefined): ActiveAnomaly {
    const { prng } = this;
    const kind = prng.pick(this.config.kinds);
    const window = (samples: number, magnitude: number): ActiveAnomaly => ({
      kind,
      samples,
      magnitude,
      done: 0,
      start: ts,
      end: ts,
      firstSeq: null,
      lastSeq: null,
    });
    switch (kind) {
      case "spike":
        return window(1, round2(prng.sign() * prng.uniform(6, 15)));
      case "level_shift":
        return window(prng.int(20, 120), round2(prng.sign() * prng.uniform(2, 5)));
      case "drift":
        return window(prng.int(60, 240), round2(prng.sign() * prng.uniform(3, 8)));
      case "stuck":
        // Freeze at the last value the sensor sent (as it appeared in the payload), or at this sample's value.
        return window(prng.int(30, 180), lastPublishedC ?? round2(baseC));
      case "dropout":
        return window(prng.int(10, 60), 0);
      case "noise_burst":
        return window(prng.int(20, 90), round2(prng.uniform(1, 3)));
    }
  }

  private transform(anomaly: ActiveAnomaly, baseC: number): number | undefined {
    switch (anomaly.kind) {
      case "spike":
      case "level_shift":
        return baseC + anomaly.magnitude;
      case "drift":
        return baseC + (anomaly.magnitude * (anomaly.done + 1)) / anomaly.samples;
      case "stuck":
        return anomaly.magnitude;
      case "dropout":
        return undefined;
      case "noise_burst":
        return baseC + this.prng.normal(0, anomaly.magnitude);
    }
  }

  private label(anomaly: ActiveAnomaly, truncated: boolean): AnomalyLabel {
    return {
      device_id: this.deviceId,
      room_id: this.roomId,
      kind: anomaly.kind,
      start: anomaly.start,
      end: anomaly.end,
      first_seq: anomaly.firstSeq,
      last_seq: anomaly.lastSeq,
      samples: anomaly.done,
      // A drift cut short by the end of the run only reached part of its planned offset.
      magnitude:
        anomaly.kind === "drift"
          ? round2((anomaly.magnitude * anomaly.done) / anomaly.samples)
          : anomaly.magnitude,
      truncated,
    };
  }
}

export function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
