/**
 * The `npm run rcf` command: scores a CSV time series with a Random Cut Forest, writes
 * `timestamp,value,score,alert`, and optionally compares with reference scores (Spearman) and labelled windows
 * (NAB score). Kept separate from cli.ts (which only wires process I/O) so tests can run it in-process.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { CsvInputError, csvField, readSeriesCsv, type CsvSeries } from "./csv";
import { AnomalyDetector, alertsFromScores } from "./detector";
import { RandomCutForest, resolveForestOptions, type ResolvedForestOptions } from "./forest";
import {
  NAB_RANDOM_CUT_FOREST_STANDARD_THRESHOLD,
  NabLabelsError,
  detectionsAtThreshold,
  findNabWindows,
  loadNabWindows,
  nabScore,
  type NabScore,
} from "./nab";
import { spearman } from "./stats";
import {
  DEFAULT_CONFIRMATIONS,
  DEFAULT_CONFIRMATION_WINDOW,
  DEFAULT_ESCALATION_FACTOR,
  DEFAULT_Z_FACTOR,
  batchStatistics,
} from "./threshold";

/** Where the CLI writes; injectable for tests. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

type OptionKind = "string" | "integer" | "number" | "flag";

interface OptionSpec {
  name: string;
  kind: OptionKind;
  value?: string;
  defaultText: string;
  description: string;
  /** Smallest accepted value for numeric options. */
  minimum?: number;
  choices?: string[];
}

const OPTIONS: OptionSpec[] = [
  {
    name: "input",
    kind: "string",
    value: "<csv>",
    defaultText: "required",
    description: "input CSV with a header: a timestamp column and numeric value column(s)",
  },
  {
    name: "output",
    kind: "string",
    value: "<csv>",
    defaultText: "standard output",
    description: "where to write timestamp,<values>,score,alert",
  },
  {
    name: "columns",
    kind: "string",
    value: "<a,b,...>",
    defaultText: "value",
    description: "value columns; several columns become the dimensions of one reading",
  },
  {
    name: "timestamp-column",
    kind: "string",
    value: "<name>",
    defaultText: "timestamp",
    description: "name of the timestamp column",
  },
  {
    name: "trees",
    kind: "integer",
    value: "<N>",
    minimum: 1,
    defaultText: "50",
    description: "number of trees (numberOfTrees)",
  },
  {
    name: "samples",
    kind: "integer",
    value: "<N>",
    minimum: 1,
    defaultText: "256",
    description: "points sampled per tree (sampleSize)",
  },
  {
    name: "time-decay",
    kind: "number",
    value: "<X>",
    minimum: 0,
    defaultText: "1/(10 x samples)",
    description:
      "sampler decay rate lambda; a value >= 1 is read as a Kinesis Analytics timeDecay window, lambda = 1/X (NAB's published run used 100000)",
  },
  {
    name: "output-after",
    kind: "integer",
    value: "<N>",
    minimum: 0,
    defaultText: "samples/4",
    description: "points learned before scores are reported (outputAfter)",
  },
  {
    name: "shingle",
    kind: "integer",
    value: "<N>",
    minimum: 1,
    defaultText: "1",
    description: "readings per shingle (shingleSize)",
  },
  {
    name: "seed",
    kind: "integer",
    value: "<N>",
    minimum: 0,
    defaultText: "42",
    description: "random seed: same seed, same scores",
  },
  {
    name: "z",
    kind: "number",
    value: "<Z>",
    minimum: 0,
    defaultText: "3",
    description: "threshold = mean + Z x sigma of the scores",
  },
  {
    name: "threshold-mode",
    kind: "string",
    value: "<mode>",
    choices: ["streaming", "batch"],
    defaultText: "streaming",
    description:
      "streaming: running mean/sigma with warm-up; batch: mean/sigma of all scores of the file (the cloud training-step rule)",
  },
  {
    name: "warmup",
    kind: "integer",
    value: "<N>",
    minimum: 2,
    defaultText: "samples",
    description: "scores observed before the streaming threshold may alert",
  },
  {
    name: "settle",
    kind: "integer",
    value: "<N>",
    minimum: 1,
    defaultText: "samples/4",
    description: "readings at or below the threshold that close an incident",
  },
  {
    name: "confirmations",
    kind: "integer",
    value: "<M>",
    minimum: 1,
    defaultText: String(DEFAULT_CONFIRMATIONS),
    description: "exceedances among the last --confirmation-window readings that open an incident",
  },
  {
    name: "confirmation-window",
    kind: "integer",
    value: "<N>",
    minimum: 1,
    defaultText: String(DEFAULT_CONFIRMATION_WINDOW),
    description: "readings in which exceedances are counted (at most 31)",
  },
  {
    name: "escalation",
    kind: "number",
    value: "<X>",
    minimum: 1,
    defaultText: String(DEFAULT_ESCALATION_FACTOR),
    description: "inside an open incident, a confirmed score X times the incident's peak pages again",
  },
  {
    name: "windows",
    kind: "string",
    value: "<json>",
    defaultText: "none",
    description: "NAB combined_windows.json: print the NAB standard-profile score of the alert column",
  },
  { name: "labels", kind: "string", value: "<json>", defaultText: "none", description: "alias of --windows" },
  {
    name: "nab-key",
    kind: "string",
    value: "<dir/file.csv>",
    defaultText: "from the input path",
    description: "entry of the windows file to use",
  },
  {
    name: "reference",
    kind: "string",
    value: "<csv>",
    defaultText: "none",
    description:
      "CSV with reference scores for the same timestamps (e.g. NAB's published results): print the Spearman rank correlation and the reference's own NAB score",
  },
  {
    name: "reference-column",
    kind: "string",
    value: "<name>",
    defaultText: "anomaly_score",
    description: "score column of --reference",
  },
  {
    name: "reference-threshold",
    kind: "number",
    value: "<X>",
    defaultText: String(NAB_RANDOM_CUT_FOREST_STANDARD_THRESHOLD),
    description:
      "detection threshold for the reference's NAB score (NAB's optimised threshold for its randomCutForest run)",
  },
  {
    name: "details",
    kind: "flag",
    defaultText: "off",
    description: "also write threshold and grade columns",
  },
  {
    name: "json",
    kind: "flag",
    defaultText: "off",
    description: "print the run summary as JSON (on stdout when --output is a file, else on stderr)",
  },
  { name: "help", kind: "flag", defaultText: "", description: "show this help" },
];

