/**
 * Time-decayed weighted reservoir sampler, after the reference's CompactSampler.
 *
 * Each arriving point i gets the weight  w(i) = -timeDecay * i + log(-log(u)),  u ~ U(0, 1), and the sampler keeps
 * the `capacity` points with the smallest weights in a max-heap (the root is the next point to evict). Newer points
 * have smaller weights on average, so the sample leans toward the recent past; timeDecay = 0 is a uniform reservoir.
 * While the sampler is filling, a point is admitted outright with a probability that decreases from 1 (below
 * initialAcceptFraction x capacity) to 0 (full), as in the reference, so trees do not all start from the same points.
 *
 * Implementation notes (why):
 *  - Weights are stored relative to a base sequence index that the forest moves forward ({@link rebase}), because
 *    -timeDecay * i grows without bound on an endless stream.
 *  - The acceptance test `w < maxWeight` is rewritten as `-log(u) < exp(maxWeight) * exp(timeDecay * (i - base))`:
 *    an Exp(1) variable below a bound that grows geometrically with i. Once the sampler is full, the index of the
 *    next acceptance is drawn directly from that law (see scheduleNextAcceptance), so the ~90% of points a tree
 *    rejects cost one integer comparison in the forest instead of a random draw and a log each.
 */
import type { Xoshiro128 } from "./random";

export class CompactSampler {
  /** Maximum number of points kept (the sample size). */
  readonly capacity: number;
  /** Fraction of the capacity admitted unconditionally while filling (reference default 0.125). */
  readonly initialAcceptFraction: number;
  /** Max-heap of relative weights; weights[0] is the largest. */
  readonly weights: Float64Array;
  /** What the caller stores per sampled point (the forest stores tree leaf ids), parallel to `weights`. */
  readonly references: Int32Array;
  private count = 0;
  private readonly random: Xoshiro128;
  /** exp(weights[0]), kept in sync with the heap root. */
  private maxWeightExp = 0;
  /** Relative weight of the point accepted by the last {@link acceptPoint}, stored by {@link addPoint}. */
  private pendingWeight = 0;
  private hasPending = false;
  /** Reference evicted by the last successful {@link acceptPoint}, or -1. */
  evicted = -1;
  /**
   * Sequence index of the next point this sampler accepts. While filling, every point is examined; once full, it is
   * drawn ahead of time (see {@link scheduleNextAcceptance}) and the forest skips the sampler until then.
   */
  nextAcceptance = 0;
  /** Decay rate lambda (see RandomCutForestOptions.timeDecay). */
  readonly timeDecay: number;
  private lastSequence = 0;
  private lastDecayFactor = 1;
  /** exp(timeDecay) and exp(timeDecay) - 1, precomputed for scheduling. */
  private readonly stepGrowth: number;
  private readonly stepGrowthMinusOne: number;

