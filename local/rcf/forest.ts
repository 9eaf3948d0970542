/**
 * Streaming Random Cut Forest: trees over time-decayed reservoir samples of a (shingled) stream, scored like AWS's
 * reference implementation (aws/random-cut-forest-by-aws) and SageMaker's built-in algorithm.
 */
import { PointStore } from "./point-store";
import { Xoshiro128 } from "./random";
import { CompactSampler } from "./sampler";
import { Shingle } from "./shingle";
import { RandomCutTree } from "./tree";

/** Reference defaults (RandomCutForest.DEFAULT_*). */
export const DEFAULT_NUMBER_OF_TREES = 50;
export const DEFAULT_SAMPLE_SIZE = 256;
/** timeDecay = 1 / (DEFAULT_SAMPLE_SIZE_COEFFICIENT_IN_TIME_DECAY x sampleSize). */
export const DEFAULT_SAMPLE_SIZE_COEFFICIENT_IN_TIME_DECAY = 10;
export const DEFAULT_OUTPUT_AFTER_FRACTION = 0.25;
export const DEFAULT_SHINGLE_SIZE = 1;
export const DEFAULT_INITIAL_ACCEPT_FRACTION = 0.125;
export const DEFAULT_RANDOM_SEED = 42;

/** Options of {@link RandomCutForest}; names and defaults follow the reference's builder. */
export interface RandomCutForestOptions {
  /** Number of trees (reference default 50). */
  numberOfTrees?: number;
  /** Points sampled per tree (reference default 256). */
  sampleSize?: number;
  /**
   * Decay rate lambda of the sampler: a point's weight decreases like exp(-lambda x age), so the sample covers about
   * the last 1 / lambda points. Default 1 / (10 x sampleSize). 0 keeps a uniform sample of the whole stream.
   */
  timeDecay?: number;
  /** Number of points fed to the trees before scores are reported (default sampleSize / 4); earlier scores are 0. */
  outputAfter?: number;
  /** Readings concatenated into one point (default 1). */
  shingleSize?: number;
  /**
   * Values per reading (default 1). Note: the Java reference's `dimensions` is the shingled size; here trees work in
   * dimensions x shingleSize coordinates.
   */
  dimensions?: number;
  /** Seed of every pseudo-random choice (default 42): same seed and same input give the same scores. */
  randomSeed?: number;
  /** Share of the sample admitted unconditionally while a sampler fills (reference default 0.125). */
  initialAcceptFraction?: number;
}

/** Fully resolved settings of a forest. */
export interface ResolvedForestOptions {
  numberOfTrees: number;
  sampleSize: number;
  timeDecay: number;
  outputAfter: number;
  shingleSize: number;
  dimensions: number;
  randomSeed: number;
  initialAcceptFraction: number;
}

/** Memory-relevant sizes of a forest, all fixed at construction except the "inUse" figures. */
export interface ForestCapacities {
  /** Slots of the shared point store: numberOfTrees x sampleSize + 1. */
  pointStoreCapacity: number;
  /** Points currently stored. */
  pointsInUse: number;
  /** Internal nodes preallocated per tree (sampleSize - 1). */
  internalNodesPerTree: number;
  /** Leaves preallocated per tree (sampleSize). */
  leavesPerTree: number;
  /** Largest number of points held by one tree right now (never above sampleSize). */
  maxTreeMass: number;
  /** Approximate bytes of all typed arrays of the model. */
  typedArrayBytes: number;
}

function requireInteger(name: string, value: number, minimum: number): number {
  if (!Number.isInteger(value) || value < minimum) {
    throw new RangeError(`RandomCutForest: ${name} must be an integer >= ${minimum}, got ${value}`);
  }
  return value;
}

/** Applies the reference defaults and validates every option (throws RangeError naming the option). */
export function resolveForestOptions(options: RandomCutForestOptions = {}): ResolvedForestOptions {
  const sampleSize = requireInteger("sampleSize", options.sampleSize ?? DEFAULT_SAMPLE_SIZE, 1);
  const timeDecay = options.timeDecay ?? 1 / (DEFAULT_SAMPLE_SIZE_COEFFICIENT_IN_TIME_DECAY * sampleSize);
  if (!(Number.isFinite(timeDecay) && timeDecay >= 0)) {
    throw new RangeError(`RandomCutForest: timeDecay must be a finite number >= 0, got ${timeDecay}`);
  }
  const randomSeed = options.randomSeed ?? DEFAULT_RANDOM_SEED;
  if (!Number.isFinite(randomSeed)) {
    throw new RangeError(`RandomCutForest: randomSeed must be a finite number, got ${randomSeed}`);
  }
  const initialAcceptFraction = options.initialAcceptFraction ?? DEFAULT_INITIAL_ACCEPT_FRACTION;
  if (!(initialAcceptFraction > 0 && initialAcceptFraction <= 1)) {
    throw new RangeError(
      `RandomCutForest: initialAcceptFraction must be in (0, 1], got ${initialAcceptFraction}`,
    );
  }
  return {
    numberOfTrees: requireInteger("numberOfTrees", options.numberOfTrees ?? DEFAULT_NUMBER_OF_TREES, 1),
    sampleSize,
    timeDecay,
    outputAfter: requireInteger(
      "outputAfter",
      options.outputAfter ?? Math.max(1, Math.floor(sampleSize * DEFAULT_OUTPUT_AFTER_FRACTION)),
      0,
    ),
    shingleSize: requireInteger("shingleSize", options.shingleSize ?? DEFAULT_SHINGLE_SIZE, 1),
    dimensions: requireInteger("dimensions", options.dimensions ?? 1, 1),
    randomSeed,
    initialAcceptFraction,
  };
}

