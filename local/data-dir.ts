/**
 * The data directory's own bookkeeping: one backend at a time (a pid lock), and the simulated time a run reached
 * (the next run continues after it).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { writeFileDurably } from "./lake/object-store";

const CLOCK_FILE = "clock.json";

export function readClockFile(dataDir: string): number {
  const file = path.join(dataDir, CLOCK_FILE);
  if (!fs.existsSync(file)) return 0;
  const value = (JSON.parse(fs.readFileSync(file, "utf8")) as { simulatedNowMs?: unknown }).simulatedNowMs;
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

/**
 * Saves the simulated time reached. Called from a timer too, so it never throws: out of file descriptors (EMFILE)
 * or disk, the previous value stays and the next call tries again.
 */
export function saveClockFile(dataDir: string, simulatedNowMs: number): boolean {
  try {
    writeFileDurably(path.join(dataDir, CLOCK_FILE), Buffer.from(`${JSON.stringify({ simulatedNowMs })}\n`));
    return true;
  } catch (err) {
    process.emitWarning(`could not save the simulated clock: ${(err as Error).message}`);
    return false;
  }
}

/** One backend per data directory: a second one would interleave the ingest log and the lake checkpoint. */
export function lockDataDir(dataDir: string): () => void {
  const file = path.join(dataDir, "backend.pid");
  for (let attempt = 0; attempt < 2; attempt++) {
    if (fs.existsSync(file)) {
      const pid = Number(fs.readFileSync(file, "utf8"));
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
        throw new Error(
          `another local backend (pid ${pid}) is using ${dataDir}; stop it, or pass a different --data-dir`,
        );
      }
      // Left behind by a backend that was killed: take the directory over (its log is replayed).
      fs.rmSync(file, { force: true });
    }
    try {
      fs.writeFileSync(file, String(process.pid), { flag: "wx" });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EEXIST") continue; // another backend won the race
      throw err;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      fs.rmSync(file, { force: true });
    };
  }
  throw new Error(`could not lock ${dataDir}`);
}

/** Whether a process with this ID exists (EPERM: it does, under another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
