/**
 * AnomalyDetector: a streaming Random Cut Forest whose scores go through the platform's alert policy
 * (`components/ml/alert-policy.ts`, the same module the cloud scoring function applies to SageMaker's scores).
 * One call per reading returns the forest's score, the policy's anomaly score in [0, 1] and whether to alert.
 * For a one-column series two second views (./second-views.ts: a forest over blocks of readings, a sequence
 * model) add their tail probabilities, for the faults of a series that goes quiet, which the forest cannot see.
 */
import {
  AlertStream,
  rangeTolerance,
  validateAlertPolicy,
  type AlertPolicySettings,
  type DetectedKind,
} from "../../components/ml/alert-policy";
import { RandomCutForest, resolveForestOptions, type RandomCutForestOptions } from "./forest";
import { BlockView, CalendarView, DEFAULT_BLOCK_READINGS, SequenceView } from "./second-views";

/**
 * The policy for a generic series scored by a streaming forest (`npm run rcf`, this detector): scores averaged
 * over 20 readings (a streaming forest's single scores are noisy; Numenta averages 10 of HTM's) and the range
 * rule at 5%, as Numenta's NAB detector does; the platform's own policy (PLATFORM_ALERT_POLICY) judges the mean
 * of only 3 scores because its features already describe one reading's fault. A cool-down of 2000 readings (about a
 * week of 5-minute readings) after a score's incident: a restless series pages once per episode (500 to 4000
 * were tried; the gain levels off from 2000). Chosen on the machine-temperature series and a synthetic corpus of
 * many shapes (bench/detection), and checked on synthetic seeds not used to choose (README, "Measured figures").
 */
export const SERIES_ALERT_POLICY: AlertPolicySettings = Object.freeze({
  averaging: 20,
  horizon: 8640,
  learning: 375,
  tailProbability: 1e-5,
  minSigma: 0.05,
  settle: 64,
  escalation: 1.5,
  dropoutReadings: 1,
  learnAnomalous: true,
  spatialTolerance: 0.05,
  rangeWarmup: 1500,
  cooldown: 2000,
});

/** Default warm-up: NAB's probationary period of a long file (0.15 x 5000 readings). */
export const DEFAULT_WARMUP = 750;

/**
 * Stuck rule of a generic series: a run of one repeated value this many times longer than any run seen before
 * it (and at least {@link MIN_STUCK_READINGS} readings) is a fault of kind `stuck`. A forest cannot see it: a
 * flat shingle lies inside the cloud of ordinary ones (isolation finds points at the edges, not too-quiet
 * ones), and the streaming forest soon learns it. Relative to the series' own history, so a series that is
 * often flat (counts, sparse data) raises its own bar; the platform's sensors use a fixed window instead
 * (model settings, `stuckReadings`).
 */
export const STUCK_RUN_FACTOR = 2;

/**
 * Residual range rule: readings in the baseline (the median of the previous ones). The range rule judges the
 * value against the range of values seen; this judges the reading's deviation from its own recent baseline
 * against the range of deviations seen, with the same tolerance (`spatialTolerance`), so a spike or a step
 * inside the series' overall range (a daily cycle's) still stands out: Numenta's spatial anomaly, on the
 * residual. Off with the range rule (`--spatial-tolerance none`) and for several dimensions.
 */
export const RESIDUAL_BASELINE = 16;
export const MIN_STUCK_READINGS = 10;

/** Options of {@link AnomalyDetector}: the forest's options plus the alert policy's. */
export interface AnomalyDetectorOptions extends RandomCutForestOptions, Partial<AlertPolicySettings> {
  /**
   * Readings before the detector may alert: during the first half the forest learns (its early scores say
   * little), during the second half the policy learns the score distribution from them. @default 750
   */
  warmup?: number;
  /**
   * Readings per block of the block view, a second forest over block summaries (./second-views.ts); 0 turns
   * it off. One-column series only. @default 16
   */
  blockReadings?: number;
  /**
   * The sequence view: alert when a series becomes unusually predictable or extremely surprising
   * (./second-views.ts). One-column series only. @default true
   */
  sequenceView?: boolean;
  /**
   * The calendar view: the reading against its hour of the day, for a daily cycle that breaks (./second-views.ts).
   * One-column series with reading times only (`process(reading, time)`). @default true
   */
  calendarView?: boolean;
}

