/**
 * NAB-style synthetic series for checking the CLI's defaults beyond the one public series in the repository:
 * many shapes (seasonal, trending, noisy, level regimes, flat, sparse/bursty, random walk, sawtooth), 5-minute
 * timestamps, 4,000-12,000 rows, anomalies of several kinds placed after NAB's probationary 15%, and labelled
 * windows the way NAB draws them (10% of the rows shared by the file's anomalies, centred on each). Some files
 * have no anomaly at all (any alert there is a false positive), as NAB's artificialNoAnomaly files.
 * Deterministic per seed. Not fitted to anything: the shapes and magnitudes are round numbers.
 */
import type { NabWindow } from "../../local/rcf/nab";

export interface SyntheticSeries {
  readonly name: string;
  readonly timestamps: string[];
  readonly values: Float64Array;
  readonly windows: NabWindow[];
  /** Row of each injected anomaly and its kind. */
  readonly anomalies: readonly { readonly row: number; readonly kind: SyntheticAnomaly }[];
}

export const SHAPES = [
  "seasonal",
  "trend",
  "noisy",
  "levels",
  "flat",
  "sparse",
  "randomwalk",
  "sawtooth",
] as const;
export type Shape = (typeof SHAPES)[number];

export const SYNTHETIC_ANOMALIES = [
  "spike",
  "dip",
  "shift",
  "variance",
  "flatline",
  "drift",
  "seasonbreak",
] as const;
export type SyntheticAnomaly = (typeof SYNTHETIC_ANOMALIES)[number];

/** xorshift32: small and deterministic. */
class Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 1;
  }
  next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state / 4294967296;
  }
  normal(): number {
    const u = Math.max(1e-12, this.next());
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
  int(low: number, high: number): number {
    return low + Math.floor(this.next() * (high - low + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
}

const timestamp = (row: number) =>
  new Date(Date.UTC(2020, 0, 1) + row * 300_000).toISOString().replace("T", " ").slice(0, 19);

/** One series of a shape with `anomalies` anomalies (0 for a clean file). */
export function syntheticSeries(seed: number, shape: Shape, anomalies: number): SyntheticSeries {
  const random = new Random(seed * 7919 + 13);
  const rows = random.int(4000, 12000);
  const period = random.pick([144, 288, 288, 2016]);
  const amplitude = random.pick([1, 5, 20]);
  const noise = amplitude * random.pick([0.02, 0.05, 0.15]);
  const level = random.pick([0, 10, 50, 100]);
  const values = new Float64Array(rows);
  let walk = 0;
  let regime = level;
  for (let i = 0; i < rows; i++) {
    const season = Math.sin((2 * Math.PI * i) / period);
    let value = level;
    switch (shape) {
      case "seasonal":
        value += amplitude * season + noise * random.normal();
        break;
      case "trend":
        value += ((amplitude * i) / rows) * 3 + 0.5 * amplitude * season + noise * random.normal();
        break;
      case "noisy":
        value += amplitude * 0.3 * random.normal();
        break;
      case "levels":
        if (random.next() < 0.002) regime = level + amplitude * random.normal();
        value = regime + noise * random.normal();
        break;
      case "flat":
        value += random.next() < 0.1 ? noise * 0.1 * random.normal() : 0;
        break;
      case "sparse":
        value = random.next() < 0.05 ? amplitude * Math.abs(random.normal()) * 3 : 0;
        break;
      case "randomwalk":
        walk += noise * random.normal();
        value += walk;
        break;
      case "sawtooth":
        value += amplitude * (((i % period) / period) * 2 - 1) + noise * random.normal();
        break;
    }
    values[i] = value;
  }
  // Anomalies after NAB's probationary period, one per equal share of the rest, away from the share's edges.
  const probation = Math.min(Math.floor(0.15 * rows), 750);
  const placed: { row: number; kind: SyntheticAnomaly }[] = [];
  let mean = 0;
  for (let i = 0; i < probation; i++) mean += values[i]! / probation;
  let variance = 0;
  for (let i = 0; i < probation; i++) variance += (values[i]! - mean) ** 2 / probation;
  const scale = Math.max(Math.sqrt(variance), amplitude * 0.1);
  for (let a = 0; a < anomalies; a++) {
    const low = probation + Math.floor(((rows - probation) * a) / anomalies) + 200;
    const high = probation + Math.floor(((rows - probation) * (a + 1)) / anomalies) - 200;
    if (high <= low) break;
    const row = random.int(low, high);
    const kind = random.pick(SYNTHETIC_ANOMALIES);
    const size = scale * random.pick([3, 5, 8]) * (random.next() < 0.5 ? -1 : 1);
    const length = random.int(20, 200);
    const end = Math.min(rows, row + length);
    switch (kind) {
      case "spike":
        values[row] += Math.abs(size) * 1.5;
        break;
      case "dip":
        values[row] -= Math.abs(size) * 1.5;
        break;
      case "shift":
        for (let i = row; i < rows; i++) values[i] += size;
        break;
      case "variance":
        for (let i = row; i < end; i++) values[i] += Math.abs(size) * 0.5 * random.normal();
        break;
      case "flatline":
        for (let i = row + 1; i < end; i++) values[i] = values[row]!;
        break;
      case "drift":
        for (let i = row; i < rows; i++) values[i] += (size * Math.min(i - row, length)) / length;
        break;
      case "seasonbreak":
        for (let i = row; i < end; i++) values[i] = values[row]! + noise * random.normal();
        break;
    }
    placed.push({ row, kind });
  }
  const timestamps = Array.from({ length: rows }, (_, i) => timestamp(i));
  const half = Math.floor((0.1 * rows) / Math.max(1, placed.length) / 2);
  const windows = placed.map(
    ({ row }) => [timestamp(Math.max(0, row - half)), timestamp(Math.min(rows - 1, row + half))] as NabWindow,
  );
  return { name: `${shape}-${seed}`, timestamps, values, windows, anomalies: placed };
}

/** Every shape once per seed; seeds divisible by 4 give clean files, the others 1 to 3 anomalies. */
export function syntheticCorpus(seeds: readonly number[]): SyntheticSeries[] {
  return seeds.flatMap((seed) =>
    SHAPES.map((shape, k) => syntheticSeries(seed * 100 + k, shape, seed % 4 === 0 ? 0 : 1 + (seed % 3))),
  );
}
