/**
 * Scores the anomalies the pipeline found against the fleet's ground truth (its labels file): how many
 * injected anomalies were caught (recall, per event), how many reported anomalies were real (precision, per
 * anomaly record), and how long each caught anomaly took to show (time to detect). Pure.
 *
 * - A label's window is extended by the model's memory: the readings whose feature vector still contains an
 *   affected reading (the deviation features' baseline and the shingle, `memoryReadings` intervals). A fault's
 *   end changes those readings' vectors too (after a level shift the baseline still holds the shifted values),
 *   so a record there is the fault's doing, not a false alarm.
 * - A dropout publishes nothing: it shows at the first reading after the gap, one interval after its window.
 * - A fault the run ended in (its label says `truncated`) is graded on its own, not in recall: only part of it
 *   happened (a drift cut at a tenth of its slope, a dropout with no reading after it, which cannot show at
 *   all). Its records still count as true positives. A run of known length (the bench, the tests) injects
 *   whole faults only (devices/model/anomalies.ts), so this concerns runs stopped early.
 * - A record is a true positive when it falls inside some label's extended window of its device.
 */
import type { AnomalyKind, AnomalyLabel } from "../../devices/model/anomalies";

export interface DetectedAnomaly {
  readonly device_id: string;
  readonly ts: number;
}

export interface KindResult {
  injected: number;
  detected: number;
  /** Reading time from the anomaly's start to its first record, per caught anomaly (ms). */
  timesToDetectMs: number[];
}

export interface AnomalyEvaluation {
  /** Labelled anomalies that can show (what recall counts). */
  readonly injected: number;
  readonly detectedEvents: number;
  /** detectedEvents / injected; `null` when nothing was injected. */
  readonly recall: number | null;
  /** Anomaly records in the evaluated range. */
  readonly reported: number;
  readonly truePositives: number;
  /** truePositives / reported; `null` when nothing was reported. */
  readonly precision: number | null;
  /** Median time to detect over the caught anomalies (ms); `null` when none was caught. */
  readonly medianTimeToDetectMs: number | null;
  readonly byKind: Partial<Record<AnomalyKind, KindResult>>;
  /** Faults the run ended in, graded apart from recall: how many, and how many of them were caught. */
  readonly truncated: { readonly injected: number; readonly detected: number };
}

export interface EvaluationOptions {
  readonly intervalMs: number;
  /** Readings after a reading whose vectors still contain it (baseline + shingle - 1; 0 for raw shingle 1). */
  readonly memoryReadings: number;
}

/** The readings a model's vectors remember: the deviation baseline (if any) plus the rest of the shingle. */
export function featureMemoryReadings(features: {
  readonly set: string;
  readonly baselineReadings: number;
  readonly shingleSize: number;
}): number {
  return (features.set === "deviation" ? features.baselineReadings : 0) + features.shingleSize - 1;
}

export function evaluateAnomalies(
  labels: readonly AnomalyLabel[],
  detected: readonly DetectedAnomaly[],
  options: EvaluationOptions,
): AnomalyEvaluation {
  const memory = Math.max(0, options.memoryReadings) * options.intervalMs;
  const scorable = labels.filter((l) => !l.truncated);
  const byDevice = new Map<string, number[]>();
  for (const d of detected) {
    let list = byDevice.get(d.device_id);
    if (!list) byDevice.set(d.device_id, (list = []));
    list.push(d.ts);
  }
  for (const list of byDevice.values()) list.sort((a, b) => a - b);
  const windowEnd = (label: AnomalyLabel) =>
    label.end + memory + (label.kind === "dropout" ? options.intervalMs : 0);
  const inside = (label: AnomalyLabel, ts: number) => ts >= label.start && ts <= windowEnd(label);

  const byKind: Partial<Record<AnomalyKind, KindResult>> = {};
  let detectedEvents = 0;
  const delays: number[] = [];
  const firstRecord = (label: AnomalyLabel) =>
    (byDevice.get(label.device_id) ?? []).find((ts) => inside(label, ts));
  const caught = (label: AnomalyLabel) => firstRecord(label) !== undefined;
  for (const label of scorable) {
    const first = firstRecord(label);
    const kind = (byKind[label.kind] ??= { injected: 0, detected: 0, timesToDetectMs: [] });
    kind.injected++;
    if (first !== undefined) {
      kind.detected++;
      kind.timesToDetectMs.push(first - label.start);
      delays.push(first - label.start);
      detectedEvents++;
    }
  }
  const labelsByDevice = new Map<string, AnomalyLabel[]>();
  for (const l of labels) labelsByDevice.set(l.device_id, [...(labelsByDevice.get(l.device_id) ?? []), l]);
  const truePositives = detected.filter((d) =>
    (labelsByDevice.get(d.device_id) ?? []).some((l) => inside(l, d.ts)),
  ).length;
  return {
    injected: scorable.length,
    detectedEvents,
    recall: scorable.length > 0 ? detectedEvents / scorable.length : null,
    reported: detected.length,
    truePositives,
    precision: detected.length > 0 ? truePositives / detected.length : null,
    medianTimeToDetectMs: median(delays),
    byKind,
    truncated: {
      injected: labels.length - scorable.length,
      detected: labels.filter((l) => l.truncated && caught(l)).length,
    },
  };
}

/** Median of a list of numbers, `null` for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