/** Usage error: bad command line. */
class UsageError extends Error {}

type ParsedOptions = Map<string, string | number | boolean>;

function helpText(): string {
  const lines = [
    "Usage: npm run rcf -- --input <csv> [--output <csv>] [options]",
    "",
    "Scores a time series with a streaming Random Cut Forest (AWS reference scoring) and writes",
    "timestamp,<values>,score,alert. Throughput (points/s) and comparisons are printed on stderr.",
    "",
    "Options:",
  ];
  for (const option of OPTIONS) {
    const left = `  --${option.name}${option.value ? ` ${option.value}` : ""}`;
    const choices = option.choices ? ` (${option.choices.join("|")})` : "";
    const fallback = option.defaultText ? ` [default: ${option.defaultText}]` : "";
    lines.push(`${left.padEnd(34)} ${option.description}${choices}${fallback}`);
  }
  lines.push(
    "",
    "Example (NAB's published Random Cut Forest settings, with both comparisons):",
    "  npm run rcf -- --input data/nab/data/realKnownCause/machine_temperature_system_failure.csv \\",
    "    --output out.csv --trees 100 --samples 256 --time-decay 100000 \\",
    "    --reference data/nab/results/randomCutForest/realKnownCause/randomCutForest_machine_temperature_system_failure.csv \\",
    "    --windows data/nab/labels/combined_windows.json",
  );
  return lines.join("\n") + "\n";
}

