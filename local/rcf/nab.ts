/**
 * Numenta Anomaly Benchmark (NAB) scoring, reusable: labelled-window loading and the standard-profile score of a
 * detection column, as computed by numenta/NAB (nab/scorer.py `Scorer.getScore`, nab/util.py `getProbationPeriod`,
 * thresholds from config/thresholds.json).
 *
 * Per data file:
 *  - rows inside a labelled window [start, end] (inclusive) are anomalous;
 *  - the probationary period, min(floor(0.15 x rows), 0.15 x 5000) rows, is ignored (NAB caps "the first 15%" at
 *    750 rows);
 *  - each window with at least one detection scores A_TP x S(first detection), earlier is better, with the scaled
 *    sigmoid S(y) = 2 / (1 + e^(5y)) - 1 of the relative position y = -(end - i + 1) / length, divided by S(-1) so that
 *    the earliest detection is worth A_TP; each window without detection scores -A_FN;
 *  - each detection outside the windows scores A_FP x S(y) with y the distance to the end of the preceding window
 *    relative to its length (or -A_FP if no window precedes it), i.e. about -A_FP, a bit less right after a window.
 * Standard profile: A_TP = 1, A_FP = 0.11, A_FN = 1.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parseTimestamp } from "./csv";

/** Weights of a NAB application profile. */
export interface NabCostMatrix {
  tpWeight: number;
  fpWeight: number;
  fnWeight: number;
}

/** NAB's standard profile. */
export const NAB_STANDARD_PROFILE: Readonly<NabCostMatrix> = Object.freeze({
  tpWeight: 1,
  fpWeight: 0.11,
  fnWeight: 1,
});

/** Share of each file that NAB treats as probationary (before the 5000-row cap). */
export const NAB_PROBATION_PERCENT = 0.15;

/**
 * Threshold NAB optimised for the published "randomCutForest" detector under the standard profile
 * (numenta/NAB config/thresholds.json): an `anomaly_score` at or above it counts as a detection.
 */
export const NAB_RANDOM_CUT_FOREST_STANDARD_THRESHOLD = 0.4539184570312501;

/** A labelled window: [start, end] timestamps as written in NAB's combined_windows.json. */
export type NabWindow = [string, string];

/** NAB's probationary period in rows: min(floor(p x rows), p x 5000). */
export function nabProbationaryPeriod(rows: number, probationPercent = NAB_PROBATION_PERCENT): number {
  return Math.min(Math.floor(probationPercent * rows), probationPercent * 5000);
}

/** NAB's scaled sigmoid of a relative position (see the module comment). */
export function nabScaledSigmoid(relativePosition: number): number {
  if (relativePosition >= 3) return -1;
  return 2 / (1 + Math.exp(5 * relativePosition)) - 1;
}

/** Error for unreadable or malformed label files. */
export class NabLabelsError extends Error {}

/** Reads a combined_windows.json file: { "<dir>/<file>.csv": [[start, end], ...], ... }. */
export function loadNabWindows(file: string): Record<string, NabWindow[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new NabLabelsError(`cannot read NAB windows from ${file}: ${reason}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new NabLabelsError(`${file}: expected an object mapping data files to windows`);
  }
  const result: Record<string, NabWindow[]> = {};
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (!Array.isArray(value)) throw new NabLabelsError(`${file}: windows of "${key}" are not a list`);
    if (value.length > 0 && typeof value[0] === "string") {
      throw new NabLabelsError(
        `${file} lists anomaly timestamps (NAB's combined_labels.json); NAB scores against windows: use labels/combined_windows.json`,
      );
    }
    result[key] = value.map((window, index) => {
      if (
        !Array.isArray(window) ||
        window.length !== 2 ||
        typeof window[0] !== "string" ||
        typeof window[1] !== "string"
      ) {
        throw new NabLabelsError(
          `${file}: window ${index} of "${key}" is not a [start, end] pair of timestamps`,
        );
      }
      return [window[0], window[1]] as NabWindow;
    });
  }
  return result;
}

/**
 * Finds the windows of a data file: by explicit key, else by the longest key that is a path suffix of `dataFile`
 * (e.g. ".../realKnownCause/machine_temperature_system_failure.csv"), else by a unique file-name match (so a results
 * file such as "randomCutForest_<name>.csv" or a copy elsewhere also resolves). Returns undefined if none matches.
 */
