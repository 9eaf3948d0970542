/**
 * Second views of a one-column series, beside the detector's Random Cut Forest over single readings. Each turns
 * the stream into a tail probability per reading; the detector hands the smaller of them to the alert policy
 * (`PolicyObservation.otherViewTail`), which takes the reading's tail as the smaller of that and the forest's.
 *
 * Both look for what a forest over shingles of single readings cannot see: it isolates shingles at the edges of
 * the cloud of shingles seen, and a series that goes quiet (noise that stops, a cycle that flattens) gives
 * shingles inside that cloud.
 *
 * - {@link BlockView}: a second forest over summaries of blocks of readings (the block's mean and the log of its
 *   standard deviation), so a change of level or of noise that no single reading shows stands out as a block.
 * - {@link SequenceView}: a sequence model's surprisal (./context-model.ts), alerting when the series becomes
 *   unusually predictable, or extremely surprising.
 * - {@link CalendarView}: the reading against its hour of the day (HTM's date encoding, as a view of its own), for a
 *   daily cycle that breaks (a day whose peak does not come, or comes at night) while every value stays in range.
 *
 * Chosen on the development sets only (the machine-temperature series and synthetic seeds 1-24), and adopted after
 * a check set beforehand on fresh synthetic seeds 25-56 (README, "Measured figures").
 */
import { AlertStream, type AlertPolicySettings } from "../../components/ml/alert-policy";
import { ContextModel } from "./context-model";
import { RandomCutForest } from "./forest";

/** Default block: 16 readings (80 minutes of 5-minute readings). */
export const DEFAULT_BLOCK_READINGS = 16;
/** Blocks per shingle of the block forest: 8 blocks, 128 readings at the default block. */
export const BLOCK_SHINGLE = 8;
/** Blocks the block forest learns from before it scores. */
export const BLOCK_OUTPUT_AFTER = 16;
/** Trees of the block forest: a block arrives every 16 readings, so half the forest's trees keep it cheap. */
export const BLOCK_TREES = 50;
/** Fewest blocks the block view's score distribution learns from before it speaks. */
export const BLOCK_MIN_LEARNING = 16;
/**
 * The block view's tail is doubled before it is compared with the forest's: two views were asked, so a
 * reading's chance of being improbable in either is about twice that of one (Bonferroni).
 */
export const BLOCK_BONFERRONI = 2;
/** Added to a block's standard deviation before its log, so a flat block has a finite (very low) value. */
const FLAT_BLOCK_SPREAD = 1e-9;
/** Seed of the block forest: the detector's seed plus this, so one --seed fixes both forests. */
const BLOCK_SEED_OFFSET = 4200;

/**
 * A forest over blocks of readings. Each full block becomes one point, (mean, log(standard deviation)), and is
 * scored in a shingle of {@link BLOCK_SHINGLE} blocks; the block's tail probability under its own running score
 * distribution (the alert policy's, one block per step) holds for every reading until the next block ends.
 */
export class BlockView {
  private readonly forest: RandomCutForest;
  private readonly stream: AlertStream;
  private readonly learningBlocks: number;
  private filled = 0;
  private sum = 0;
  private sumSquares = 0;
  private blocks = 0;
  private currentTail: number | undefined;

  /**
   * @param readings readings per block
   * @param warmup the detector's warm-up, in readings: the block view's score distribution learns during it too
   * @param policy the detector's alert policy; the block view scales its horizon and learning to blocks
   * @param seed the detector's random seed
   */
  constructor(
    readonly readings: number,
    warmup: number,
    policy: AlertPolicySettings,
    seed: number,
  ) {
    if (!(Number.isInteger(readings) && readings >= 2))
      throw new RangeError(
        `BlockView: readings per block must be a whole number of at least 2 (got ${readings})`,
      );
    this.forest = new RandomCutForest({
      dimensions: 2,
      shingleSize: BLOCK_SHINGLE,
      outputAfter: BLOCK_OUTPUT_AFTER,
      numberOfTrees: BLOCK_TREES,
      randomSeed: seed + BLOCK_SEED_OFFSET,
    });
    this.learningBlocks = BLOCK_OUTPUT_AFTER + BLOCK_SHINGLE - 1;
    // AlertStream validates its settings.
    this.stream = new AlertStream({
      ...policy,
      averaging: 1,
      horizon: Math.ceil(policy.horizon / readings),
      learning: Math.max(BLOCK_MIN_LEARNING, Math.floor(warmup / readings) - this.learningBlocks),
    });
  }

