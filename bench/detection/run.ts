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
 * A run's hour is the simulated hour its fleet started: the backend starts (start-up runs at x600 too) well
 * before h:30 and its fleet starts at h:30 (`npm start -- --fleet-start`), whatever the start-up took on this
 * machine; the tables show the hours reached. Runs go in child processes, `--parallel` at a time. Takes minutes:
 * it is a bench, not a test.
 *
 *   npm run bench:detection                      # both suites, seeds 1-3, then the NAB scores
 *   npm run bench:detection -- --quick           # 4 hours of each suite, seed 1
 *   npm run bench:detection -- --suite default --seeds 1,2,3,4,5 --json
 *   npm run bench:detection -- --help
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  EXIT,
  integerOption,
  numberOption,
  HELP_OPTION,
  type HelpPage,
  optionsOrHelp,
  runCommand,
  UsageError,
  type OptionSpec,
} from "../../devices/command";
import { median } from "../../local/analytics/anomaly-evaluation";
import { nabScores } from "./nab-scores";
import { printTables, type RunResult } from "./report";

const BENCH_DIR = path.resolve(__dirname, "../../.bench/detection");
/** Least simulated time between the end of the backend's expected start-up and its fleet's start. */
const START_UP_MARGIN_MS = 20 * 60_000;
const SUITES = {
  default: { anomalies: "1%,spike,level_shift,drift,noise_burst", hours: [0, 3, 6, 9, 12, 15, 18, 21] },
  "every-kind": {
    anomalies: "2%,spike,level_shift,drift,stuck,dropout,noise_burst",
    hours: Array.from({ length: 24 }, (_, h) => h),
  },
} as const;
type SuiteName = keyof typeof SUITES;

/** The options, in the repository's option-table convention (devices/command.ts). */
const OPTIONS: readonly OptionSpec[] = [
  { name: "suite", value: "default|every-kind|both", default: "both", description: "which runs" },
  { name: "seeds", value: "a,b,...", default: "1,2,3", description: "seeds of the fleet and its history" },
  {
    name: "hours",
    value: "h,h,...",
    defaultText: "the suite's: default 0,3,...,21, every-kind 0-23",
    description: "start hours (UTC) instead of the suites' own",
  },
  { name: "duration", value: "seconds", default: "4", description: "wall seconds of fleet per run, at x600" },
  { name: "parallel", value: "n", default: "2", description: "runs at a time, each in its own process" },
  { name: "quick", description: "hours 0, 6, 12 and 18, seed 1" },
  { name: "no-nab", description: "skip the NAB scores" },
  { name: "json", description: "print every run and the NAB scores as JSON on stdout" },
  { name: "child", value: "job", description: "(internal) run one job and print its result" },
  HELP_OPTION,
];

const HELP: HelpPage = {
  usage: "npm run bench:detection -- [options]",
  about: [
    "Anomaly detection of the local pipeline across start hours, every kind of fault and several seeds (precision,",
    "event recall, time to detect), then the NAB standard score of npm run rcf's defaults.",
  ],
  options: OPTIONS,
  exitStatus: "0 done, 1 a run failed, 2 bad usage.",
};

interface ChildJob {
  readonly suite: SuiteName;
  readonly hour: number;
  readonly seed: string;
  readonly anomalies: string;
  readonly durationMs: number;
  readonly template: string;
  /** Simulated time the backend starts before its fleet starts at h:30: more than its start-up takes. */
  readonly startupLeadMs: number;
}

/**
 * The local backend's modules, loaded when a run needs them rather than at start-up: they pull in DuckDB, PGlite,
 * the broker and the rest of `npm start`, which `--help` and a usage error should not wait for.
 */
async function backendModules() {
  const [{ LocalBackend }, { parseLocalOptions }] = await Promise.all([
    import("../../local/backend"),
    import("../../local/options"),
  ]);
  return { LocalBackend, parseLocalOptions };
}

