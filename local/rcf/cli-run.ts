/**
 * The `npm run rcf` command: scores a CSV time series with a streaming Random Cut Forest, judges the scores with
 * the platform's alert policy, writes NAB's column layout (`timestamp,value,anomaly_score` plus `raw_score,alert`),
 * and optionally compares with reference scores (Spearman) and labelled windows (NAB score). Input and output
 * are streamed: memory does not grow with the input unless a comparison needs the whole column. Kept separate
 * from cli.ts (which only wires process I/O) so tests can run it in-process; the options live in cli-options.ts,
 * the summary and the comparisons in cli-report.ts.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { CsvInputError, csvField, forEachCsvRecord, parseTimestamp } from "./csv";
import { AnomalyDetector } from "./detector";
import { resolveForestOptions } from "./forest";
import { NabLabelsError, findNabWindows, loadNabWindows, nabProbationaryPeriod, type NabWindow } from "./nab";
import { compare, type CliSummary } from "./cli-report";
import {
  helpText,
  nodeFlagsInEffect,
  numberOption,
  parseArguments,
  stringOption,
  UsageError,
  type ParsedOptions,
} from "./cli-options";

export { CLI_SHINGLE_SIZE } from "./cli-options";
export type { CliSummary } from "./cli-report";

/** Where the CLI writes; injectable for tests. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
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

/** A growable typed column, for the comparisons that need a whole column (NAB, Spearman). */
class Column<T extends Float64Array | Uint8Array> {
  private data: T;
  length = 0;
  constructor(private readonly make: (size: number) => T) {
    this.data = make(1024);
  }
  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = this.make(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }
  values(): T {
    return this.data.subarray(0, this.length) as T;
  }
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

/** The header's column positions, checked. */
function columnIndexes(header: string[], input: string, timestampColumn: string, columns: string[]) {
  const find = (name: string) => {
    const index = header.indexOf(name);
    if (index < 0)
      throw new CsvInputError(`${input}: no "${name}" column (header: ${header.join(",") || "<empty>"})`);
    return index;
  };
  return { timestamp: find(timestampColumn), values: columns.map(find) };
}

/** Data rows of a file, counted in one streaming pass (for NAB's probationary period). */
function countRows(input: string): number {
  let records = 0;
  forEachCsvRecord(input, () => records++);
  return Math.max(0, records - 1);
}

function resolveWindows(options: ParsedOptions, input: string, referencePath: string | undefined) {
  const windowsFile = stringOption(options, "windows") ?? stringOption(options, "labels");
  if (windowsFile === undefined) return undefined;
  const all = loadNabWindows(windowsFile);
  const key = stringOption(options, "nab-key");
  const found =
    findNabWindows(all, input, key) ?? (referencePath ? findNabWindows(all, referencePath, key) : undefined);
  if (found === undefined) {
    const keys = Object.keys(all);
    throw new UsageError(
      `--windows ${windowsFile}: no entry ${key ? `"${key}"` : `matching ${input}`}; pass --nab-key with one of: ${keys.slice(0, 10).join(", ")}${keys.length > 10 ? ", ..." : ""}`,
    );
  }
  return found;
}

/** Whether a time falls in one of the windows (the label column NAB's runner adds). */
function windowLabeller(windows: readonly NabWindow[]): (time: number) => number {
  const ranges = windows.map(([start, end]) => [parseTimestamp(start), parseTimestamp(end)] as const);
  return (time) => (ranges.some(([start, end]) => time >= start && time <= end) ? 1 : 0);
}

function run(options: ParsedOptions, io: CliIo): number {
  const input = stringOption(options, "input");
  if (input === undefined) throw new UsageError("--input <csv> is required (see --help)");
  const columns = stringOption(options, "columns")!
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
  if (columns.length === 0)
    throw new UsageError("--columns needs at least one column name, e.g. --columns value");
  const timestampColumn = stringOption(options, "timestamp-column")!;

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
  const referencePath = stringOption(options, "reference");
  // Resolve the labelled windows before the run so that a wrong key fails fast.
  const nabWindows = resolveWindows(options, input, referencePath);
  const warmupOption = options.get("warmup");
  const warmup =
    warmupOption === "auto" ? Math.max(4, nabProbationaryPeriod(countRows(input))) : Number(warmupOption);
  const spatial = options.get("spatial-tolerance");
  const detector = new AnomalyDetector({
    ...forestOptions,
    warmup,
    averaging: numberOption(options, "averaging"),
    tailProbability: numberOption(options, "tail-probability"),
    horizon: numberOption(options, "horizon"),
    settle: numberOption(options, "settle"),
    escalation: numberOption(options, "escalation"),
    cooldown: numberOption(options, "cooldown"),
    spatialTolerance: spatial === "none" ? Infinity : (spatial as number | undefined),
    blockReadings: options.get("block-view") === "none" ? 0 : numberOption(options, "block-view"),
    sequenceView: stringOption(options, "sequence-view") !== "none",
    calendarView: stringOption(options, "calendar-view") !== "none",
    rangeWarmup: numberOption(options, "range-warmup"),
  });

  const outputPath = stringOption(options, "output");
  const details = options.get("details") === true;
  const label = nabWindows ? windowLabeller(nabWindows.windows) : undefined;
  const keepColumns = nabWindows !== undefined || referencePath !== undefined;
  const readsTime = detector.views.calendarView || keepColumns || label !== undefined;
  const times = new Column((n) => new Float64Array(n));
  const scores = new Column((n) => new Float64Array(n));
  const alertColumn = new Column((n) => new Uint8Array(n));
  const writer = new ChunkedWriter(outputPath, io.stdout);
  const dims = columns.length;
  const reading = new Float64Array(dims);
  let positions: { timestamp: number; values: number[] } | undefined;
  let points = 0;
  let alerts = 0;
  let modelNanoseconds = 0n;
  const cpuStarted = process.cpuUsage();

  forEachCsvRecord(input, (fields, record) => {
    if (record === 1) {
      positions = columnIndexes(fields, input, timestampColumn, columns);
      writer.write(
        [
          timestampColumn,
          ...columns,
          "anomaly_score",
          "raw_score",
          "alert",
          ...(details ? ["tail_probability", "kind"] : []),
          ...(label ? ["label"] : []),
        ]
          .map(csvField)
          .join(",") + "\n",
      );
      return;
    }
    const timestamp = (fields[positions!.timestamp] ?? "").trim();
    let line = csvField(timestamp);
    for (let k = 0; k < dims; k++) {
      const raw = (fields[positions!.values[k]] ?? "").trim();
      const value = raw === "" ? NaN : Number(raw);
      if (!Number.isFinite(value))
        throw new CsvInputError(
          `${input}: row ${record}, column "${columns[k]}": "${raw}" is not a finite number`,
        );
      reading[k] = value;
      line += "," + raw;
    }
    // The reading's time, for the calendar view and the labels and comparisons below (not parsed when none of
    // them reads it: this is the per-reading path).
    const time = readsTime ? parseTimestamp(timestamp) : NaN;
    const started = process.hrtime.bigint();
    const result = detector.process(dims === 1 ? reading[0] : reading, time);
    modelNanoseconds += process.hrtime.bigint() - started;
    points++;
    if (result.alert) alerts++;
    line += `,${formatScore(result.anomalyScore)},${formatScore(result.score)},${result.alert ? 1 : 0}`;
    if (details) line += `,${formatScore(result.tailProbability)},${result.kind ?? ""}`;
    if (label) line += `,${label(time)}`;
    if (keepColumns) {
      if (Number.isNaN(time))
        throw new CsvInputError(
          `${input}: row ${record}: "${timestamp}" is not a timestamp (needed to compare)`,
        );
      times.push(time);
      scores.push(result.score);
      alertColumn.push(result.alert ? 1 : 0);
    }
    writer.write(line + "\n");
  });
  writer.close();
  if (positions === undefined || points === 0) throw new CsvInputError(`${input}: no data rows`);

  const seconds = Number(modelNanoseconds) / 1e9;
  const cpu = process.cpuUsage(cpuStarted);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const pointsPerSecond = points / Math.max(seconds, 1e-9);
  const summary: CliSummary = {
    input,
    points,
    dimensions: dims,
    settings: { ...forestOptions, warmup, policy: detector.policy, views: detector.views },
    nodeFlags: nodeFlagsInEffect(process.execArgv, process.env.NODE_OPTIONS),
    seconds,
    pointsPerSecond,
    // CPU time of the whole pass (reading, parsing and writing included): a lower bound of the model's rate.
    pointsPerCpuSecond: cpuSeconds > 0 ? points / cpuSeconds : pointsPerSecond,
    alerts,
  };
  const report: string[] = [
    `rcf: ${points} points x ${dims} dimension(s), ${forestOptions.numberOfTrees} trees x ${forestOptions.sampleSize} samples, ` +
      `shingle ${forestOptions.shingleSize}: model ${seconds.toFixed(3)} s, ${Math.round(pointsPerSecond)} points/s ` +
      `(${Math.round(summary.pointsPerCpuSecond)} per CPU-second including I/O; one core)`,
    `rcf: ${alerts} alert(s) (alert policy: averaging ${detector.policy.averaging}, tail probability ${detector.policy.tailProbability}, warm-up ${warmup} readings)`,
  ];
  compare(summary, report, options, {
    input,
    nabWindows,
    referencePath,
    timeDecayDefaulted: timeDecay === undefined,
    times: times.values(),
    scores: scores.values(),
    alerts: alertColumn.values(),
  });
  io.stderr(report.join("\n") + "\n");
  if (options.get("json")) {
    const text = JSON.stringify(summary, null, 2) + "\n";
    if (outputPath !== undefined) io.stdout(text);
    else io.stderr(text);
  }
  return 0;
}
