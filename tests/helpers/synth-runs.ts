/**
 * The shipped stacks synthesized through the real path (`@pulumi/pulumi/cmd/run` against the offline gRPC
 * engine), once per `mocha` run: each synth starts a Node.js process that loads the program with Pulumi's
 * TypeScript loader (about 12 CPU-seconds), so suites share the results instead of running their own.
 *
 * Under `npm test` the suites run in two worker processes (mocha's parallel mode), and the suites that read
 * the same stacks (cost, operations, synth) usually land in different ones. The run's global setup
 * (`run-fixtures.ts`) gives both the same directory: the first process that needs a stack claims it there and
 * synthesizes it, the other waits for its result. Without that directory (one suite run alone with
 * `--no-config`) each process synthesizes what it needs, as before.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as v8 from "v8";
import { synthStack, SynthOptions, SynthResult } from "../../policies/synth/synth";
import { SHARED_SYNTH_DIR_ENV } from "./run-fixtures";

const runs = new Map<string, Promise<SynthResult>>();
let ownDir: string | undefined;

/** What a claiming process leaves for the others: its result, or why the synth failed. */
type Outcome = { readonly result: SynthResult } | { readonly error: string };

/** The synth of a shipped stack (`Pulumi.<stack>.yaml`), written under a shared temporary directory. */
export function synthOnce(
  stack: string,
  options: Pick<SynthOptions, "firstDeployment"> = {},
): Promise<SynthResult> {
  const variant = options.firstDeployment ? `${stack}-first-deployment` : stack;
  let run = runs.get(variant);
  if (!run) {
    const shared = process.env[SHARED_SYNTH_DIR_ENV];
    if (shared) {
      run = synthShared(shared, variant, stack, options);
    } else {
      ownDir ??= fs.mkdtempSync(path.join(os.tmpdir(), "synth-shared-"));
      run = synthStack(stack, path.join(ownDir, variant), undefined, options);
    }
    runs.set(variant, run);
  }
  return run;
}

/** A file the synth of a stack wrote, parsed. */
export function readSynthJson<T>(result: SynthResult, file: string): T {
  return JSON.parse(fs.readFileSync(path.join(result.outDir, file), "utf8")) as T;
}

/**
 * Synthesizes `variant` into `dir` if this process is the first to claim it (creating `<variant>.claim` is
 * atomic: exactly one process succeeds), else waits for the claiming process's outcome file.
 */
async function synthShared(
  dir: string,
  variant: string,
  stack: string,
  options: Pick<SynthOptions, "firstDeployment">,
): Promise<SynthResult> {
  const outcomeFile = path.join(dir, `${variant}.outcome`);
  if (!claim(path.join(dir, `${variant}.claim`))) {
    const outcome = await waitForOutcome(dir, outcomeFile);
    if ("error" in outcome) {
      throw new Error(`the synth of ${variant} failed in the test process that ran it:\n${outcome.error}`);
    }
    return outcome.result;
  }
  let outcome: Outcome;
  try {
    const result = await synthStack(stack, path.join(dir, variant), undefined, options);
    outcome = { result };
  } catch (err) {
    outcome = { error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
    writeOutcome(outcomeFile, outcome);
    throw err;
  }
  writeOutcome(outcomeFile, outcome);
  return outcome.result;
}

/** Creates the claim directory: true for the one process that creates it, false when another already has. */
function claim(claimDir: string): boolean {
  try {
    fs.mkdirSync(claimDir);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
}

/**
 * Written under another name and renamed, so a waiting process never reads half a file. v8's serialization
 * keeps the result exactly as the claiming process returned it (an `undefined` field included).
 */
function writeOutcome(file: string, outcome: Outcome): void {
  fs.writeFileSync(`${file}.partial`, v8.serialize(outcome));
  fs.renameSync(`${file}.partial`, file);
}

/**
 * Resolves when `file` appears in `dir`: woken by the rename that creates it, not by polling. The watch is
 * set up before the first look, so a rename between the two is not missed. No timeout of its own: the waiting
 * suite's hook timeout bounds it, as it bounds a synth run in-process.
 */
function waitForOutcome(dir: string, file: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const watcher = fs.watch(dir);
    const settle = () => {
      if (!fs.existsSync(file)) return;
      watcher.close();
      resolve(v8.deserialize(fs.readFileSync(file)) as Outcome);
    };
    watcher.on("change", settle);
    watcher.on("error", (err) => {
      watcher.close();
      reject(err);
    });
    settle();
  });
}