/** One run, in this process: a fresh data directory from the PGlite template, the backend, its summary. */
async function runOne(job: ChildJob): Promise<RunResult> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-detection-"));
  const fleetStart = Date.UTC(2026, 11, 7, job.hour, 30);
  const requestedStart = fleetStart - job.startupLeadMs;
  try {
    const { LocalBackend, parseLocalOptions } = await backendModules();
    fs.cpSync(job.template, path.join(dataDir, "pglite"), { recursive: true });
    // Exactly `npm start -- <these options>`, parsed by the CLI's own parser.
    const options = parseLocalOptions([
      ...["--devices", "4", "--duration", `${job.durationMs}ms`, "--speed", "600", "--interval", "10s"],
      ...["--port", "0", "--mqtt-port", "0", "--data-dir", dataDir, "--stack", "dev"],
      ...["--anomalies", job.anomalies, "--seed", job.seed],
      ...[
        "--start",
        new Date(requestedStart).toISOString(),
        "--fleet-start",
        new Date(fleetStart).toISOString(),
      ],
      ...["--no-dashboard", "--json"],
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
    const fleetStarted = summary.fleet?.start ?? summary.simulated.start;
    return {
      suite: job.suite,
      requestedHour: job.hour,
      hour: new Date(fleetStarted).getUTCHours(),
      startupMs: Date.parse(fleetStarted) - requestedStart,
      seed: job.seed,
      precision: anomalies.precision,
      recall: anomalies.recall,
      injected: anomalies.injected,
      detected: anomalies.detectedEvents,
      reported: anomalies.reported,
      alerts: anomalies.alerts,
      truncated: anomalies.truncated,
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
    const { HistoricalDatabase } = await import("../../local/sources/historical-db");
    const db = await HistoricalDatabase.open(dir);
    await db.close();
  }
  return dir;
}

/** A comma-separated list of integers from `min` to `max`. */
function integerList(name: string, text: string, min: number, max: number): number[] {
  return text.split(",").map((part) => integerOption(name, part.trim(), min, max));
}

async function main(argv: string[]): Promise<number> {
  const options = optionsOrHelp(argv, "npm run bench:detection", HELP);
  if (!options) return EXIT.ok;
  const child = options.text("child");
  if (child !== undefined) {
    process.stdout.write(`${JSON.stringify(await runOne(JSON.parse(child) as ChildJob))}\n`);
    return EXIT.ok;
  }
  const suite = options.text("suite")!;
  if (suite !== "both" && !(suite in SUITES))
    throw new UsageError(`--suite must be default, every-kind or both (got "${suite}")`);
  const suites: SuiteName[] = suite === "both" ? ["default", "every-kind"] : [suite as SuiteName];
  const quick = options.flag("quick");
  const seeds = quick ? ["1"] : integerList("seeds", options.text("seeds")!, 0, 1_000_000).map(String);
  const durationMs = numberOption("duration", options.text("duration")!, 0.5, 3600) * 1000;
  const parallel = integerOption("parallel", options.text("parallel")!, 1, 16);
  const hours = options.given("hours") ? integerList("hours", options.text("hours")!, 0, 23) : undefined;
  const hoursFor = (name: SuiteName): number[] =>
    quick ? [0, 6, 12, 18] : (hours ?? [...SUITES[name].hours]);
  const template = await pgliteTemplate();
  // A run's hour is the simulated hour its fleet starts. The backend's start-up (PGlite, history, first training)
  // runs at x600 too: tens of simulated minutes, varying with the machine's load by more than the half hour either
  // side of h:30 that a fleet started at the end of start-up could absorb. So the fleet is timed instead
  // (--fleet-start h:30) and the backend is started a lead before it: one and a half times the start-up a short
  // calibration run measured (its fleet starts as soon as it can), at least START_UP_MARGIN_MS more.
  const calibration = await runChild({
    suite: suites[0]!,
    hour: 12,
    seed: seeds[0]!,
    anomalies: "none",
    durationMs: 1000,
    template,
    startupLeadMs: 1,
  });
  const leadMs = Math.max(1.5 * calibration.startupMs, calibration.startupMs + START_UP_MARGIN_MS);
  const jobs: Omit<ChildJob, "startupLeadMs">[] = suites.flatMap((name) =>
    hoursFor(name).flatMap((hour) =>
      seeds.map((seed) => ({
        suite: name,
        hour,
        seed,
        anomalies: SUITES[name].anomalies,
        durationMs,
        template,
      })),
    ),
  );
  const started = Date.now();
  const results: RunResult[] = [];
  const runRound = async (round: readonly ChildJob[]) => {
    let next = 0;
    const worker = async () => {
      while (next < round.length) {
        const job = round[next++]!;
        const result = await runChild(job);
        results.push(result);
        process.stderr.write(
          `bench:detection ${results.length}: ${job.suite} ${String(job.hour).padStart(2, "0")}h -> fleet at ${String(result.hour).padStart(2, "0")}h seed ${job.seed}: ` +
            `precision ${fmt(result.precision)}, recall ${fmt(result.recall)} (${result.detected}/${result.injected}), ` +
            `${Math.round((Date.now() - started) / 1000)} s\n`,
        );
      }
    };
    await Promise.all(Array.from({ length: parallel }, worker));
  };
  await runRound(jobs.map((job) => ({ ...job, startupLeadMs: leadMs })));
  // A start-up longer than the lead starts the fleet late (still in hour h up to half an hour late); a run that
  // left its hour counts for the hour it reached, and its hour is run again with twice the start-up it measured.
  for (let retry = 0; retry < 2; retry++) {
    const covered = (job: (typeof jobs)[number]) =>
      results.some((r) => r.suite === job.suite && r.seed === job.seed && r.hour === job.hour);
    const again = jobs.filter((job) => !covered(job));
    if (again.length === 0) break;
    await runRound(
      again.map((job) => {
        const missedBy = results.filter(
          (r) => r.suite === job.suite && r.seed === job.seed && r.requestedHour === job.hour,
        );
        return { ...job, startupLeadMs: 2 * Math.max(leadMs, ...missedBy.map((r) => r.startupMs)) };
      }),
    );
  }
  const uncovered = jobs.filter(
    (job) => !results.some((r) => r.suite === job.suite && r.seed === job.seed && r.hour === job.hour),
  );
  if (uncovered.length > 0)
    process.stderr.write(
      `bench:detection: no run's fleet started in ${uncovered.map((j) => `${j.hour}h (${j.suite}, seed ${j.seed})`).join(", ")}\n`,
    );
  const nab = options.flag("no-nab") ? undefined : nabScores();
  if (options.flag("json")) {
    process.stdout.write(`${JSON.stringify({ runs: results, nab }, null, 2)}\n`);
    return EXIT.ok;
  }
  printTables(results, nab, (line) => process.stdout.write(`${line}\n`));
  process.stdout.write(
    `\n${results.length} runs in ${Math.round((Date.now() - started) / 1000)} s (${parallel} at a time); median run ${median(results.map((r) => r.wallSeconds))?.toFixed(0)} s\n`,
  );
  return EXIT.ok;
}

const fmt = (x: number | null) => (x === null ? "-" : x.toFixed(2));

runCommand("bench:detection", main);