export function findNabWindows(
  windows: Record<string, NabWindow[]>,
  dataFile: string,
  key?: string,
): { key: string; windows: NabWindow[] } | undefined {
  if (key !== undefined) return key in windows ? { key, windows: windows[key] } : undefined;
  const normalized = dataFile.split(path.sep).join("/");
  const suffixMatches = Object.keys(windows)
    .filter((candidate) => normalized === candidate || normalized.endsWith(`/${candidate}`))
    .sort((a, b) => b.length - a.length);
  if (suffixMatches.length > 0) return { key: suffixMatches[0], windows: windows[suffixMatches[0]] };
  const baseName = path.basename(dataFile);
  const nameMatches = Object.keys(windows).filter((candidate) => {
    const candidateName = path.posix.basename(candidate);
    return baseName === candidateName || baseName.endsWith(`_${candidateName}`);
  });
  if (nameMatches.length === 1) return { key: nameMatches[0], windows: windows[nameMatches[0]] };
  return undefined;
}

/** Outcome for one labelled window. */
export interface NabWindowResult {
  start: string;
  end: string;
  /** Rows of the file inside the window. */
  length: number;
  /** Row index of the first scored detection in the window, or -1 (missed). */
  firstDetection: number;
  /** Contribution to the score: A_TP x scaled sigmoid if detected, else -A_FN. */
  contribution: number;
}

/** NAB score of one file. */
export interface NabScore {
  /** Raw NAB score of the file (sum of the window and false-positive contributions). */
  score: number;
  windows: NabWindowResult[];
  /** Windows with at least one detection. */
  detectedWindows: number;
  /** Windows without detection. */
  missedWindows: number;
  /** Detecting rows outside every window, after the probationary period. */
  falsePositives: number;
  /** Sum of the false-positive contributions (negative). */
  falsePositiveScore: number;
  /** Rows ignored at the start. */
  probationaryRows: number;
  /** Row counts after probation, as NAB reports them. */
  counts: { tp: number; fp: number; tn: number; fn: number };
}

/** Options of {@link nabScore}. */
export interface NabScoreOptions {
  profile?: NabCostMatrix;
  probationPercent?: number;
}

/** A window's rows in a file: [first, last] row indexes (NAB selects rows with start <= timestamp <= end). */
interface WindowRange {
  readonly start: string;
  readonly end: string;
  readonly first: number;
  readonly last: number;
}

/** Row times of a file and its windows' row ranges (every window with a row, probationary or not). */
function fileRows(
  timestamps: readonly string[] | ArrayLike<number>,
  windows: readonly NabWindow[],
): { times: Float64Array; ranges: WindowRange[] } {
  const rows = timestamps.length;
  const times = new Float64Array(rows);
  for (let row = 0; row < rows; row++) {
    const value = timestamps[row];
    const time = typeof value === "string" ? parseTimestamp(value) : value;
    if (Number.isNaN(time)) throw new RangeError(`nabScore: row ${row}: "${value}" is not a timestamp`);
    times[row] = time;
  }
  const ranges: WindowRange[] = [];
  for (const [start, end] of windows) {
    const startTime = parseTimestamp(start);
    const endTime = parseTimestamp(end);
    if (Number.isNaN(startTime) || Number.isNaN(endTime)) {
      throw new RangeError(`nabScore: window [${start}, ${end}] has an unreadable timestamp`);
    }
    let first = -1;
    let last = -1;
    for (let i = 0; i < rows; i++) {
      if (times[i] >= startTime && times[i] <= endTime) {
        if (first < 0) first = i;
        last = i;
      }
    }
    if (first >= 0) ranges.push({ start, end, first, last });
  }
  return { times, ranges };
}

/**
 * What a detection at each row adds to the file's score (nab/sweeper.py `calcSweepScore`): inside a window,
 * A_TP x S(-(last - i + 1) / length) / S(-1); outside, A_FP x S(distance to the end of the preceding window /
 * (its length - 1)), or -A_FP with no window before. `window[i]` is the index in `scored` of the row's window,
 * -1 outside every window, -2 in the probationary period (never scored). `scored` are the windows NAB scores:
 * those with at least one row after the probationary period (one wholly inside it counts for no detector).
 */