/**
 * Above this value of timeDecay x (sequence - base), sampler weights are rebased so that exp() stays finite.
 * exp(200) ~ 7e86, far from the double overflow at exp(709).
 */
const REBASE_DECAY_OFFSET = 200;

/**
 * A streaming Random Cut Forest.
 *
 * ```ts
 * const forest = new RandomCutForest({ numberOfTrees: 100, sampleSize: 256 });
 * for (const value of readings) {
 *   const score = forest.process(value); // score against the model, then learn the reading
 * }
 * ```
 *
 * Scores are the reference's: about 1 for a typical point, growing towards log2(sampleSize) for points isolated
 * by the first cuts. Memory is fixed at construction (numberOfTrees x sampleSize points), whatever the stream length.
 */
export class RandomCutForest {
  /** Resolved settings. */
  readonly options: Readonly<ResolvedForestOptions>;
  readonly numberOfTrees: number;
  readonly sampleSize: number;
  readonly timeDecay: number;
  readonly outputAfter: number;
  readonly shingleSize: number;
  /** Values per reading. */
  readonly dimensions: number;
  /** Coordinates per tree point: dimensions x shingleSize. */
  readonly shingledDimensions: number;

  private readonly store: PointStore;
  private readonly trees: RandomCutTree[];
  private readonly samplers: CompactSampler[];
  private readonly shingle: Shingle;
  /** Scratch buffer for the candidate point (shingle + new reading). */
  private readonly candidate: Float64Array;
  /** Scratch for a reading passed as a number. */
  private readonly readingScratch: Float64Array;
  /** Copy of each sampler's nextAcceptance, contiguous so that skipping the rejecting trees is a tight loop. */
  private readonly nextAcceptance: Float64Array;
  /** Number of points fed to the trees (the reference's sequence index). */
  private updates = 0;
  /** Sequence index the sampler weights are relative to. */
  private decayBase = 0;

  constructor(options: RandomCutForestOptions = {}) {
    const resolved = resolveForestOptions(options);
    this.options = Object.freeze(resolved);
    this.numberOfTrees = resolved.numberOfTrees;
    this.sampleSize = resolved.sampleSize;
    this.timeDecay = resolved.timeDecay;
    this.outputAfter = resolved.outputAfter;
    this.shingleSize = resolved.shingleSize;
    this.dimensions = resolved.dimensions;
    this.shingledDimensions = resolved.dimensions * resolved.shingleSize;

    this.store = new PointStore(this.shingledDimensions, this.numberOfTrees * this.sampleSize + 1);
    this.trees = [];
    this.samplers = [];
    for (let t = 0; t < this.numberOfTrees; t++) {
      // Separate streams for sampling and cutting, so a change in one never shifts the other.
      const samplerRandom = new Xoshiro128(resolved.randomSeed, 2 * t);
      const treeRandom = new Xoshiro128(resolved.randomSeed, 2 * t + 1);
      this.samplers.push(
        new CompactSampler(this.sampleSize, samplerRandom, this.timeDecay, resolved.initialAcceptFraction),
      );
      this.trees.push(new RandomCutTree(this.sampleSize, this.store, treeRandom));
    }
    this.nextAcceptance = new Float64Array(this.numberOfTrees);
    this.shingle = new Shingle(this.dimensions, this.shingleSize);
    this.candidate = new Float64Array(this.shingledDimensions);
    this.readingScratch = new Float64Array(this.dimensions);
  }

  /** Number of points the trees have learned (readings minus the shingleSize - 1 needed to fill the shingle). */
  get totalUpdates(): number {
    return this.updates;
  }

  /** True once outputAfter points have been learned; before that, scores are 0. */
  isOutputReady(): boolean {
    return this.updates >= this.outputAfter && this.updates > 0;
  }

  private asReading(reading: number | ArrayLike<number>): ArrayLike<number> {
    if (typeof reading === "number") {
      if (this.dimensions !== 1) {
        throw new RangeError(
          `RandomCutForest: expected ${this.dimensions} value(s) per reading, got a single number`,
        );
      }
      if (!Number.isFinite(reading))
        throw new RangeError(`RandomCutForest: reading ${reading} is not a finite number`);
      this.readingScratch[0] = reading;
      return this.readingScratch;
    }
    if (reading.length !== this.dimensions) {
      throw new RangeError(
        `RandomCutForest: expected ${this.dimensions} value(s) per reading, got ${reading.length}`,
      );
    }
    // A NaN would silently corrupt the trees (every comparison with it is false), so reject it here.
    for (let k = 0; k < reading.length; k++) {
      if (!Number.isFinite(reading[k])) {
        throw new RangeError(
          `RandomCutForest: reading value ${reading[k]} (index ${k}) is not a finite number`,
        );
      }
    }
    return reading;
  }

