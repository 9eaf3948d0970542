/**
 * Mocha global fixtures (`.mocharc.json` requires this file): run once per `mocha` run, in the main process,
 * before parallel mode starts its worker processes, so the environment set here reaches every test process.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** Environment variable naming the directory the test processes of one mocha run share synths in. */
export const SHARED_SYNTH_DIR_ENV = "SENSOR_ANALYTICS_TEST_SYNTH_DIR";

/** The directory the test processes share the shipped stacks' synths in (see `synth-runs.ts`). */
export function mochaGlobalSetup(): void {
  process.env[SHARED_SYNTH_DIR_ENV] = fs.mkdtempSync(path.join(os.tmpdir(), "synth-shared-"));
}

export function mochaGlobalTeardown(): void {
  const dir = process.env[SHARED_SYNTH_DIR_ENV];
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}
