/**
 * `npm run bench:detection`: anomaly detection of the local pipeline (npm start's backend: broker, rules, lake,
 * ETL, training and scoring state machines, the TypeScript forest, the alert policy) across the hours of the day,
 * every kind of fault and several seeds, scored against the fleet's labels; then the NAB standard score of
 * `npm run rcf`'s defaults on the repository's machine-temperature series and on a synthetic NAB-style corpus.
 *
 * Two suites of runs, each run a fresh data directory, 4 sensors, x600, 4 s of fleet (40 simulated minutes):
 *   default mix   the local backend's default anomalies (1%: spike, level shift, drift, noise burst) at 8 start
 *                 hours spread over the day: precision and event recall per hour (the issue's bar: 0.9)
 *   every kind    2% of every kind (spike, level shift, drift, stuck, dropout, noise burst) at all 24 hours:
 *                 precision and recall per hour, recall and time to detect per kind
 * A run's hour is the simulated hour its fleet started (start-up runs at the same speed, so a little after the
 * requested start). Runs go in child processes, `--parallel` at a time. Takes minutes: it is a bench, not a test.
 *
 *   npm run bench:detection                      # both suites, seeds 1-3, then the NAB scores
 *   npm run bench:detection -- --quick           # 4 hours of each suite, seed 1
 *   npm run bench:detection -- --suite default --seeds 1,2,3,4,5 --json
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { LocalBackend } from "../../local/backend";
import { parseLocalOptions } from "../../local/options";
import { HistoricalDatabase } from "../../local/sources/historical-db";
import { median } from "../../local/analytics/anomaly-evaluation";
import { nabScores } from "./nab-scores";
import { printTables, type RunResult } from "./report";

const BENCH_DIR = path.resolve(__dirname, "../../.bench/detection");
const SUITES = {
  default: { anomalies: "1%,spike,level_shift,drift,noise_burst", hours: [0, 3, 6, 9, 12, 15, 18, 21] },
  "every-kind": {
    anomalies: "2%,spike,level_shift,drift,stuck,dropout,noise_burst",
    hours: Array.from({ length: 24 }, (_, h) => h),
  },
} as const;
type SuiteName = keyof typeof SUITES;

const HELP = `Usage: npm run bench:detection -- [options]

  --suite <default|every-kind|both>  which runs [default: both]
  --seeds <a,b,...>                  seeds of the fleet and its history [default: 1,2,3]
  --hours <h,h,...>                  start hours (UTC) instead of the suites' own
  --duration <seconds>               wall seconds of fleet per run, at x600 [default: 4]
  --parallel <n>                     runs at a time, each in its own process [default: 2]
  --quick                            hours 0, 6, 12 and 18, seed 1
  --json                             print every run and the NAB scores as JSON on stdout
  --help                             show this help
`;

interface ChildJob {
  readonly suite: SuiteName;
  readonly hour: number;
  readonly seed: string;
  readonly anomalies: string;
  readonly durationMs: number;
  readonly template: string;
}

/** One run, in this process: a fresh data directory from the PGlite template, the backend, its summary. */
async function runOne(job: ChildJob): Promise<RunResult> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-detection-"));
  try {
    fs.cpSync(job.template, path.join(dataDir, "pglite"), { recursive: true });
    // Exactly `npm start -- <these options>`, parsed by the CLI's own parser.
    const options = parseLocalOptions([
      ...["--devices", "4", "--duration", `${job.durationMs}ms`, "--speed", "600", "--interval", "10s"],
      ...["--port", "0", "--mqtt-port", "0", "--data-dir", dataDir, "--stack", "dev"],
      ...["--anomalies", job.anomalies, "--seed", job.seed],
      ...["--start", new Date(Date.UTC(2026, 11, 7, job.hour, 0)).toISOString(), "--no-dashboard", "--json"],
    ]);
    const backend = await LocalBackend.start(options, (line) => {
      if (process.env.BENCH_DETECTION_LOG) process.stderr.write(`${line}\n`);
    });
    await backend.untilDone();
    const summary = await backend.stop();
    if (process.env.BENCH_DETECTION_LOG)
      process.stderr.write(
        `${JSON.stringify({ etl: summary.etl.executions, training: summary.training, scoring: summary.scoring })}\n`,
      );
    const anomalies = summary.anomalies;
    if (!summary.ok || !anomalies) throw new Error(`run failed: ${summary.problems.join("; ")}`);
    const fleetStart = summary.fleet?.start ?? summary.simulated.start;
    return {
      suite: job.suite,
      requestedHour: job.hour,
      hour: new Date(fleetStart).getUTCHours(),
      seed: job.seed,
      precision: anomalies.precision,
      recall: anomalies.recall,
      injected: anomalies.injected,
      detected: anomalies.detectedEvents,
      reported: anomalies.reported,
      alerts: anomalies.alerts,
      byKind: Object.fromEntries(
        Object.entries(anomalies.byKind).map(([kind, r]) => [
          kind,
          { injected: r.injected, detected: r.detected, timesToDetectMs: r.timesToDetectMs },
        ]),
      ),
      wallSeconds: summary.wallSeconds,
    };
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Runs a job in a child process (its own event loop, DuckDB and ports); resolves with its result. */
function runChild(job: ChildJob): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", __filename, "--child", JSON.stringify(job)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0)
        return reject(new Error(`run ${job.suite} ${job.hour}h seed ${job.seed} exited ${code}`));
      resolve(JSON.parse(out.trim().split("\n").at(-1)!) as RunResult);
    });
  });
}