/** What the detector says about one reading. */
export interface AnomalyDescriptor {
  /** Random Cut Forest anomaly score (0 while the forest warms up). */
  score: number;
  /** The policy's anomaly score in [0, 1]: Numenta's log-likelihood, 0.5 at tail probability 1e-5. */
  anomalyScore: number;
  /** Upper-tail probability of the averaged score (1 during the warm-up). */
  tailProbability: number;
  /** The reading is anomalous (it may belong to an incident that already alerted). */
  anomalous: boolean;
  /** What made it anomalous: `score` or `range` (a value beyond the range seen). */
  kind: DetectedKind | undefined;
  /** True for the reading that opens an incident (or escalates an open one). */
  alert: boolean;
  /** True while an incident is open. */
  inIncident: boolean;
  /** True once past the warm-up. */
  ready: boolean;
}

/**
 * Streaming anomaly detector.
 *
 * ```ts
 * const detector = new AnomalyDetector();
 * for (const reading of stream) {
 *   const { anomalyScore, alert } = detector.process(reading);
 *   if (alert) page(reading, anomalyScore);
 * }
 * ```
 */
export class AnomalyDetector {
  readonly forest: RandomCutForest;
  readonly policy: AlertPolicySettings;
  readonly warmup: number;
  private readonly stream: AlertStream;
  private readonly forestLearning: number;
  private readings = 0;
  /** Stuck rule (one dimension): the value repeated, for how many readings, and the longest earlier run. */
  private runValue = NaN;
  private runLength = 0;
  private longestRun = 0;
  /** Residual range rule (one dimension): the last values, and the range of residuals seen. */
  private readonly recent = new Float64Array(RESIDUAL_BASELINE);
  private readonly sorted = new Float64Array(RESIDUAL_BASELINE);
  private residualLow = Infinity;
  private residualHigh = -Infinity;
  /** Second views (one dimension; see ./second-views.ts). */
  private readonly blockView: BlockView | undefined;
  private readonly sequenceView: SequenceView | undefined;
  private readonly calendarView: CalendarView | undefined;
  /** The second views in effect (none for several columns). */
  readonly views: {
    readonly blockReadings: number;
    readonly sequenceView: boolean;
    readonly calendarView: boolean;
  };

  constructor(options: AnomalyDetectorOptions = {}) {
    const forestOptions = resolveForestOptions(options);
    this.forest = new RandomCutForest(forestOptions);
    this.warmup = options.warmup ?? DEFAULT_WARMUP;
    if (!(Number.isInteger(this.warmup) && this.warmup >= 4))
      throw new RangeError(
        `AnomalyDetector: warmup must be a whole number of at least 4 (got ${this.warmup})`,
      );
    this.forestLearning = Math.max(
      Math.floor(this.warmup / 2),
      forestOptions.outputAfter + forestOptions.shingleSize - 1,
    );
    const policy: AlertPolicySettings = {
      ...SERIES_ALERT_POLICY,
      ...definedOnly(options),
      learning: Math.max(2, this.warmup - this.forestLearning),
    };
    if (forestOptions.dimensions !== 1) delete (policy as { spatialTolerance?: number }).spatialTolerance;
    this.policy = validateAlertPolicy(policy);
    this.stream = new AlertStream(this.policy);
    const blockReadings = options.blockReadings ?? DEFAULT_BLOCK_READINGS;
    if (!(Number.isInteger(blockReadings) && (blockReadings === 0 || blockReadings >= 2)))
      throw new RangeError(
        `AnomalyDetector: blockReadings must be 0 (off) or a whole number of at least 2 (got ${blockReadings})`,
      );
    if (forestOptions.dimensions === 1) {
      if (blockReadings > 0)
        this.blockView = new BlockView(blockReadings, this.warmup, this.policy, forestOptions.randomSeed);
      if (options.sequenceView ?? true)
        this.sequenceView = new SequenceView(this.forestLearning, this.policy);
      if (options.calendarView ?? true) this.calendarView = new CalendarView(this.policy);
    }
    this.views = Object.freeze({
      blockReadings: this.blockView?.readings ?? 0,
      sequenceView: this.sequenceView !== undefined,
      calendarView: this.calendarView !== undefined,
    });
  }

  /** Readings processed so far. */
  get count(): number {
    return this.readings;
  }

