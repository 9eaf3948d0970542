/**
 * Turning Random Cut Forest scores into alerts, the way production uses them.
 *
 *  - Streaming: threshold = mean + z x sigma of the running (exponentially discounted) distribution of scores,
 *    z = 3 by default, as SageMaker documents for RCF scores; no alert during a warm-up. The running statistics are
 *    the reference's `Deviation` (ThresholdedRandomCutForest's BasicThresholder), and the grade is its primary grade.
 *  - Batch: the cloud training step computes mean + z x sigma over the training scores once and stores the number.
 *  - Alerts are events: an incident starts when the exceedance is confirmed (2 of the last 3 readings above the line by
 *    default), raises one alert, and suppresses further alerts until the score has settled below the threshold for a
 *    number of consecutive readings (hysteresis), like ThresholdedRandomCutForest suppressing repeated anomalies, so
 *    one incident pages an operator once instead of once per reading.
 */

/** Default z factor: SageMaker's documented rule of thumb (scores beyond 3 standard deviations are anomalous). */
export const DEFAULT_Z_FACTOR = 3;

/**
 * Exponentially discounted mean and standard deviation (the reference's parkservices `Deviation`).
 * With discount d, an observation's weight decays like (1 - d)^age; d = 0 gives the plain running statistics.
 * The early updates use 1 - 1 / (count + 2) instead, so that the first values are not over-weighted.
 */
export class Deviation {
  readonly discount: number;
  private sum = 0;
  private sumOfSquares = 0;
  private weight = 0;
  private observations = 0;

  constructor(discount = 0) {
    if (!(discount >= 0 && discount < 1)) {
      throw new RangeError(`Deviation: discount must be in [0, 1), got ${discount}`);
    }
    this.discount = discount;
  }

  /** Adds one observation. */
  update(value: number): void {
    const factor = this.discount === 0 ? 1 : Math.min(1 - this.discount, 1 - 1 / (this.observations + 2));
    this.sum = this.sum * factor + value;
    this.sumOfSquares = this.sumOfSquares * factor + value * value;
    this.weight = this.weight * factor + 1;
    this.observations++;
  }

  /** Number of observations so far. */
  get count(): number {
    return this.observations;
  }

  get mean(): number {
    return this.weight > 0 ? this.sum / this.weight : 0;
  }

  /** Population variance (never negative). */
  get variance(): number {
    if (this.weight <= 0) return 0;
    const mean = this.sum / this.weight;
    return Math.max(0, this.sumOfSquares / this.weight - mean * mean);
  }

  get deviation(): number {
    return Math.sqrt(this.variance);
  }
}

/**
 * Grade of a score in [0, 1] (the reference's BasicThresholder.getPrimaryGrade): 0 at mean + z sigma or below,
 * rising linearly to 1 at mean + 2z sigma and beyond.
 */
export function gradeOf(score: number, mean: number, deviation: number, zFactor: number): number {
  if (!(deviation > 0)) return score > mean ? 1 : 0;
  const standardized = Math.min(2 * zFactor, (score - mean) / deviation);
  return Math.max(0, (standardized - zFactor) / zFactor);
}

/** Options of {@link StreamingThreshold}. */
export interface StreamingThresholdOptions {
  /** Standard deviations above the mean (default 3). */
  zFactor?: number;
  /** Discount of the running statistics (default 0: all scores weigh the same). */
  discount?: number;
  /** Scores observed before the threshold is trusted (default 256). */
  warmup?: number;
}

/** Streaming threshold: mean + z x sigma over the scores seen so far, not trusted during the warm-up. */
export class StreamingThreshold {
  readonly zFactor: number;
  readonly warmup: number;
  readonly statistics: Deviation;

  constructor(options: StreamingThresholdOptions = {}) {
    this.zFactor = options.zFactor ?? DEFAULT_Z_FACTOR;
    if (!(Number.isFinite(this.zFactor) && this.zFactor > 0)) {
      throw new RangeError(`StreamingThreshold: zFactor must be a positive number, got ${this.zFactor}`);
    }
    this.warmup = options.warmup ?? 256;
    if (!(Number.isInteger(this.warmup) && this.warmup >= 2)) {
      throw new RangeError(`StreamingThreshold: warmup must be an integer >= 2, got ${this.warmup}`);
    }
    this.statistics = new Deviation(options.discount ?? 0);
  }

