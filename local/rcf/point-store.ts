/**
 * Shared store of the points held by a forest's samplers.
 *
 * Every tree of a forest samples from the same stream, so a point accepted by several trees is stored once and
 * reference-counted (as in the reference's PointStore). Coordinates live in one flat Float64Array (stride =
 * dimensions), so trees address points by an integer and never hold JavaScript objects per point.
 *
 * The capacity is fixed at construction: a forest of T trees with sample size N can reference at most T x N
 * distinct points, plus the one being inserted. That is the memory bound of the whole model, independent of the
 * length of the stream.
 */
export class PointStore {
  /** Number of coordinates per point. */
  readonly dimensions: number;
  /** Maximum number of points held at once. */
  readonly capacity: number;
  /** Flat coordinates: point i occupies values[i * dimensions, (i + 1) * dimensions). */
  readonly values: Float64Array;
  /** Number of sampler entries referring to each point; a slot is free when it is released at zero. */
  readonly refCounts: Int32Array;
  private readonly freeSlots: Int32Array;
  private freeCount: number;

  constructor(dimensions: number, capacity: number) {
    if (!Number.isInteger(dimensions) || dimensions < 1) {
      throw new RangeError(`PointStore: dimensions must be a positive integer, got ${dimensions}`);
    }
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`PointStore: capacity must be a positive integer, got ${capacity}`);
    }
    this.dimensions = dimensions;
    this.capacity = capacity;
    this.values = new Float64Array(dimensions * capacity);
    this.refCounts = new Int32Array(capacity);
    this.freeSlots = new Int32Array(capacity);
    // Hand out low indices first (pop from the end), which keeps the used part of `values` compact.
    for (let i = 0; i < capacity; i++) {
      this.freeSlots[i] = capacity - 1 - i;
    }
    this.freeCount = capacity;
  }

  /** Number of slots currently holding a point. */
  get size(): number {
    return this.capacity - this.freeCount;
  }

  /**
   * Copies `dimensions` coordinates from `source` (starting at `offset`) into a free slot and returns its index.
   * The new point starts with a reference count of 0: call {@link incrementRefCount} for each sampler that keeps
   * it, then {@link releaseIfUnused} to drop it if nobody did.
   */
  add(source: ArrayLike<number>, offset = 0): number {
    if (this.freeCount === 0) {
      throw new Error(`PointStore: full (capacity ${this.capacity}); a sampler leaked references`);
    }
    const index = this.freeSlots[--this.freeCount];
    const dims = this.dimensions;
    const base = index * dims;
    for (let k = 0; k < dims; k++) {
      this.values[base + k] = source[offset + k];
    }
    this.refCounts[index] = 0;
    return index;
  }

  incrementRefCount(index: number): void {
    this.refCounts[index]++;
  }

  /** Drops one reference and frees the slot when no sampler refers to the point any more. */
  decrementRefCount(index: number): void {
    const remaining = --this.refCounts[index];
    if (remaining < 0) {
      throw new Error(`PointStore: reference count of point ${index} went negative`);
    }
    if (remaining === 0) {
      this.freeSlots[this.freeCount++] = index;
    }
  }

  /** Frees a freshly added point that no sampler accepted. */
  releaseIfUnused(index: number): void {
    if (this.refCounts[index] === 0) {
      this.freeSlots[this.freeCount++] = index;
    }
  }

  /** True when points a and b have identical coordinates. */
  equals(a: number, b: number): boolean {
    if (a === b) return true;
    const dims = this.dimensions;
    const values = this.values;
    const baseA = a * dims;
    const baseB = b * dims;
    for (let k = 0; k < dims; k++) {
      if (values[baseA + k] !== values[baseB + k]) return false;
    }
    return true;
  }

  /** Copy of the coordinates of one point (for diagnostics and tests; allocates). */
  get(index: number): number[] {
    const base = index * this.dimensions;
    return Array.from(this.values.subarray(base, base + this.dimensions));
  }
}