  /**
   * Scores a reading, judges it, then learns it.
   * @param time - the reading's time in ms since the epoch, for the calendar view (NaN: none, the view skips it)
   */
  process(reading: number | ArrayLike<number>, time = NaN): AnomalyDescriptor {
    const index = this.readings++;
    const score = this.forest.process(reading);
    const single = typeof reading === "number" ? reading : reading.length === 1 ? reading[0] : undefined;
    this.followRun(single);
    if (single !== undefined) {
      this.blockView?.add(single);
      this.sequenceView?.learn(single);
      this.calendarView?.process(index, time, single);
    }
    if (index < this.forestLearning) {
      this.residualBeyondRange(index, single);
      // The range rule's range includes these readings (Numenta's spatial anomaly: every value seen).
      this.stream.observe({ at: index, value: single });
      return {
        score,
        anomalyScore: 0,
        tailProbability: 1,
        anomalous: false,
        kind: undefined,
        alert: false,
        inIncident: false,
        ready: false,
      };
    }
    const verdict = this.stream.observe({
      at: index,
      score,
      value: single,
      stuck: this.stuck(single),
      beyondRange: this.residualBeyondRange(index, single),
      otherViewTail: this.otherViewTail(index),
    });
    return {
      score,
      anomalyScore: verdict.anomalyScore,
      tailProbability: verdict.tailProbability,
      anomalous: verdict.anomalous,
      kind: verdict.kind,
      alert: verdict.alert,
      inIncident: verdict.inIncident,
      ready: verdict.ready,
    };
  }

  /** The smallest tail probability of the second views (undefined when none has one yet). */
  private otherViewTail(index: number): number | undefined {
    const tails = [this.sequenceView?.judge(index), this.blockView?.tail, this.calendarView?.tail].filter(
      (tail): tail is number => tail !== undefined,
    );
    return tails.length > 0 ? Math.min(...tails) : undefined;
  }

  /** Extends or restarts the run of one repeated value with this reading's value (one dimension). */
  private followRun(value: number | undefined): void {
    if (value !== undefined && value === this.runValue) {
      this.runLength++;
      return;
    }
    this.longestRun = Math.max(this.longestRun, this.runLength);
    this.runValue = value ?? NaN;
    this.runLength = value === undefined ? 0 : 1;
  }

  /**
   * Whether this value's deviation from the median of the previous {@link RESIDUAL_BASELINE} values is beyond
   * the range of deviations seen by more than the tolerance; then learns the value and its deviation.
   */
  private residualBeyondRange(index: number, value: number | undefined): boolean {
    if (value === undefined || this.policy.spatialTolerance === undefined) return false;
    const size = RESIDUAL_BASELINE;
    let beyond = false;
    if (index >= size) {
      this.sorted.set(this.recent);
      this.sorted.sort();
      const median = (this.sorted[(size - 1) >> 1] + this.sorted[size >> 1]) / 2;
      const residual = value - median;
      if (this.residualHigh > this.residualLow) {
        // The residual range warms up as the value range does (rangeTolerance).
        const margin = (this.residualHigh - this.residualLow) * rangeTolerance(this.policy, index)!;
        beyond = residual > this.residualHigh + margin || residual < this.residualLow - margin;
      }
      this.residualLow = Math.min(this.residualLow, residual);
      this.residualHigh = Math.max(this.residualHigh, residual);
    }
    this.recent[index % size] = value;
    return beyond;
  }

  /** Whether the current run of one value is far longer than any before it (see {@link STUCK_RUN_FACTOR}). */
  private stuck(value: number | undefined): boolean {
    return (
      value !== undefined &&
      this.runLength >= MIN_STUCK_READINGS &&
      this.runLength > STUCK_RUN_FACTOR * this.longestRun
    );
  }
}

const POLICY_KEYS: readonly (keyof AlertPolicySettings)[] = [
  "averaging",
  "horizon",
  "tailProbability",
  "minSigma",
  "settle",
  "escalation",
  "dropoutReadings",
  "learnAnomalous",
  "spatialTolerance",
  "rangeWarmup",
  "cooldown",
];

/** The policy settings the caller set (undefined ones keep the defaults). */
function definedOnly(options: Partial<AlertPolicySettings>): Partial<AlertPolicySettings> {
  const picked: Record<string, number | boolean> = {};
  for (const key of POLICY_KEYS) if (options[key] !== undefined) picked[key] = options[key];
  return picked;
}
