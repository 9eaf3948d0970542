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
  if (relativePosition > 3) return -1;
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

/**
 * NAB score of a detection column (non-zero = detection) for the rows with the given timestamps, against labelled
 * windows. Windows with no row in the file are ignored.
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
  const times = new Float64Array(rows);
  for (let row = 0; row < rows; row++) {
    const value = timestamps[row];
    const time = typeof value === "string" ? parseTimestamp(value) : value;
    if (Number.isNaN(time)) throw new RangeError(`nabScore: row ${row}: "${value}" is not a timestamp`);
    times[row] = time;
  }

  // Window row ranges (NAB selects rows with start <= timestamp <= end).
  const ranges: { start: string; end: string; first: number; last: number }[] = [];
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
  const label = new Uint8Array(rows);
  for (const range of ranges) label.fill(1, range.first, range.last + 1);

  const counts = { tp: 0, fp: 0, tn: 0, fn: 0 };
  const detected = (i: number): boolean => i >= probationaryRows && Boolean(detections[i]);
  for (let i = 0; i < rows; i++) {
    if (i < probationaryRows) continue;
    const prediction = Boolean(detections[i]);
    if (prediction) {
      if (label[i]) counts.tp++;
      else counts.fp++;
    } else if (label[i]) counts.fn++;
    else counts.tn++;
  }

  const maxTruePositive = nabScaledSigmoid(-1);
  const windowResults: NabWindowResult[] = [];
  let score = 0;
  for (const range of ranges) {
    const length = range.last - range.first + 1;
    let firstDetection = -1;
    for (let i = range.first; i <= range.last; i++) {
      if (detected(i)) {
        firstDetection = i;
        break;
      }
    }
    let contribution: number;
    if (firstDetection < 0) {
      contribution = -profile.fnWeight;
    } else {
      const position = -(range.last - firstDetection + 1) / length;
      contribution = (nabScaledSigmoid(position) * profile.tpWeight) / maxTruePositive;
    }
    score += contribution;
    windowResults.push({ start: range.start, end: range.end, length, firstDetection, contribution });
  }

  let falsePositives = 0;
  let falsePositiveScore = 0;
  for (let i = probationaryRows; i < rows; i++) {
    if (!detections[i] || label[i]) continue;
    falsePositives++;
    // Closest window that ended before this row.
    let preceding: (typeof ranges)[number] | undefined;
    for (const range of ranges) {
      if (range.last < i && (preceding === undefined || range.last > preceding.last)) preceding = range;
    }
    let contribution: number;
    if (preceding === undefined) {
      contribution = -profile.fpWeight;
    } else {
      const length = preceding.last - preceding.first + 1;
      const position = length > 1 ? Math.abs(preceding.last - i) / (length - 1) : Infinity;
      contribution = nabScaledSigmoid(position) * profile.fpWeight;
    }
    falsePositiveScore += contribution;
  }
  score += falsePositiveScore;

  const detectedWindows = windowResults.filter((window) => window.firstDetection >= 0).length;
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
