/**
 * Historical CSV files in the lake's landing zone (`historicalPrefix` of the raw bucket), as operators drop
 * them for the S3 import: UTF-8, a header naming the columns of `LANDING_CSV_COLUMNS`, one file per day.
 * Each file also carries one row an operator's export would plausibly contain and the import must drop (a
 * temperature of `n/a`), so the local run shows the import's validation at work.
 */
import { LANDING_CSV_COLUMNS } from "../../components/sources/historical-schema";
import type { LocalObjectStore } from "../lake/object-store";
import type { HistoricalReading } from "../../functions/history-seed/history";
import { utcTimestampText } from "../../functions/history-seed/history";

/** Writes the readings as one CSV file per UTC day; returns the keys written. */
export function writeLandingCsv(
  store: LocalObjectStore,
  historicalPrefix: string,
  readings: readonly HistoricalReading[],
): string[] {
  const header = LANDING_CSV_COLUMNS.map((c) => c.name);
  const byDay = new Map<string, HistoricalReading[]>();
  for (const reading of readings) {
    const day = new Date(reading.ts).toISOString().slice(0, 10);
    let rows = byDay.get(day);
    if (!rows) byDay.set(day, (rows = []));
    rows.push(reading);
  }
  const keys: string[] = [];
  for (const [day, rows] of [...byDay].sort(([a], [b]) => a.localeCompare(b))) {
    const cell = (r: HistoricalReading, column: string): string => {
      switch (column) {
        case "device_id":
          return r.device_id;
        case "room_id":
          return r.room_id;
        case "reading_time":
          // ISO 8601 with a T and Z, one of the forms the import accepts.
          return `${utcTimestampText(r.ts).replace(" ", "T")}Z`;
        case "temperature_c":
          return String(r.temperature_c);
        case "humidity_pct":
          return r.humidity_pct === undefined ? "" : String(r.humidity_pct);
        default:
          throw new Error(`landing CSV column ${column} has no local value; update local/sources/landing.ts`);
      }
    };
    const lines = rows.map((r) => header.map((c) => cell(r, c)).join(","));
    const sample = rows[0]!;
    lines.push(header.map((c) => (c === "temperature_c" ? "n/a" : cell(sample, c))).join(","));
    const key = `${historicalPrefix}readings-${day}.csv`;
    store.put(store.bucketNames.raw, key, `${header.join(",")}\n${lines.join("\n")}\n`);
    keys.push(key);
  }
  return keys;
}
