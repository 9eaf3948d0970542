/**
 * AnomalyDetector: a Random Cut Forest plus thresholding and incident suppression, in the spirit of the reference's
 * ThresholdedRandomCutForest. One call per reading returns the score, the threshold in force, a grade and whether to
 * alert.
 */
import { RandomCutForest, resolveForestOptions, type RandomCutForestOptions } from "./forest";
import {
  DEFAULT_CONFIRMATIONS,
  DEFAULT_CONFIRMATION_WINDOW,
  DEFAULT_ESCALATION_FACTOR,
  DEFAULT_Z_FACTOR,
  IncidentTracker,
  StreamingThreshold,
  gradeOf,
  type IncidentTrackerOptions,
} from "./threshold";

/** Options of {@link AnomalyDetector}: the forest's options plus the thresholding ones. */
export interface AnomalyDetectorOptions extends RandomCutForestOptions {
  /** Standard deviations above the mean score that make an anomaly (default 3, SageMaker's rule). */
  zFactor?: number;
  /**
   * Scores observed (after the forest's outputAfter) before alerts are allowed (default: sampleSize, i.e. one full
   * sample of scores, so that the mean and sigma are estimated from a sensible number of values).
   */
  warmupScores?: number;
  /**
   * Discount of the running score statistics (default: the forest's timeDecay, so scores are judged against the
   * same horizon the model remembers, as the reference's thresholder does).
   */
  scoreDiscount?: number;
  /**
   * Consecutive readings at or below the threshold that close an incident (default: sampleSize / 4, the forest's
   * default warm-up, i.e. the scale on which the model itself settles). Until then, further exceedances are part of
   * the same incident and do not alert again.
   */
  settlePoints?: number;
  /** Exceedances among the last `confirmationWindow` readings that open an incident (default 2; see IncidentTracker). */
  confirmations?: number;
  /** Readings in which exceedances are counted (default 3). */
  confirmationWindow?: number;
  /** Score ratio to the open incident's peak that pages again (default 1.5; see IncidentTracker). */
  escalationFactor?: number;
  /**
   * Batch mode: statistics of training scores (see batchStatistics). When set, the threshold is fixed at
   * mean + zFactor x deviation instead of being estimated from the stream, and no warm-up applies.
   */
  batch?: { mean: number; deviation: number };
}

/** What the detector says about one reading. */
export interface AnomalyDescriptor {
  /** Random Cut Forest anomaly score (0 while the forest warms up). */
  score: number;
  /** Threshold in force for this reading (+Infinity while warming up). */
  threshold: number;
  /** Severity in [0, 1]: 0 at the threshold, 1 at twice the z distance (the reference's primary grade). */
  grade: number;
  /** True for the reading that opens an incident (or escalates an open one); false for the rest of the incident. */
  alert: boolean;
  /** True while an incident is open (from its alert until the score has settled). */
  inIncident: boolean;
  /** True once scores and threshold are meaningful. */
  ready: boolean;
}

/**
 * Streaming anomaly detector.
 *
 * ```ts
 * const detector = new AnomalyDetector({ numberOfTrees: 100 });
 * for (const reading of stream) {
 *   const { score, alert } = detector.process(reading);
 *   if (alert) page(reading, score);
 * }
 * ```
 */
export class AnomalyDetector {
  readonly forest: RandomCutForest;
  readonly zFactor: number;
  readonly settlePoints: number;
  readonly warmupScores: number;
  private readonly streaming: StreamingThreshold;
  private readonly incidents: IncidentTracker;
  private readonly batch: { mean: number; deviation: number; threshold: number } | undefined;

  constructor(options: AnomalyDetectorOptions = {}) {
    const forestOptions = resolveForestOptions(options);
    this.forest = new RandomCutForest(forestOptions);
    this.zFactor = options.zFactor ?? DEFAULT_Z_FACTOR;
    this.warmupScores = options.warmupScores ?? forestOptions.sampleSize;
    this.settlePoints = options.settlePoints ?? Math.max(1, Math.floor(forestOptions.sampleSize / 4));
    this.streaming = new StreamingThreshold({
      zFactor: this.zFactor,
      discount: options.scoreDiscount ?? forestOptions.timeDecay,
      warmup: this.warmupScores,
    });
    this.incidents = new IncidentTracker({
      settlePoints: this.settlePoints,
      confirmations: options.confirmations ?? DEFAULT_CONFIRMATIONS,
      confirmationWindow: options.confirmationWindow ?? DEFAULT_CONFIRMATION_WINDOW,
      escalationFactor: options.escalationFactor ?? DEFAULT_ESCALATION_FACTOR,
    });
    if (options.batch) {
      const { mean, deviation } = options.batch;
      if (!Number.isFinite(mean) || !(deviation >= 0)) {
        throw new RangeError(
          `AnomalyDetector: batch statistics must be finite (mean ${mean}, deviation ${deviation})`,
        );
      }
      this.batch = { mean, deviation, threshold: mean + this.zFactor * deviation };
    }
  }

  /** Number of alerts raised so far. */
  get alertCount(): number {
    return this.incidents.alertCount;
  }

  /** Scores a reading, decides whether to alert, then learns the reading. */
  process(reading: number | ArrayLike<number>): AnomalyDescriptor {
    const forestReady = this.forest.isOutputReady();
    const score = this.forest.process(reading);
    if (!forestReady) {
      return { score, threshold: Infinity, grade: 0, alert: false, inIncident: false, ready: false };
    }
    let threshold: number;
    let grade: number;
    let ready: boolean;
    if (this.batch) {
      threshold = this.batch.threshold;
      grade = gradeOf(score, this.batch.mean, this.batch.deviation, this.zFactor);
      ready = true;
    } else {
      threshold = this.streaming.threshold;
      grade = this.streaming.grade(score);
      ready = this.streaming.isReady;
      // Judge first, learn after: a spike must not raise the bar it is measured against.
      this.streaming.update(score);
    }
    const alert = this.incidents.observe(score, ready ? threshold : Infinity);
    return { score, threshold, grade, alert, inIncident: this.incidents.inIncident, ready };
  }
}

/**
 * Applies a fixed threshold and incident suppression to precomputed scores (batch mode on a scored series).
 * Scores at indexes below `from` (warm-up) never alert.
 */
export function alertsFromScores(
  scores: ArrayLike<number>,
  threshold: number,
  incidentOptions: IncidentTrackerOptions = {},
  from = 0,
): Uint8Array {
  const tracker = new IncidentTracker(incidentOptions);
  const alerts = new Uint8Array(scores.length);
  for (let i = from; i < scores.length; i++) {
    alerts[i] = tracker.observe(scores[i], threshold) ? 1 : 0;
  }
  return alerts;
}
