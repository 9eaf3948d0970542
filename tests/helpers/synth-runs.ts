/**
 * The shipped stacks synthesized through the real path (`@pulumi/pulumi/cmd/run` against the offline gRPC
 * engine), once per `mocha` run (`once-per-run.ts`): each synth starts a Node.js process that loads the program
 * with Pulumi's TypeScript loader (about 12 CPU-seconds), so suites share the results instead of running their
 * own.
 */
import * as fs from "fs";
import * as path from "path";
import { synthStack, SynthOptions, SynthResult } from "../../policies/synth/synth";
import { oncePerRun } from "./once-per-run";

/** The synth of a shipped stack (`Pulumi.<stack>.yaml`), written under a shared temporary directory. */
export function synthOnce(
  stack: string,
  options: Pick<SynthOptions, "firstDeployment"> = {},
): Promise<SynthResult> {
  const variant = options.firstDeployment ? `${stack}-first-deployment` : stack;
  return oncePerRun(`synth-${variant}`, (dir) => synthStack(stack, dir, undefined, options));
}

/** A file the synth of a stack wrote, parsed. */
export function readSynthJson<T>(result: SynthResult, file: string): T {
  return JSON.parse(fs.readFileSync(path.join(result.outDir, file), "utf8")) as T;
}
