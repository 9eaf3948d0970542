/**
 * Seeds the historical database: creates the readings table (the DDL of
 * `components/sources/historical-schema.ts`) and, when it is empty, loads history, in one transaction.
 * Idempotent: a table that holds rows is left alone, and an advisory lock makes a concurrent second seed wait
 * and then find the rows. The database client is injected: node-postgres in the Lambda function, PGlite in the
 * local backend and the tests.
 */
import {
  HISTORICAL_TABLE_COLUMNS,
  historicalTableDdl,
  historicalTableName,
} from "../../components/sources/historical-schema";
import { DemoHistoryRequest } from "../../components/sources/demo-history";
import { type DeviceIdentity, fleetDevices } from "../../components/telemetry/fleet";
import { generateHistory, HistoricalReading, type HistoryWindow, utcTimestampText } from "./history";

/** What the seed needs of a PostgreSQL client (node-postgres' `Client` and PGlite both have it). */
export interface SqlClient {
  query(text: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** What a seed did. */
export interface SeedOutcome {
  /** The table, as the JDBC import reads it (`public.readings`). */
  readonly table: string;
  /** Rows the table held before (a seeded table is left alone). */
  readonly rowsBefore: number;
  readonly inserted: number;
}

/** Rows per INSERT statement. */
const INSERT_BATCH = 500;
/** Key of the advisory lock seeds take (any constant; "seed" in ASCII). */
const SEED_LOCK = 0x73656564;

/** Rows in the readings table. */
export async function countReadings(db: SqlClient): Promise<number> {
  const result = await db.query(`SELECT count(*)::int AS n FROM ${historicalTableName("postgres")}`);
  return (result.rows[0] as { n: number } | undefined)?.n ?? 0;
}

/** Inserts readings (the database assigns `reading_id`, increasing: the JDBC import's bookmark). */
export async function insertReadings(db: SqlClient, readings: readonly HistoricalReading[]): Promise<void> {
  const columns = HISTORICAL_TABLE_COLUMNS.filter((c) => c.name !== "reading_id").map((c) => c.name);
  for (let start = 0; start < readings.length; start += INSERT_BATCH) {
    const batch = readings.slice(start, start + INSERT_BATCH);
    const values: unknown[] = [];
    const rows = batch.map((r, i) => {
      const row: Record<string, unknown> = {
        ...r,
        reading_time: utcTimestampText(r.ts),
        humidity_pct: r.humidity_pct ?? null,
      };
      values.push(...columns.map((c) => row[c]));
      return `(${columns.map((_, j) => `$${i * columns.length + j + 1}`).join(", ")})`;
    });
    await db.query(
      `INSERT INTO ${historicalTableName("postgres")} (${columns.join(", ")}) VALUES ${rows.join(", ")}`,
      values,
    );
  }
}

/**
 * Creates the table if it does not exist and loads `readings()` if the table is empty. `readings` is called
 * only then, so a seeded database costs one count.
 */
export async function seedHistoricalTable(
  db: SqlClient,
  readings: () => readonly HistoricalReading[],
): Promise<SeedOutcome> {
  await db.query("BEGIN");
  try {
    await db.query(`SELECT pg_advisory_xact_lock(${SEED_LOCK})`);
    for (const statement of historicalTableDdl("postgres")) await db.query(statement);
    const rowsBefore = await countReadings(db);
    const rows = rowsBefore === 0 ? readings() : [];
    await insertReadings(db, rows);
    await db.query("COMMIT");
    return { table: historicalTableName("postgres"), rowsBefore, inserted: rows.length };
  } catch (err) {
    await db.query("ROLLBACK").catch(() => undefined);
    throw err;
  }
}

/** The window a request asks for: `days` days ending at `endMs` (down to a whole interval). */
export function requestedWindow(request: DemoHistoryRequest, endMs: number): HistoryWindow {
  const intervalMs = request.intervalSeconds * 1000;
  const toMs = Math.floor(endMs / intervalMs) * intervalMs;
  return { fromMs: toMs - request.days * 86_400_000, toMs, intervalMs };
}

/**
 * The readings a request asks for: every sensor of the fleet (or the given sensors: a local run's own) over
 * {@link requestedWindow}.
 */
export function requestedHistory(
  request: DemoHistoryRequest,
  endMs: number,
  devices: readonly DeviceIdentity[] = fleetDevices(
    request.deployment,
    request.rooms,
    request.sensorsPerRoom,
  ),
): HistoricalReading[] {
  return generateHistory(devices, request.seed, requestedWindow(request, endMs));
}