  /** True once `warmup` scores have been observed. */
  get isReady(): boolean {
    return this.statistics.count >= this.warmup;
  }

  /** Current threshold (mean + z sigma); +Infinity during the warm-up. */
  get threshold(): number {
    if (!this.isReady) return Infinity;
    return this.statistics.mean + this.zFactor * this.statistics.deviation;
  }

  /** Grade of a score against the current statistics (0 during the warm-up). */
  grade(score: number): number {
    if (!this.isReady) return 0;
    return gradeOf(score, this.statistics.mean, this.statistics.deviation, this.zFactor);
  }

  /** Adds a score to the running statistics (call after judging it, so a spike does not raise its own bar). */
  update(score: number): void {
    this.statistics.update(score);
  }
}

/** Mean, population standard deviation and threshold of a batch of scores. */
export interface BatchStatistics {
  mean: number;
  deviation: number;
  /** mean + z x deviation. */
  threshold: number;
  zFactor: number;
  /** Number of finite scores used. */
  count: number;
}

/**
 * Statistics of training scores and the threshold mean + z x sigma (what the cloud training step stores).
 * Non-finite scores are ignored. Throws if there is no finite score.
 */
export function batchStatistics(scores: ArrayLike<number>, zFactor = DEFAULT_Z_FACTOR): BatchStatistics {
  if (!(Number.isFinite(zFactor) && zFactor > 0)) {
    throw new RangeError(`batchThreshold: z must be a positive number, got ${zFactor}`);
  }
  let count = 0;
  let mean = 0;
  let m2 = 0;
  // Welford's algorithm: one pass, numerically stable.
  for (let i = 0; i < scores.length; i++) {
    const value = scores[i];
    if (!Number.isFinite(value)) continue;
    count++;
    const delta = value - mean;
    mean += delta / count;
    m2 += delta * (value - mean);
  }
  if (count === 0) throw new RangeError("batchThreshold: no finite score to learn a threshold from");
  const deviation = Math.sqrt(m2 / count);
  return { mean, deviation, threshold: mean + zFactor * deviation, zFactor, count };
}

/** The cloud training-step rule: mean + z x standard deviation of the training scores (z = 3 by default). */
export function batchThreshold(scores: ArrayLike<number>, zFactor = DEFAULT_Z_FACTOR): number {
  return batchStatistics(scores, zFactor).threshold;
}

/** Default number of exceedances needed to open an incident (see {@link IncidentTracker}). */
export const DEFAULT_CONFIRMATIONS = 2;
/** Default number of latest readings in which the exceedances are counted. */
export const DEFAULT_CONFIRMATION_WINDOW = 3;
/** Default escalation factor: a score this many times the incident's peak so far pages again. */
export const DEFAULT_ESCALATION_FACTOR = 1.5;

/** Options of {@link IncidentTracker}. */
export interface IncidentTrackerOptions {
  /**
   * Exceedances among the last `confirmationWindow` readings that open an incident (default 2 of 3, like
   * CloudWatch's "M out of N datapoints to alarm"). Why: RCF scores are heavy-tailed, about 2% of ordinary readings
   * exceed mean + 3 sigma (instead of the 0.13% a Gaussian would give), mostly as isolated points; requiring 2 of 3
   * brings the false-alarm rate of independent exceedances back to about 3 x 0.02^2 = 0.12%, the nominal 3-sigma
   * rate, at the cost of one or two readings of delay. 1 of 1 alerts on every first exceedance.
   */
  confirmations?: number;
  /** Number of latest readings in which exceedances are counted (default 3, at most 31). */
  confirmationWindow?: number;
  /** Consecutive readings at or below the threshold after which an incident is over (default 64). */
  settlePoints?: number;
  /**
   * Within an open incident, a confirmed exceedance whose score is at least this factor times the incident's peak
   * score so far raises a new alert (default 1.5; Infinity disables). Why: suppression must not hide a much worse
   * event that starts while a mild incident is still open (ThresholdedRandomCutForest likewise re-triggers inside a
   * suppression period only when the new evidence is substantially larger than the last anomaly's).
   */
  escalationFactor?: number;
}

