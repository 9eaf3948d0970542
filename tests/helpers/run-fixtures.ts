/**
 * Mocha global fixtures (`.mocharc.json` requires this file): run once per `mocha` run, in the main process,
 * before parallel mode starts its worker processes, so the environment set here reaches every test process.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** Environment variable naming the directory the test processes of one mocha run share fixtures in. */
export const SHARED_FIXTURES_DIR_ENV = "SENSOR_ANALYTICS_TEST_FIXTURES_DIR";

/** The directory of `once-per-run.ts`'s fixtures and `temp-dir.ts`'s directories, removed when the run ends. */
export function mochaGlobalSetup(): void {
  process.env[SHARED_FIXTURES_DIR_ENV] = fs.mkdtempSync(path.join(os.tmpdir(), "test-fixtures-"));
}

export function mochaGlobalTeardown(): void {
  const dir = process.env[SHARED_FIXTURES_DIR_ENV];
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}
