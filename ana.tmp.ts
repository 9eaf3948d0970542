import * as fs from "node:fs";
import { syntheticCorpus } from "./bench/detection/synthetic-series";
import { scoreFile, corpusScore } from "./bench/detection/nab-corpus";
const root = process.argv[2]!; const seeds = process.argv[3]!.split(",").map(Number);
const extra = process.argv.slice(4);
const corpus = syntheticCorpus(seeds);
const kinds: Record<string, [number, number]> = {}; const shapes: Record<string, [number, number, number]> = {};
const files = [];
for (const s of corpus) {
  const r = scoreFile(`${root}/data/synthetic/${s.name}.csv`, `${root}/labels/combined_windows.json`, `synthetic/${s.name}.csv`, extra);
  files.push(r);
  const sh = s.name.split("-")[0]!; const x = (shapes[sh] ??= [0, 0, 0]); x[0] += r.detectedWindows; x[1] += r.windows; x[2] += r.falsePositives;
  // per window kind: need window results -> re-run nab via summary not exposed; approximate using order
}
const t = corpusScore(files);
console.log(JSON.stringify(shapes));
console.log(`alert ${t.alertNormalized.toFixed(1)} opt ${t.optimal.normalized.toFixed(1)}@${t.optimal.threshold.toFixed(3)} windows ${t.detectedWindows}/${t.windows} fp ${t.falsePositives}`);
