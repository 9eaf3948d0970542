/**
 * The historical database: PGlite (PostgreSQL compiled to WebAssembly) persisted in the data directory,
 * seeded on first use by the demo database's own seed function (`functions/history-seed/seed.ts`: the
 * readings table's DDL, then history when the table is empty), and served on the PostgreSQL wire protocol by
 * pglite-socket on a loopback port, so the JDBC import connects to it over TCP exactly as Glue connects to the
 * demo RDS database through its connection.
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
import type { HistoricalReading } from "../../functions/history-seed/history";
import { countReadings, seedHistoricalTable, SeedOutcome } from "../../functions/history-seed/seed";
import { isAlive } from "../data-dir";
import { PgAuthProxy, type PgCredentials } from "./pg-auth";

/** Clients at once (the JDBC import uses one). */
const MAX_CONNECTIONS = 8;

/**
 * The private folder of PGlite's socket, in the system's temporary folder (Unix socket paths are limited to about
 * 100 bytes, so not in a data directory of any length): `pglite-<pid>-XXXXXX`, named after the serving process
 * so a later backend can tell a crashed one's folder (its process gone) from a running one's.
 */
const SOCKET_DIR = /^pglite-(\d+)-[A-Za-z0-9]{6}$/;

/**
 * Removes the socket folders of backends that ended without closing (killed, crashed): a clean close removes
 * its own, a crash cannot. Only folders named as {@link SOCKET_DIR} whose process no longer exists and which
 * hold nothing but the socket; anything else, another user's included, is left alone. Returns those removed.
 */
export function removeStaleSocketDirs(tmpDir = os.tmpdir()): string[] {
  const removed: string[] = [];
  for (const name of fs.readdirSync(tmpDir)) {
    const pid = Number(SOCKET_DIR.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid === process.pid || isAlive(pid)) continue;
    const dir = path.join(tmpDir, name);
    try {
      if (fs.readdirSync(dir).some((entry) => entry !== "socket")) continue;
      fs.rmSync(dir, { recursive: true });
      removed.push(dir);
    } catch {
      // Not ours to read or remove, or gone meanwhile: leave it.
    }
  }
  return removed;
}

export class HistoricalDatabase {
  private server: PGLiteSocketServer | undefined;
  private proxy: PgAuthProxy | undefined;
  private socketDir: string | undefined;

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

  /**
   * Serves the database on `host:port` (0: any free port) to clients that authenticate as `credentials`;
   * resolves with the port.
   */
  async serve(credentials: PgCredentials, host = "127.0.0.1", port = 0): Promise<number> {
    removeStaleSocketDirs();
    this.socketDir = fs.mkdtempSync(path.join(os.tmpdir(), `pglite-${process.pid}-`));
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