function parseArguments(argv: readonly string[]): ParsedOptions {
  const parsed: ParsedOptions = new Map();
  for (let i = 0; i < argv.length; i++) {
    const argument = argv[i];
    if (!argument.startsWith("--")) {
      throw new UsageError(`unexpected argument "${argument}": options start with "--" (see --help)`);
    }
    let name = argument.slice(2);
    let inlineValue: string | undefined;
    const equals = name.indexOf("=");
    if (equals >= 0) {
      inlineValue = name.slice(equals + 1);
      name = name.slice(0, equals);
    }
    const spec = OPTIONS.find((option) => option.name === name);
    if (!spec) {
      const close = OPTIONS.filter((option) => option.name.includes(name) || name.includes(option.name)).map(
        (o) => `--${o.name}`,
      );
      throw new UsageError(
        `unknown option --${name}${close.length ? ` (did you mean ${close.join(" or ")}?)` : ""}; see --help`,
      );
    }
    if (spec.kind === "flag") {
      if (inlineValue !== undefined) throw new UsageError(`--${name} takes no value`);
      parsed.set(name, true);
      continue;
    }
    const raw = inlineValue ?? argv[++i];
    if (raw === undefined || (inlineValue === undefined && raw.startsWith("--"))) {
      throw new UsageError(`--${name} needs a value: --${name} ${spec.value ?? "<value>"}`);
    }
    if (spec.kind === "string") {
      if (spec.choices && !spec.choices.includes(raw)) {
        throw new UsageError(`--${name} must be one of ${spec.choices.join(", ")}, got "${raw}"`);
      }
      parsed.set(name, raw);
      continue;
    }
    const value = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(value)) {
      throw new UsageError(
        `--${name} must be a number, got "${raw}" (e.g. --${name} ${spec.defaultText.match(/^\d/) ? spec.defaultText : "10"})`,
      );
    }
    if (spec.kind === "integer" && !Number.isInteger(value)) {
      throw new UsageError(`--${name} must be a whole number, got "${raw}"`);
    }
    if (spec.minimum !== undefined && value < spec.minimum) {
      throw new UsageError(`--${name} must be >= ${spec.minimum}, got ${raw}`);
    }
    parsed.set(name, value);
  }
  return parsed;
}

function stringOption(options: ParsedOptions, name: string): string | undefined {
  const value = options.get(name);
  return typeof value === "string" ? value : undefined;
}

function numberOption(options: ParsedOptions, name: string): number | undefined {
  const value = options.get(name);
  return typeof value === "number" ? value : undefined;
}

function formatScore(score: number): string {
  return score === 0 ? "0" : String(Number(score.toPrecision(10)));
}

/** Writes text in chunks to a file or through a callback, without building one giant string. */
class ChunkedWriter {
  private buffer: string[] = [];
  private size = 0;
  private readonly descriptor: number | undefined;
  constructor(
    file: string | undefined,
    private readonly sink: (text: string) => void,
  ) {
    this.descriptor = file === undefined ? undefined : openSync(file, "w");
  }
  write(text: string): void {
    this.buffer.push(text);
    this.size += text.length;
    if (this.size > 1 << 16) this.flush();
  }
  flush(): void {
    if (this.buffer.length === 0) return;
    const text = this.buffer.join("");
    if (this.descriptor === undefined) this.sink(text);
    else writeSync(this.descriptor, text);
    this.buffer = [];
    this.size = 0;
  }
  close(): void {
    this.flush();
    if (this.descriptor !== undefined) closeSync(this.descriptor);
  }
}

/** Summary of a run (printed on stderr, or as JSON with --json). */
export interface CliSummary {
  input: string;
  points: number;
  dimensions: number;
  settings: ResolvedForestOptions & {
    zFactor: number;
    thresholdMode: string;
    settlePoints: number;
    warmupScores: number;
  };
  seconds: number;
  /** Points per wall-clock second of the scoring loop. */
  pointsPerSecond: number;
  /** Points per CPU-second of the scoring loop (one core). */
  pointsPerCpuSecond: number;
  alerts: number;
  batchThreshold?: number;
  spearman?: { allRows: number; afterWarmup: number; rows: number; warmupRows: number };
  nab?: { key: string; ours: NabScore; reference?: NabScore; referencePublished?: number };
}

