/** Running the Glue job scripts' pure helpers (functions/glue/etl_spec.py) with python3, for contract tests. */
import { spawnSync } from "child_process";
import * as path from "path";

export const GLUE_DIR = path.resolve(__dirname, "../../functions/glue");

/** Runs Python with the Glue helpers importable, `stdin` on its standard input; returns stdout, or throws with stderr. */
export function python(code: string, stdin: string): string {
  const result = spawnSync("python3", ["-c", code], {
    input: stdin,
    encoding: "utf8",
    timeout: 60_000,
    env: { ...process.env, PYTHONPATH: GLUE_DIR, PYTHONDONTWRITEBYTECODE: "1" },
  });
  if (result.error) throw new Error(`python3 is needed for the Glue script tests: ${result.error.message}`);
  if (result.status !== 0) throw new Error(result.stderr);
  return result.stdout;
}
