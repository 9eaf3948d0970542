/**
 * ContextModel: how surprising is this reading given the few readings before it? The detector's sequence view
 * (./second-views.ts) scores a series by it, to see a series become unusually predictable (a noisy series that
 * goes quiet, a cycle that flattens), which a Random Cut Forest cannot: such shingles lie inside the cloud of
 * ordinary ones. Written from the idea of a variable-order Markov (PPM-style) predictor, not from any code.
 *
 * Each value becomes one symbol of a small alphabet: `levels` equal-frequency bins whose edges are fixed from the
 * first readings (the calibration), plus one symbol below and one above the calibrated range. A variable-order
 * Markov predictor over the last `order` symbols learns symbol counts online, per context of every length from 0
 * to `order`, and predicts the next symbol by a hierarchical Dirichlet blend: the order-k estimate is
 * (count_k(s) + concentration * P_{k-1}(s)) / (total_k + concentration), with the uniform distribution below
 * order 0. A context seen often trusts its own counts; a rare or new one falls back to shorter contexts, so no
 * order has to be chosen. The score of a reading is its surprisal, -log2 P(symbol | context), in bits.
 *
 * Bounded and adaptive: a context's counts are halved when their total passes `countLimit`, so recent behaviour
 * weighs more and counts stay small; at most `maxContexts` contexts are kept (a new one past that is not
 * stored, its readings fall back to the shorter contexts), so memory does not grow with the stream.
 */

/** Options of {@link ContextModel}. */
export interface ContextModelOptions {
  /** Equal-frequency value bins inside the calibrated range (two more symbols lie beyond it). @default 12 */
  levels?: number;
  /** Longest context, in readings. @default 2 */
  order?: number;
  /** Readings whose values fix the bin edges; until then every score is 0. @default 256 */
  calibration?: number;
  /** Weight of the shorter context's prediction in a context's own (the Dirichlet concentration). @default 4 */
  concentration?: number;
  /** A context's counts are halved when their total passes this (forgetting). @default 256 */
  countLimit?: number;
  /** Most contexts kept. @default 65536 */
  maxContexts?: number;
}

export const DEFAULT_CONTEXT_OPTIONS: Readonly<Required<ContextModelOptions>> = Object.freeze({
  levels: 12,
  order: 2,
  calibration: 256,
  concentration: 4,
  countLimit: 256,
  maxContexts: 65536,
});

/** Counts of one context: per symbol, and their total. */
interface ContextCounts {
  readonly counts: Float64Array;
  total: number;
}

export class ContextModel {
  readonly options: Readonly<Required<ContextModelOptions>>;
  private readonly symbols: number;
  private readonly calibrationValues: number[] = [];
  private edges: Float64Array | undefined;
  /** Context key: the context's symbols in base `symbols`, offset by its order so lengths never collide. */
  private readonly contexts = new Map<number, ContextCounts>();
  /** Last `order` symbols, most recent first. */
  private readonly history: Int32Array;
  private historyLength = 0;
  private readonly probabilities: Float64Array;
  private readonly orderOffsets: Float64Array;

  constructor(options: ContextModelOptions = {}) {
    const resolved = { ...DEFAULT_CONTEXT_OPTIONS, ...definedOnly(options) };
    const whole = (name: keyof ContextModelOptions, min: number) => {
      const v = resolved[name];
      if (!(Number.isInteger(v) && v >= min))
        throw new RangeError(`ContextModel: ${name} must be a whole number of at least ${min} (got ${v})`);
    };
    whole("levels", 2);
    whole("order", 0);
    whole("calibration", 2);
    whole("maxContexts", 1);
    if (!(resolved.concentration > 0 && Number.isFinite(resolved.concentration)))
      throw new RangeError(
        `ContextModel: concentration must be a positive number (got ${resolved.concentration})`,
      );
    if (!(resolved.countLimit >= 2))
      throw new RangeError(`ContextModel: countLimit must be at least 2 (got ${resolved.countLimit})`);
    this.options = Object.freeze(resolved);
    this.symbols = resolved.levels + 2;
    if (this.symbols ** (resolved.order + 1) > Number.MAX_SAFE_INTEGER / 2)
      throw new RangeError(
        `ContextModel: levels ${resolved.levels} and order ${resolved.order} are too many`,
      );
    this.history = new Int32Array(Math.max(1, resolved.order));
    this.probabilities = new Float64Array(this.symbols);
    // Keys of order k start after every key of the shorter orders.
    this.orderOffsets = new Float64Array(resolved.order + 1);
    for (let k = 1; k <= resolved.order; k++)
      this.orderOffsets[k] = this.orderOffsets[k - 1] + this.symbols ** (k - 1);
  }

