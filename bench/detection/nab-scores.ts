/**
 * NAB standard-profile scores of `npm run rcf` with its defaults (run in-process through runCli, exactly as the
 * command runs): on the repository's machine-temperature series, and on a synthetic NAB-style corpus (many
 * shapes, some files without anomalies). Normalized as NAB does over a corpus: 100 x (raw - null) / (perfect -
 * null), the null detector scoring -1 per window and the perfect one +1.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runCli, type CliSummary } from "../../local/rcf/cli-run";
import { nabNormalizedScore } from "../../local/rcf/nab";
import { syntheticCorpus, SHAPES } from "./synthetic-series";

const REPO = path.resolve(__dirname, "../..");
const MACHINE_TEMPERATURE = "data/nab/data/realKnownCause/machine_temperature_system_failure.csv";
const WINDOWS = "data/nab/labels/combined_windows.json";

export interface NabResult {
  readonly files: number;
  readonly windows: number;
  readonly detectedWindows: number;
  readonly falsePositives: number;
  readonly raw: number;
  /** NAB's normalized score (0 = the null detector, 100 = perfect). */
  readonly normalized: number;
}

export interface NabScores {
  readonly machineTemperature: NabResult;
  readonly synthetic: NabResult & { readonly byShape: Record<string, NabResult> };
}

/** The CLI's summary for one file scored against its windows (defaults only, plus the comparison options). */
function cli(input: string, windows: string, key?: string): CliSummary {
  let stdout = "";
  let stderr = "";
  const output = path.join(os.tmpdir(), `bench-detection-${process.pid}.csv`);
  const args = ["--input", input, "--output", output, "--windows", windows, "--json"];
  const code = runCli(key ? [...args, "--nab-key", key] : args, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
  });
  fs.rmSync(output, { force: true });
  if (code !== 0) throw new Error(`npm run rcf failed on ${input}: ${stderr}`);
  return JSON.parse(stdout) as CliSummary;
}

function total(parts: readonly { raw: number; windows: number; detected: number; fp: number }[]): NabResult {
  const raw = parts.reduce((n, p) => n + p.raw, 0);
  const windows = parts.reduce((n, p) => n + p.windows, 0);
  return {
    files: parts.length,
    windows,
    detectedWindows: parts.reduce((n, p) => n + p.detected, 0),
    falsePositives: parts.reduce((n, p) => n + p.fp, 0),
    raw,
    normalized: nabNormalizedScore(raw, windows),
  };
}

export function nabScores(seeds: readonly number[] = [1, 2, 3, 4, 5, 6, 7, 8]): NabScores {
  const machine = cli(path.join(REPO, MACHINE_TEMPERATURE), path.join(REPO, WINDOWS)).nab!;
  const machineTemperature = total([
    {
      raw: machine.ours.score,
      windows: machine.ours.windows.length,
      detected: machine.ours.detectedWindows,
      fp: machine.ours.falsePositives,
    },
  ]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-nab-synthetic-"));
  try {
    const corpus = syntheticCorpus(seeds);
    const windowsFile = path.join(dir, "windows.json");
    fs.writeFileSync(
      windowsFile,
      JSON.stringify(Object.fromEntries(corpus.map((s) => [`synthetic/${s.name}.csv`, s.windows]))),
    );
    const parts = corpus.map((series) => {
      const file = path.join(dir, `${series.name}.csv`);
      const lines = series.timestamps.map((t, i) => `${t},${series.values[i]}`);
      fs.writeFileSync(file, `timestamp,value\n${lines.join("\n")}\n`);
      const nab = cli(file, windowsFile, `synthetic/${series.name}.csv`).nab!;
      return {
        shape: series.name.split("-")[0]!,
        raw: nab.ours.score,
        windows: series.windows.length,
        detected: nab.ours.detectedWindows,
        fp: nab.ours.falsePositives,
      };
    });
    const byShape = Object.fromEntries(SHAPES.map((shape) => [shape, shapeTotal(parts, shape)]));
    return { machineTemperature, synthetic: { ...total(parts), byShape } };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** One shape's files (every shape has windows with the default seeds: only seeds divisible by 4 are clean). */
function shapeTotal(
  parts: readonly { shape: string; raw: number; windows: number; detected: number; fp: number }[],
  shape: string,
): NabResult {
  return total(parts.filter((p) => p.shape === shape));
}
