/**
 * From anomalous readings to incidents: one alert when a device starts behaving strangely, not one per
 * reading. Consecutive anomalies of one device closer than a gap belong to one incident; an incident that
 * continues from the previous scoring window (its device's last anomaly is within the gap) is recorded but not
 * alerted again. Pure.
 */
import type { FeatureReading } from "./features";

/** A reading whose score exceeded the threshold. */
export interface ScoredAnomaly {
  readonly reading: FeatureReading;
  readonly score: number;
  readonly threshold: number;
}

export interface Incident {
  readonly device_id: string;
  readonly room_id: string;
  readonly startTs: number;
  readonly endTs: number;
  readonly anomalies: number;
  readonly peakScore: number;
  /** Temperature at the peak score. */
  readonly peakTemperature: number;
  readonly threshold: number;
  /** Whether the incident began in an earlier window (and was alerted then). */
  readonly continued: boolean;
}

/** Anomalies of one device less than this far apart (reading time) form one incident. @default 15 minutes */
export const DEFAULT_INCIDENT_GAP_MS = 15 * 60_000;

/**
 * Groups anomalies into incidents, per device in time order.
 * @param lastAnomalyTs per device, the reading time of its last anomaly in earlier windows
 */
export function groupIncidents(
  anomalies: readonly ScoredAnomaly[],
  lastAnomalyTs: Readonly<Record<string, number>> = {},
  gapMs: number = DEFAULT_INCIDENT_GAP_MS,
): Incident[] {
  const byDevice = new Map<string, ScoredAnomaly[]>();
  for (const a of anomalies) {
    let list = byDevice.get(a.reading.device_id);
    if (!list) byDevice.set(a.reading.device_id, (list = []));
    list.push(a);
  }
  const incidents: Incident[] = [];
  for (const device of [...byDevice.keys()].sort()) {
    const list = byDevice.get(device)!.sort((a, b) => a.reading.ts - b.reading.ts);
    let current: ScoredAnomaly[] = [];
    let previousTs = lastAnomalyTs[device];
    let continued = previousTs !== undefined && list[0]!.reading.ts - previousTs <= gapMs;
    const close = () => {
      if (current.length === 0) return;
      const peak = current.reduce((best, a) => (a.score > best.score ? a : best));
      incidents.push({
        device_id: device,
        room_id: peak.reading.room_id,
        startTs: current[0]!.reading.ts,
        endTs: current[current.length - 1]!.reading.ts,
        anomalies: current.length,
        peakScore: peak.score,
        peakTemperature: peak.reading.temperature_c,
        threshold: peak.threshold,
        continued,
      });
      current = [];
      continued = false;
    };
    for (const a of list) {
      if (previousTs !== undefined && current.length > 0 && a.reading.ts - previousTs > gapMs) close();
      current.push(a);
      previousTs = a.reading.ts;
    }
    close();
  }
  return incidents;
}

/** Per device, the reading time of its latest anomaly, merged over the previous state. */
export function latestAnomalyTimes(
  anomalies: readonly ScoredAnomaly[],
  previous: Readonly<Record<string, number>> = {},
): Record<string, number> {
  const latest: Record<string, number> = { ...previous };
  for (const a of anomalies)
    latest[a.reading.device_id] = Math.max(latest[a.reading.device_id] ?? -Infinity, a.reading.ts);
  return latest;
}

/** The SNS message of an incident (subjects are limited to 100 characters by SNS). */
export function incidentAlert(incident: Incident, deployment: string): { subject: string; message: string } {
  const start = new Date(incident.startTs).toISOString();
  const end = new Date(incident.endTs).toISOString();
  const subject = `[${deployment}] Anomaly in ${incident.room_id}: ${incident.device_id}`.slice(0, 100);
  const message = [
    `Sensor ${incident.device_id} in room ${incident.room_id} is behaving unusually.`,
    "",
    `First anomalous reading: ${start}`,
    `Last anomalous reading:  ${end}`,
    `Anomalous readings:      ${incident.anomalies}`,
    `Peak anomaly score:      ${incident.peakScore.toFixed(3)} (threshold ${incident.threshold.toFixed(3)})`,
    `Temperature at peak:     ${incident.peakTemperature} °C`,
    "",
    "Query the anomalies_last_24h view in Athena (or the dashboard) for the details.",
  ].join("\n");
  return { subject, message };
}
