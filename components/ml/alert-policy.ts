/**
 * The alert policy: how one device's stream of anomaly scores becomes alerts. ONE pure module (no Pulumi, no
 * I/O), used by the cloud scoring function on SageMaker's scores, by the local backend (which runs that same
 * function) and by `npm run rcf` on the TypeScript forest's scores, so every backend alerts on the same
 * readings for the same scores (tests/unit/ml/alert-parity.test.ts feeds one score stream to both paths).
 *
 * Per stream, in reading order (after the anomaly likelihood of Numenta's NAB detector, nupic's
 * `anomaly_likelihood.py`, with an upper tail and a discounted distribution instead of a sliding window):
 *  1. The score is averaged over the last `averaging` readings (1 = the score itself).
 *  2. The stream keeps a running distribution of that average: mean and variance with equal weights for the
 *     first `horizon` readings, then discounted by 1 / `horizon`. It starts from a prior (the cloud: the training
 *     scores' mean and sigma, counted as `learning` readings, so a new device can alert from its first reading)
 *     or learns from its first `learning` readings (the CLI). Each reading is judged before it is learned, and an
 *     anomalous one is not learned at all unless `learnAnomalous` (see the setting), so a fault does not raise
 *     its own bar.
 *  3. Tail probability p = Q((average - mean) / max(sigma, minSigma)), the Gaussian upper tail; the anomaly
 *     score in [0, 1] is Numenta's log-likelihood, ln(p) / ln(1e-10): 0.5 means p = 1e-5. Scores are
 *     heavier-tailed than a Gaussian (averaged forest scores pass 4.26 sigma about 1e-3 of the time on noise,
 *     not 1e-5), so p is a ranking more than a frequency: what it buys is a scale-free bar that is the same for
 *     every stream, and the incident rule below keeps the heavier tail from paging more than once per episode.
 *  4. A reading is anomalous when p < `tailProbability` and its score is above `floor`, or when a rule fires:
 *     `stuck` (the same value for a window of readings), `dropout` (readings missing before this one), `range`
 *     (a value beyond the range seen so far by more than `spatialTolerance` of that range, the "spatial
 *     anomaly" of Numenta's NAB detector; off unless set).
 *  5. Incidents: the first anomalous reading opens an incident and alerts; later anomalous readings join it
 *     silently until `settle` consecutive normal readings close it. Inside an incident a reading alerts again
 *     only for another kind of fault (a value beyond the range is the score's kind) or a score `escalation`
 *     times its peak, so one fault pages once but a worse or different one is not hidden. The reported anomaly
 *     score of the readings an incident absorbs is capped at {@link SUPPRESSED_ANOMALY_SCORE}, as Numenta
 *     filters consecutive "red" likelihoods. With `cooldown`, for that many readings after an incident a score
 *     opened closes, a score pages only if it is more improbable than the one that opened it (a restless
 *     stream pages once per episode, not once per `settle` readings).
 *
 * The training-time threshold (mean + z sigma of the training scores) stays, as `floor`: a device whose scores
 * become very regular (a stuck or unusually quiet sensor) narrows its own distribution until a reading the
 * fleet's model finds ordinary would look improbable; the floor keeps "anomalous" meaning unusual for this
 * device AND above what the model scores as normal across the training data.
 */

/** What made a reading anomalous. */
export const DETECTED_KINDS = ["score", "stuck", "dropout", "range"] as const;
export type DetectedKind = (typeof DETECTED_KINDS)[number];

