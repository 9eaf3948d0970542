/**
 * Temporary directories for tests, removed when the mocha run ends: under `npm test` they are made inside the
 * run's shared fixtures directory, which the global teardown (`run-fixtures.ts`) removes; a suite run alone
 * (`--no-config`) removes its own when its process exits. Repeated test runs so leave nothing behind in the
 * system's temporary directory.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SHARED_FIXTURES_DIR_ENV } from "./run-fixtures";

/** A new, empty directory whose name starts with `prefix`. */
export function testTempDir(prefix: string): string {
  const shared = process.env[SHARED_FIXTURES_DIR_ENV];
  if (shared) {
    const root = path.join(shared, "tmp");
    fs.mkdirSync(root, { recursive: true });
    return fs.mkdtempSync(path.join(root, prefix));
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}
