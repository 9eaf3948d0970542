/**
 * Scores the anomalies the pipeline found against the fleet's ground truth (its labels file): how many
 * injected anomalies were caught (recall, per event) and how many reported anomalies were real (precision,
 * per anomaly record). Pure.
 *
 * - An injected anomaly is caught when an anomaly record of its device has a reading time inside its window,
 *   extended by the readings whose shingle still contains an affected reading (`shingleSize - 1` intervals).
 * - Dropouts publish nothing, so no value-based detector can see them: they are reported, not scored.
 * - A record is a true positive when it falls inside some label's (extended) window of its device.
 */
import type { AnomalyKind, AnomalyLabel } from "../../devices/model/anomalies";

export interface DetectedAnomaly {
  readonly device_id: string;
  readonly ts: number;
}

export interface KindResult {
  injected: number;
  detected: number;
}

export interface AnomalyEvaluation {
  /** Labelled anomalies with at least one published reading (what recall counts). */
  readonly injected: number;
  readonly detectedEvents: number;
  /** detectedEvents / injected; `null` when nothing was injected. */
  readonly recall: number | null;
  /** Anomaly records in the evaluated range. */
  readonly reported: number;
  readonly truePositives: number;
  /** truePositives / reported; `null` when nothing was reported. */
  readonly precision: number | null;
  readonly byKind: Partial<Record<AnomalyKind, KindResult>>;
  /** Dropout windows (nothing published, not scorable). */
  readonly dropouts: number;
}

export function evaluateAnomalies(
  labels: readonly AnomalyLabel[],
  detected: readonly DetectedAnomaly[],
  options: { readonly intervalMs: number; readonly shingleSize: number },
): AnomalyEvaluation {
  const slack = Math.max(0, options.shingleSize - 1) * options.intervalMs;
  const scorable = labels.filter((l) => l.first_seq !== null);
  const byDevice = new Map<string, number[]>();
  for (const d of detected) byDevice.set(d.device_id, [...(byDevice.get(d.device_id) ?? []), d.ts]);
  const inside = (label: AnomalyLabel, ts: number) => ts >= label.start && ts <= label.end + slack;

  const byKind: Partial<Record<AnomalyKind, KindResult>> = {};
  let detectedEvents = 0;
  for (const label of scorable) {
    const hit = (byDevice.get(label.device_id) ?? []).some((ts) => inside(label, ts));
    const kind = (byKind[label.kind] ??= { injected: 0, detected: 0 });
    kind.injected++;
    if (hit) {
      kind.detected++;
      detectedEvents++;
    }
  }
  const labelsByDevice = new Map<string, AnomalyLabel[]>();
  for (const l of scorable) labelsByDevice.set(l.device_id, [...(labelsByDevice.get(l.device_id) ?? []), l]);
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
    byKind,
    dropouts: labels.length - scorable.length,
  };
}