  /** Adds a reading; when it ends a block, scores the block. */
  add(value: number): void {
    this.filled++;
    this.sum += value;
    this.sumSquares += value * value;
    if (this.filled < this.readings) return;
    const mean = this.sum / this.readings;
    const variance = Math.max(0, this.sumSquares / this.readings - mean * mean);
    this.filled = 0;
    this.sum = 0;
    this.sumSquares = 0;
    const score = this.forest.process([mean, Math.log(FLAT_BLOCK_SPREAD + Math.sqrt(variance))]);
    const index = this.blocks++;
    if (index < this.learningBlocks) return;
    const verdict = this.stream.observe({ at: index, score });
    this.currentTail = verdict.ready ? Math.min(1, verdict.tailProbability * BLOCK_BONFERRONI) : undefined;
  }

  /** Tail probability of the last full block (undefined until the view has learned). */
  get tail(): number | undefined {
    return this.currentTail;
  }
}

/** Surprisal above this many bits counts as this many, so one wild reading does not dominate the average. */
export const SEQUENCE_CLIP_BITS = 6;

/**
 * Weight of the sequence view's upper tail (a stretch of readings far more surprising than the series has been):
 * at weights up to 1e6 it hurt the machine-temperature series (alert column 31.5 to 90.8, against 92.2), so it
 * counts only when extreme: a tail below 1e-35 (about 12 sigma) beats the policy's 1e-5 after this weight.
 */
export const SURPRISE_TAIL_WEIGHT = 1e30;

/**
 * A sequence model's surprisal per reading (./context-model.ts), clipped at {@link SEQUENCE_CLIP_BITS} and
 * judged by two running distributions of the alert policy, averaged as the forest's scores are:
 * - upside down: the upper tail of the negated surprisal, a stretch of readings far more predictable than the
 *   series has been (noise that stops, a cycle that flattens);
 * - as it is, weighted by {@link SURPRISE_TAIL_WEIGHT}: a stretch extremely more surprising than the series has
 *   been (a very regular series that breaks its pattern).
 */
export class SequenceView {
  private readonly model: ContextModel;
  private readonly predictable: AlertStream;
  private readonly surprising: AlertStream;
  private lastSurprisal = 0;

  /**
   * @param calibration readings whose values fix the sequence model's symbols (the forest's learning readings)
   * @param policy the detector's alert policy (its range rule and cool-down are the detector's own business)
   */
  constructor(calibration: number, policy: AlertPolicySettings) {
    this.model = new ContextModel({ calibration });
    const { spatialTolerance: _range, cooldown: _cooldown, rangeWarmup: _warmup, ...scoring } = policy;
    this.predictable = new AlertStream(scoring);
    this.surprising = new AlertStream(scoring);
  }

  /** Scores a reading by the sequence model (kept for `judge`), then the model learns it. */
  learn(value: number): void {
    this.lastSurprisal = Math.min(SEQUENCE_CLIP_BITS, this.model.process(value));
  }

  /** Judges the last learned reading: its tail probability, or undefined while the view learns. */
  judge(at: number): number | undefined {
    const surprising = this.surprising.observe({ at, score: this.lastSurprisal });
    const predictable = this.predictable.observe({ at, score: -this.lastSurprisal });
    if (!predictable.ready) return undefined;
    return Math.min(predictable.tailProbability, surprising.tailProbability * SURPRISE_TAIL_WEIGHT);
  }
}

/** The calendar view's period: a day (readings are judged against the same hour of other days). */
export const CALENDAR_PERIOD_MS = 86_400_000;
/** The calendar view's buckets: hours of the day. */
export const CALENDAR_BUCKET_MS = 3_600_000;
/** Periods the calendar view learns before it speaks (a profile from one or two days is mostly noise). */
export const CALENDAR_MIN_PERIODS = 3;
/**
 * Share of the detrended variance the hour-of-day profile must explain before the view speaks: below it the
 * series has no daily cycle to break, and the view's residual is just the series' own noise again.
 */
export const CALENDAR_MIN_EXPLAINED = 0.5;
/** The calendar view's tail is doubled, as the block view's is (one more view asked). */
export const CALENDAR_BONFERRONI = 2;
/** Periods the hour-of-day profile averages over (its time constant). */
const CALENDAR_PROFILE_PERIODS = 4;

