/**
 * The options of `npm run rcf`, declared once in the repository's option-table convention (devices/command.ts):
 * the table drives util.parseArgs, the value checks below and the generated `--help`.
 */
import { optionRows, parseOptions, UsageError, type OptionSpec } from "../../devices/command";
import { NAB_RANDOM_CUT_FOREST_STANDARD_THRESHOLD } from "./nab";
import { SERIES_ALERT_POLICY } from "./detector";
import { DEFAULT_NUMBER_OF_TREES, DEFAULT_SAMPLE_SIZE } from "./forest";
import { DEFAULT_BLOCK_READINGS } from "./second-views";

export { UsageError };

/**
 * Node flags of the command: `npm run rcf` (package.json) starts Node with them, cli.ts starts itself again with
 * them when it was started without (the `sensor-rcf` bin, `npx tsx local/rcf/cli.ts`), and bench/rcf/cli-rss.ts
 * measures the command with them. The command streams, so what it keeps alive is a few MiB; but
 * Node 24 grows V8's young generation with a long run's allocation rate, and an idle machine's peak resident
 * memory went from 121 MiB on 200,000 points to 225 MiB on 1,000,000 (x1.85). A young generation of at most
 * 8 MiB per semi-space keeps it flat (x1.10) and ran no slower (README, "Measured figures").
 */
export const RCF_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=8"];

const flagName = (flag: string) => flag.split("=")[0]!;

/** The flags a process runs with (its `execArgv` and NODE_OPTIONS) that set one of RCF_NODE_FLAGS' settings. */
export function nodeFlagsInEffect(execArgv: readonly string[], nodeOptions = ""): string[] {
  const names = new Set(RCF_NODE_FLAGS.map(flagName));
  return [...execArgv, ...nodeOptions.split(/\s+/)].filter((flag) => names.has(flagName(flag)));
}

/** RCF_NODE_FLAGS whose setting the process was not given (any value given by the user counts as given). */
export function missingNodeFlags(execArgv: readonly string[], nodeOptions = ""): string[] {
  const given = new Set(nodeFlagsInEffect(execArgv, nodeOptions).map(flagName));
  return RCF_NODE_FLAGS.filter((flag) => !given.has(flagName(flag)));
}

/** Shingle size of the command (the library's default is 1): 8 readings give the forest the series' shape. */
export const CLI_SHINGLE_SIZE = 8;

type OptionKind = "string" | "integer" | "number" | "flag";

interface RcfOptionSpec extends OptionSpec {
  readonly kind: OptionKind;
  /** Smallest accepted value for numeric options. */
  readonly minimum?: number;
  readonly choices?: readonly string[];
  /** Words accepted besides a number (e.g. `auto`, `none`). */
  readonly words?: readonly string[];
}

const P = SERIES_ALERT_POLICY;

