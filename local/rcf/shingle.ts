/**
 * Shingling: the forest sees the last `shingleSize` readings concatenated (oldest first) as one point, so that a
 * reading is judged in the context of its recent history (a spike, but also an unusual shape or rate of change).
 * With input dimension d and shingle size s, points have d x s coordinates, laid out like the reference's
 * internal shingling: [x(t-s+1), ..., x(t-1), x(t)].
 */
export class Shingle {
  /** Values per reading. */
  readonly inputDimensions: number;
  /** Number of readings per point. */
  readonly size: number;
  /** Current shingle, oldest reading first (inputDimensions x size values). */
  readonly current: Float64Array;
  private readings = 0;

  constructor(inputDimensions: number, size: number) {
    if (!Number.isInteger(inputDimensions) || inputDimensions < 1) {
      throw new RangeError(`Shingle: inputDimensions must be a positive integer, got ${inputDimensions}`);
    }
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(`Shingle: size must be a positive integer, got ${size}`);
    }
    this.inputDimensions = inputDimensions;
    this.size = size;
    this.current = new Float64Array(inputDimensions * size);
  }

  /** Number of readings pushed so far. */
  get count(): number {
    return this.readings;
  }

  /** True once `size` readings have been seen, i.e. {@link current} is a complete point. */
  get isFull(): boolean {
    return this.readings >= this.size;
  }

  /** True if pushing one more reading would complete the shingle. */
  get fullAfterNext(): boolean {
    return this.readings + 1 >= this.size;
  }

  /** Writes into `out` the shingle that would result from pushing `reading`, without changing this shingle. */
  peek(reading: ArrayLike<number>, out: Float64Array): void {
    const d = this.inputDimensions;
    const length = this.current.length;
    for (let i = d; i < length; i++) out[i - d] = this.current[i];
    for (let k = 0; k < d; k++) out[length - d + k] = reading[k];
  }

  /** Appends a reading, dropping the oldest one. */
  push(reading: ArrayLike<number>): void {
    const d = this.inputDimensions;
    const length = this.current.length;
    this.current.copyWithin(0, d);
    for (let k = 0; k < d; k++) this.current[length - d + k] = reading[k];
    this.readings++;
  }
}
