/**
 * Expensive fixtures built once per `mocha` run and shared by every test process of it. Under `npm test` the
 * suites run in two worker processes (mocha's parallel mode), and suites that need the same fixture (the
 * synth of a shipped stack, an initialised PGlite database) usually land in different ones. The run's global
 * setup (`run-fixtures.ts`) gives them one directory: the first process that needs a fixture claims it there
 * and builds it, the others wait for its outcome. Without that directory (a suite run alone with
 * `--no-config`) each process builds what it needs once, as before.
 */
import * as fs from "fs";
import * as path from "path";
import * as v8 from "v8";
import { SHARED_FIXTURES_DIR_ENV } from "./run-fixtures";
import { testTempDir } from "./temp-dir";

const built = new Map<string, Promise<unknown>>();

/** What a claiming process leaves for the others: the fixture's value, or why building it failed. */
type Outcome<T> = { readonly value: T } | { readonly error: string };

/**
 * The fixture `name`, built by `build` into a directory of its own (which it may fill and return in its
 * value), once per mocha run. The value crosses processes through v8's serialization: plain data, kept
 * exactly (an `undefined` field included).
 */
export function oncePerRun<T>(name: string, build: (dir: string) => Promise<T>): Promise<T> {
  let value = built.get(name) as Promise<T> | undefined;
  if (!value) {
    const shared = process.env[SHARED_FIXTURES_DIR_ENV];
    value = shared ? buildShared(shared, name, build) : build(testTempDir(`test-fixture-${name}-`));
    built.set(name, value);
  }
  return value;
}

/**
 * Builds `name` into `<shared>/<name>/` if this process is the first to claim it, else waits for the claiming
 * process's outcome file.
 */
async function buildShared<T>(shared: string, name: string, build: (dir: string) => Promise<T>): Promise<T> {
  const outcomeFile = path.join(shared, `${name}.outcome`);
  if (!claim(path.join(shared, `${name}.claim`))) {
    const outcome = await waitForOutcome<T>(shared, outcomeFile);
    if ("error" in outcome) {
      throw new Error(
        `building the test fixture ${name} failed in the test process that built it:\n${outcome.error}`,
      );
    }
    return outcome.value;
  }
  const dir = path.join(shared, name);
  fs.mkdirSync(dir);
  let outcome: Outcome<T>;
  try {
    outcome = { value: await build(dir) };
  } catch (err) {
    writeOutcome(outcomeFile, { error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    throw err;
  }
  writeOutcome(outcomeFile, outcome);
  return outcome.value;
}

/** Creates the claim directory: true for the one process that creates it (mkdir is atomic), false after. */
function claim(claimDir: string): boolean {
  try {
    fs.mkdirSync(claimDir);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
}

/** Written under another name and renamed, so a waiting process never reads half a file. */
function writeOutcome<T>(file: string, outcome: Outcome<T>): void {
  fs.writeFileSync(`${file}.partial`, v8.serialize(outcome));
  fs.renameSync(`${file}.partial`, file);
}

/**
 * Resolves when `file` appears in `dir`: woken by the rename that creates it, not by polling. The watch is
 * set up before the first look, so a rename between the two is not missed. No timeout of its own: the waiting
 * suite's hook timeout bounds it, as it bounds building the fixture in-process.
 */
function waitForOutcome<T>(dir: string, file: string): Promise<Outcome<T>> {
  return new Promise((resolve, reject) => {
    const watcher = fs.watch(dir);
    const settle = () => {
      if (!fs.existsSync(file)) return;
      watcher.close();
      resolve(v8.deserialize(fs.readFileSync(file)) as Outcome<T>);
    };
    watcher.on("change", settle);
    watcher.on("error", (err) => {
      watcher.close();
      reject(err);
    });
    settle();
  });
}