/**
 * A calendar view: the series as level + hour-of-day profile + residual. The level is an exponential mean over
 * about one period, the profile a per-hour exponential mean of (value - level) over about four periods; the
 * reading's residual, scaled by the residual's running mean absolute size, is judged by the alert policy's running
 * distribution (without the range rule and the cool-down, which belong to the detector's own stream). It speaks
 * once {@link CALENDAR_MIN_PERIODS} days are seen and the profile explains at least
 * {@link CALENDAR_MIN_EXPLAINED} of the detrended variance, so a series without a daily cycle never hears from it.
 * Readings need times: a reading without one is not seen by this view.
 *
 * Chosen on the development sets (machine temperature and synthetic seeds 1-8), and adopted with the range rule's
 * warm-up after a check set beforehand on fresh synthetic seeds 121-152 (README, "Measured figures").
 */
export class CalendarView {
  private readonly buckets: number;
  private readonly profile: Float64Array;
  private readonly bucketCount: Float64Array;
  private readonly stream: AlertStream;
  private start = NaN;
  private level = NaN;
  private readings = 0;
  private residualAbs = 0;
  private residualSq = 0;
  private detrendedSq = 0;
  private lastTail: number | undefined;

  constructor(
    policy: AlertPolicySettings,
    private readonly periodMs = CALENDAR_PERIOD_MS,
    private readonly bucketMs = CALENDAR_BUCKET_MS,
  ) {
    if (!(bucketMs > 0 && periodMs >= bucketMs))
      throw new RangeError(
        `CalendarView: the period (${periodMs} ms) must hold at least one bucket (${bucketMs} ms)`,
      );
    this.buckets = Math.round(periodMs / bucketMs);
    this.profile = new Float64Array(this.buckets);
    this.bucketCount = new Float64Array(this.buckets);
    const { spatialTolerance: _range, cooldown: _cooldown, rangeWarmup: _warmup, ...scoring } = policy;
    this.stream = new AlertStream(scoring);
  }

  /**
   * Judges the reading at `time` (ms since the epoch; NaN: no time, not seen), then learns it; returns the
   * view's tail probability, or undefined while it does not speak.
   */
  process(at: number, time: number, value: number): number | undefined {
    if (!Number.isFinite(time) || !Number.isFinite(value)) return (this.lastTail = undefined);
    if (Number.isNaN(this.start)) this.start = time;
    const periods = (time - this.start) / this.periodMs;
    this.readings++;
    // Readings per period so far: the level's time constant (at least one reading).
    const perPeriod = periods >= 1 ? this.readings / periods : this.readings;
    const bucket = Math.floor((((time % this.periodMs) + this.periodMs) % this.periodMs) / this.bucketMs);
    if (Number.isNaN(this.level)) this.level = value;
    const detrended = value - this.level;
    const expected = this.bucketCount[bucket]! > 0 ? this.profile[bucket]! : 0;
    const residual = detrended - expected;

    const seenInBucket = ++this.bucketCount[bucket]!;
    const perBucketPeriod = Math.max(1, perPeriod / this.buckets);
    this.profile[bucket] +=
      (detrended - this.profile[bucket]!) /
      Math.min(seenInBucket, CALENDAR_PROFILE_PERIODS * perBucketPeriod);
    this.level += (value - this.level) / Math.min(this.readings, Math.max(1, perPeriod));
    const weight = 1 / Math.min(this.readings, Math.max(1, CALENDAR_PROFILE_PERIODS * perPeriod));
    this.residualAbs += weight * (Math.abs(residual) - this.residualAbs);
    this.residualSq += weight * (residual * residual - this.residualSq);
    this.detrendedSq += weight * (detrended * detrended - this.detrendedSq);

    const score = this.residualAbs > 0 ? Math.abs(residual) / this.residualAbs : 0;
    const verdict = this.stream.observe({ at, score });
    const explained = this.detrendedSq > 0 ? 1 - this.residualSq / this.detrendedSq : 0;
    if (periods < CALENDAR_MIN_PERIODS || !verdict.ready || explained < CALENDAR_MIN_EXPLAINED)
      return (this.lastTail = undefined);
    return (this.lastTail = Math.min(1, verdict.tailProbability * CALENDAR_BONFERRONI));
  }

  /** The tail of the last reading processed (undefined while the view does not speak). */
  get tail(): number | undefined {
    return this.lastTail;
  }
}
