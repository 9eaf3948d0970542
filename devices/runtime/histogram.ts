/**
 * Latency histogram with fixed memory, for QoS 1 acknowledgement times of a whole fleet: log-spaced buckets
 * (about 2% relative error) from 10 µs to about 10 minutes, so millions of samples cost a few kilobytes and a
 * constant time each, unlike keeping every sample to sort. Histograms of several shards merge exactly (bucket
 * counts add up), which is how `fleet:report` gets fleet-wide percentiles: averaging percentiles would not.
 */

const MIN_MS = 0.01;
/** Buckets per doubling: 2^(1/32) ≈ 1.0219, so a value is reported within about 2.2% (upper bound of its bucket). */
const SUB_BUCKETS = 32;
const DOUBLINGS = 26; // 0.01 ms * 2^26 ≈ 671 s

export interface LatencyPercentiles {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
}

/** The buckets' layout, named in the serialized form so a report never merges incompatible histograms. */
export const HISTOGRAM_LAYOUT = `log2/${SUB_BUCKETS}/${MIN_MS}ms/${DOUBLINGS}` as const;

/** A histogram in a summary: the non-empty buckets as `[index, count]` pairs, plus count, sum and maximum. */
export interface SerializedHistogram {
  readonly layout: string;
  readonly buckets: readonly (readonly [number, number])[];
  readonly count: number;
  readonly sumMs: number;
  readonly maxMs: number;
}

export class LatencyHistogram {
  private readonly buckets = new Float64Array(SUB_BUCKETS * DOUBLINGS + 2);
  private total = 0;
  private sum = 0;
  private maximum = 0;

  /** Records one latency in milliseconds. */
  record(ms: number): void {
    const index = bucketOf(ms);
    this.buckets[index] = (this.buckets[index] as number) + 1;
    this.total++;
    this.sum += ms;
    if (ms > this.maximum) this.maximum = ms;
  }

  get count(): number {
    return this.total;
  }

  /** Value at quantile `q` (0..1), as the upper bound of its bucket (never more than the maximum seen). */
  quantile(q: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i] as number;
      if (seen >= rank) return Math.min(upperBound(i), this.maximum);
    }
    return this.maximum;
  }

  /** Adds another histogram's samples to this one. */
  merge(other: LatencyHistogram): void {
    for (let i = 0; i < this.buckets.length; i++)
      this.buckets[i] = (this.buckets[i] as number) + (other.buckets[i] as number);
    this.total += other.total;
    this.sum += other.sum;
    this.maximum = Math.max(this.maximum, other.maximum);
  }

  toJSON(): SerializedHistogram {
    const buckets: [number, number][] = [];
    this.buckets.forEach((count, index) => {
      if (count > 0) buckets.push([index, count]);
    });
    return { layout: HISTOGRAM_LAYOUT, buckets, count: this.total, sumMs: this.sum, maxMs: this.maximum };
  }

  /** Reads {@link toJSON}'s form back; throws naming what is wrong (a summary from another version, say). */
  static fromJSON(value: SerializedHistogram, source = "histogram"): LatencyHistogram {
    if (value.layout !== HISTOGRAM_LAYOUT) {
      throw new Error(
        `${source}: bucket layout "${value.layout}" is not this version's "${HISTOGRAM_LAYOUT}"`,
      );
    }
    const histogram = new LatencyHistogram();
    let total = 0;
    for (const [index, count] of value.buckets) {
      if (!Number.isInteger(index) || index < 0 || index >= histogram.buckets.length || !(count >= 0)) {
        throw new Error(`${source}: bucket [${index}, ${count}] is out of range`);
      }
      histogram.buckets[index] = (histogram.buckets[index] as number) + count;
      total += count;
    }
    if (total !== value.count)
      throw new Error(`${source}: buckets hold ${total} samples, count says ${value.count}`);
    histogram.total = value.count;
    histogram.sum = value.sumMs;
    histogram.maximum = value.maxMs;
    return histogram;
  }

  percentiles(): LatencyPercentiles {
    const round = (v: number): number => Math.round(v * 1000) / 1000;
    return {
      count: this.total,
      p50: round(this.quantile(0.5)),
      p90: round(this.quantile(0.9)),
      p99: round(this.quantile(0.99)),
      p999: round(this.quantile(0.999)),
      max: round(this.maximum),
      mean: this.total === 0 ? 0 : round(this.sum / this.total),
    };
  }
}

function bucketOf(ms: number): number {
  if (!(ms > MIN_MS)) return 0;
  const index = Math.ceil(Math.log2(ms / MIN_MS) * SUB_BUCKETS);
  return Math.min(index, SUB_BUCKETS * DOUBLINGS + 1);
}

function upperBound(index: number): number {
  return MIN_MS * 2 ** (index / SUB_BUCKETS);
}
