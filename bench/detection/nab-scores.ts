/**
 * NAB standard-profile scores of `npm run rcf` with its defaults (run in-process through runCli, exactly as the
 * command runs): on the repository's machine-temperature series, and on a synthetic NAB-style corpus (many
 * shapes, some files without anomalies). Scored both ways NAB can (./nab-corpus.ts): the alert column, and the
 * anomaly_score column at the corpus's optimised threshold; normalized as NAB does over a corpus.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { corpusScore, scoreFile, type CorpusScore, type ScoredFile } from "./nab-corpus";
import { syntheticCorpus, SHAPES } from "./synthetic-series";

const REPO = path.resolve(__dirname, "../..");
const MACHINE_TEMPERATURE = "data/nab/data/realKnownCause/machine_temperature_system_failure.csv";
const WINDOWS = "data/nab/labels/combined_windows.json";

export type NabResult = CorpusScore;

export interface NabScores {
  readonly machineTemperature: NabResult;
  readonly synthetic: NabResult & { readonly byShape: Record<string, NabResult> };
}

export function nabScores(seeds: readonly number[] = [1, 2, 3, 4, 5, 6, 7, 8]): NabScores {
  const machineTemperature = corpusScore([
    scoreFile(path.join(REPO, MACHINE_TEMPERATURE), path.join(REPO, WINDOWS), undefined),
  ]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-nab-synthetic-"));
  try {
    const corpus = syntheticCorpus(seeds);
    const windowsFile = path.join(dir, "windows.json");
    fs.writeFileSync(
      windowsFile,
      JSON.stringify(Object.fromEntries(corpus.map((s) => [`synthetic/${s.name}.csv`, s.windows]))),
    );
    const parts: { shape: string; scored: ScoredFile }[] = corpus.map((series) => {
      const file = path.join(dir, `${series.name}.csv`);
      const lines = series.timestamps.map((t, i) => `${t},${series.values[i]}`);
      fs.writeFileSync(file, `timestamp,value\n${lines.join("\n")}\n`);
      return {
        shape: series.name.split("-")[0]!,
        scored: scoreFile(file, windowsFile, `synthetic/${series.name}.csv`),
      };
    });
    // Every shape has windows with the default seeds: only seeds divisible by 4 are clean.
    const byShape = Object.fromEntries(
      SHAPES.map((shape) => [
        shape,
        corpusScore(parts.filter((p) => p.shape === shape).map((p) => p.scored)),
      ]),
    );
    return { machineTemperature, synthetic: { ...corpusScore(parts.map((p) => p.scored)), byShape } };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
