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
  /** Simulated time from the requested start to the fleet's start (the backend's start-up). */
  readonly startupMs: number;
  readonly seed: string;
  readonly precision: number | null;
  readonly recall: number | null;
  readonly injected: number;
  readonly detected: number;
  readonly reported: number;
  readonly alerts: number;
  /** Faults the run ended in (none in a run of known length): graded apart from recall. */
  readonly truncated: { readonly injected: number; readonly detected: number };
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

export function printTables(
  runs: readonly RunResult[],
  nab: NabScores | undefined,
  print: (line: string) => void,
): void {
  for (const suite of ["default", "every-kind"] as const) {
    const mine = runs.filter((r) => r.suite === suite);
    if (mine.length === 0) continue;
    print(
      suite === "default"
        ? "\nDefault anomaly mix (1%: spike, level shift, drift, noise burst), 4 sensors, x600, per fleet start hour:"
        : "\nEvery kind (2%: spike, level shift, drift, stuck, dropout, noise burst), 4 sensors, x600, per fleet start hour:",
    );
    print(
      "| fleet start (UTC) | runs | precision | event recall | caught / injected | median time to detect |",
    );
    print(
      "| ----------------- | ---: | --------- | ------------ | ----------------: | --------------------: |",
    );
    for (const hour of [...new Set(mine.map((r) => r.hour))].sort((a, b) => a - b)) {
      const at = mine.filter((r) => r.hour === hour);
      const delays = at.flatMap((r) => Object.values(r.byKind).flatMap((k) => k.timesToDetectMs));
      print(
        `| ${String(hour).padStart(2, "0")}h | ${at.length} | ${spread(at.map((r) => r.precision))} | ${spread(at.map((r) => r.recall))} | ` +
          `${at.reduce((n, r) => n + r.detected, 0)} / ${at.reduce((n, r) => n + r.injected, 0)} | ` +
          `${delays.length > 0 ? minutes(median(delays)!) : "-"} |`,
      );
    }
    const worst = (key: "precision" | "recall") =>
      Math.min(...mine.map((r) => r[key]).filter((v): v is number => v !== null));
    print(
      `\nLowest precision of any run: ${two(worst("precision"))}; lowest event recall: ${two(worst("recall"))}`,
    );
    const truncated = mine.reduce((n, r) => n + r.truncated.injected, 0);
    print(
      truncated === 0
        ? "Faults the runs ended in: none (a run of known length injects whole faults only)."
        : `Faults the runs ended in, graded apart from recall: ${mine.reduce((n, r) => n + r.truncated.detected, 0)} caught of ${truncated}.`,
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
    printKindByHour(mine, kinds, print);
  }
  if (nab === undefined) return;
  const row = (name: string, r: NabResult) =>
    `| ${name} | ${r.files} | ${r.detectedWindows} / ${r.windows} | ${r.falsePositives} | ${r.alertNormalized.toFixed(1)} | ` +
    `${r.optimal.normalized.toFixed(1)} (${r.optimal.threshold.toPrecision(3)}) |`;
  print(
    "\nNAB standard profile, npm run rcf with its defaults (normalized: null detector 0, perfect 100; windows, false positives: the alert column):",
  );
  print(
    "| series | files | windows detected | false positives | alert column | anomaly_score, NAB-optimised threshold |",
  );
  print(
    "| ------ | ----: | ---------------: | --------------: | -----------: | -------------------------------------: |",
  );
  print(row("machine temperature (data/nab)", nab.machineTemperature));
  print(row("synthetic corpus, all shapes", nab.synthetic));
  for (const [shape, result] of Object.entries(nab.synthetic.byShape)) print(row(`- ${shape}`, result));
}

/** Caught / injected per kind and start hour (all seeds), with the median time to detect. */
function printKindByHour(
  runs: readonly RunResult[],
  kinds: readonly string[],
  print: (line: string) => void,
): void {
  print("\nCaught / injected, median time to detect, per start hour and kind (all seeds):");
  print(`| fleet start (UTC) | ${kinds.join(" | ")} |`);
  print(`| ----------------- | ${kinds.map(() => "---").join(" | ")} |`);
  for (const hour of [...new Set(runs.map((r) => r.hour))].sort((a, b) => a - b)) {
    const at = runs.filter((r) => r.hour === hour);
    const cells = kinds.map((kind) => {
      const results = at.map((r) => r.byKind[kind]).filter((k) => k !== undefined);
      const injected = results.reduce((n, k) => n + k.injected, 0);
      if (injected === 0) return "-";
      const delays = results.flatMap((k) => k.timesToDetectMs);
      return `${results.reduce((n, k) => n + k.detected, 0)}/${injected}${delays.length > 0 ? ` ${minutes(median(delays)!)}` : ""}`;
    });
    print(`| ${String(hour).padStart(2, "0")}h | ${cells.join(" | ")} |`);
  }
}
