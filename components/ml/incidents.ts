/**
 * Applies the alert policy (alert-policy.ts) to a scoring window: each device's readings in time order, from
 * the stream state the previous window left, give the anomalous readings and the incidents to alert. The cloud
 * scoring function (and so the local backend) calls this on SageMaker's scores; the states travel in the
 * scoring watermark, so scoring a stream in one window or in many gives the same verdicts. Pure.
 */
import {
  newStreamState,
  observeReading,
  type AlertPolicySettings,
  type AlertStreamState,
  type DetectedKind,
  type PolicyVerdict,
  type ScorePrior,
} from "./alert-policy";
import type { FeatureReading, ScoringRow } from "./features";

/** A device's stream state between windows, with the reading time it last saw (for pruning). */
export interface DeviceStream {
  readonly state: AlertStreamState;
  readonly lastTs: number;
}

export type DeviceStreams = Readonly<Record<string, DeviceStream>>;

/** A reading and what the policy said about it. */
export interface JudgedReading {
  readonly reading: FeatureReading;
  /** The model's score; undefined for a reading without a complete vector (the rules still apply). */
  readonly score: number | undefined;
  readonly verdict: PolicyVerdict;
}

/** The anomalous readings of one device that follow one alert within a window. */
export interface Incident {
  readonly device_id: string;
  readonly room_id: string;
  readonly startTs: number;
  readonly endTs: number;
  readonly anomalies: number;
  readonly kinds: readonly DetectedKind[];
  readonly peakScore: number;
  /** Temperature at the peak score. */
  readonly peakTemperature: number;
  /** The alert policy's floor (the training threshold). */
  readonly threshold: number;
}

/** Streams not seen for this long are forgotten (a device taken out of the fleet). */
export const STREAM_RETENTION_MS = 30 * 86_400_000;

/**
 * Judges a window's rows. Rows are taken per device in `ts` order; `scores[i]` belongs to `rows[i]`.
 * @param prior what a device's new stream starts from (the training scores' mean and sigma)
 * @param floor scores at or below it are never anomalous (the training threshold)
 */
export function judgeWindow(
  rows: readonly ScoringRow[],
  scores: readonly (number | undefined)[],
  streams: DeviceStreams,
  settings: { readonly policy: AlertPolicySettings; readonly prior: ScorePrior; readonly floor: number },
): { judged: JudgedReading[]; incidents: Incident[]; streams: Record<string, DeviceStream> } {
  if (scores.length !== rows.length)
    throw new Error(`judgeWindow: ${rows.length} rows but ${scores.length} scores`);
  const order = rows
    .map((row, i) => ({ row, score: scores[i] }))
    .sort(
      (a, b) =>
        a.row.reading.device_id.localeCompare(b.row.reading.device_id) ||
        a.row.reading.ts - b.row.reading.ts ||
        a.row.reading.seq - b.row.reading.seq,
    );
  const next: Record<string, DeviceStream> = { ...streams };
  const judged: JudgedReading[] = [];
  const incidents: Incident[] = [];
  let open: { -readonly [K in keyof Incident]: Incident[K] } | undefined;
  for (const { row, score } of order) {
    const { reading } = row;
    const previous = next[reading.device_id];
    const { verdict, state } = observeReading(
      previous?.state ?? newStreamState(settings.prior),
      { at: reading.ts, score, value: reading.temperature_c, stuck: row.stuck, missing: row.missing },
      settings.policy,
      settings.floor,
    );
    next[reading.device_id] = { state, lastTs: Math.max(previous?.lastTs ?? -Infinity, reading.ts) };
    judged.push({ reading, score, verdict });
    if (open && (open.device_id !== reading.device_id || verdict.alert || !verdict.inIncident)) {
      incidents.push(open);
      open = undefined;
    }
    if (verdict.alert) {
      open = {
        device_id: reading.device_id,
        room_id: reading.room_id,
        startTs: reading.ts,
        endTs: reading.ts,
        anomalies: 1,
        kinds: [verdict.kind!],
        peakScore: score ?? 0,
        peakTemperature: reading.temperature_c,
        threshold: settings.floor,
      };
    } else if (open && verdict.anomalous) {
      open.endTs = reading.ts;
      open.anomalies++;
      if (!open.kinds.includes(verdict.kind!)) open.kinds = [...open.kinds, verdict.kind!];
      if ((score ?? 0) > open.peakScore) {
        open.peakScore = score!;
        open.peakTemperature = reading.temperature_c;
      }
    }
  }
  if (open) incidents.push(open);
  return { judged, incidents, streams: next };
}

/**
 * The streams to carry into the next window: those seen within {@link STREAM_RETENTION_MS} of `nowTs`. When the
 * model changed, each stream restarts its score distribution from the new model's prior (scores of another
 * model are another scale) but keeps its open incident, so a fault already alerted does not page again.
 */
export function carryStreams(
  streams: DeviceStreams,
  nowTs: number,
  modelChanged: { readonly prior: ScorePrior } | undefined,
): Record<string, DeviceStream> {
  const kept: Record<string, DeviceStream> = {};
  for (const [device, stream] of Object.entries(streams)) {
    if (stream.lastTs < nowTs - STREAM_RETENTION_MS) continue;
    kept[device] = modelChanged
      ? { ...stream, state: { ...newStreamState(modelChanged.prior), incident: stream.state.incident } }
      : stream;
  }
  return kept;
}

/** The SNS message of an incident (subjects are limited to 100 characters by SNS). */
export function incidentAlert(incident: Incident, deployment: string): { subject: string; message: string } {
  const start = new Date(incident.startTs).toISOString();
  const end = new Date(incident.endTs).toISOString();
  const what = KIND_WORDS[incident.kinds[0]!];
  const subject = `[${deployment}] ${what} in ${incident.room_id}: ${incident.device_id}`.slice(0, 100);
  const message = [
    `Sensor ${incident.device_id} in room ${incident.room_id}: ${incident.kinds.map((k) => KIND_WORDS[k].toLowerCase()).join(", ")}.`,
    "",
    `First anomalous reading: ${start}`,
    `Last anomalous reading:  ${end}`,
    `Anomalous readings:      ${incident.anomalies}`,
    `Peak anomaly score:      ${incident.peakScore.toFixed(3)} (floor ${incident.threshold.toFixed(3)})`,
    `Temperature at peak:     ${incident.peakTemperature} °C`,
    "",
    "Query the anomalies_last_24h view in Athena (or the dashboard) for the details.",
  ].join("\n");
  return { subject, message };
}

const KIND_WORDS: Readonly<Record<DetectedKind, string>> = {
  score: "Anomaly",
  stuck: "Stuck value",
  dropout: "Dropout",
  range: "Out of range",
};
