/**
 * The shipped stacks synthesized through the real path (`@pulumi/pulumi/cmd/run` against the offline gRPC
 * engine), once per test process: each run starts a Node.js process that loads the program with Pulumi's
 * TypeScript loader (about 10 s), so suites share the results instead of running their own.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { synthStack, SynthOptions, SynthResult } from "../../policies/synth/synth";

const OUT = fs.mkdtempSync(path.join(os.tmpdir(), "synth-shared-"));
const runs = new Map<string, Promise<SynthResult>>();

/** The synth of a shipped stack (`Pulumi.<stack>.yaml`), written under a shared temporary directory. */
export function synthOnce(
  stack: string,
  options: Pick<SynthOptions, "firstDeployment"> = {},
): Promise<SynthResult> {
  const variant = options.firstDeployment ? `${stack}-first-deployment` : stack;
  let run = runs.get(variant);
  if (!run) {
    run = synthStack(stack, path.join(OUT, variant), undefined, options);
    runs.set(variant, run);
  }
  return run;
}

/** A file the synth of a stack wrote, parsed. */
export function readSynthJson<T>(result: SynthResult, file: string): T {
  return JSON.parse(fs.readFileSync(path.join(result.outDir, file), "utf8")) as T;
}