  /** Contexts stored (at most `maxContexts`). */
  get contextCount(): number {
    return this.contexts.size;
  }

  /** Whether the bin edges are fixed (the calibration is over). */
  get calibrated(): boolean {
    return this.edges !== undefined;
  }

  /** Scores a value (surprisal in bits; 0 during the calibration), then learns it. */
  process(value: number): number {
    if (!this.edges) {
      this.calibrationValues.push(value);
      if (this.calibrationValues.length >= this.options.calibration) this.fixEdges();
      return 0;
    }
    const symbol = this.symbolOf(value);
    const surprisal = -Math.log2(this.predict()[symbol]);
    this.learn(symbol);
    return surprisal;
  }

  /** The symbol of a value: 0 below the calibrated range, `levels + 1` above it, the bin's index + 1 inside. */
  symbolOf(value: number): number {
    const edges = this.edges!;
    if (value < edges[0]) return 0;
    if (value > edges[edges.length - 1]) return this.symbols - 1;
    // Bins: [edges[i], edges[i + 1]); the top edge belongs to the last bin.
    let low = 0;
    let high = edges.length - 2;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (value >= edges[middle]) low = middle;
      else high = middle - 1;
    }
    return low + 1;
  }

  /**
   * Equal-frequency edges from the calibration values. Repeated values (a sparse series' zeros) would give
   * empty bins of zero width: edges are deduplicated, so such a series simply has fewer symbols in use.
   */
  private fixEdges(): void {
    const sorted = Float64Array.from(this.calibrationValues).sort();
    const levels = this.options.levels;
    const edges = new Float64Array(levels + 1);
    for (let i = 0; i <= levels; i++)
      edges[i] = sorted[Math.min(sorted.length - 1, Math.round((i * (sorted.length - 1)) / levels))];
    const distinct = edges.filter((edge, i) => i === 0 || edge > edges[i - 1]);
    // One distinct value: a bin of that value only; anything else is below or above.
    this.edges = distinct.length >= 2 ? distinct : Float64Array.of(distinct[0], distinct[0]);
    const calibration = this.calibrationValues.splice(0);
    for (const value of calibration) this.learn(this.symbolOf(value));
  }

  /** P(next symbol | history), blended from order 0 up to the longest context in the history. */
  private predict(): Float64Array {
    const p = this.probabilities;
    p.fill(1 / this.symbols);
    const concentration = this.options.concentration;
    const longest = Math.min(this.options.order, this.historyLength);
    let key = 0;
    for (let k = 0; k <= longest; k++) {
      if (k > 0) key = key * this.symbols + this.history[k - 1];
      const context = this.contexts.get(this.orderOffsets[k] + key);
      if (!context) break; // a longer context containing an unseen one is unseen too
      const denominator = context.total + concentration;
      for (let s = 0; s < this.symbols; s++) p[s] = (context.counts[s] + concentration * p[s]) / denominator;
    }
    return p;
  }

  /** Counts the symbol in every context of the history, then shifts it into the history. */
  private learn(symbol: number): void {
    const longest = Math.min(this.options.order, this.historyLength);
    let key = 0;
    for (let k = 0; k <= longest; k++) {
      if (k > 0) key = key * this.symbols + this.history[k - 1];
      const contextKey = this.orderOffsets[k] + key;
      let context = this.contexts.get(contextKey);
      if (!context) {
        if (this.contexts.size >= this.options.maxContexts) break;
        context = { counts: new Float64Array(this.symbols), total: 0 };
        this.contexts.set(contextKey, context);
      }
      context.counts[symbol]++;
      context.total++;
      if (context.total > this.options.countLimit) {
        for (let s = 0; s < this.symbols; s++) context.counts[s] /= 2;
        context.total /= 2;
      }
    }
    if (this.options.order > 0) {
      this.history.copyWithin(1, 0, this.history.length - 1);
      this.history[0] = symbol;
      this.historyLength = Math.min(this.historyLength + 1, this.options.order);
    }
  }
}

function definedOnly(options: ContextModelOptions): ContextModelOptions {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
}