export const OPTIONS: readonly RcfOptionSpec[] = [
  {
    name: "input",
    kind: "string",
    value: "csv",
    description:
      "input CSV with a header: a timestamp column and numeric value column(s); read as a stream (required)",
  },
  {
    name: "output",
    kind: "string",
    value: "csv",
    defaultText: "standard output",
    description: "where to write timestamp,<values>,anomaly_score,raw_score,alert (NAB's column layout)",
  },
  {
    name: "columns",
    kind: "string",
    value: "a,b,...",
    default: "value",
    description: "value columns; several columns become the dimensions of one reading",
  },
  {
    name: "timestamp-column",
    kind: "string",
    value: "name",
    default: "timestamp",
    description: "name of the timestamp column",
  },
  {
    name: "trees",
    kind: "integer",
    value: "N",
    minimum: 1,
    defaultText: String(DEFAULT_NUMBER_OF_TREES),
    description: "number of trees",
  },
  {
    name: "samples",
    kind: "integer",
    value: "N",
    minimum: 1,
    defaultText: String(DEFAULT_SAMPLE_SIZE),
    description: "points sampled per tree (sampleSize)",
  },
  {
    name: "time-decay",
    kind: "number",
    value: "X",
    minimum: 0,
    defaultText: "1/(10 x samples)",
    description:
      "sampler decay rate lambda; a value >= 1 is read as a Kinesis Analytics timeDecay window, lambda = 1/X (NAB's published run used 100000)",
  },
  {
    name: "output-after",
    kind: "integer",
    value: "N",
    minimum: 0,
    defaultText: "samples/4",
    description: "points learned before the forest reports scores (outputAfter)",
  },
  {
    name: "shingle",
    kind: "integer",
    value: "N",
    minimum: 1,
    default: String(CLI_SHINGLE_SIZE),
    description: "readings per shingle (shingleSize)",
  },
  {
    name: "seed",
    kind: "integer",
    value: "N",
    minimum: 0,
    defaultText: "42",
    description: "random seed: same seed, same scores",
  },
  {
    name: "warmup",
    kind: "integer",
    value: "N|auto",
    minimum: 4,
    words: ["auto"],
    default: "auto",
    defaultText: "auto: NAB's probationary period of the input, min(15% of its rows, 750)",
    description: "readings before alerts: the forest learns the first half, the alert policy the second",
  },
  {
    name: "averaging",
    kind: "integer",
    value: "N",
    minimum: 1,
    defaultText: String(P.averaging),
    description: "scores averaged before the alert policy judges them",
  },
  {
    name: "tail-probability",
    kind: "number",
    value: "p",
    minimum: 0,
    defaultText: String(P.tailProbability),
    description:
      "alert when the averaged score's upper-tail probability is below p (anomaly_score 0.5 = 1e-5)",
  },
  {
    name: "horizon",
    kind: "integer",
    value: "N",
    minimum: 2,
    defaultText: String(P.horizon),
    description: "readings the running score distribution remembers",
  },
  {
    name: "settle",
    kind: "integer",
    value: "N",
    minimum: 1,
    defaultText: String(P.settle),
    description: "consecutive normal readings that close an incident (one alert per incident)",
  },
  {
    name: "escalation",
    kind: "number",
    value: "X",
    minimum: 1,
    defaultText: String(P.escalation),
    description: "inside an open incident, a score X times the incident's peak alerts again",
  },
  {
    name: "cooldown",
    kind: "integer",
    value: "N",
    minimum: 0,
    defaultText: String(P.cooldown),
    description:
      "readings after an incident a score opened during which a score pages only if more improbable than that one (0: off)",
  },
  {
    name: "spatial-tolerance",
    kind: "number",
    value: "X|none",
    minimum: 0,
    words: ["none"],
    defaultText: String(P.spatialTolerance),
    description:
      "alert on a value beyond the range seen so far by more than X of that range (one column only)",
  },
  {
    name: "range-warmup",
    kind: "integer",
    value: "N",
    minimum: 0,
    defaultText: String(P.rangeWarmup),
    description:
      "the range rules' tolerance is X x (1 + N / readings seen): a short history's range is not yet the series' own",
  },
  {
    name: "block-view",
    kind: "integer",
    value: "N|none",
    minimum: 2,
    words: ["none"],
    defaultText: String(DEFAULT_BLOCK_READINGS),
    description:
      "a second forest over blocks of N readings (mean, log spread) sees level and noise changes (one column only)",
  },
  {
    name: "sequence-view",
    kind: "string",
    value: "mode",
    choices: ["on", "none"],
    defaultText: "on",
    description:
      "a sequence model alerts when the series turns unusually predictable (noise that stops) or extremely surprising (one column only)",
  },
  {
    name: "calendar-view",
    kind: "string",
    value: "mode",
    choices: ["on", "none"],
    defaultText: "on",
    description:
      "each reading against its hour of the day, for a daily cycle that breaks (one column with UTC timestamps only)",
  },
  {
    name: "windows",
    kind: "string",
    value: "json",
    defaultText: "none",
    description: "NAB combined_windows.json: add a label column and print the NAB standard-profile score",
  },
  { name: "labels", kind: "string", value: "json", defaultText: "none", description: "alias of --windows" },
  {
    name: "nab-key",
    kind: "string",
    value: "dir/file.csv",
    defaultText: "from the input path",
    description: "entry of the windows file to use",
  },
  {
    name: "reference",
    kind: "string",
    value: "csv",
    defaultText: "none",
    description:
      "CSV with reference scores for the same timestamps (e.g. NAB's published results): print the Spearman rank correlation and the reference's own NAB score",
  },
  {
    name: "reference-column",
    kind: "string",
    value: "name",
    default: "anomaly_score",
    description: "score column of --reference",
  },
  {
    name: "reference-threshold",
    kind: "number",
    value: "X",
    default: String(NAB_RANDOM_CUT_FOREST_STANDARD_THRESHOLD),
    description:
      "detection threshold for the reference's NAB score (NAB's optimised threshold for its randomCutForest run)",
  },
  {
    name: "details",
    kind: "flag",
    description: "also write tail_probability and kind columns",
  },
  {
    name: "json",
    kind: "flag",
    description: "print the run summary as JSON (on stdout when --output is a file, else on stderr)",
  },
  { name: "help", kind: "flag", description: "show this help" },
];

