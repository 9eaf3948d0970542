/**
 * Shared by the local backend's tests: data directories that start with an initialised PGlite database.
 * PGlite's first creation runs initdb in WebAssembly (about 5 s and 8 CPU-seconds); it is done once per mocha
 * run (`once-per-run.ts`) and copied into each test's data directory, which a backend then opens in about a
 * second, exactly as it opens the database of a data directory it used before.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { HistoricalDatabase } from "../../../local/sources/historical-db";
import { oncePerRun } from "../../helpers/once-per-run";
import { testTempDir } from "../../helpers/temp-dir";

function pgliteTemplate(): Promise<string> {
  return oncePerRun("pglite-template", async (dir) => {
    const db = await HistoricalDatabase.open(dir);
    await db.close();
    return dir;
  });
}

/** A fresh data directory whose `pglite/` holds an empty, initialised historical database. */
export async function freshDataDir(prefix: string): Promise<string> {
  const dir = testTempDir(prefix);
  fs.cpSync(await pgliteTemplate(), path.join(dir, "pglite"), { recursive: true });
  return dir;
}
