/**
 * The historical database: PGlite (PostgreSQL compiled to WebAssembly) persisted in the data directory, with
 * the readings table `components/sources/historical-schema.ts` defines, seeded once with history, and served
 * on the PostgreSQL wire protocol by pglite-socket on a loopback port, so the JDBC import connects to it over
 * TCP exactly as Glue connects to the demo RDS database through its connection.
 *
 * The TCP port is `pg-auth.ts`'s: SCRAM-SHA-256 with the password generated into the local PKI folder, before
 * any byte reaches PGlite (which itself takes any user); PGlite listens on a Unix socket in a private folder.
 *
 * Locally the engine is always PostgreSQL, whatever the stack's `databaseEngine` says (PGlite is Postgres);
 * the SQL the import runs does not depend on it.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import {
  HISTORICAL_TABLE_COLUMNS,
  historicalTableDdl,
  historicalTableName,
} from "../../components/sources/historical-schema";
import type { HistoricalReading } from "./history";
import { utcTimestampText } from "./history";
import { PgAuthProxy, type PgCredentials } from "./pg-auth";

/** Rows per INSERT statement while seeding. */
const INSERT_BATCH = 500;

/** Clients at once (the JDBC import uses one). */
const MAX_CONNECTIONS = 8;

export class HistoricalDatabase {
  private server: PGLiteSocketServer | undefined;
  private proxy: PgAuthProxy | undefined;
  private socketDir: string | undefined;

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

  /**
   * Serves the database on `host:port` (0: any free port) to clients that authenticate as `credentials`;
   * resolves with the port.
   */
  async serve(credentials: PgCredentials, host = "127.0.0.1", port = 0): Promise<number> {
    // Short path: Unix socket paths are limited to about 100 bytes.
    this.socketDir = fs.mkdtempSync(path.join(os.tmpdir(), "pglite-"));
    const socketPath = path.join(this.socketDir, "socket");
    const server = new PGLiteSocketServer({ db: this.db, path: socketPath, maxConnections: MAX_CONNECTIONS });
    await server.start();
    this.server = server;
    this.proxy = new PgAuthProxy(socketPath, credentials, MAX_CONNECTIONS);
    return this.proxy.listen(host, port);
  }

  /** Connections refused for a wrong user or password, and let through. */
  get authStats(): { authenticated: number; refused: number } {
    return this.proxy?.stats ?? { authenticated: 0, refused: 0 };
  }

  async close(): Promise<void> {
    await this.proxy?.close();
    this.proxy = undefined;
    await this.server?.stop();
    this.server = undefined;
    if (this.socketDir) fs.rmSync(this.socketDir, { recursive: true, force: true });
    this.socketDir = undefined;
    await this.db.close();
  }
}