/**
 * Turns scores and thresholds into incident events: an incident opens (one alert) when `confirmations` of the last
 * `confirmationWindow` readings are above the threshold; later readings of the same incident are suppressed unless
 * the incident escalates (see `escalationFactor`); the incident ends, and the next exceedances can alert again, only
 * once `settlePoints` consecutive readings have stayed at or below the threshold (hysteresis), so one incident pages
 * an operator once.
 */
export class IncidentTracker {
  readonly confirmations: number;
  readonly confirmationWindow: number;
  readonly settlePoints: number;
  readonly escalationFactor: number;
  private active = false;
  private quietPoints = 0;
  private peakScore = 0;
  private alerts = 0;
  /** Bit i set = the reading i steps ago was above the threshold (i < confirmationWindow). */
  private recentExceedances = 0;
  private readonly windowMask: number;

  constructor(options: IncidentTrackerOptions = {}) {
    this.confirmations = options.confirmations ?? DEFAULT_CONFIRMATIONS;
    this.confirmationWindow =
      options.confirmationWindow ?? Math.max(DEFAULT_CONFIRMATION_WINDOW, this.confirmations);
    this.settlePoints = options.settlePoints ?? 64;
    this.escalationFactor = options.escalationFactor ?? DEFAULT_ESCALATION_FACTOR;
    if (!(
      Number.isInteger(this.confirmationWindow) &&
      this.confirmationWindow >= 1 &&
      this.confirmationWindow <= 31
    )) {
      throw new RangeError(
        `IncidentTracker: confirmationWindow must be an integer in [1, 31], got ${this.confirmationWindow}`,
      );
    }
    if (!(
      Number.isInteger(this.confirmations) &&
      this.confirmations >= 1 &&
      this.confirmations <= this.confirmationWindow
    )) {
      throw new RangeError(
        `IncidentTracker: confirmations must be an integer in [1, confirmationWindow = ${this.confirmationWindow}], ` +
          `got ${this.confirmations}`,
      );
    }
    if (!(Number.isInteger(this.settlePoints) && this.settlePoints >= 1)) {
      throw new RangeError(`IncidentTracker: settlePoints must be an integer >= 1, got ${this.settlePoints}`);
    }
    if (!(this.escalationFactor > 1)) {
      throw new RangeError(
        `IncidentTracker: escalationFactor must be > 1 (Infinity disables), got ${this.escalationFactor}`,
      );
    }
    this.windowMask = (1 << this.confirmationWindow) - 1;
  }

  /** True while an incident is open (an alert was raised and the score has not settled yet). */
  get inIncident(): boolean {
    return this.active;
  }

  /** Number of alerts so far (incident openings and escalations). */
  get alertCount(): number {
    return this.alerts;
  }

  /** Feeds one reading (score and the threshold in force); returns true when this reading must alert. */
  observe(score: number, threshold: number): boolean {
    const above = score > threshold;
    this.recentExceedances = ((this.recentExceedances << 1) | (above ? 1 : 0)) & this.windowMask;
    const confirmed = above && bitCount(this.recentExceedances) >= this.confirmations;
    if (!this.active) {
      if (!confirmed) return false;
      this.active = true;
      this.quietPoints = 0;
      this.peakScore = score;
      this.alerts++;
      return true;
    }
    if (!above) {
      if (++this.quietPoints >= this.settlePoints) {
        this.active = false;
        this.recentExceedances = 0; // a new incident needs fresh confirmations
      }
      return false;
    }
    this.quietPoints = 0;
    if (!confirmed) return false; // the peak is the incident's confirmed severity: lone readings do not move it
    const escalates = score >= this.escalationFactor * this.peakScore;
    if (score > this.peakScore) this.peakScore = score;
    if (escalates) this.alerts++;
    return escalates;
  }
}

function bitCount(value: number): number {
  let count = 0;
  for (let bits = value; bits !== 0; bits &= bits - 1) count++;
  return count;
}