  constructor(capacity: number, random: Xoshiro128, timeDecay: number, initialAcceptFraction = 0.125) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`CompactSampler: capacity must be a positive integer, got ${capacity}`);
    }
    if (!(initialAcceptFraction > 0 && initialAcceptFraction <= 1)) {
      throw new RangeError(
        `CompactSampler: initialAcceptFraction must be in (0, 1], got ${initialAcceptFraction}`,
      );
    }
    if (!(Number.isFinite(timeDecay) && timeDecay >= 0)) {
      throw new RangeError(`CompactSampler: timeDecay must be a finite number >= 0, got ${timeDecay}`);
    }
    this.capacity = capacity;
    this.timeDecay = timeDecay;
    this.stepGrowth = Math.exp(timeDecay);
    this.stepGrowthMinusOne = Math.expm1(timeDecay);
    this.initialAcceptFraction = initialAcceptFraction;
    this.random = random;
    this.weights = new Float64Array(capacity);
    this.references = new Int32Array(capacity);
  }

  /** Number of points currently in the sample. */
  get size(): number {
    return this.count;
  }

  /** Probability of admitting a point outright while the sampler holds `size` points (reference compute_fraction). */
  private admitWhileFilling(size: number): number {
    const fraction = this.initialAcceptFraction;
    if (size < fraction * this.capacity) return 1;
    if (fraction >= 1) return 0;
    return 1 - (size / this.capacity - fraction) / (1 - fraction);
  }

  /**
   * Decides whether the point with sequence index `sequence` enters the sample. Must be called for every sequence
   * index from {@link nextAcceptance} on (the forest skips earlier ones without calling).
   *
   * @param sequence the point's sequence index.
   * @param decayFactor exp(timeDecay * (sequence - base)), shared by all samplers of a forest.
   * @param decayOffset timeDecay * (sequence - base), i.e. log(decayFactor).
   * @returns true when the point is accepted; then {@link evicted} holds the reference of the point to drop (or -1)
   *          and the caller must call {@link addPoint} with the reference of the new point.
   */
  acceptPoint(sequence: number, decayFactor: number, decayOffset: number): boolean {
    this.evicted = -1;
    this.lastSequence = sequence;
    this.lastDecayFactor = decayFactor;
    const size = this.count;
    let exponential: number;
    if (size < this.capacity) {
      // Filling: one draw per point, exactly as the reference.
      exponential = -Math.log(this.random.nextDouble());
      if (this.random.nextDouble() < this.admitWhileFilling(size)) {
        this.pendingWeight = Math.log(exponential) - decayOffset;
        this.hasPending = true;
        return true;
      }
      if (size === 0 || exponential >= this.maxWeightExp * decayFactor) return false;
    } else {
      // Full and at the scheduled acceptance: draw the Exp(1) variable conditioned on being below the bound.
      const bound = this.maxWeightExp * decayFactor;
      exponential = -Math.log1p(this.random.nextDouble() * Math.expm1(-bound));
      if (!(exponential > 0)) exponential = Number.MIN_VALUE; // log1p rounding to 0 for a tiny bound
    }
    this.pendingWeight = Math.log(exponential) - decayOffset;
    this.hasPending = true;
    this.evicted = this.references[0];
    this.removeMax();
    return true;
  }

  /**
   * Once full, draws the sequence index of the next accepted point directly instead of testing every point.
   *
   * With W the largest kept weight, the point at sequence s is accepted iff E < c(s) = exp(W) x exp(timeDecay x
   * (s - base)), E ~ Exp(1), independently for each s. So the probability that none of the next n points is
   * accepted is exp(-sum of c(s)), a geometric sum in closed form: drawing V ~ Exp(1) and taking the smallest n with
   * sum >= V gives the next acceptance with exactly the per-point distribution, and the accepted point's E is then
   * Exp(1) conditioned on E < c (see {@link acceptPoint}). Rejections thus cost nothing, which matters because about
   * 90% of points are rejected by each tree once the samplers are full.
   */
  private scheduleNextAcceptance(): void {
    const ratio = this.timeDecay; // log of the per-step growth of c(s)
    const first = this.maxWeightExp * this.lastDecayFactor * this.stepGrowth; // c(lastSequence + 1)
    const threshold = -Math.log(this.random.nextDouble());
    let steps: number;
    if (ratio > 0) {
      steps = Math.ceil(Math.log1p((threshold * this.stepGrowthMinusOne) / first) / ratio);
    } else {
      steps = Math.ceil(threshold / first);
    }
    if (!(steps >= 1)) steps = 1; // also catches NaN from degenerate inputs
    this.nextAcceptance = this.lastSequence + steps;
  }

  /** Stores the point accepted by the last {@link acceptPoint} under `reference`. */
  addPoint(reference: number): void {
    if (!this.hasPending) {
      throw new Error("CompactSampler: addPoint without a preceding successful acceptPoint");
    }
    this.hasPending = false;
    const weights = this.weights;
    const points = this.references;
    const weight = this.pendingWeight;
    let current = this.count++;
    // Sift up.
    while (current > 0) {
      const parentSlot = (current - 1) >> 1;
      if (weights[parentSlot] >= weight) break;
      weights[current] = weights[parentSlot];
      points[current] = points[parentSlot];
      current = parentSlot;
    }
    weights[current] = weight;
    points[current] = reference;
    this.maxWeightExp = Math.exp(weights[0]);
    if (this.count === this.capacity) this.scheduleNextAcceptance();
    else this.nextAcceptance = this.lastSequence + 1;
  }

  private removeMax(): void {
    const size = --this.count;
    const weights = this.weights;
    const points = this.references;
    if (size === 0) return;
    const weight = weights[size];
    const point = points[size];
    let current = 0;
    // Sift down the former last element.
    for (;;) {
      let child = 2 * current + 1;
      if (child >= size) break;
      if (child + 1 < size && weights[child + 1] > weights[child]) child++;
      if (weights[child] <= weight) break;
      weights[current] = weights[child];
      points[current] = points[child];
      current = child;
    }
    weights[current] = weight;
    points[current] = point;
    // maxWeightExp is refreshed by the addPoint that always follows an eviction.
  }

  /** Moves the weights' reference point forward by `shift` = timeDecay x (newBase - oldBase). */
  rebase(shift: number): void {
    for (let i = 0; i < this.count; i++) this.weights[i] += shift;
    if (this.count > 0) this.maxWeightExp = Math.exp(this.weights[0]);
  }

  /** Checks the heap property (tests). */
  isHeap(): boolean {
    for (let i = 1; i < this.count; i++) {
      if (this.weights[(i - 1) >> 1] < this.weights[i]) return false;
    }
    return true;
  }
}
