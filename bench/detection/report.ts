/**
 * The bench's tables (Markdown, as the README shows them): per start hour, per kind of fault, and the NAB
 * scores. A figure over several seeds is the median with its range.
 */
import { median } from "../../local/analytics/anomaly-evaluation";
import type { NabResult, NabScores } from "./nab-scores";

/** One run of the local pipeline, as a child process reports it. */
export interface RunResult {
  readonly suite: "default" | "every-kind";
  readonly requestedHour: number;
  /** UTC hour of the simulated time the fleet started. */
  readonly hour: number;
  readonly seed: string;
  readonly precision: number | null;
  readonly recall: number | null;
  readonly injected: number;
  readonly detected: number;
  readonly reported: number;
  readonly alerts: number;
  readonly byKind: Record<string, { injected: number; detected: number; timesToDetectMs: number[] }>;
  readonly wallSeconds: number;
}

const two = (x: number) => x.toFixed(2);

/** "median [min-max]" of the values that exist ("-" for none). */
function spread(values: readonly (number | null)[], format: (x: number) => string = two): string {
  const present = values.filter((v): v is number => v !== null);
  if (present.length === 0) return "-";
  const low = Math.min(...present);
  const high = Math.max(...present);
  return format(low) === format(high)
    ? format(low)
    : `${format(median(present)!)} [${format(low)}-${format(high)}]`;
}

const minutes = (ms: number) => `${(ms / 60_000).toFixed(1)} min`;

export function printTables(runs: readonly RunResult[], nab: NabScores, print: (line: string) => void): void {
  for (const suite of ["default", "every-kind"] as const) {
    const mine = runs.filter((r) => r.suite === suite);
    if (mine.length === 0) continue;
    print(
      suite === "default"
        ? "\nDefault anomaly mix (1%: spike, level shift, drift, noise burst), 4 sensors, x600, per fleet start hour:"
        : "\nEvery kind (2%: spike, level shift, drift, stuck, dropout, noise burst), 4 sensors, x600, per fleet start hour:",
    );
    print(
      "| start requested -> fleet (UTC) | runs | precision | event recall | caught / injected | median time to detect |",
    );
    print(
      "| ------------------------------ | ---: | --------- | ------------ | ----------------: | --------------------: |",
    );
    for (const requested of [...new Set(mine.map((r) => r.requestedHour))].sort((a, b) => a - b)) {
      const at = mine.filter((r) => r.requestedHour === requested);
      const hours = [...new Set(at.map((r) => r.hour))]
        .map((h) => `${String(h).padStart(2, "0")}h`)
        .join("/");
      const delays = at.flatMap((r) => Object.values(r.byKind).flatMap((k) => k.timesToDetectMs));
      print(
        `| ${String(requested).padStart(2, "0")}h -> ${hours} | ${at.length} | ${spread(at.map((r) => r.precision))} | ${spread(at.map((r) => r.recall))} | ` +
          `${at.reduce((n, r) => n + r.detected, 0)} / ${at.reduce((n, r) => n + r.injected, 0)} | ` +
          `${delays.length > 0 ? minutes(median(delays)!) : "-"} |`,
      );
    }
    const worst = (key: "precision" | "recall") =>
      Math.min(...mine.map((r) => r[key]).filter((v): v is number => v !== null));
    print(
      `\nLowest precision of any run: ${two(worst("precision"))}; lowest event recall: ${two(worst("recall"))}`,
    );
    print("\n| kind | caught / injected | recall | time to detect, median [10th-90th percentile] |");
    print("| ---- | ----------------: | -----: | ---------------------------------------------- |");
    const kinds = [...new Set(mine.flatMap((r) => Object.keys(r.byKind)))].sort();
    for (const kind of kinds) {
      const results = mine.map((r) => r.byKind[kind]).filter((k) => k !== undefined);
      const injected = results.reduce((n, k) => n + k.injected, 0);
      const detected = results.reduce((n, k) => n + k.detected, 0);
      const delays = results.flatMap((k) => k.timesToDetectMs).sort((a, b) => a - b);
      const at = (q: number) => delays[Math.min(delays.length - 1, Math.floor(q * delays.length))]!;
      print(
        `| ${kind} | ${detected} / ${injected} | ${two(detected / injected)} | ` +
          `${delays.length > 0 ? `${minutes(median(delays)!)} [${minutes(at(0.1))}-${minutes(at(0.9))}]` : "-"} |`,
      );
    }
  }
  const row = (name: string, r: NabResult) =>
    `| ${name} | ${r.files} | ${r.detectedWindows} / ${r.windows} | ${r.falsePositives} | ${r.raw.toFixed(2)} | ${r.normalized.toFixed(1)} |`;
  print("\nNAB standard profile, npm run rcf with its defaults (normalized: null detector 0, perfect 100):");
  print("| series | files | windows detected | false positives | raw score | normalized |");
  print("| ------ | ----: | ---------------: | --------------: | --------: | ---------: |");
  print(row("machine temperature (data/nab)", nab.machineTemperature));
  print(row("synthetic corpus, all shapes", nab.synthetic));
  for (const [shape, result] of Object.entries(nab.synthetic.byShape)) print(row(`- ${shape}`, result));
}