function sweepRows(
  rows: number,
  ranges: readonly WindowRange[],
  probationaryRows: number,
  profile: NabCostMatrix,
): { sweepScore: Float64Array; window: Int32Array; scored: WindowRange[] } {
  const scored = ranges.filter((range) => range.last >= probationaryRows);
  const sweepScore = new Float64Array(rows);
  const window = new Int32Array(rows).fill(-1);
  const maxTruePositive = nabScaledSigmoid(-1);
  let preceding: WindowRange | undefined;
  const byStart = [...ranges].sort((a, b) => a.first - b.first);
  let next = 0;
  for (let i = 0; i < rows; i++) {
    while (next < byStart.length && byStart[next].last < i) preceding = byStart[next++];
    const inside = next < byStart.length && byStart[next].first <= i ? byStart[next] : undefined;
    if (inside) {
      const length = inside.last - inside.first + 1;
      sweepScore[i] =
        (nabScaledSigmoid(-(inside.last - i + 1) / length) * profile.tpWeight) / maxTruePositive;
      window[i] = scored.indexOf(inside);
    } else if (preceding === undefined) {
      sweepScore[i] = -profile.fpWeight;
    } else {
      const length = preceding.last - preceding.first + 1;
      const position = length > 1 ? Math.abs(preceding.last - i) / (length - 1) : Infinity;
      sweepScore[i] = nabScaledSigmoid(position) * profile.fpWeight;
    }
    if (i < probationaryRows) window[i] = -2;
  }
  return { sweepScore, window, scored };
}

/**
 * NAB score of a detection column (non-zero = detection) for the rows with the given timestamps, against labelled
 * windows. Windows with no row in the file, or only probationary rows, are ignored (as NAB's sweeper does).
 */
export function nabScore(
  timestamps: readonly string[] | ArrayLike<number>,
  detections: ArrayLike<number | boolean>,
  windows: readonly NabWindow[],
  options: NabScoreOptions = {},
): NabScore {
  if (timestamps.length !== detections.length) {
    throw new RangeError(`nabScore: ${timestamps.length} timestamps but ${detections.length} detections`);
  }
  const profile = options.profile ?? NAB_STANDARD_PROFILE;
  const rows = timestamps.length;
  const probationaryRows = nabProbationaryPeriod(rows, options.probationPercent ?? NAB_PROBATION_PERCENT);
  const { ranges: allRanges } = fileRows(timestamps, windows);
  const { sweepScore, window, scored: ranges } = sweepRows(rows, allRanges, probationaryRows, profile);

  const counts = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (let i = probationaryRows; i < rows; i++) {
    const inWindow = window[i] >= 0;
    if (detections[i]) {
      if (inWindow) counts.tp++;
      else counts.fp++;
    } else if (inWindow) counts.fn++;
    else counts.tn++;
  }

  const windowResults: NabWindowResult[] = ranges.map((range) => ({
    start: range.start,
    end: range.end,
    length: range.last - range.first + 1,
    firstDetection: -1,
    contribution: -profile.fnWeight,
  }));
  let falsePositives = 0;
  let falsePositiveScore = 0;
  for (let i = probationaryRows; i < rows; i++) {
    if (!detections[i]) continue;
    const w = window[i];
    if (w < 0) {
      falsePositives++;
      falsePositiveScore += sweepScore[i];
    } else if (windowResults[w].firstDetection < 0) {
      // The earliest detection scores highest: the window keeps it.
      windowResults[w] = { ...windowResults[w], firstDetection: i, contribution: sweepScore[i] };
    }
  }
  const score = windowResults.reduce((sum, w) => sum + w.contribution, 0) + falsePositiveScore;
  const detectedWindows = windowResults.filter((w) => w.firstDetection >= 0).length;
  return {
    score,
    windows: windowResults,
    detectedWindows,
    missedWindows: windowResults.length - detectedWindows,
    falsePositives,
    falsePositiveScore,
    probationaryRows,
    counts,
  };
}

/** One file's scorable rows for NAB's threshold sweep: anomaly score, score as a detection, window id. */
export interface NabSweepFile {
  readonly anomalyScores: Float64Array;
  readonly sweepScores: Float64Array;
  /** Window index in the file (-1 outside every window); probationary rows are left out. */
  readonly windows: Int32Array;
  /** Windows NAB scores in the file. */
  readonly windowCount: number;
}

