/**
 * The historical database: PGlite (PostgreSQL compiled to WebAssembly) persisted in the data directory,
 * seeded on first use by the demo database's own seed function (`functions/history-seed/seed.ts`: the
 * readings table's DDL, then history when the table is empty), and served on the PostgreSQL wire protocol by
 * pglite-socket on a loopback port, so the JDBC import connects to it over TCP exactly as Glue connects to the
 * demo RDS database through its connection.
 *
 * Locally the engine is always PostgreSQL, whatever the stack's `databaseEngine` says (PGlite is Postgres);
 * the SQL the import runs does not depend on it.
 */
import * as fs from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import type { HistoricalReading } from "../../functions/history-seed/history";
import { countReadings, seedHistoricalTable, SeedOutcome } from "../../functions/history-seed/seed";

export class HistoricalDatabase {
  private server: PGLiteSocketServer | undefined;

  private constructor(private readonly db: PGlite) {}

  /**
   * Opens (creating on first use) the database in `dir`, empty as a new RDS instance is until it is seeded.
   * The first creation runs Postgres's initdb inside WebAssembly, which takes several seconds; later runs open
   * it in about one.
   */
  static async open(dir: string): Promise<HistoricalDatabase> {
    fs.mkdirSync(dir, { recursive: true });
    return new HistoricalDatabase(await PGlite.create(dir));
  }

  /** Creates the readings table and loads `readings()` when it is empty, as the stack's seed function does. */
  seed(readings: () => readonly HistoricalReading[]): Promise<SeedOutcome> {
    return seedHistoricalTable(this.db, readings);
  }

  /** Rows in the readings table (which {@link seed} creates). */
  count(): Promise<number> {
    return countReadings(this.db);
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
