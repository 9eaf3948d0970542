/**
 * The labels file: one line per injected anomaly, so detection can be scored against ground truth.
 * Format by extension: `.csv` gives CSV with a header row, anything else JSON Lines. Columns/keys, in order,
 * are {@link LABEL_COLUMNS}; see devices/README.md ("Labels file").
 */
import { createWriteStream, readFileSync, type WriteStream } from "node:fs";
import { once } from "node:events";
import { ANOMALY_KINDS, type AnomalyKind, type AnomalyLabel } from "./model/anomalies";

/** Column order of the CSV form (and key order of the JSON Lines form). */
export const LABEL_COLUMNS = [
  "device_id",
  "room_id",
  "kind",
  "start",
  "end",
  "first_seq",
  "last_seq",
  "samples",
  "magnitude",
  "truncated",
] as const satisfies readonly (keyof AnomalyLabel)[];

export type LabelFormat = "jsonl" | "csv";

export function labelFormatFor(path: string): LabelFormat {
  return path.toLowerCase().endsWith(".csv") ? "csv" : "jsonl";
}

/** One label as a line of the given format (with its newline). */
export function formatLabel(label: AnomalyLabel, format: LabelFormat): string {
  if (format === "jsonl") {
    const ordered: Record<string, unknown> = {};
    for (const column of LABEL_COLUMNS) ordered[column] = label[column];
    return `${JSON.stringify(ordered)}\n`;
  }
  // Thing and room names are restricted to [A-Za-z0-9_-] by the topic layout, so no CSV quoting is needed.
  return `${LABEL_COLUMNS.map((c) => (label[c] === null ? "" : String(label[c]))).join(",")}\n`;
}

/** Appends labels to a file as they are produced; buffered, so thousands of labels a second cost little. */
export class LabelWriter {
  private readonly stream: WriteStream;
  private readonly format: LabelFormat;
  private count = 0;

  constructor(readonly path: string) {
    this.format = labelFormatFor(path);
    this.stream = createWriteStream(path, { flags: "w" });
    if (this.format === "csv") this.stream.write(`${LABEL_COLUMNS.join(",")}\n`);
  }

  /** Labels written so far. */
  get written(): number {
    return this.count;
  }

  write(label: AnomalyLabel): void {
    this.count++;
    this.stream.write(formatLabel(label, this.format));
  }

  /** Flushes and closes the file. */
  async close(): Promise<void> {
    this.stream.end();
    await once(this.stream, "finish");
  }
}

/** Reads a labels file written by {@link LabelWriter} (either format). Errors name the file and line. */
export function readLabels(path: string): AnomalyLabel[] {
  const text = readFileSync(path, "utf8");
  return parseLabels(text, labelFormatFor(path), path);
}

export function parseLabels(text: string, format: LabelFormat, source = "labels"): AnomalyLabel[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  if (format === "jsonl") {
    return lines.map((line, i) =>
      checkLabel(JSON.parse(line) as Record<string, unknown>, `${source} line ${i + 1}`),
    );
  }
  const [header, ...rows] = lines;
  if (header !== LABEL_COLUMNS.join(",")) {
    throw new Error(`${source}: the header must be "${LABEL_COLUMNS.join(",")}" (got "${header ?? ""}")`);
  }
  return rows.map((row, i) => {
    const cells = row.split(",");
    const record: Record<string, unknown> = {};
    LABEL_COLUMNS.forEach((column, c) => {
      const cell = cells[c] ?? "";
      record[column] =
        column === "device_id" || column === "room_id" || column === "kind"
          ? cell
          : column === "truncated"
            ? cell === "true"
            : cell === ""
              ? null
              : Number(cell);
    });
    return checkLabel(record, `${source} line ${i + 2}`);
  });
}

function checkLabel(record: Record<string, unknown>, where: string): AnomalyLabel {
  const { device_id, room_id, kind, start, end, first_seq, last_seq, samples, magnitude, truncated } = record;
  const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
  const isSeq = (v: unknown): v is number | null => v === null || isNumber(v);
  if (
    typeof device_id !== "string" ||
    typeof room_id !== "string" ||
    !ANOMALY_KINDS.includes(kind as AnomalyKind) ||
    !isNumber(start) ||
    !isNumber(end) ||
    !isSeq(first_seq) ||
    !isSeq(last_seq) ||
    !isNumber(samples) ||
    !isNumber(magnitude) ||
    typeof truncated !== "boolean"
  ) {
    throw new Error(`${where}: not a label (expected keys ${LABEL_COLUMNS.join(", ")})`);
  }
  return {
    device_id,
    room_id,
    kind: kind as AnomalyKind,
    start,
    end,
    first_seq,
    last_seq,
    samples,
    magnitude,
    truncated,
  };
}