  /** Average of the trees' scores for the point in `this.candidate`. */
  private scoreCandidate(): number {
    const trees = this.trees;
    const point = this.candidate;
    let sum = 0;
    let t = 0;
    // Two trees at a time: their descents overlap in memory (see RandomCutTree.scorePair).
    for (; t + 1 < trees.length; t += 2) sum += RandomCutTree.scorePair(trees[t], trees[t + 1], point);
    if (t < trees.length) sum += trees[t].score(point);
    return sum / trees.length;
  }

  /**
   * Anomaly score of a reading (a number when dimensions = 1, else an array of `dimensions` values) given the
   * readings seen so far, without learning it. 0 until the forest is ready (outputAfter) and the shingle is full.
   */
  getAnomalyScore(reading: number | ArrayLike<number>): number {
    const values = this.asReading(reading);
    if (!this.shingle.fullAfterNext || !this.isOutputReady()) return 0;
    this.shingle.peek(values, this.candidate);
    return this.scoreCandidate();
  }

  /** Learns a reading: pushes it into the shingle and, once the shingle is full, offers the point to every tree. */
  update(reading: number | ArrayLike<number>): void {
    const values = this.asReading(reading);
    this.shingle.push(values);
    if (this.shingle.isFull) this.learn(this.shingle.current);
  }

  /** Scores a reading against the current model, then learns it (what a streaming detector does). */
  process(reading: number | ArrayLike<number>): number {
    const values = this.asReading(reading);
    let score = 0;
    if (this.shingle.fullAfterNext) {
      this.shingle.peek(values, this.candidate);
      if (this.isOutputReady()) score = this.scoreCandidate();
    }
    this.shingle.push(values);
    if (this.shingle.isFull) this.learn(this.shingle.current);
    return score;
  }

  /** Offers one (shingled) point to every tree's sampler; accepted points are inserted, evicted ones deleted. */
  private learn(point: Float64Array): void {
    const sequence = this.updates++;
    let decayOffset = this.timeDecay * (sequence - this.decayBase);
    if (decayOffset > REBASE_DECAY_OFFSET) {
      for (let t = 0; t < this.samplers.length; t++) this.samplers[t].rebase(decayOffset);
      this.decayBase = sequence;
      decayOffset = 0;
    }
    const decayFactor = decayOffset === 0 ? 1 : Math.exp(decayOffset);
    const store = this.store;
    const nextAcceptance = this.nextAcceptance;
    let pointIndex = -1;
    for (let t = 0; t < nextAcceptance.length; t++) {
      if (sequence < nextAcceptance[t]) continue; // this tree's sampler rejects the point
      const sampler = this.samplers[t];
      const accepted = sampler.acceptPoint(sequence, decayFactor, decayOffset);
      nextAcceptance[t] = sampler.nextAcceptance;
      if (!accepted) continue;
      if (pointIndex < 0) pointIndex = store.add(point);
      const tree = this.trees[t];
      // Samplers hold leaf ids, so an eviction goes straight to its leaf instead of searching the tree.
      const evictedLeaf = sampler.evicted;
      if (evictedLeaf >= 0) {
        const evictedPoint = tree.pointIndexOfLeaf(evictedLeaf);
        tree.deleteLeaf(evictedLeaf);
        store.decrementRefCount(evictedPoint);
      }
      const leaf = tree.insert(pointIndex);
      sampler.addPoint(leaf);
      nextAcceptance[t] = sampler.nextAcceptance;
      store.incrementRefCount(tree.pointIndexOfLeaf(leaf));
    }
    if (pointIndex >= 0) store.releaseIfUnused(pointIndex);
  }

  /** Sizes of the model's pools (the memory bound), for monitoring and tests. */
  capacities(): ForestCapacities {
    let maxTreeMass = 0;
    let bytes = this.store.values.byteLength + this.store.refCounts.byteLength * 2;
    for (const tree of this.trees) {
      maxTreeMass = Math.max(maxTreeMass, tree.mass);
      bytes += tree.typedArrayBytes;
    }
    for (const sampler of this.samplers) bytes += sampler.weights.byteLength + sampler.references.byteLength;
    return {
      pointStoreCapacity: this.store.capacity,
      pointsInUse: this.store.size,
      internalNodesPerTree: this.trees[0].internalNodeCapacity,
      leavesPerTree: this.trees[0].capacity,
      maxTreeMass,
      typedArrayBytes: bytes,
    };
  }

  /** The trees (read-only use: diagnostics, tests). */
  getTrees(): readonly RandomCutTree[] {
    return this.trees;
  }

  /** The samplers (read-only use: diagnostics, tests). */
  getSamplers(): readonly CompactSampler[] {
    return this.samplers;
  }
}
