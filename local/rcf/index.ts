/**
 * Random Cut Forest in TypeScript: a streaming anomaly detector that scores like AWS's reference implementation
 * (aws/random-cut-forest-by-aws) and SageMaker's built-in RCF, so thresholds tuned locally carry over to the cloud.
 *
 * - {@link RandomCutForest}: the model (time-decayed reservoir samples, random cut trees, shingling, reference score).
 * - {@link AnomalyDetector}: forest + the platform's alert policy (anomaly likelihood, one alert per incident),
 *   with two second views for a one-column series ({@link BlockView}, {@link SequenceView}).
 * - {@link scoreThreshold}: SageMaker's mean + z sigma rule over training scores (the cloud training step's own
 *   function, from components/ml/model-settings.ts).
 * - {@link fromSageMakerHyperparameters}: SageMaker hyperparameters -> forest options.
 * - {@link nabScore}, {@link loadNabWindows}, {@link spearman}: evaluation against NAB labels and reference scores.
 *
 * See local/rcf/README.md for usage, measured figures and design notes.
 */
export {
  RandomCutForest,
  resolveForestOptions,
  DEFAULT_NUMBER_OF_TREES,
  DEFAULT_SAMPLE_SIZE,
  DEFAULT_SAMPLE_SIZE_COEFFICIENT_IN_TIME_DECAY,
  DEFAULT_OUTPUT_AFTER_FRACTION,
  DEFAULT_SHINGLE_SIZE,
  DEFAULT_INITIAL_ACCEPT_FRACTION,
  DEFAULT_RANDOM_SEED,
  type RandomCutForestOptions,
  type ResolvedForestOptions,
  type ForestCapacities,
} from "./forest";
export {
  AnomalyDetector,
  SERIES_ALERT_POLICY,
  DEFAULT_WARMUP,
  type AnomalyDetectorOptions,
  type AnomalyDescriptor,
} from "./detector";
export {
  BlockView,
  CalendarView,
  SequenceView,
  DEFAULT_BLOCK_READINGS,
  SEQUENCE_CLIP_BITS,
  SURPRISE_TAIL_WEIGHT,
} from "./second-views";
export { ContextModel, DEFAULT_CONTEXT_OPTIONS, type ContextModelOptions } from "./context-model";
export { scoreThreshold, type ScoreThreshold } from "../../components/ml/model-settings";
export {
  fromSageMakerHyperparameters,
  toSageMakerHyperparameters,
  SAGEMAKER_DEFAULT_NUM_TREES,
  SAGEMAKER_DEFAULT_NUM_SAMPLES_PER_TREE,
  type SageMakerRcfHyperparameters,
} from "./settings";
export {
  nabScore,
  nabSweepFile,
  nabOptimalThreshold,
  nabProbationaryPeriod,
  nabScaledSigmoid,
  loadNabWindows,
  findNabWindows,
  detectionsAtThreshold,
  NAB_STANDARD_PROFILE,
  NAB_PROBATION_PERCENT,
  NAB_RANDOM_CUT_FOREST_STANDARD_THRESHOLD,
  NabLabelsError,
  type NabCostMatrix,
  type NabWindow,
  type NabScore,
  type NabScoreOptions,
  type NabWindowResult,
} from "./nab";
export { spearman, pearson, averageRanks, meanAndDeviation } from "./stats";
export {
  readSeriesCsv,
  readNumericColumn,
  parseCsv,
  parseTimestamp,
  csvField,
  CsvInputError,
  type CsvSeries,
  type CsvTable,
  type ReadSeriesOptions,
} from "./csv";
export { RandomCutTree, type TreeViolations } from "./tree";
export { CompactSampler } from "./sampler";
export { PointStore } from "./point-store";
export { Shingle } from "./shingle";
export { Xoshiro128 } from "./random";
export { runCli, type CliIo, type CliSummary } from "./cli-run";
