/** Anomaly detection: the Random Cut Forest model, its features and alert policy, instances and schedules. */
import { checkSchedule, type ConfigReader } from "./reader";
import type { PlatformConfig } from "./types";

const INSTANCE_TYPE = /^ml\.[a-z0-9]+\.[0-9]*x?large$/;

/** Reads the anomaly-detection settings; problems go to `r` (the result is meaningful only when there are none). */
export function readAnomalyConfig(r: ConfigReader): PlatformConfig["anomaly"] {
  const anomalyMode = r.oneOf("anomalyMode", ["endpoint", "batch"] as const);
  const numTrees = r.integer("rcfNumTrees", 50, 1000, 50);
  // 0 (the default) means absent: num_samples_per_tree then follows anomalyExpectedRate.
  const samplesPerTree = r.integer("rcfSamplesPerTree", 0, 2048, 512);
  const expectedAnomalyRate = r.decimal("anomalyExpectedRate", 0.0005, 0.5);
  const shingleSize = r.integer("rcfShingleSize", 1, 64, 1);
  const z = r.decimal("anomalyZ", 1, 10);
  const features = r.oneOf("anomalyFeatures", ["deviation", "temperature"] as const);
  const baselineReadings = r.integer("anomalyBaselineReadings", 2, 10000, 30);
  const stuckReadings = r.integer("anomalyStuckReadings", 0, 10000, 12);
  if (stuckReadings === 1)
    r.problem(
      "anomalyStuckReadings",
      "must be 0 (off) or at least 2",
      "set it to 0, or to 2 or more (e.g. 12)",
    );
  const dropoutReadings = r.integer("anomalyDropoutReadings", 0, 100000, 3);
  const modelScope = r.oneOf("anomalyModelScope", ["fleet", "room"] as const);
  const tailProbability = r.decimal("anomalyTailProbability", 1e-12, 0.01);
  const scoreAveraging = r.integer("anomalyScoreAveraging", 1, 100, 3);
  if (modelScope === "room" && anomalyMode === "endpoint") {
    r.problem(
      "anomalyModelScope",
      "room needs anomalyMode batch (a real-time endpoint serves one model; room models score in batch transforms)",
      "set anomalyModelScope to fleet, or anomalyMode to batch",
    );
  }
  const trainingInstanceType = r.string("trainingInstanceType", {
    pattern: INSTANCE_TYPE,
    describe: "a SageMaker instance type",
    example: "ml.m5.large",
  });
  const inferenceInstanceType = r.string("inferenceInstanceType", {
    pattern: INSTANCE_TYPE,
    describe: "a SageMaker instance type",
    example: "ml.c5.xlarge",
  });
  const inferenceInstanceCount = r.integer("inferenceInstanceCount", 1, 100, 1);
  const inferenceMaxInstances = r.integer("inferenceMaxInstances", 1, 100, 1);
  if (inferenceMaxInstances < inferenceInstanceCount) {
    r.problem(
      "inferenceMaxInstances",
      `must be at least inferenceInstanceCount (${inferenceInstanceCount})`,
      `set it to ${inferenceInstanceCount} or more`,
    );
  }
  const trainingSchedule = checkSchedule(r, "trainingSchedule");
  const scoringSchedule = checkSchedule(r, "scoringSchedule");
  const scoringUrl = r.boolean("anomalyScoringUrl");
  if (scoringUrl && anomalyMode === "batch") {
    r.problem(
      "anomalyScoringUrl",
      "needs anomalyMode endpoint (batch mode has no endpoint to answer ad-hoc requests)",
      "set anomalyMode to endpoint, or anomalyScoringUrl to false",
    );
  }
  return {
    mode: anomalyMode,
    numTrees,
    ...(samplesPerTree > 0 ? { samplesPerTree } : {}),
    expectedAnomalyRate,
    shingleSize,
    z,
    features,
    baselineReadings,
    stuckReadings,
    dropoutReadings,
    modelScope,
    tailProbability,
    scoreAveraging,
    trainingInstanceType,
    inferenceInstanceType,
    inferenceInstanceCount,
    inferenceMaxInstances,
    trainingSchedule: trainingSchedule!,
    scoringSchedule: scoringSchedule!,
    scoringUrl,
  };
}