/** Aligns reference scores on our timestamps (same order expected; falls back to a timestamp lookup). */
function alignReference(
  series: CsvSeries,
  referencePath: string,
  column: string,
): { scores: Float64Array; published?: number } {
  const reference = readSeriesCsv(referencePath, { valueColumns: [column] });
  let scores: Float64Array;
  const sameOrder =
    reference.length === series.length &&
    reference.timestamps.every((timestamp, i) => timestamp === series.timestamps[i]);
  if (sameOrder) {
    scores = reference.values;
  } else {
    const byTimestamp = new Map<string, number>();
    reference.timestamps.forEach((timestamp, i) => byTimestamp.set(timestamp, reference.values[i]));
    scores = new Float64Array(series.length);
    for (let i = 0; i < series.length; i++) {
      const value = byTimestamp.get(series.timestamps[i]);
      if (value === undefined) {
        throw new CsvInputError(
          `--reference ${referencePath}: no row for timestamp "${series.timestamps[i]}" of the input (row ${i + 2}); the reference must score the same series`,
        );
      }
      scores[i] = value;
    }
  }
  // NAB results files carry the published per-row score contributions: their sum is the published file score.
  let published: number | undefined;
  try {
    const contributions = readSeriesCsv(referencePath, { valueColumns: ["S(t)_standard"] });
    published = contributions.values.reduce((sum, value) => sum + value, 0);
  } catch {
    published = undefined;
  }
  return { scores, published };
}

