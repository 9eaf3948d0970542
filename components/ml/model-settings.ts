/**
 * The anomaly model settings: ONE plain JSON object built from the stack config, consumed unchanged by the
 * SageMaker training job (hyperparameters), the feature SQL of training and scoring (feature set, baseline,
 * shingle), the scoring functions (rules, alert policy, threshold floor) and the local TypeScript Random Cut
 * Forest (`local/rcf`'s `fromSageMakerHyperparameters`). Pure.
 *
 * Hyperparameter names are exactly those of SageMaker's built-in Random Cut Forest
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/rcf_hyperparameters.html): `feature_dim` (required),
 * `num_trees`, `num_samples_per_tree`; `eval_metrics` only applies with a labelled test channel, which the
 * platform does not use. Values are numbers here; {@link sageMakerHyperParameters} gives the string map the
 * CreateTrainingJob API takes.
 */
import type { PlatformConfig } from "../config";
import type { ScheduleExpression } from "../schedule";
import { telemetryField } from "../telemetry/schema";
import { AlertPolicySettings, PLATFORM_ALERT_POLICY, validateAlertPolicy } from "./alert-policy";
import {
  DEFAULT_FEATURE_BASELINE,
  featureSettings,
  FeatureSetName,
  FeatureSettings,
  vectorColumns,
} from "./feature-sql";

/** SageMaker Random Cut Forest hyperparameters, named as SageMaker documents them. */
export interface RcfHyperparameters {
  /** Trees in the forest (SageMaker: 50-1000). */
  readonly num_trees: number;
  /** Points sampled into each tree (SageMaker: 1-2048). */
  readonly num_samples_per_tree: number;
  /** Dimension of each input vector: feature columns × shingle size (SageMaker: 1-10000). */
  readonly feature_dim: number;
}

/** Which readings one model learns from and scores: the whole fleet, or each room on its own. */
export type ModelScope = "fleet" | "room";

/** Everything that defines the anomaly model, as plain JSON. */
export interface ModelSettings {
  readonly algorithm: "randomcutforest";
  readonly hyperparameters: RcfHyperparameters;
  /** How readings become vectors: the feature SQL (components/ml/sql/features.sql) renders from this. */
  readonly features: FeatureSettings;
  /** `room`: one model per room, trained on that room's readings and scoring them only. */
  readonly scope: ModelScope;
  /** Faults the forest cannot see well, found by rules in the scoring input query. */
  readonly rules: {
    /** Readings with one unchanged value that make a sensor stuck (0: off). */
    readonly stuckReadings: number;
  };
  /**
   * Mean + z sigma of the training scores: stored with each model and used as the alert policy's floor (see
   * components/ml/alert-policy.ts for why it stays).
   */
  readonly threshold: { readonly rule: "mean_plus_z_sigma"; readonly z: number; readonly use: "floor" };
  /** How each device's scores become alerts (components/ml/alert-policy.ts). */
  readonly alertPolicy: AlertPolicySettings;
  /** Content types of the training channel and of inference requests/responses. */
  readonly contentTypes: {
    readonly training: "text/csv;label_size=0";
    readonly inference: "text/csv";
    readonly accept: "application/json";
  };
}

/** The slice of the stack config the model settings come from; omitted fields take the platform defaults. */
export type ModelSettingsInput = Pick<PlatformConfig["anomaly"], "numTrees" | "shingleSize" | "z"> &
  Partial<
    Pick<
      PlatformConfig["anomaly"],
      | "samplesPerTree"
      | "expectedAnomalyRate"
      | "features"
      | "baselineReadings"
      | "stuckReadings"
      | "dropoutReadings"
      | "modelScope"
      | "tailProbability"
      | "scoreAveraging"
    >
  >;

/** SageMaker's documented ranges for the hyperparameters the platform sets. */
export const RCF_LIMITS = {
  num_trees: { min: 50, max: 1000 },
  num_samples_per_tree: { min: 1, max: 2048 },
  feature_dim: { min: 1, max: 10000 },
} as const;

/** Expected share of anomalous readings when the stack does not say. */
export const DEFAULT_EXPECTED_ANOMALY_RATE = 0.002;

/**
 * num_samples_per_tree from the expected share of anomalous readings, as SageMaker's documentation advises:
 * 1 / num_samples_per_tree should approximate that share, so a tree's sample holds about one anomaly.
 * Clamped to SageMaker's range, and to at least 64 so that a tree is more than a handful of points.
 */
export function samplesPerTreeFor(expectedAnomalyRate: number): number {
  if (!(expectedAnomalyRate > 0 && expectedAnomalyRate < 1))
    throw new Error(`expected anomaly rate must be between 0 and 1 (got ${expectedAnomalyRate})`);
  return Math.min(RCF_LIMITS.num_samples_per_tree.max, Math.max(64, Math.round(1 / expectedAnomalyRate)));
}

/**
 * Builds the model settings from the anomaly config.
 * @throws Error naming the setting, the value and SageMaker's range when a value is out of range
 */