/** An initialised PGlite database, made once and copied into each run's data directory. */
async function pgliteTemplate(): Promise<string> {
  const dir = path.join(BENCH_DIR, "pglite-template");
  if (!fs.existsSync(path.join(dir, "PG_VERSION"))) {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const db = await HistoricalDatabase.open(dir);
    await db.close();
  }
  return dir;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      suite: { type: "string", default: "both" },
      seeds: { type: "string", default: "1,2,3" },
      hours: { type: "string" },
      duration: { type: "string", default: "4" },
      parallel: { type: "string", default: "2" },
      quick: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      child: { type: "string" },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) return void process.stdout.write(HELP);
  if (values.child) {
    process.stdout.write(`${JSON.stringify(await runOne(JSON.parse(values.child) as ChildJob))}\n`);
    return;
  }
  const suites: SuiteName[] =
    values.suite === "both" ? ["default", "every-kind"] : [values.suite as SuiteName];
  if (!suites.every((s) => s in SUITES)) throw new Error(`--suite must be default, every-kind or both`);
  const seeds = (values.quick ? "1" : values.seeds).split(",").map((s) => s.trim());
  const durationMs = Number(values.duration) * 1000;
  const parallel = Math.max(1, Number(values.parallel));
  if (!(durationMs > 0)) throw new Error("--duration must be a positive number of seconds");
  const hoursFor = (suite: SuiteName): number[] =>
    values.quick
      ? [0, 6, 12, 18]
      : values.hours
        ? values.hours.split(",").map(Number)
        : [...SUITES[suite].hours];
  const template = await pgliteTemplate();
  const jobs: ChildJob[] = suites.flatMap((suite) =>
    hoursFor(suite).flatMap((hour) =>
      seeds.map((seed) => ({ suite, hour, seed, anomalies: SUITES[suite].anomalies, durationMs, template })),
    ),
  );
  const started = Date.now();
  const results: RunResult[] = [];
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      const result = await runChild(job);
      results.push(result);
      process.stderr.write(
        `bench:detection ${results.length}/${jobs.length}: ${job.suite} fleet at ${String(result.hour).padStart(2, "0")}h seed ${job.seed}: ` +
          `precision ${fmt(result.precision)}, recall ${fmt(result.recall)} (${result.detected}/${result.injected}), ` +
          `${Math.round((Date.now() - started) / 1000)} s\n`,
      );
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  const nab = nabScores();
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ runs: results, nab }, null, 2)}\n`);
    return;
  }
  printTables(results, nab, (line) => process.stdout.write(`${line}\n`));
  process.stdout.write(
    `\n${results.length} runs in ${Math.round((Date.now() - started) / 1000)} s (${parallel} at a time); median run ${median(results.map((r) => r.wallSeconds))?.toFixed(0)} s\n`,
  );
}

const fmt = (x: number | null) => (x === null ? "-" : x.toFixed(2));

main().catch((err: unknown) => {
  process.stderr.write(
    `bench:detection: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exitCode = 1;
});
