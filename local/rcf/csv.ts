/**
 * Minimal CSV reading/writing for time series (`timestamp,value[,more columns]`), with RFC 4180 quoting, no
 * dependencies, and errors that name the file, row and column.
 */
import { closeSync, openSync, readFileSync, readSync } from "node:fs";
import { StringDecoder } from "node:string_decoder";

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

/**
 * Streams the records of a CSV file (the header first) to `onRecord`, reading 64 KiB at a time, so memory does not
 * grow with the file. `record` is the 1-based record number (the header is 1). Same dialect as {@link parseCsv}:
 * quoted fields may hold commas, doubled quotes and line breaks. Throws {@link CsvInputError} when the file cannot be
 * read.
 */
export function forEachCsvRecord(path: string, onRecord: (fields: string[], record: number) => void): void {
  let descriptor: number;
  try {
    descriptor = openSync(path, "r");
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CsvInputError(`cannot read ${path}: ${reason}`);
  }
  const decoder = new StringDecoder("utf8");
  const chunk = Buffer.allocUnsafe(1 << 16);
  let carry = "";
  let record = 0;
  const emit = (line: string) => {
    const text = record === 0 ? line.replace(/^\uFEFF/, "") : line;
    if (text.trim() === "") return;
    record++;
    const fields = text.includes('"') ? (parseCsv(`x\n${text}`).rows[0] ?? [""]) : text.split(",");
    if (record === 1) for (let i = 0; i < fields.length; i++) fields[i] = fields[i].trim();
    onRecord(fields, record);
  };
  try {
    for (;;) {
      const bytes = readSync(descriptor, chunk, 0, chunk.length, null);
      const text = bytes > 0 ? decoder.write(chunk.subarray(0, bytes)) : decoder.end();
      carry += text;
      let start = 0;
      for (;;) {
        const newline = carry.indexOf("\n", start);
        if (newline < 0) break;
        let line = carry.slice(start, newline);
        // A quoted field may hold a line break: an odd number of quotes so far means the record goes on.
        if (quoteCount(line) % 2 === 1) {
          const close = findRecordEnd(carry, newline + 1, quoteCount(line));
          if (close < 0) break;
          line = carry.slice(start, close);
          start = close + 1;
        } else {
          start = newline + 1;
        }
        emit(line.endsWith("\r") ? line.slice(0, -1) : line);
      }
      carry = carry.slice(start);
      if (bytes === 0) break;
    }
    if (carry !== "") emit(carry.endsWith("\r") ? carry.slice(0, -1) : carry);
  } finally {
    closeSync(descriptor);
  }
}

function quoteCount(text: string): number {
  let count = 0;
  for (let i = text.indexOf('"'); i >= 0; i = text.indexOf('"', i + 1)) count++;
  return count;
}

/** Index of the newline that ends a record whose text so far (up to `from`) holds `quotes` quotes; -1 if not yet read. */
function findRecordEnd(text: string, from: number, quotes: number): number {
  let open = quotes % 2 === 1;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) open = !open;
    else if (c === 10 && !open) return i;
  }
  return -1;
}
