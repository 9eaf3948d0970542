/**
 * The historical database: PGlite (PostgreSQL compiled to WebAssembly) persisted in the data directory, with
 * the readings table `components/sources/historical-schema.ts` defines, seeded once with history, and served
 * on the PostgreSQL wire protocol by pglite-socket on a loopback port, so the JDBC import connects to it over
 * TCP exactly as Glue connects to the demo RDS database through its connection.
 *
 * Locally the engine is always PostgreSQL, whatever the stack's `databaseEngine` says (PGlite is Postgres);
 * the SQL the import runs does not depend on it.
 */
import * as fs from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import {
  HISTORICAL_TABLE_COLUMNS,
  historicalTableDdl,
  historicalTableName,
} from "../../components/sources/historical-schema";
import type { HistoricalReading } from "./history";
import { utcTimestampText } from "./history";

/** Rows per INSERT statement while seeding. */
const INSERT_BATCH = 500;

export class HistoricalDatabase {
  private server: PGLiteSocketServer | undefined;

  private constructor(private readonly db: PGlite) {}

  /**
   * Opens (creating on first use) the database in `dir` and its readings table. The first creation runs
   * Postgres's initdb inside WebAssembly, which takes several seconds; later runs open it in about one.
   */
  static async open(dir: string): Promise<HistoricalDatabase> {
    fs.mkdirSync(dir, { recursive: true });
    const db = await PGlite.create(dir);
    for (const statement of historicalTableDdl("postgres")) await db.exec(statement);
    return new HistoricalDatabase(db);
  }

  /** Rows in the readings table. */
  async count(): Promise<number> {
    const result = await this.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${historicalTableName("postgres")}`,
    );
    return result.rows[0]?.n ?? 0;
  }

  /** Inserts readings (the database assigns `reading_id`, increasing, the JDBC import's bookmark). */
  async insert(readings: readonly HistoricalReading[]): Promise<void> {
    const columns = HISTORICAL_TABLE_COLUMNS.filter((c) => c.name !== "reading_id").map((c) => c.name);
    await this.db.transaction(async (tx) => {
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
        await tx.query(
          `INSERT INTO ${historicalTableName("postgres")} (${columns.join(", ")}) VALUES ${rows.join(", ")}`,
          values,
        );
      }
    });
  }

  /** Serves the database on `host:port` (0: any free port); resolves with the port. */
  async serve(host = "127.0.0.1", port = 0): Promise<number> {
    const server = new PGLiteSocketServer({ db: this.db, host, port, maxConnections: 8 });
    await server.start();
    this.server = server;
    const conn = server.getServerConn();
    const actual = Number(conn.slice(conn.lastIndexOf(":") + 1));
    if (!Number.isInteger(actual) || actual <= 0) throw new Error(`pglite-socket reported no port (${conn})`);
    return actual;
  }

  async close(): Promise<void> {
    await this.server?.stop();
    this.server = undefined;
    await this.db.close();
  }
}