/** Settings of the policy: part of the model settings document in the platform, options in `npm run rcf`. */
export interface AlertPolicySettings {
  /** Readings whose scores are averaged before judging (1 = each score alone). */
  readonly averaging: number;
  /** Horizon of the running score distribution, in readings (discount 1 / horizon). */
  readonly horizon: number;
  /** Readings a stream without a prior only learns from before it may alert. */
  readonly learning: number;
  /** Tail probability below which a score is anomalous (1e-5: log-likelihood 0.5). */
  readonly tailProbability: number;
  /** Smallest standard deviation of the distribution, in score units (a flat stream is not infinitely sure). */
  readonly minSigma: number;
  /** Consecutive normal readings that close an incident. */
  readonly settle: number;
  /** Inside an incident, a score this many times its peak alerts again. */
  readonly escalation: number;
  /** Readings missing before a reading that make it a dropout (0: the rule is off). */
  readonly dropoutReadings: number;
  /**
   * Whether anomalous scores are learned too. No for a static model (the platform's, retrained daily): a fault
   * that persists keeps scoring high, and learning it would raise the bar until the fault looks normal. Yes for
   * a model that keeps learning (the CLI's streaming forest): a persisting change becomes the model's new normal
   * and its scores fall back, so the distribution must also know how far the model's scores swing.
   */
  readonly learnAnomalous: boolean;
  /** Range rule: tolerance beyond the values seen, as a fraction of their range. @default - off */
  readonly spatialTolerance?: number;
  /**
   * Range rule's warm-up: the tolerance is `spatialTolerance x (1 + rangeWarmup / readings seen)`. Early in a
   * stream little of its range has been seen, so its ordinary extremes are still new; the wider tolerance lets
   * the range grow to the series' own before a new extreme pages, and fades to `spatialTolerance`.
   * @default - none (the tolerance as set from the first reading)
   */
  readonly rangeWarmup?: number;
  /**
   * Readings after an incident closes during which a score anomaly pages only if it is more improbable (a
   * lower tail probability) than the reading that opened that incident; a lesser one is anomalous but silent,
   * its anomaly score capped as inside an incident. The scores are heavier-tailed than the Gaussian the tail
   * probability assumes, so a stream whose noise reached the bar once tends to reach it again soon after; the
   * cool-down keeps one restless stretch from paging every `settle` readings, while a worse score, or another
   * kind of fault (stuck, dropout, a value beyond the range), still pages at once. @default - off
   */
  readonly cooldown?: number;
}

/**
 * The platform's policy: per-device scores from a model trained on the fleet's own features.
 *
 * `averaging: 3`: a sensor's ordinary noise puts a single reading in the forest's heavy score tail now and then
 * (the model is trained on the whole fleet, and a sensor noisier than the rest fills the tails of the pooled
 * features alone: a reading about 3 sigma out in its noise scores 1.6-2.6, where its own scores average 0.75 and
 * the floor is about 1.4), while a fault either lasts (level shift, drift, noise burst, whose scores stay high)
 * or is far beyond the noise (a spike scores 8 or more, still above the bar averaged with two ordinary scores).
 * Judging the mean of the last 3 scores dilutes the one-reading excursion and keeps the fault. The floor still
 * applies to the reading's own score, so a reading after a fault is not anomalous on its neighbour's score alone.
 */
export const PLATFORM_ALERT_POLICY: AlertPolicySettings = Object.freeze({
  averaging: 3,
  horizon: 8640,
  learning: 256,
  tailProbability: 1e-5,
  minSigma: 0.05,
  settle: 30,
  escalation: 1.5,
  dropoutReadings: 3,
  learnAnomalous: false,
});

/** Anomaly score reported for readings an open incident absorbs (Numenta's "yellow", likelihood 0.999). */
export const SUPPRESSED_ANOMALY_SCORE = 0.3;

/** Mean and standard deviation a stream starts from. */
export interface ScorePrior {
  readonly mean: number;
  readonly sigma: number;
}

/** An open incident. */
export interface IncidentState {
  /** Reading time (or index) of the reading that opened it. */
  readonly openedAt: number;
  readonly peak: number;
  /** Tail probability of the reading that opened it: the bar of the cool-down after it (`cooldown`). */
  readonly openingTail?: number;
  readonly kinds: readonly DetectedKind[];
  /** Consecutive normal readings since the last anomalous one. */
  readonly quiet: number;
  readonly anomalies: number;
}

