/**
 * Mapping from SageMaker's built-in Random Cut Forest hyperparameters to local forest options, so that one shared
 * "model settings" object can drive both the cloud training job and the local/test scorer.
 */
import { resolveForestOptions, type RandomCutForestOptions } from "./forest";

/** SageMaker RCF defaults (documented hyperparameters of the built-in algorithm). */
export const SAGEMAKER_DEFAULT_NUM_TREES = 100;
export const SAGEMAKER_DEFAULT_NUM_SAMPLES_PER_TREE = 256;

/**
 * SageMaker RCF hyperparameters. SageMaker passes hyperparameters as strings, so numbers and numeric strings are
 * both accepted. `shingle_size` and `time_decay` are not SageMaker hyperparameters (SageMaker trains on a static,
 * already-shingled data set) but may be carried by the shared settings object.
 */
export interface SageMakerRcfHyperparameters {
  /** Number of features per record seen by the model (the shingled dimension if records are shingled). */
  feature_dim: number | string;
  num_trees?: number | string;
  num_samples_per_tree?: number | string;
  /** Readings per shingle; feature_dim must be a multiple of it. */
  shingle_size?: number | string;
  time_decay?: number | string;
  random_seed?: number | string;
  [other: string]: unknown;
}

function toInteger(
  name: string,
  value: number | string | undefined,
  fallback: number,
  minimum: number,
): number {
  if (value === undefined) return fallback;
  const parsed = typeof value === "number" ? value : Number(value.trim());
  if (!Number.isInteger(parsed) || parsed < minimum) {
    throw new RangeError(
      `SageMaker hyperparameter ${name} must be an integer >= ${minimum}, got ${String(value)}`,
    );
  }
  return parsed;
}

/**
 * Forest options equivalent to SageMaker RCF hyperparameters: num_trees -> numberOfTrees, num_samples_per_tree ->
 * sampleSize, feature_dim / shingle_size -> dimensions (values per reading), shingle_size -> shingleSize.
 * Missing num_trees / num_samples_per_tree take SageMaker's defaults (100 / 256). `overrides` wins over everything
 * (e.g. a time decay for streaming use: SageMaker's batch training samples uniformly).
 */
export function fromSageMakerHyperparameters(
  hyperparameters: SageMakerRcfHyperparameters,
  overrides: RandomCutForestOptions = {},
): RandomCutForestOptions {
  const featureDim = toInteger("feature_dim", hyperparameters.feature_dim, NaN, 1);
  const shingleSize = toInteger("shingle_size", hyperparameters.shingle_size, 1, 1);
  if (featureDim % shingleSize !== 0) {
    throw new RangeError(
      `SageMaker hyperparameters: feature_dim ${featureDim} is not a multiple of shingle_size ${shingleSize}`,
    );
  }
  const options: RandomCutForestOptions = {
    numberOfTrees: toInteger("num_trees", hyperparameters.num_trees, SAGEMAKER_DEFAULT_NUM_TREES, 1),
    sampleSize: toInteger(
      "num_samples_per_tree",
      hyperparameters.num_samples_per_tree,
      SAGEMAKER_DEFAULT_NUM_SAMPLES_PER_TREE,
      1,
    ),
    dimensions: featureDim / shingleSize,
    shingleSize,
  };
  if (hyperparameters.time_decay !== undefined) {
    const timeDecay = Number(hyperparameters.time_decay);
    if (!(Number.isFinite(timeDecay) && timeDecay >= 0)) {
      throw new RangeError(
        `SageMaker hyperparameter time_decay must be a number >= 0, got ${String(hyperparameters.time_decay)}`,
      );
    }
    options.timeDecay = timeDecay;
  }
  if (hyperparameters.random_seed !== undefined) {
    options.randomSeed = toInteger("random_seed", hyperparameters.random_seed, 0, 0);
  }
  return { ...options, ...overrides };
}

/**
 * The inverse mapping, for writing a training job's hyperparameters from local options (values as strings, as the
 * SageMaker API expects). Unset local options take the local (reference) defaults, so both sides train the same
 * model.
 */
export function toSageMakerHyperparameters(options: RandomCutForestOptions): Record<string, string> {
  const resolved = resolveForestOptions(options);
  return {
    num_trees: String(resolved.numberOfTrees),
    num_samples_per_tree: String(resolved.sampleSize),
    feature_dim: String(resolved.dimensions * resolved.shingleSize),
  };
}
