/**
 * The batch threshold rule of SageMaker's documentation for Random Cut Forest scores: mean + z x sigma of the
 * training scores (z = 3). The platform keeps it as the alert policy's floor (components/ml/alert-policy.ts); the
 * per-reading decision is the alert policy's, not this rule's.
 */

/** Default z factor: SageMaker's documented rule of thumb (scores beyond 3 standard deviations are anomalous). */
export const DEFAULT_Z_FACTOR = 3;

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