/** Runs the CLI with the given arguments; returns the process exit code (0 ok, 1 runtime error, 2 usage error). */
export function runCli(argv: readonly string[], io: CliIo): number {
  let options: ParsedOptions;
  try {
    options = parseArguments(argv);
  } catch (error) {
    io.stderr(`rcf: ${(error as Error).message}\n`);
    return 2;
  }
  if (options.get("help")) {
    io.stdout(helpText());
    return 0;
  }
  try {
    return run(options, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`rcf: ${error.message}\n`);
      return 2;
    }
    if (error instanceof CsvInputError || error instanceof NabLabelsError || error instanceof RangeError) {
      io.stderr(`rcf: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

function run(options: ParsedOptions, io: CliIo): number {
  const input = stringOption(options, "input");
  if (input === undefined) throw new UsageError("--input <csv> is required (see --help)");
  const columns = (stringOption(options, "columns") ?? "value")
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
  if (columns.length === 0)
    throw new UsageError("--columns needs at least one column name, e.g. --columns value");
  const series = readSeriesCsv(input, {
    timestampColumn: stringOption(options, "timestamp-column") ?? "timestamp",
    valueColumns: columns,
  });
  if (series.length === 0) throw new CsvInputError(`${input}: no data rows`);

  let timeDecay = numberOption(options, "time-decay");
  if (timeDecay !== undefined && timeDecay >= 1) {
    io.stderr(
      `rcf: --time-decay ${timeDecay} read as a Kinesis Analytics window: lambda = 1/${timeDecay} = ${1 / timeDecay}\n`,
    );
    timeDecay = 1 / timeDecay;
  }
  const forestOptions = resolveForestOptions({
    numberOfTrees: numberOption(options, "trees"),
    sampleSize: numberOption(options, "samples"),
    timeDecay,
    outputAfter: numberOption(options, "output-after"),
    shingleSize: numberOption(options, "shingle"),
    randomSeed: numberOption(options, "seed"),
    dimensions: columns.length,
  });
  const zFactor = numberOption(options, "z") ?? DEFAULT_Z_FACTOR;
  if (!(zFactor > 0)) throw new UsageError(`--z must be > 0, got ${zFactor}`);
  const thresholdMode = stringOption(options, "threshold-mode") ?? "streaming";
  const settlePoints =
    numberOption(options, "settle") ?? Math.max(1, Math.floor(forestOptions.sampleSize / 4));
  const warmupScores = numberOption(options, "warmup") ?? forestOptions.sampleSize;
  const confirmations = numberOption(options, "confirmations") ?? DEFAULT_CONFIRMATIONS;
  const confirmationWindow =
    numberOption(options, "confirmation-window") ?? Math.max(DEFAULT_CONFIRMATION_WINDOW, confirmations);
  if (confirmationWindow > 31 || confirmations > confirmationWindow) {
    throw new UsageError(
      `--confirmations (${confirmations}) must be <= --confirmation-window (${confirmationWindow}), which must be <= 31`,
    );
  }
  const escalationFactor = numberOption(options, "escalation") ?? DEFAULT_ESCALATION_FACTOR;
  if (!(escalationFactor > 1)) throw new UsageError(`--escalation must be > 1, got ${escalationFactor}`);
  const windowsFile = stringOption(options, "windows") ?? stringOption(options, "labels");
  const referencePath = stringOption(options, "reference");
  // Resolve the labelled windows before the run so that a wrong key fails fast.
  let nabWindows: { key: string; windows: [string, string][] } | undefined;
  if (windowsFile !== undefined) {
    const all = loadNabWindows(windowsFile);
    const key = stringOption(options, "nab-key");
    nabWindows =
      findNabWindows(all, input, key) ??
      (referencePath ? findNabWindows(all, referencePath, key) : undefined);
    if (nabWindows === undefined) {
      const keys = Object.keys(all);
      throw new UsageError(
        `--windows ${windowsFile}: no entry ${key ? `"${key}"` : `matching ${input}`}; pass --nab-key with one of: ${keys.slice(0, 10).join(", ")}${keys.length > 10 ? ", ..." : ""}`,
      );
    }
  }

  // Score (and alert) in one streaming pass; time the model only, not the file I/O.
  const dims = columns.length;
  const scores = new Float64Array(series.length);
  const thresholds = new Float64Array(series.length);
  const grades = new Float64Array(series.length);
  let alerts: Uint8Array = new Uint8Array(series.length);
  const reading = new Float64Array(dims);
  const started = process.hrtime.bigint();
  const cpuStarted = process.cpuUsage();
  let batchThresholdValue: number | undefined;
  if (thresholdMode === "streaming") {
    const detector = new AnomalyDetector({
      ...forestOptions,
      zFactor,
      settlePoints,
      warmupScores,
      confirmations,
      confirmationWindow,
      escalationFactor,
    });
    for (let i = 0; i < series.length; i++) {
      for (let k = 0; k < dims; k++) reading[k] = series.values[i * dims + k];
      const result = detector.process(reading);
      scores[i] = result.score;
      thresholds[i] = result.threshold;
      grades[i] = result.grade;
      alerts[i] = result.alert ? 1 : 0;
    }
  } else {
    const forest = new RandomCutForest(forestOptions);
    for (let i = 0; i < series.length; i++) {
      for (let k = 0; k < dims; k++) reading[k] = series.values[i * dims + k];
      scores[i] = forest.process(reading);
    }
    // Batch rule on the scores the forest produced once ready (the warm-up zeros are not training scores).
    const firstScored = Math.min(series.length, forestOptions.outputAfter + forestOptions.shingleSize - 1);
    const statistics = batchStatistics(scores.subarray(firstScored), zFactor);
    batchThresholdValue = statistics.threshold;
    thresholds.fill(statistics.threshold);
    alerts = alertsFromScores(
      scores,
      statistics.threshold,
      { settlePoints, confirmations, confirmationWindow, escalationFactor },
      firstScored,
    );
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuStarted);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const pointsPerSecond = series.length / seconds;
  // Per CPU-second: on a shared machine, excludes the time the process waited for a core.
  const pointsPerCpuSecond = cpuSeconds > 0 ? series.length / cpuSeconds : pointsPerSecond;

  // Output.
  const outputPath = stringOption(options, "output");
  const details = options.get("details") === true;
  const writer = new ChunkedWriter(outputPath, io.stdout);
  writer.write(
    [
      stringOption(options, "timestamp-column") ?? "timestamp",
      ...columns,
      "score",
      "alert",
      ...(details ? ["threshold", "grade"] : []),
    ]
      .map(csvField)
      .join(",") + "\n",
  );
  for (let i = 0; i < series.length; i++) {
    let line = csvField(series.timestamps[i]);
    for (let k = 0; k < dims; k++) line += "," + String(series.values[i * dims + k]);
    line += "," + formatScore(scores[i]) + "," + alerts[i];
    if (details) {
      line +=
        "," +
        (Number.isFinite(thresholds[i]) ? formatScore(thresholds[i]) : "") +
        "," +
        formatScore(grades[i]);
    }
    writer.write(line + "\n");
  }
  writer.close();

  const alertCount = alerts.reduce((sum, alert) => sum + alert, 0);
  const summary: CliSummary = {
    input,
    points: series.length,
    dimensions: dims,
    settings: { ...forestOptions, zFactor, thresholdMode, settlePoints, warmupScores },
    seconds,
    pointsPerSecond,
    pointsPerCpuSecond,
    alerts: alertCount,
    batchThreshold: batchThresholdValue,
  };
  const report: string[] = [
    `rcf: ${series.length} points x ${dims} dimension(s), ${forestOptions.numberOfTrees} trees x ${forestOptions.sampleSize} samples, ` +
      `shingle ${forestOptions.shingleSize}: ${seconds.toFixed(3)} s, ${Math.round(pointsPerSecond)} points/s ` +
      `(${Math.round(pointsPerCpuSecond)} per CPU-second; one core, update + score)`,
    `rcf: ${alertCount} alert(s) (${thresholdMode} threshold, z = ${zFactor}${batchThresholdValue !== undefined ? `, threshold ${batchThresholdValue.toFixed(4)}` : ""})`,
  ];

  let referenceScores: Float64Array | undefined;
  let referencePublished: number | undefined;
  if (referencePath !== undefined) {
    const column = stringOption(options, "reference-column") ?? "anomaly_score";
    ({ scores: referenceScores, published: referencePublished } = alignReference(
      series,
      referencePath,
      column,
    ));
    // Rows where either side is still warming up (score exactly 0) are excluded from the second figure.
    const warm: number[] = [];
    for (let i = 0; i < series.length; i++) if (scores[i] !== 0 && referenceScores[i] !== 0) warm.push(i);
    const allRows = spearman(scores, referenceScores);
    const afterWarmup = spearman(
      Float64Array.from(warm, (i) => scores[i]),
      Float64Array.from(warm, (i) => referenceScores![i]),
    );
    summary.spearman = { allRows, afterWarmup, rows: series.length, warmupRows: series.length - warm.length };
    report.push(
      `rcf: Spearman rank correlation with ${column} of ${referencePath}: ${allRows.toFixed(4)} (all ${series.length} rows), ` +
        `${afterWarmup.toFixed(4)} (${warm.length} rows where both are past warm-up)`,
    );
    if (timeDecay === undefined) {
      report.push(
        "rcf: note: the time decay is the library default, 1/(10 x samples); NAB's published Random Cut Forest run used " +
          "Kinesis timeDecay 100000 (lambda = 1e-5): add --time-decay 100000 to compare with the same settings",
      );
    }
  }
  if (nabWindows !== undefined) {
    const ours = nabScore(series.timestamps, alerts, nabWindows.windows);
    summary.nab = { key: nabWindows.key, ours };
    report.push(
      `rcf: NAB standard score of the alert column (${nabWindows.key}): ${ours.score.toFixed(4)} ` +
        `(${ours.detectedWindows}/${ours.windows.length} windows detected, ${ours.falsePositives} false positive(s), ` +
        `first ${ours.probationaryRows} rows probationary)`,
    );
    if (referenceScores !== undefined) {
      const referenceThreshold =
        numberOption(options, "reference-threshold") ?? NAB_RANDOM_CUT_FOREST_STANDARD_THRESHOLD;
      const reference = nabScore(
        series.timestamps,
        detectionsAtThreshold(referenceScores, referenceThreshold),
        nabWindows.windows,
      );
      summary.nab.reference = reference;
      summary.nab.referencePublished = referencePublished;
      report.push(
        `rcf: NAB standard score of the reference at threshold ${referenceThreshold}: ${reference.score.toFixed(4)} ` +
          `(${reference.detectedWindows}/${reference.windows.length} windows, ${reference.falsePositives} false positive(s))` +
          (referencePublished !== undefined
            ? `; published S(t)_standard sum: ${referencePublished.toFixed(4)}`
            : ""),
      );
      report.push(`rcf: ours - reference = ${(ours.score - reference.score).toFixed(4)}`);
    }
  }
  io.stderr(report.join("\n") + "\n");
  if (options.get("json")) {
    const text = JSON.stringify(summary, null, 2) + "\n";
    if (outputPath !== undefined) io.stdout(text);
    else io.stderr(text);
  }
  return 0;
}