/** Everything a stream remembers, as plain JSON (the cloud keeps it in S3 between scoring runs). */
export interface AlertStreamState {
  /** Whether the stream started from a prior (then it never needs a learning period). */
  readonly primed: boolean;
  /** Readings observed. */
  readonly seen: number;
  /** Scores learned into the distribution. */
  readonly learned: number;
  readonly mean: number;
  readonly variance: number;
  /** The last `averaging - 1` scores. */
  readonly recent: readonly number[];
  readonly incident: IncidentState | null;
  /** Smallest and largest value seen (range rule only). */
  readonly range?: readonly [number, number];
  /**
   * After an incident a score opened (`cooldown` only): the reading count until which the stream cools down,
   * and the tail probability of the reading that opened that incident.
   */
  readonly cooling?: { readonly until: number; readonly openingTail: number };
}

/** One reading as the policy sees it. */
export interface PolicyObservation {
  /** Reading time (or position): recorded as the incident's start. */
  readonly at: number;
  /** Anomaly score; absent when the reading has no model score (rules still apply). */
  readonly score?: number;
  /** The reading's value (range rule). */
  readonly value?: number;
  /** The value has not changed for the stuck window. */
  readonly stuck?: boolean;
  /** Readings missing right before this one. */
  readonly missing?: number;
  /** The caller found the reading beyond what the stream has seen in another view of it (kind `range`). */
  readonly beyondRange?: boolean;
  /**
   * Upper-tail probability of this reading in other views of the same stream (for example a forest over block
   * summaries), already corrected for how many views were asked. The reading's tail is the smaller of this and
   * its score's, so another view can open an incident of kind `score` the model's score alone would not.
   */
  readonly otherViewTail?: number;
}

/** The policy's verdict on one reading. */
export interface PolicyVerdict {
  readonly anomalous: boolean;
  /** The first rule that fired, `score` for the model's score; undefined when normal. */
  readonly kind: DetectedKind | undefined;
  /** This reading pages: it opened an incident or escalated one. */
  readonly alert: boolean;
  /** Numenta's log-likelihood in [0, 1] (0.5 = tail probability 1e-5), capped inside incidents. */
  readonly anomalyScore: number;
  /** Upper-tail probability of the (averaged) score under the stream's distribution. */
  readonly tailProbability: number;
  readonly inIncident: boolean;
  /** False while a stream without a prior is still learning. */
  readonly ready: boolean;
}

/** Checks settings, naming the first bad one. */
export function validateAlertPolicy(settings: AlertPolicySettings): AlertPolicySettings {
  const check = (name: keyof AlertPolicySettings, ok: boolean, expected: string) => {
    if (!ok) throw new RangeError(`alert policy: ${name} must be ${expected} (got ${settings[name]})`);
  };
  const whole = (v: number, min: number) => Number.isInteger(v) && v >= min;
  check("averaging", whole(settings.averaging, 1), "a whole number of at least 1");
  check("horizon", whole(settings.horizon, 2), "a whole number of at least 2");
  check("learning", whole(settings.learning, 2), "a whole number of at least 2");
  check(
    "tailProbability",
    settings.tailProbability > 0 && settings.tailProbability < 0.5,
    "between 0 and 0.5",
  );
  check("minSigma", settings.minSigma > 0 && Number.isFinite(settings.minSigma), "a positive number");
  check("settle", whole(settings.settle, 1), "a whole number of at least 1");
  check("escalation", settings.escalation > 1, "more than 1 (Infinity disables escalation)");
  check("dropoutReadings", whole(settings.dropoutReadings, 0), "0 (off) or a whole number");
  check("learnAnomalous", typeof settings.learnAnomalous === "boolean", "true or false");
  if (settings.spatialTolerance !== undefined)
    check("spatialTolerance", settings.spatialTolerance >= 0, "0 or more");
  if (settings.rangeWarmup !== undefined)
    check(
      "rangeWarmup",
      settings.rangeWarmup >= 0 && Number.isFinite(settings.rangeWarmup),
      "0 or more readings",
    );
  if (settings.cooldown !== undefined)
    check("cooldown", whole(settings.cooldown, 0), "0 (off) or a whole number of readings");
  return settings;
}

