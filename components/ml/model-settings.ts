/**
 * The anomaly model settings: ONE plain JSON object built from the stack config, consumed unchanged by the
 * SageMaker training job (hyperparameters), the scoring functions (feature columns, shingle size, threshold
 * rule) and the local TypeScript Random Cut Forest (`local/rcf`'s `fromSageMakerHyperparameters`). Pure.
 *
 * Hyperparameter names are exactly those of SageMaker's built-in Random Cut Forest
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/rcf_hyperparameters.html): `feature_dim` (required),
 * `num_trees`, `num_samples_per_tree`; `eval_metrics` only applies with a labelled test channel, which the
 * platform does not use. Values are numbers here; {@link sageMakerHyperParameters} gives the string map the
 * CreateTrainingJob API takes.
 */
import type { PlatformConfig } from "../config";
import { telemetryField } from "../telemetry/schema";

/** Reading fields that make up one reading's features, in vector order. */
export const RCF_FEATURE_COLUMNS = ["temperature_c"] as const;
export type RcfFeatureColumn = (typeof RCF_FEATURE_COLUMNS)[number];

/** SageMaker Random Cut Forest hyperparameters, named as SageMaker documents them. */
export interface RcfHyperparameters {
  /** Trees in the forest (SageMaker: 50-1000). */
  readonly num_trees: number;
  /** Points sampled into each tree (SageMaker: 1-2048). */
  readonly num_samples_per_tree: number;
  /** Dimension of each input vector: feature columns × shingle size (SageMaker: 1-10000). */
  readonly feature_dim: number;
}

/** Everything that defines the anomaly model, as plain JSON. */
export interface ModelSettings {
  readonly algorithm: "randomcutforest";
  readonly hyperparameters: RcfHyperparameters;
  readonly features: {
    /** Reading fields per time step. */
    readonly columns: readonly RcfFeatureColumn[];
    /** Consecutive readings of one device per vector (1 = no shingling). */
    readonly shingleSize: number;
  };
  /** A reading is anomalous when its score exceeds mean + z × sigma of the scores of the training data. */
  readonly threshold: { readonly rule: "mean_plus_z_sigma"; readonly z: number };
  /** Content types of the training channel and of inference requests/responses. */
  readonly contentTypes: {
    readonly training: "text/csv;label_size=0";
    readonly inference: "text/csv";
    readonly accept: "application/json";
  };
}

/** The slice of the stack config the model settings come from. */
export type ModelSettingsInput = Pick<
  PlatformConfig["anomaly"],
  "numTrees" | "samplesPerTree" | "shingleSize" | "z"
>;

/** SageMaker's documented ranges for the hyperparameters the platform sets. */
export const RCF_LIMITS = {
  num_trees: { min: 50, max: 1000 },
  num_samples_per_tree: { min: 1, max: 2048 },
  feature_dim: { min: 1, max: 10000 },
} as const;

/**
 * Builds the model settings from the anomaly config.
 * @throws Error naming the setting, the value and SageMaker's range when a value is out of range
 */
export function buildModelSettings(anomaly: ModelSettingsInput): ModelSettings {
  for (const column of RCF_FEATURE_COLUMNS) telemetryField(column); // a renamed schema field must fail here
  const hyperparameters: RcfHyperparameters = {
    num_trees: anomaly.numTrees,
    num_samples_per_tree: anomaly.samplesPerTree,
    feature_dim: RCF_FEATURE_COLUMNS.length * anomaly.shingleSize,
  };
  const problems: string[] = [];
  if (!Number.isInteger(anomaly.shingleSize) || anomaly.shingleSize < 1) {
    problems.push(`shingle size must be a whole number of at least 1 (got ${anomaly.shingleSize})`);
  }
  for (const [name, limit] of Object.entries(RCF_LIMITS) as [
    keyof RcfHyperparameters,
    { min: number; max: number },
  ][]) {
    const value = hyperparameters[name];
    if (!Number.isInteger(value) || value < limit.min || value > limit.max) {
      problems.push(
        `${name} must be a whole number from ${limit.min} to ${limit.max}, SageMaker's range (got ${value})`,
      );
    }
  }
  if (!Number.isFinite(anomaly.z) || anomaly.z <= 0)
    problems.push(`threshold z must be a positive number (got ${anomaly.z})`);
  if (problems.length > 0) throw new Error(`invalid Random Cut Forest settings: ${problems.join("; ")}`);
  return {
    algorithm: "randomcutforest",
    hyperparameters,
    features: { columns: [...RCF_FEATURE_COLUMNS], shingleSize: anomaly.shingleSize },
    threshold: { rule: "mean_plus_z_sigma", z: anomaly.z },
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
 * Uses Welford's algorithm, stable for millions of scores.
 * @throws Error when there are no scores or a score is not a finite number
 */
export function scoreThreshold(scores: Iterable<number>, z: number): ScoreThreshold {
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
