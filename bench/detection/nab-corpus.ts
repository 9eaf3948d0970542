/**
 * NAB standard-profile score of `npm run rcf` on a corpus of series laid out as NAB lays them out
 * (`<dir>/data/<category>/<file>.csv` with `timestamp,value`, labels in `<dir>/labels/combined_windows.json`),
 * scored the two ways NAB can score a detector:
 *
 *   alert column      the CLI's `alert` column as the detections (what an operator is paged by), summed over
 *                     the files and normalized over the corpus (100 x (raw - null) / (perfect - null));
 *   anomaly_score     NAB's own procedure: the `anomaly_score` column, one threshold for the whole corpus chosen
 *                     to maximise the summed score (nab/optimizer.py over nab/sweeper.py, every distinct score
 *                     tried), then normalized the same way. Also at the fixed threshold 0.5 (no optimisation).
 *
 * Each file runs exactly as `npm run rcf -- --input <file> --output <tmp> --windows <labels>` does (runCli
 * in-process, the command's defaults unless options are passed after `--`). Scoring only: nothing here is fitted.
 *
 *   npm run bench:nab -- --corpus <dir>                      # every file of the corpus that has labels
 *   npm run bench:nab -- --corpus <dir> --json
 *   npm run bench:nab -- --corpus <dir> -- --shingle 1       # CLI options for every file
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  EXIT,
  HELP_OPTION,
  type HelpPage,
  optionsOrHelp,
  runCommand,
  UsageError,
  type OptionSpec,
} from "../../devices/command";
import { runCli, type CliSummary } from "../../local/rcf/cli-run";
import { readNumericColumn } from "../../local/rcf/csv";
import {
  findNabWindows,
  loadNabWindows,
  nabNormalizedScore,
  nabOptimalThreshold,
  nabScore,
  nabSweepFile,
  detectionsAtThreshold,
  type NabSweepFile,
  type NabThresholdResult,
} from "../../local/rcf/nab";

/** One file scored by the CLI: its alert column's NAB result and its anomaly_score column for the sweep. */
export interface ScoredFile {
  readonly key: string;
  readonly rows: number;
  readonly windows: number;
  readonly detectedWindows: number;
  readonly falsePositives: number;
  /** NAB raw score of the alert column. */
  readonly raw: number;
  /** NAB raw score of anomaly_score >= 0.5. */
  readonly rawAtHalf: number;
  readonly sweep: NabSweepFile;
}

/** Runs `npm run rcf` (in-process) on one file against its windows; returns the summary and the output's scores. */
export function runRcfOnFile(
  input: string,
  windowsFile: string,
  key: string | undefined,
  cliArgs: readonly string[] = [],
): { summary: CliSummary; timestamps: string[]; anomalyScores: Float64Array } {
  let stdout = "";
  let stderr = "";
  const output = path.join(os.tmpdir(), `bench-nab-${process.pid}.csv`);
  const args = ["--input", input, "--output", output, "--windows", windowsFile, "--json", ...cliArgs];
  try {
    const code = runCli(key ? [...args, "--nab-key", key] : args, {
      stdout: (text) => (stdout += text),
      stderr: (text) => (stderr += text),
    });
    if (code !== 0) throw new Error(`npm run rcf failed on ${input}: ${stderr}`);
    const { timestamps, values } = readNumericColumn(output, "anomaly_score");
    return { summary: JSON.parse(stdout) as CliSummary, timestamps, anomalyScores: values };
  } finally {
    fs.rmSync(output, { force: true });
  }
}

/** Scores one file both ways (see the module comment). */
export function scoreFile(
  input: string,
  windowsFile: string,
  key: string | undefined,
  cliArgs: readonly string[] = [],
): ScoredFile {
  const { summary, timestamps, anomalyScores } = runRcfOnFile(input, windowsFile, key, cliArgs);
  const nab = summary.nab!;
  const windows = nab.ours.windows.map(({ start, end }) => [start, end] as [string, string]);
  const allWindows = findNabWindows(loadNabWindows(windowsFile), input, key)!.windows;
  return {
    key: nab.key,
    rows: timestamps.length,
    windows: windows.length,
    detectedWindows: nab.ours.detectedWindows,
    falsePositives: nab.ours.falsePositives,
    raw: nab.ours.score,
    rawAtHalf: nabScore(timestamps, detectionsAtThreshold(anomalyScores, 0.5), allWindows).score,
    sweep: nabSweepFile(timestamps, anomalyScores, allWindows),
  };
}

/** A corpus's totals. */
export interface CorpusScore {
  readonly files: number;
  readonly windows: number;
  readonly detectedWindows: number;
  readonly falsePositives: number;
  /** Alert column: raw score summed over the files, and normalized. */
  readonly alertRaw: number;
  readonly alertNormalized: number;
  /** anomaly_score >= 0.5, normalized. */
  readonly halfNormalized: number;
  /** anomaly_score at the corpus's optimal threshold. */
  readonly optimal: NabThresholdResult;
}

