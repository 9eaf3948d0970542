/**
 * The rows the scoring function works on: the scoring input query's results (readings with their feature
 * vectors, computed by the feature SQL, and the rules' columns), the CSV rows SageMaker takes, and request
 * batches within InvokeEndpoint's payload limit. Plus {@link featureVectors}, the feature SQL's arithmetic in
 * TypeScript for the one caller with no SQL engine (the ad-hoc scoring URL), kept equal to the SQL by
 * tests/unit/ml/training-set-parity.test.ts. Pure.
 */
import type { ModelSettings } from "./model-settings";
import { parseCsvRecords } from "./csv";
import { vectorColumns, type FeatureSettings } from "./feature-sql";
import { packBatches } from "../shared/batches";

/** A reading as the ML functions use it (the telemetry fields they need). */
export interface FeatureReading {
  readonly device_id: string;
  readonly room_id: string;
  readonly ts: number;
  readonly seq: number;
  /** Arrival time at IoT Core, epoch ms; decides which readings a scoring window owns. */
  readonly received_at: number;
  readonly temperature_c: number;
}

/** One row of the scoring input: a reading, its vector (null until complete) and the rules' columns. */
export interface ScoringRow {
  readonly reading: FeatureReading;
  readonly vector: readonly number[] | null;
  /** Readings missing right before this one. */
  readonly missing: number;
  /** The value has not changed for the stuck window. */
  readonly stuck: boolean;
}

/** One vector to score, identified by the reading it ends at. */
export interface FeatureVector {
  readonly reading: FeatureReading;
  readonly values: readonly number[];
}

/**
 * SageMaker InvokeEndpoint accepts at most 6 MB per request; batches stay under 5 MiB to leave room for
 * headers and encoding differences.
 */
export const MAX_REQUEST_BYTES = 5 * 1024 * 1024;

/**
 * Parses the scoring input query's results (Athena's CSV, every value quoted, a header row). A row whose vector
 * has an empty column has no vector yet (the device's first readings); a malformed number is an error.
 */
export function parseScoringRows(
  text: string,
  source: string,
  model: Pick<ModelSettings, "features">,
): ScoringRow[] {
  const vector = vectorColumns(model.features);
  const required = ["device_id", "room_id", "ts", "seq", "temperature_c", "received_at"];
  const records = parseCsvRecords(text, [...required, ...vector, "missing_readings", "stuck"], source);
  return records.map((record, index) => {
    const number = (column: string, optional = false): number | undefined => {
      const raw = record[column];
      if (raw === undefined && optional) return undefined;
      const value = Number(raw);
      if (raw === undefined || !Number.isFinite(value))
        throw new Error(
          `${source}: row ${index + 2} column ${column} is not a number (got ${JSON.stringify(raw)})`,
        );
      return value;
    };
    if (!record.device_id || !record.room_id)
      throw new Error(`${source}: row ${index + 2} has no device_id or room_id`);
    const values = vector.map((c) => number(c, true));
    return {
      reading: {
        device_id: record.device_id,
        room_id: record.room_id,
        ts: number("ts")!,
        seq: number("seq")!,
        received_at: number("received_at")!,
        temperature_c: number("temperature_c")!,
      },
      vector: values.every((v) => v !== undefined) ? (values as number[]) : null,
      missing: number("missing_readings", true) ?? 0,
      stuck: record.stuck === "1" || record.stuck === "true",
    };
  });
}

/**
 * The feature SQL's vectors computed in TypeScript, for readings posted to the ad-hoc scoring URL (no SQL
 * engine there). Per device in `ts` order (a repeated `ts` counts once): deviation from the mean of up to
 * `baselineReadings` previous readings and the step from the previous one, shingled oldest first; a vector
 * once every part exists. Equal to `sql/features.sql` (tests/unit/ml/training-set-parity.test.ts).
 */
export function featureVectors(
  readings: readonly FeatureReading[],
  features: FeatureSettings,
): FeatureVector[] {
  const byDevice = new Map<string, FeatureReading[]>();
  for (const r of readings) {
    let list = byDevice.get(r.device_id);
    if (!list) byDevice.set(r.device_id, (list = []));
    list.push(r);
  }
  const vectors: FeatureVector[] = [];
  for (const device of [...byDevice.keys()].sort()) {
    const ordered = byDevice.get(device)!.sort((a, b) => a.ts - b.ts || a.seq - b.seq);
    const unique = ordered.filter((r, i) => i === 0 || r.ts !== ordered[i - 1]!.ts);
    const perReading = unique.map((_, i) => readingFeatures(unique, i, features));
    for (let i = features.shingleSize - 1; i < unique.length; i++) {
      const values: number[] = [];
      for (let j = i - features.shingleSize + 1; j <= i; j++) values.push(...(perReading[j] ?? []));
      if (perReading.slice(i - features.shingleSize + 1, i + 1).every((f) => f !== null))
        vectors.push({ reading: unique[i]!, values });
    }
  }
  return vectors;
}

/** One reading's features (null when its baseline does not exist yet). */
function readingFeatures(
  readings: readonly FeatureReading[],
  i: number,
  features: FeatureSettings,
): number[] | null {
  const t = readings[i]!.temperature_c;
  if (features.set === "temperature") return [t];
  if (i === 0) return null;
  const from = Math.max(0, i - features.baselineReadings);
  let sum = 0;
  for (let j = from; j < i; j++) sum += readings[j]!.temperature_c;
  return [t - sum / (i - from), t - readings[i - 1]!.temperature_c];
}

/** A vector as one CSV line without a header or label (`text/csv;label_size=0`). */
export function csvRow(values: readonly number[]): string {
  return values.map((v) => (Number.isFinite(v) ? String(v) : "")).join(",");
}

/**
 * Splits CSV rows into request bodies of at most `maxBytes` (UTF-8, newline-separated) and `maxRecords`.
 * @throws Error if one row alone exceeds `maxBytes`
 */
export function batchRows(
  rows: readonly string[],
  maxBytes: number = MAX_REQUEST_BYTES,
  maxRecords = 10_000,
): string[][] {
  const sizeOf = (row: string) => Buffer.byteLength(row, "utf8") + 1;
  for (const row of rows) {
    const size = sizeOf(row);
    if (size > maxBytes)
      throw new Error(`one feature row is ${size} bytes, more than the request limit of ${maxBytes}`);
  }
  return packBatches(rows, sizeOf, maxBytes, maxRecords);
}
