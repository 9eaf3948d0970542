/**
 * What `npm run rcf` reports after a run: the summary (--json) and the optional comparisons, Spearman with a
 * reference score column and NAB scores against labelled windows, of the alert column and of the reference.
 */
import { CsvInputError, parseTimestamp, readSeriesCsv } from "./csv";
import type { ResolvedForestOptions } from "./forest";
import { detectionsAtThreshold, nabNormalizedScore, nabScore, type NabScore, type NabWindow } from "./nab";
import { spearman } from "./stats";
import type { AlertPolicySettings } from "../../components/ml/alert-policy";
import { numberOption, stringOption, type ParsedOptions } from "./cli-options";

/** Summary of a run (printed on stderr, or as JSON with --json). */
export interface CliSummary {
  input: string;
  points: number;
  dimensions: number;
  settings: ResolvedForestOptions & {
    warmup: number;
    policy: AlertPolicySettings;
    /** The detector's second views (readings per block, 0 = off; the sequence view on or off). */
    views: { blockReadings: number; sequenceView: boolean };
  };
  /** The command's Node flags (RCF_NODE_FLAGS) the process runs with. */
  nodeFlags: string[];
  seconds: number;
  /** Points per wall-clock second of the scoring loop. */
  pointsPerSecond: number;
  /** Points per CPU-second of the scoring loop (one core). */
  pointsPerCpuSecond: number;
  alerts: number;
  spearman?: { allRows: number; afterWarmup: number; rows: number; warmupRows: number };
  nab?: {
    key: string;
    ours: NabScore;
    /** NAB's normalized score of this file alone (0 = null detector, 100 = perfect); NaN without windows. */
    normalized: number;
    reference?: NabScore;
    referencePublished?: number;
  };
}

/** The optional comparisons: Spearman with a reference column, NAB scores against labelled windows. */
export function compare(
  summary: CliSummary,
  report: string[],
  options: ParsedOptions,
  run: {
    input: string;
    nabWindows: { key: string; windows: NabWindow[] } | undefined;
    referencePath: string | undefined;
    timeDecayDefaulted: boolean;
    times: Float64Array;
    scores: Float64Array;
    alerts: Uint8Array;
  },
): void {
  let referenceScores: Float64Array | undefined;
  let referencePublished: number | undefined;
  if (run.referencePath !== undefined) {
    const column = stringOption(options, "reference-column")!;
    ({ scores: referenceScores, published: referencePublished } = alignReference(
      run.times,
      run.referencePath,
      column,
    ));
    // Rows where either side is still warming up (score exactly 0) are excluded from the second figure.
    const warm: number[] = [];
    for (let i = 0; i < run.scores.length; i++)
      if (run.scores[i] !== 0 && referenceScores[i] !== 0) warm.push(i);
    const allRows = spearman(run.scores, referenceScores);
    const afterWarmup = spearman(
      Float64Array.from(warm, (i) => run.scores[i]),
      Float64Array.from(warm, (i) => referenceScores![i]),
    );
    const rows = run.scores.length;
    summary.spearman = { allRows, afterWarmup, rows, warmupRows: rows - warm.length };
    report.push(
      `rcf: Spearman rank correlation of raw_score with ${column} of ${run.referencePath}: ${allRows.toFixed(4)} (all ${rows} rows), ` +
        `${afterWarmup.toFixed(4)} (${warm.length} rows where both are past warm-up)`,
    );
    if (run.timeDecayDefaulted) {
      report.push(
        "rcf: note: the time decay is the library default, 1/(10 x samples); NAB's published Random Cut Forest run used " +
          "Kinesis timeDecay 100000 (lambda = 1e-5) and shingle 1: add --time-decay 100000 --shingle 1 to compare with the same settings",
      );
    }
  }
  if (run.nabWindows === undefined) return;
  const ours = nabScore(run.times, run.alerts, run.nabWindows.windows);
  // A file without windows (no anomaly) has no normalized score of its own: only false positives count.
  const normalized =
    ours.windows.length > 0 ? nabNormalizedScore(ours.score, ours.windows.length) : Number.NaN;
  summary.nab = { key: run.nabWindows.key, ours, normalized };
  report.push(
    `rcf: NAB standard score of the alert column (${run.nabWindows.key}): ${ours.score.toFixed(4)}, normalized ${normalized.toFixed(1)} ` +
      `(${ours.detectedWindows}/${ours.windows.length} windows detected, ${ours.falsePositives} false positive(s), ` +
      `first ${ours.probationaryRows} rows probationary)`,
  );
  if (referenceScores === undefined) return;
  const referenceThreshold = numberOption(options, "reference-threshold")!;
  const reference = nabScore(
    run.times,
    detectionsAtThreshold(referenceScores, referenceThreshold),
    run.nabWindows.windows,
  );
  summary.nab.reference = reference;
  summary.nab.referencePublished = referencePublished;
  report.push(
    `rcf: NAB standard score of the reference at threshold ${referenceThreshold}: ${reference.score.toFixed(4)} ` +
      `(${reference.detectedWindows}/${reference.windows.length} windows, ${reference.falsePositives} false positive(s))` +
      (referencePublished !== undefined
        ? `; published S(t)_standard sum: ${referencePublished.toFixed(4)}`
        : ""),
  );
  report.push(`rcf: ours - reference = ${(ours.score - reference.score).toFixed(4)}`);
}

/** Aligns reference scores on our times (same order expected; falls back to a time lookup). */
function alignReference(
  times: Float64Array,
  referencePath: string,
  column: string,
): { scores: Float64Array; published?: number } {
  const reference = readSeriesCsv(referencePath, { valueColumns: [column] });
  const referenceTimes = reference.timestamps.map(parseTimestamp);
  let scores: Float64Array;
  if (reference.length === times.length && referenceTimes.every((time, i) => time === times[i])) {
    scores = reference.values;
  } else {
    const byTime = new Map<number, number>();
    referenceTimes.forEach((time, i) => byTime.set(time, reference.values[i]));
    scores = new Float64Array(times.length);
    for (let i = 0; i < times.length; i++) {
      const value = byTime.get(times[i]);
      if (value === undefined) {
        throw new CsvInputError(
          `--reference ${referencePath}: no row for ${new Date(times[i]).toISOString()} of the input (row ${i + 2}); the reference must score the same series`,
        );
      }
      scores[i] = value;
    }
  }
  // NAB results files carry the published per-row score contributions: their sum is the published file score.
  let published: number | undefined;
  try {
    const contributions = readSeriesCsv(referencePath, { valueColumns: ["S(t)_standard"] });
    published = contributions.values.reduce((sum, value) => sum + value, 0);
  } catch {
    published = undefined;
  }
  return { scores, published };
}