export function buildModelSettings(anomaly: ModelSettingsInput): ModelSettings {
  telemetryField("temperature_c"); // the features read it: a renamed schema field must fail here
  const problems: string[] = [];
  let features: FeatureSettings | undefined;
  try {
    features = featureSettings(
      (anomaly.features ?? "deviation") as FeatureSetName,
      anomaly.baselineReadings ?? DEFAULT_FEATURE_BASELINE,
      anomaly.shingleSize,
    );
  } catch (err) {
    problems.push((err as Error).message);
  }
  const hyperparameters: RcfHyperparameters = {
    num_trees: anomaly.numTrees,
    num_samples_per_tree:
      anomaly.samplesPerTree ??
      samplesPerTreeFor(anomaly.expectedAnomalyRate ?? DEFAULT_EXPECTED_ANOMALY_RATE),
    feature_dim: features ? vectorColumns(features).length : 0,
  };
  for (const [name, limit] of Object.entries(RCF_LIMITS) as [
    keyof RcfHyperparameters,
    { min: number; max: number },
  ][]) {
    const value = hyperparameters[name];
    if (features && (!Number.isInteger(value) || value < limit.min || value > limit.max)) {
      problems.push(
        `${name} must be a whole number from ${limit.min} to ${limit.max}, SageMaker's range (got ${value})`,
      );
    }
  }
  if (!Number.isFinite(anomaly.z) || anomaly.z <= 0)
    problems.push(`threshold z must be a positive number (got ${anomaly.z})`);
  const stuckReadings = anomaly.stuckReadings ?? 12;
  if (!Number.isInteger(stuckReadings) || (stuckReadings !== 0 && stuckReadings < 2))
    problems.push(`stuck readings must be 0 (off) or a whole number of at least 2 (got ${stuckReadings})`);
  let alertPolicy: AlertPolicySettings | undefined;
  try {
    alertPolicy = validateAlertPolicy({
      ...PLATFORM_ALERT_POLICY,
      tailProbability: anomaly.tailProbability ?? PLATFORM_ALERT_POLICY.tailProbability,
      averaging: anomaly.scoreAveraging ?? PLATFORM_ALERT_POLICY.averaging,
      dropoutReadings: anomaly.dropoutReadings ?? PLATFORM_ALERT_POLICY.dropoutReadings,
    });
  } catch (err) {
    problems.push((err as Error).message);
  }
  if (problems.length > 0) throw new Error(`invalid Random Cut Forest settings: ${problems.join("; ")}`);
  return {
    algorithm: "randomcutforest",
    hyperparameters,
    features: features!,
    scope: anomaly.modelScope ?? "fleet",
    rules: { stuckReadings },
    threshold: { rule: "mean_plus_z_sigma", z: anomaly.z, use: "floor" },
    alertPolicy: alertPolicy!,
    contentTypes: { training: "text/csv;label_size=0", inference: "text/csv", accept: "application/json" },
  };
}

/** The hyperparameters as CreateTrainingJob's `HyperParameters` (a map of strings). */
export function sageMakerHyperParameters(settings: ModelSettings): Record<string, string> {
  return Object.fromEntries(Object.entries(settings.hyperparameters).map(([k, v]) => [k, String(v)]));
}

/** Mean, population standard deviation and threshold of a set of training scores. */
export interface ScoreThreshold {
  readonly count: number;
  readonly mean: number;
  readonly sigma: number;
  readonly z: number;
  /** mean + z × sigma. */
  readonly threshold: number;
}

/**
 * The score threshold the way SageMaker's Random Cut Forest documentation computes it: mean plus z standard
 * deviations of the scores of the training data (`scores.mean() + 3 * scores.std()`, population sigma).
 * Uses Welford's algorithm, stable for millions of scores. The one definition of the rule: the training function
 * stores it with each model, the local Random Cut Forest (local/rcf) exports it for tuning.
 * A non-finite score is an error, not skipped: it means the model or its input is broken, and a threshold learnt
 * around it would silently differ from the one the scores deserve.
 * @throws RangeError when z is not a positive number
 * @throws Error when there are no scores or a score is not a finite number
 */
export function scoreThreshold(scores: Iterable<number>, z: number): ScoreThreshold {
  if (!(Number.isFinite(z) && z > 0))
    throw new RangeError(`threshold z must be a positive number (got ${z})`);
  let count = 0;
  let mean = 0;
  let m2 = 0;
  for (const score of scores) {
    if (!Number.isFinite(score))
      throw new Error(`training score #${count + 1} is not a finite number (got ${score})`);
    count++;
    const delta = score - mean;
    mean += delta / count;
    m2 += delta * (score - mean);
  }
  if (count === 0) throw new Error("cannot compute a threshold from zero training scores");
  const sigma = Math.sqrt(m2 / count);
  return { count, mean, sigma, z, threshold: mean + z * sigma };
}

/** Where and when the anomaly pipelines run: the SageMaker instances and the two schedules. */
export interface AnomalyRunSettings {
  readonly trainingInstanceType: string;
  /** Instance type of the endpoint and of every batch transform. */
  readonly inferenceInstanceType: string;
  /** Endpoint mode: instances at creation and the autoscaling minimum. */
  readonly inferenceInstanceCount: number;
  /** Endpoint mode: autoscaling maximum (equal to the count: no autoscaling). */
  readonly inferenceMaxInstances: number;
  readonly trainingSchedule: ScheduleExpression;
  readonly scoringSchedule: ScheduleExpression;
}
