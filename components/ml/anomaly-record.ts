/**
 * The anomaly record: what the scoring function writes to the lake's `anomalies/` zone (one JSON object per
 * line, newline-delimited), what the Glue table declares, and what the local backend reads with DuckDB.
 * Pure module.
 */
import { LAKE_ZONES } from "../lake/layout";

/** One anomalous reading. `room_id` and `dt` are not in the body: they are the partition folders. */
export interface AnomalyRecord {
  readonly device_id: string;
  /** Reading time, epoch ms. */
  readonly ts: number;
  readonly seq: number;
  readonly temperature_c: number;
  /** Random Cut Forest anomaly score of the feature vector that ends at this reading (0 without a vector). */
  readonly score: number;
  /** The alert policy's floor when the reading was scored (mean + z sigma of the training scores). */
  readonly threshold: number;
  /** What found it: `score` (the model), `stuck`, `dropout` (rules), `range`. */
  readonly kind: string;
  /** The alert policy's anomaly score in [0, 1] (log-likelihood; 0.5 = tail probability 1e-5). */
  readonly anomaly_score: number;
  /** Training run that produced the model. */
  readonly model_version: string;
  /** Scoring time, epoch ms. */
  readonly scored_at: number;
}

export interface AnomalyColumn {
  readonly name: keyof AnomalyRecord;
  readonly glueType: "string" | "bigint" | "double";
  readonly duckDbType: "VARCHAR" | "BIGINT" | "DOUBLE";
  readonly comment: string;
}

/** Columns of the anomalies table body, in order. */
export const ANOMALY_RECORD_COLUMNS: readonly AnomalyColumn[] = [
  { name: "device_id", glueType: "string", duckDbType: "VARCHAR", comment: "IoT thing name" },
  { name: "ts", glueType: "bigint", duckDbType: "BIGINT", comment: "Reading time [ms since epoch (UTC)]" },
  { name: "seq", glueType: "bigint", duckDbType: "BIGINT", comment: "Per-device sequence number" },
  { name: "temperature_c", glueType: "double", duckDbType: "DOUBLE", comment: "Air temperature [°C]" },
  { name: "score", glueType: "double", duckDbType: "DOUBLE", comment: "Random Cut Forest anomaly score" },
  {
    name: "threshold",
    glueType: "double",
    duckDbType: "DOUBLE",
    comment: "Alert policy floor in force (mean + z sigma of training scores)",
  },
  {
    name: "kind",
    glueType: "string",
    duckDbType: "VARCHAR",
    comment: "What found it: score (the model), stuck, dropout, range",
  },
  {
    name: "anomaly_score",
    glueType: "double",
    duckDbType: "DOUBLE",
    comment: "Alert policy anomaly score in [0, 1] (0.5 = tail probability 1e-5)",
  },
  {
    name: "model_version",
    glueType: "string",
    duckDbType: "VARCHAR",
    comment: "Training run that produced the model",
  },
  {
    name: "scored_at",
    glueType: "bigint",
    duckDbType: "BIGINT",
    comment: "Scoring time [ms since epoch (UTC)]",
  },
];

/** Partition columns of the anomalies table (folders `room_id=<room>/dt=<YYYY-MM-DD>/`). */
export const ANOMALY_PARTITION_COLUMNS = [
  { name: "room_id", glueType: "string", comment: "Room" },
  { name: "dt", glueType: "string", comment: "UTC day of the reading (YYYY-MM-DD)" },
] as const;

/** The UTC day (`YYYY-MM-DD`) of an epoch-ms time, the format of every dt partition. */
export function utcDay(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

/**
 * Object key of the anomalies one scoring window found for one room and day. The key depends only on the
 * window, so scoring the same window again overwrites the same object instead of adding a duplicate.
 */
export function anomalyObjectKey(roomId: string, day: string, windowId: string): string {
  if (!/^[A-Za-z0-9_]{1,32}$/.test(roomId))
    throw new Error(`room_id "${roomId}" is not a valid room ID (1-32 letters, digits or '_')`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new Error(`day "${day}" must be YYYY-MM-DD`);
  if (!/^[A-Za-z0-9_.-]{1,128}$/.test(windowId))
    throw new Error(`window id "${windowId}" must be 1-128 letters, digits, '.', '_' or '-'`);
  return `${LAKE_ZONES.anomalies.prefix}room_id=${roomId}/dt=${day}/${windowId}.json`;
}

/** Newline-delimited JSON of records, with the columns in table order. */
export function toJsonLines(records: readonly AnomalyRecord[]): string {
  return records
    .map((r) => JSON.stringify(Object.fromEntries(ANOMALY_RECORD_COLUMNS.map((c) => [c.name, r[c.name]]))))
    .map((line) => `${line}\n`)
    .join("");
}
