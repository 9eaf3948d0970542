/**
 * From readings to the vectors the Random Cut Forest scores: ordering per device, de-duplication by `seq`,
 * shingling (the last N readings of one device make one vector), the CSV rows SageMaker takes, and request
 * batches within InvokeEndpoint's payload limit. Used by training (the training set) and scoring (the
 * scoring input) alike, so both see the same vectors. Pure.
 */
import type { ModelSettings, RcfFeatureColumn } from "./model-settings";
import { parseCsvRecords } from "./csv";

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
 * Builds the feature vectors of a set of readings. Readings are grouped by device, ordered by `ts` then
 * `seq`, and a repeated `seq` at the same `ts` is dropped (a duplicate delivery). Each reading with at least
 * `shingleSize - 1` predecessors yields one vector: the feature columns of those readings, oldest first.
 * @param owns which vectors to return, by their last reading (e.g. arrived after the watermark); the others
 *   are context only. @default - every vector
 */
export function featureVectors(
  readings: readonly FeatureReading[],
  settings: Pick<ModelSettings, "features">,
  owns: (reading: FeatureReading) => boolean = () => true,
): FeatureVector[] {
  const { columns, shingleSize } = settings.features;
  const byDevice = new Map<string, FeatureReading[]>();
  for (const r of readings) {
    let list = byDevice.get(r.device_id);
    if (!list) byDevice.set(r.device_id, (list = []));
    list.push(r);
  }
  const vectors: FeatureVector[] = [];
  for (const device of [...byDevice.keys()].sort()) {
    const ordered = byDevice.get(device)!.sort((a, b) => a.ts - b.ts || a.seq - b.seq);
    const unique = ordered.filter(
      (r, i) => i === 0 || !(r.seq === ordered[i - 1]!.seq && r.ts === ordered[i - 1]!.ts),
    );
    for (let i = shingleSize - 1; i < unique.length; i++) {
      const last = unique[i]!;
      if (!owns(last)) continue;
      const values: number[] = [];
      for (let j = i - shingleSize + 1; j <= i; j++)
        for (const c of columns) values.push(unique[j]![c as RcfFeatureColumn]);
      vectors.push({ reading: last, values });
    }
  }
  return vectors;
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
  const batches: string[][] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = Buffer.byteLength(row, "utf8") + 1;
    if (size > maxBytes)
      throw new Error(`one feature row is ${size} bytes, more than the request limit of ${maxBytes}`);
    if (current.length > 0 && (bytes + size > maxBytes || current.length >= maxRecords)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(row);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

type NumericReadingColumn = "ts" | "seq" | "received_at" | "temperature_c";

/**
 * Parses readings from CSV with a header (Athena results, the curate job's training CSV). Rows missing a
 * feature value are skipped (the forest cannot score a gap); rows with a malformed number are an error.
 * `received_at` falls back to `ts` when the file has no such column (historical data has no arrival time).
 * @param defaults values for columns a file may leave out because its path says them (e.g. `room_id`)
 */
export function parseReadingsCsv(
  text: string,
  source: string,
  defaults: Partial<Record<"room_id", string>> = {},
): FeatureReading[] {
  const required = ["device_id", "ts", "seq", "temperature_c", ...(defaults.room_id ? [] : ["room_id"])];
  const records = parseCsvRecords(text, required, source);
  const readings: FeatureReading[] = [];
  records.forEach((record, index) => {
    if (record.temperature_c === undefined) return;
    const number = (column: NumericReadingColumn) => {
      const value = Number(record[column]);
      if (!Number.isFinite(value))
        throw new Error(
          `${source}: row ${index + 2} column ${column} is not a number (got ${JSON.stringify(record[column])})`,
        );
      return value;
    };
    const ts = number("ts");
    if (!record.device_id) throw new Error(`${source}: row ${index + 2} has no device_id`);
    readings.push({
      device_id: record.device_id,
      room_id: record.room_id ?? defaults.room_id!,
      ts,
      seq: number("seq"),
      received_at: record.received_at === undefined ? ts : number("received_at"),
      temperature_c: number("temperature_c"),
    });
  });
  return readings;
}