export function corpusScore(files: readonly ScoredFile[]): CorpusScore {
  const windows = files.reduce((n, f) => n + f.windows, 0);
  const alertRaw = files.reduce((n, f) => n + f.raw, 0);
  const normalized = (raw: number) => (windows > 0 ? nabNormalizedScore(raw, windows) : Number.NaN);
  return {
    files: files.length,
    windows,
    detectedWindows: files.reduce((n, f) => n + f.detectedWindows, 0),
    falsePositives: files.reduce((n, f) => n + f.falsePositives, 0),
    alertRaw,
    alertNormalized: normalized(alertRaw),
    halfNormalized: normalized(files.reduce((n, f) => n + f.rawAtHalf, 0)),
    optimal: nabOptimalThreshold(files.map((f) => f.sweep)),
  };
}

/** The data files of a NAB-layout corpus that have an entry in its labels. */
function corpusFiles(dir: string, labels: Record<string, unknown>): { file: string; key: string }[] {
  const dataDir = path.join(dir, "data");
  if (!fs.existsSync(dataDir)) throw new UsageError(`--corpus ${dir}: no data/ folder (NAB's layout)`);
  const found: { file: string; key: string }[] = [];
  for (const category of fs.readdirSync(dataDir).sort()) {
    const categoryDir = path.join(dataDir, category);
    if (!fs.statSync(categoryDir).isDirectory()) continue;
    for (const name of fs.readdirSync(categoryDir).sort()) {
      const key = `${category}/${name}`;
      if (name.endsWith(".csv") && key in labels) found.push({ file: path.join(categoryDir, name), key });
    }
  }
  return found;
}

const OPTIONS: readonly OptionSpec[] = [
  {
    name: "corpus",
    value: "dir",
    description: "NAB-layout folder: data/<category>/<file>.csv and labels/combined_windows.json (required)",
  },
  {
    name: "labels",
    value: "file",
    defaultText: "<corpus>/labels/combined_windows.json",
    description: "NAB's combined_windows.json",
  },
  { name: "json", description: "print every file and the totals as JSON" },
  HELP_OPTION,
];

const HELP: HelpPage = {
  usage: "npm run bench:nab -- --corpus <dir> [options] [-- <npm run rcf options for every file>]",
  about: [
    "NAB standard-profile score of npm run rcf (its defaults unless rcf options follow --) on every labelled file",
    "of a NAB-layout corpus: the alert column, and the anomaly_score column at NAB's corpus-optimised threshold.",
  ],
  options: OPTIONS,
  exitStatus: "0 scored, 1 a file could not be scored, 2 bad usage.",
};

async function main(argv: string[]): Promise<number> {
  const split = argv.indexOf("--");
  const own = split < 0 ? argv : argv.slice(0, split);
  const cliArgs = split < 0 ? [] : argv.slice(split + 1);
  const options = optionsOrHelp(own, "npm run bench:nab", HELP);
  if (!options) return EXIT.ok;
  const dir = options.text("corpus");
  if (dir === undefined) throw new UsageError("--corpus <dir> is required (see --help)");
  const labelsFile = options.text("labels") ?? path.join(dir, "labels", "combined_windows.json");
  if (!fs.existsSync(labelsFile)) throw new UsageError(`--labels ${labelsFile}: no such file`);
  const files = corpusFiles(dir, loadNabWindows(labelsFile));
  if (files.length === 0) throw new UsageError(`--corpus ${dir}: no data file has an entry in ${labelsFile}`);
  const scored = files.map(({ file, key }) => {
    const result = scoreFile(file, labelsFile, key, cliArgs);
    process.stderr.write(
      `bench:nab ${key}: ${result.rows} rows, ${result.detectedWindows}/${result.windows} windows, ` +
        `${result.falsePositives} false positives, raw ${result.raw.toFixed(3)}\n`,
    );
    return result;
  });
  const total = corpusScore(scored);
  if (options.flag("json")) {
    const perFile = scored.map(({ sweep: _sweep, ...rest }) => rest);
    process.stdout.write(`${JSON.stringify({ files: perFile, total }, null, 2)}\n`);
    return EXIT.ok;
  }
  process.stdout.write(
    [
      `NAB standard profile, ${total.files} files, ${total.windows} windows, npm run rcf ${cliArgs.length > 0 ? cliArgs.join(" ") : "(defaults)"}:`,
      `  alert column:            normalized ${total.alertNormalized.toFixed(1)} (raw ${total.alertRaw.toFixed(3)}; ` +
        `${total.detectedWindows}/${total.windows} windows, ${total.falsePositives} false positives)`,
      `  anomaly_score >= 0.5:    normalized ${total.halfNormalized.toFixed(1)}`,
      `  anomaly_score, NAB's corpus-optimised threshold ${total.optimal.threshold.toPrecision(4)}: ` +
        `normalized ${total.optimal.normalized.toFixed(1)} (raw ${total.optimal.score.toFixed(3)})`,
      "",
    ].join("\n"),
  );
  return EXIT.ok;
}

if (require.main === module) runCommand("bench:nab", main);