/** Options of earlier versions, with what replaced them. */
const REPLACED: Readonly<Record<string, string>> = {
  z: "the alert policy's --tail-probability (anomaly_score 0.5 = 1e-5)",
  "threshold-mode": "the alert policy (a running score distribution per series; see --help)",
  confirmations: "the alert policy's --averaging",
  "confirmation-window": "the alert policy's --averaging",
};

export type ParsedOptions = Map<string, string | number | boolean>;

export function helpText(): string {
  return (
    [
      "Usage: npm run rcf -- --input <csv> [--output <csv>] [options]",
      "",
      "Scores a time series with a streaming Random Cut Forest (AWS reference scoring), judges the scores with the",
      "platform's alert policy (anomaly likelihood, one alert per incident) and writes",
      "timestamp,<values>,anomaly_score,raw_score,alert. Input and output are streamed. Throughput (points/s) and",
      "comparisons are printed on stderr.",
      "Exit status: 0 done, 1 unreadable input or labels, 2 bad options.",
      "",
      "Options:",
      ...optionRows(
        OPTIONS.map((o) =>
          o.choices ? { ...o, description: `${o.description} (${o.choices.join("|")})` } : o,
        ),
      ),
      "",
      "Example (NAB's machine-temperature series, scored against its labelled windows):",
      "  npm run rcf -- --input data/nab/data/realKnownCause/machine_temperature_system_failure.csv \\",
      "    --output out.csv --windows data/nab/labels/combined_windows.json",
    ].join("\n") + "\n"
  );
}

/** Parses `argv` with the table; each given option (and each literal default) converted to its kind. */
export function parseArguments(argv: readonly string[]): ParsedOptions {
  const { values, text } = parseOptions(argv, OPTIONS, { helpHint: "See --help.", replaced: REPLACED });
  const parsed: ParsedOptions = new Map();
  for (const spec of OPTIONS) {
    if (spec.kind === "flag") {
      if (values[spec.name] === true) parsed.set(spec.name, true);
      continue;
    }
    const raw = text(spec.name);
    if (raw !== undefined) parsed.set(spec.name, convert(spec, raw));
  }
  return parsed;
}

function convert(spec: RcfOptionSpec, raw: string): string | number {
  const name = spec.name;
  if (spec.kind === "string") {
    if (spec.choices && !spec.choices.includes(raw))
      throw new UsageError(`--${name} must be one of ${spec.choices.join(", ")}, got "${raw}"`);
    return raw;
  }
  if (spec.words?.includes(raw)) return raw;
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value)) {
    const words = spec.words ? ` or ${spec.words.join(", ")}` : "";
    const example = spec.default ?? spec.defaultText;
    throw new UsageError(
      `--${name} must be a number${words}, got "${raw}" (e.g. --${name} ${example && /^\d/.test(example) ? example.split(" ")[0] : "10"})`,
    );
  }
  if (spec.kind === "integer" && !Number.isInteger(value))
    throw new UsageError(`--${name} must be a whole number, got "${raw}"`);
  if (spec.minimum !== undefined && value < spec.minimum)
    throw new UsageError(`--${name} must be >= ${spec.minimum}, got ${raw}`);
  return value;
}

export function stringOption(options: ParsedOptions, name: string): string | undefined {
  const value = options.get(name);
  return typeof value === "string" ? value : undefined;
}

export function numberOption(options: ParsedOptions, name: string): number | undefined {
  const value = options.get(name);
  return typeof value === "number" ? value : undefined;
}
