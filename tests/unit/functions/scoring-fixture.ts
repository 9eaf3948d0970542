// The scoring function's test inputs: the model settings, the readings of one window, what Athena's scoring
// input query returns for them (its CSV, with the feature SQL's vectors computed by their TypeScript mirror) and a
// fake endpoint that scores what it is sent.
import { buildModelSettings } from "../../../components/ml/model-settings";
import { renderQuery, scoringInputColumns } from "../../../components/analytics/queries";
import { featureVectors } from "../../../components/ml/features";
import { vectorColumns } from "../../../components/ml/feature-sql";

export const CURATED = "curated-bkt";
export const ARTIFACTS = "artifacts-bkt";
export const RESULTS = "results-bkt";
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export const NOW = Date.UTC(2024, 5, 1, 12, 0, 0);
export const SINCE = NOW - DAY; // the first run looks back one day
export const MODEL = buildModelSettings({ numTrees: 50, samplesPerTree: 256, shingleSize: 2, z: 3 });
export const QUERY_PARAMETERS = renderQuery("scoring_input", "athena", MODEL).parameters;

export interface Reading {
  device: string;
  room: string;
  seq: number;
  ts: number;
  temperature: number;
  received?: number;
}

/**
 * What the scoring input query returns for these readings (Athena's CSV: header, every value quoted): each
 * reading with its vector (the feature SQL's, computed by its TypeScript mirror) or empty columns, no gaps.
 */
export function athenaCsv(readings: Reading[]): string {
  const feature = readings.map((r) => ({
    device_id: r.device,
    room_id: r.room,
    ts: r.ts,
    seq: r.seq,
    temperature_c: r.temperature,
    received_at: r.received ?? r.ts + 400,
  }));
  const vectors = new Map(featureVectors(feature, MODEL.features).map((v) => [v.reading, v.values]));
  const header = scoringInputColumns(MODEL).map((c) => c.name);
  const empty = vectorColumns(MODEL.features).map(() => "");
  const rows = feature.map((r) => [
    r.device_id,
    r.room_id,
    r.ts,
    r.seq,
    r.temperature_c,
    r.received_at,
    ...(vectors.get(r) ?? empty),
    0,
    0,
  ]);
  return [header, ...rows].map((row) => row.map((v) => `"${String(v)}"`).join(",")).join("\n") + "\n";
}

/** Device a (lab): 10 readings a minute apart from SINCE + 1 h with a 35 °C spike at seq 5. Device b (office): one context reading before the window, then 5. */
export function windowReadings(): Reading[] {
  const start = SINCE + HOUR;
  const a = Array.from({ length: 10 }, (_, i) => ({
    device: "a",
    room: "lab",
    seq: i + 1,
    ts: start + i * 60_000,
    temperature: i + 1 === 5 ? 35 : 21,
  }));
  const b = [
    { device: "b", room: "office", seq: 40, ts: SINCE - 60_000, temperature: 19 },
    ...Array.from({ length: 5 }, (_, i) => ({
      device: "b",
      room: "office",
      seq: 41 + i,
      ts: start + i * 60_000,
      temperature: 19.5,
    })),
  ];
  return [...a, ...b];
}

/** The fake model: 5 for a vector holding a rise of more than 5 °C (a deviation or a step), else 0.5. */
export const fakeScore = (row: string) => (Math.max(...row.split(",").map(Number)) > 5 ? 5 : 0.5);

/** The fake endpoint (the model's floor is 1; its training scores have mean 0.4 and sigma 0.2). */
export function fakeEndpointScores(body: string): string {
  const rows = body.split("\n").filter((l) => l !== "");
  return JSON.stringify({ scores: rows.map((row) => ({ score: fakeScore(row) })) });
}
