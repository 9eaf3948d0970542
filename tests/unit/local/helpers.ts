/**
 * Shared by the local backend's tests: data directories that start with an initialised PGlite database.
 * PGlite's first creation runs initdb in WebAssembly (several seconds on the CI machine); it is done once per
 * test process and copied into each test's data directory, which a backend then opens in about a second,
 * exactly as it opens the database of a data directory it used before.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { HistoricalDatabase } from "../../../local/sources/historical-db";

let template: Promise<string> | undefined;

function pgliteTemplate(): Promise<string> {
  template ??= (async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "local-pglite-template-"));
    process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
    const db = await HistoricalDatabase.open(dir);
    await db.close();
    return dir;
  })();
  return template;
}

/** A fresh data directory whose `pglite/` holds an empty, initialised historical database. */
export async function freshDataDir(prefix: string): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.cpSync(await pgliteTemplate(), path.join(dir, "pglite"), { recursive: true });
  return dir;
}