/** A fresh stream: from a prior (ready at once) or learning from its first readings. */
export function newStreamState(prior?: ScorePrior): AlertStreamState {
  if (prior && !(Number.isFinite(prior.mean) && prior.sigma >= 0))
    throw new RangeError(
      `alert policy: prior must have a finite mean and sigma (got ${JSON.stringify(prior)})`,
    );
  return {
    primed: prior !== undefined,
    seen: 0,
    learned: 0,
    mean: prior?.mean ?? 0,
    variance: prior ? prior.sigma * prior.sigma : 0,
    recent: [],
    incident: null,
  };
}

/** Gaussian upper-tail probability Q(z) (complementary error function, relative error below 1.2e-7). */
export function gaussianTail(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Numenta's log-likelihood of a tail probability: 0 for p = 1, 0.5 for 1e-5, 1 for 1e-10 and below. */
export function logLikelihoodScore(tailProbability: number): number {
  if (!(tailProbability < 1)) return 0;
  return Math.min(1, Math.log(tailProbability + 1e-10) / Math.log(1e-10));
}

/** Feeds one reading to a stream; returns the verdict and the stream's next state (the input is not changed). */
export function observeReading(
  state: AlertStreamState,
  observation: PolicyObservation,
  settings: AlertPolicySettings,
  floor = -Infinity,
): { verdict: PolicyVerdict; state: AlertStreamState } {
  const ready = state.primed || state.learned >= settings.learning;
  let recent = state.recent;
  let tail = 1;
  let average: number | undefined;
  if (observation.score !== undefined && Number.isFinite(observation.score)) {
    recent = [...state.recent, observation.score].slice(-settings.averaging);
    average = recent.reduce((sum, s) => sum + s, 0) / recent.length;
    if (ready) {
      const z = (average - state.mean) / Math.max(Math.sqrt(state.variance), settings.minSigma);
      tail = z > 0 ? gaussianTail(z) : 1;
    }
  }
  if (ready && observation.otherViewTail !== undefined) tail = Math.min(tail, observation.otherViewTail);

  let kind: DetectedKind | undefined;
  if (observation.stuck) kind = "stuck";
  else if (settings.dropoutReadings > 0 && (observation.missing ?? 0) >= settings.dropoutReadings)
    kind = "dropout";
  else if (
    ready &&
    (observation.beyondRange ||
      inRangeViolation(state, observation.value, rangeTolerance(settings, state.seen)))
  )
    kind = "range";
  else if (ready && tail < settings.tailProbability && (observation.score ?? -Infinity) > floor)
    kind = "score";
  const anomalous = kind !== undefined;

  // Incidents.
  let incident = state.incident;
  let cooling = state.cooling && state.seen < state.cooling.until ? state.cooling : undefined;
  let alert = false;
  let silent = false;
  if (anomalous) {
    const score = observation.score ?? 0;
    if (!incident && kind === "score" && cooling && tail >= cooling.openingTail) {
      // Cooling down after an incident: a score no more improbable than the one that paged is silent.
      silent = true;
    } else if (!incident) {
      incident = {
        openedAt: observation.at,
        peak: score,
        openingTail: tail,
        kinds: [kind!],
        quiet: 0,
        anomalies: 1,
      };
      alert = true;
    } else {
      // A value beyond the range is the same fault as a high score: only another kind of fault pages again.
      const family = (k: DetectedKind) => (k === "range" ? "score" : k);
      const newKind = !incident.kinds.some((k) => family(k) === family(kind!));
      alert = newKind || (family(kind!) === "score" && score >= settings.escalation * incident.peak);
      incident = {
        ...incident,
        peak: Math.max(incident.peak, score),
        kinds: newKind ? [...incident.kinds, kind!] : incident.kinds,
        quiet: 0,
        anomalies: incident.anomalies + 1,
      };
    }
  } else if (incident) {
    if (incident.quiet + 1 >= settings.settle) {
      if (settings.cooldown && incident.kinds[0] === "score")
        cooling = { until: state.seen + 1 + settings.cooldown, openingTail: incident.openingTail ?? 1 };
      incident = null;
    } else incident = { ...incident, quiet: incident.quiet + 1 };
  }

  // Judge first, learn after; anomalous readings only with learnAnomalous (see the setting).
  let { learned, mean, variance } = state;
  if (average !== undefined && (!anomalous || settings.learnAnomalous)) {
    learned++;
    // Equal weights until the horizon is reached (the plain running mean and variance), then discounted
    // by 1 / horizon. A prior counts as `learning` readings already learned.
    const weight = 1 / Math.min(learned + (state.primed ? settings.learning : 0), settings.horizon);
    const delta = average - mean;
    mean += weight * delta;
    variance = (1 - weight) * (variance + weight * delta * delta);
  }
  let range = state.range;
  if (
    settings.spatialTolerance !== undefined &&
    observation.value !== undefined &&
    Number.isFinite(observation.value)
  )
    range = range
      ? [Math.min(range[0], observation.value), Math.max(range[1], observation.value)]
      : [observation.value, observation.value];

  const likelihoodScore = kind !== undefined && kind !== "score" ? 1 : logLikelihoodScore(tail);
  const suppressed = anomalous && !alert && (incident !== null || silent);
  const anomalyScore = suppressed ? Math.min(likelihoodScore, SUPPRESSED_ANOMALY_SCORE) : likelihoodScore;
  const next: AlertStreamState = {
    primed: state.primed,
    seen: state.seen + 1,
    learned,
    mean,
    variance,
    recent: settings.averaging > 1 ? recent.slice(recent.length - (settings.averaging - 1)) : [],
    incident,
    ...(range ? { range } : {}),
    ...(cooling ? { cooling } : {}),
  };
  return {
    verdict: {
      anomalous,
      kind,
      alert,
      anomalyScore: ready ? anomalyScore : 0,
      tailProbability: tail,
      inIncident: incident !== null,
      ready,
    },
    state: next,
  };
}

/**
 * The range rule's tolerance after `seen` readings: `spatialTolerance`, widened by the warm-up (`rangeWarmup`)
 * while few readings have been seen; undefined when the rule is off. Callers that judge another range (the
 * detector's residual range) use it too, so both rules warm up alike.
 */
export function rangeTolerance(settings: AlertPolicySettings, seen: number): number | undefined {
  if (settings.spatialTolerance === undefined) return undefined;
  return settings.spatialTolerance * (1 + (settings.rangeWarmup ?? 0) / Math.max(1, seen));
}

function inRangeViolation(
  state: AlertStreamState,
  value: number | undefined,
  tolerance: number | undefined,
): boolean {
  if (tolerance === undefined || value === undefined || !state.range) return false;
  const [low, high] = state.range;
  if (!(high > low)) return false;
  const margin = (high - low) * tolerance;
  return value > high + margin || value < low - margin;
}

/** A stream as an object, for callers that process readings one by one (the CLI, the local detector). */
export class AlertStream {
  private current: AlertStreamState;
  constructor(
    readonly settings: AlertPolicySettings,
    prior?: ScorePrior,
    /** Scores at or below it are never anomalous (the training threshold). @default - none */
    readonly floor = -Infinity,
  ) {
    validateAlertPolicy(settings);
    this.current = newStreamState(prior);
  }
  get state(): AlertStreamState {
    return this.current;
  }
  observe(observation: PolicyObservation): PolicyVerdict {
    const { verdict, state } = observeReading(this.current, observation, this.settings, this.floor);
    this.current = state;
    return verdict;
  }
}