/** A file's anomaly-score column prepared for {@link nabOptimalThreshold} (nab/sweeper.py `calcSweepScore`). */
export function nabSweepFile(
  timestamps: readonly string[] | ArrayLike<number>,
  anomalyScores: ArrayLike<number>,
  windows: readonly NabWindow[],
  options: NabScoreOptions = {},
): NabSweepFile {
  if (timestamps.length !== anomalyScores.length) {
    throw new RangeError(`nabSweepFile: ${timestamps.length} timestamps but ${anomalyScores.length} scores`);
  }
  const profile = options.profile ?? NAB_STANDARD_PROFILE;
  const rows = timestamps.length;
  const probationaryRows = nabProbationaryPeriod(rows, options.probationPercent ?? NAB_PROBATION_PERCENT);
  const { ranges } = fileRows(timestamps, windows);
  const { sweepScore, window, scored } = sweepRows(rows, ranges, probationaryRows, profile);
  const kept = rows - probationaryRows;
  return {
    anomalyScores: Float64Array.from({ length: kept }, (_, k) => anomalyScores[probationaryRows + k]),
    sweepScores: sweepScore.slice(probationaryRows),
    windows: window.slice(probationaryRows),
    windowCount: scored.length,
  };
}

/** The corpus score at NAB's optimised threshold. */
export interface NabThresholdResult {
  /** Detections are anomaly scores >= threshold (Infinity: no threshold beats the null detector). */
  readonly threshold: number;
  /** Raw score summed over the files. */
  readonly score: number;
  readonly windows: number;
  /** 100 x (raw + windows) / (2 x windows) for the standard profile (see {@link nabNormalizedScore}). */
  readonly normalized: number;
}

/**
 * The threshold on the anomaly-score column that maximises the corpus's summed NAB score, as NAB's optimiser
 * (nab/optimizer.py) looks for with the sweeper's `calcScoreByThreshold`; this evaluates every distinct score,
 * so it finds the exact maximum the optimiser's search approaches. One threshold for the whole corpus, as NAB
 * reports a detector.
 */
export function nabOptimalThreshold(
  files: readonly NabSweepFile[],
  profile: NabCostMatrix = NAB_STANDARD_PROFILE,
): NabThresholdResult {
  const windowOffsets: number[] = [];
  let windows = 0;
  for (const file of files) {
    windowOffsets.push(windows);
    windows += file.windowCount;
  }
  const points: { score: number; sweep: number; window: number }[] = [];
  files.forEach((file, f) => {
    for (let i = 0; i < file.anomalyScores.length; i++)
      points.push({
        score: file.anomalyScores[i],
        sweep: file.sweepScores[i],
        window: file.windows[i] < 0 ? -1 : windowOffsets[f] + file.windows[i],
      });
  });
  points.sort((a, b) => b.score - a.score);
  const best = new Float64Array(windows).fill(-profile.fnWeight);
  let current = -profile.fnWeight * windows;
  let result = { threshold: Infinity, score: current };
  for (let k = 0; k < points.length; k++) {
    const point = points[k];
    if (point.window < 0) current += point.sweep;
    else if (point.sweep > best[point.window]) {
      current += point.sweep - best[point.window];
      best[point.window] = point.sweep;
    }
    const lastOfThreshold = k + 1 === points.length || points[k + 1].score !== point.score;
    if (lastOfThreshold && current > result.score) result = { threshold: point.score, score: current };
  }
  return {
    ...result,
    windows,
    normalized: windows > 0 ? nabNormalizedScore(result.score, windows, profile) : Number.NaN,
  };
}

/**
 * NAB's normalized score of a corpus (nab/runner.py `normalize`): 100 x (raw - null) / (perfect - null), where
 * raw is the sum of the files' scores, the null detector (no detection) scores -A_FN per window and the perfect
 * detector A_TP per window. 0 is the null detector, 100 a perfect one; numenta HTM scores 70.1 on NAB's corpus.
 */
export function nabNormalizedScore(
  rawScore: number,
  windows: number,
  profile: NabCostMatrix = NAB_STANDARD_PROFILE,
): number {
  if (!(windows > 0))
    throw new RangeError(`nabNormalizedScore: a corpus needs at least one window (got ${windows})`);
  const nullScore = -profile.fnWeight * windows;
  const perfect = profile.tpWeight * windows;
  return (100 * (rawScore - nullScore)) / (perfect - nullScore);
}

/** NAB's conversion of anomaly scores to detections: score >= threshold. */
export function detectionsAtThreshold(scores: ArrayLike<number>, threshold: number): Uint8Array {
  const detections = new Uint8Array(scores.length);
  for (let i = 0; i < scores.length; i++) detections[i] = scores[i] >= threshold ? 1 : 0;
  return detections;
}
