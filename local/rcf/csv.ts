/**
 * Minimal CSV reading/writing for time series (`timestamp,value[,more columns]`), with RFC 4180 quoting, no
 * dependencies, and errors that name the file, row and column.
 */
import { readFileSync } from "node:fs";

/** A parsed CSV table: the header and the data rows as strings. */
export interface CsvTable {
  header: string[];
  rows: string[][];
}

/** Parses CSV text (comma separated, optional double quotes, LF or CRLF line ends, blank lines skipped). */
export function parseCsv(text: string): CsvTable {
  const records: string[][] = [];
  let field = "";
  let record: string[] = [];
  let inQuotes = false;
  let fieldStarted = false;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (inQuotes) {
      if (c === 34 /* " */) {
        if (text.charCodeAt(i + 1) === 34) {
          field += '"';
          i++;
        } else {
          inQuotes = false;
        }
      } else {
        field += text[i];
      }
      continue;
    }
    if (c === 34 && !fieldStarted) {
      inQuotes = true;
      fieldStarted = true;
    } else if (c === 44 /* , */) {
      record.push(field);
      field = "";
      fieldStarted = false;
    } else if (c === 10 /* \n */ || c === 13 /* \r */) {
      if (c === 13 && text.charCodeAt(i + 1) === 10) i++;
      record.push(field);
      if (record.length > 1 || record[0] !== "") records.push(record);
      record = [];
      field = "";
      fieldStarted = false;
    } else {
      field += text[i];
      fieldStarted = true;
    }
  }
  if (fieldStarted || record.length > 0) {
    record.push(field);
    if (record.length > 1 || record[0] !== "") records.push(record);
  }
  if (records.length === 0) return { header: [], rows: [] };
  const [header, ...rows] = records;
  // Strip a UTF-8 byte order mark that some spreadsheet exports put in front of the first header.
  if (header.length > 0) header[0] = header[0].replace(/^\uFEFF/, "").trim();
  for (let i = 1; i < header.length; i++) header[i] = header[i].trim();
  return { header, rows };
}

/** Quotes a CSV field when needed. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** A numeric time series read from a CSV file. */
export interface CsvSeries {
  /** Timestamps as written in the file (kept verbatim for the output). */
  timestamps: string[];
  /** Names of the value columns, in order. */
  columns: string[];
  /** Values per row, flat: row i occupies values[i * columns.length, (i + 1) * columns.length). */
  values: Float64Array;
  /** Number of rows. */
  length: number;
}

/** Options of {@link readSeriesCsv}. */
export interface ReadSeriesOptions {
  /** Name of the timestamp column (default "timestamp"). */
  timestampColumn?: string;
  /** Value columns (default ["value"]). */
  valueColumns?: string[];
}

/** Error thrown for unreadable or malformed input; the message says what to fix. */
export class CsvInputError extends Error {}

/** Reads `timestamp,value[,...]` columns from a CSV file. Throws {@link CsvInputError} with a precise message. */
export function readSeriesCsv(path: string, options: ReadSeriesOptions = {}): CsvSeries {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CsvInputError(`cannot read ${path}: ${reason}`);
  }
  return seriesFromTable(parseCsv(text), path, options);
}

/** Extracts a numeric series from a parsed table (see {@link readSeriesCsv}). */
export function seriesFromTable(table: CsvTable, source: string, options: ReadSeriesOptions = {}): CsvSeries {
  const timestampColumn = options.timestampColumn ?? "timestamp";
  const columns = options.valueColumns ?? ["value"];
  const timestampIndex = table.header.indexOf(timestampColumn);
  if (timestampIndex < 0) {
    throw new CsvInputError(
      `${source}: no "${timestampColumn}" column (header: ${table.header.join(",") || "<empty>"})`,
    );
  }
  const columnIndexes = columns.map((name) => {
    const index = table.header.indexOf(name);
    if (index < 0) {
      throw new CsvInputError(`${source}: no "${name}" column (header: ${table.header.join(",")})`);
    }
    return index;
  });
  const dims = columns.length;
  const values = new Float64Array(table.rows.length * dims);
  const timestamps: string[] = new Array<string>(table.rows.length);
  for (let r = 0; r < table.rows.length; r++) {
    const row = table.rows[r];
    timestamps[r] = (row[timestampIndex] ?? "").trim();
    for (let k = 0; k < dims; k++) {
      const raw = (row[columnIndexes[k]] ?? "").trim();
      const value = raw === "" ? NaN : Number(raw);
      if (!Number.isFinite(value)) {
        throw new CsvInputError(
          `${source}: row ${r + 2}, column "${columns[k]}": "${raw}" is not a finite number`,
        );
      }
      values[r * dims + k] = value;
    }
  }
  return { timestamps, columns, values, length: table.rows.length };
}

/** Reads one numeric column (e.g. a reference `anomaly_score`) from a CSV file. */
export function readNumericColumn(
  path: string,
  column: string,
): { timestamps: string[]; values: Float64Array } {
  const series = readSeriesCsv(path, { valueColumns: [column] });
  return { timestamps: series.timestamps, values: series.values };
}

/**
 * Parses "YYYY-MM-DD HH:MM:SS[.ffffff]" (NAB's format, also ISO 8601 with "T"/"Z") as UTC milliseconds.
 * Returns NaN when the text is not a timestamp.
 */
export function parseTimestamp(text: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(Z)?$/.exec(
    text.trim(),
  );
  if (!match) return NaN;
  const [, year, month, day, hour, minute, second, fraction] = match;
  const millis = fraction ? Math.round(Number(`0.${fraction}`) * 1000) : 0;
  return Date.UTC(
    Number(year),
    Number(month) - 1,
    Number(day),
    Number(hour ?? 0),
    Number(minute ?? 0),
    Number(second ?? 0),
    millis,
  );
}
