/**
 * The repository's command-line convention, shared by every CLI (`npm start`, `npm run fleet`, `fleet:report`,
 * `fleet:cloud`, ...): options declared once in a table (name, short alias, value placeholder, default,
 * description) that drives both `util.parseArgs` and the generated `--help`; a bad command line is a
 * {@link UsageError}; exit codes are {@link EXIT} (0 success, 1 the work failed, 2 bad command line).
 *
 * It lives in devices/ because that is the lowest layer every tool may import: the simulator is bundled on its
 * own (npm run fleet:bundle), so it can import nothing from local/ or policies/, and those import devices/.
 */
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { parseDurationMs } from "../components/telemetry/durations";

/** Exit codes of every command. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** A bad command line: the command prints the message and exits {@link EXIT}.usage (2). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** One option of a command's table. */
export interface OptionSpec {
  readonly name: string;
  readonly short?: string;
  /** Placeholder in `--help`; absent for flags. */
  readonly value?: string;
  /** The value used when the option is absent (what the parser reads and `--help` shows). */
  readonly default?: string;
  /** What `--help` says when the default is not a literal value (e.g. "until Ctrl-C"). */
  readonly defaultText?: string;
  readonly description: string;
  /** The option may be repeated; its values are read with {@link ParsedOptions.list}. */
  readonly multiple?: boolean;
}

/** The `-h, --help` row every command's table ends with. */
export const HELP_OPTION: OptionSpec = { name: "help", short: "h", description: "show this help" };

export type CommandValues = Record<string, string | boolean | string[] | undefined>;

/** Parses `argv` strictly (no positionals) against `options`; throws with Node's message for a bad option. */
function parseCommandArgs(argv: readonly string[], options: ParseArgsOptionsConfig): CommandValues {
  return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false })
    .values as CommandValues;
}

/** The parsed command line, read through the table: text() falls back to the option's default. */
export interface ParsedOptions {
  readonly values: CommandValues;
  /** The option's value, else its table default, else undefined. */
  text(name: string): string | undefined;
  /** Whether the option was given on the command line. */
  given(name: string): boolean;
  flag(name: string): boolean;
  /** Every value of a repeatable option, in order. */
  list(name: string): string[];
}

/** How {@link parseOptions} reports a bad command line. */
export interface ParseOptionsSettings {
  /** Appended to every message, e.g. "Run npm start -- --help for the options." */
  readonly helpHint: string;
  /** Options of earlier versions, with what replaced them ("--z is gone: replaced by ..."). */
  readonly replaced?: Readonly<Record<string, string>>;
}

/**
 * Parses `argv` with the option table. A bad option is a {@link UsageError} that names it (an unknown one with
 * the options it was probably meant to be, a replaced one with its replacement) and ends with the help hint.
 */
export function parseOptions(
  argv: readonly string[],
  table: readonly OptionSpec[],
  settings: string | ParseOptionsSettings,
): ParsedOptions {
  const { helpHint, replaced = {} } = typeof settings === "string" ? { helpHint: settings } : settings;
  const config: ParseArgsOptionsConfig = {};
  for (const o of table)
    config[o.name] = {
      type: o.value ? "string" : "boolean",
      ...(o.short ? { short: o.short } : {}),
      ...(o.multiple ? { multiple: true } : {}),
    };
  let values: CommandValues;
  try {
    values = parseCommandArgs(argv, config);
  } catch (err) {
    throw new UsageError(`${usageMessage(err as NodeJS.ErrnoException, table, replaced)}. ${helpHint}`);
  }
  const byName = new Map(table.map((o) => [o.name, o]));
  const spec = (name: string): OptionSpec => {
    const found = byName.get(name);
    if (!found) throw new Error(`option --${name} is not in the command's option table`);
    return found;
  };
  return {
    values,
    text: (name) => (values[name] as string | undefined) ?? spec(name).default,
    given: (name) => spec(name) !== undefined && values[name] !== undefined,
    flag: (name) => spec(name) !== undefined && values[name] === true,
    list: (name) => {
      const value = spec(name) && values[name];
      return Array.isArray(value) ? value : typeof value === "string" ? [value] : [];
    },
  };
}

/** util.parseArgs' error, said the convention's way: the option, what is wrong, what to use. */
function usageMessage(
  err: NodeJS.ErrnoException,
  table: readonly OptionSpec[],
  replaced: Readonly<Record<string, string>>,
): string {
  const option = /'(-{1,2}[^' ,]+)/.exec(err.message)?.[1];
  const name = option?.replace(/^-+/, "");
  if (err.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && name !== undefined) {
    if (replaced[name]) return `--${name} is gone: replaced by ${replaced[name]}`;
    const close = table
      // A prefix either way (--tree for --trees, --trees-count for --trees), of at least three letters.
      .filter(
        (o) =>
          Math.min(name.length, o.name.length) >= 3 && (o.name.startsWith(name) || name.startsWith(o.name)),
      )
      .map((o) => `--${o.name}`);
    return `unknown option ${option}${close.length > 0 ? ` (did you mean ${close.join(" or ")}?)` : ""}`;
  }
  if (err.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && name !== undefined) {
    const spec = table.find((o) => o.name === name || o.short === name);
    if (spec?.value) return `--${spec.name} needs a value: --${spec.name} <${spec.value}>`;
    if (spec) return `--${spec.name} takes no value`;
  }
  return err.message.replace(/\.$/, "");
}

/** Splits text into lines of at most `width` characters, at spaces. */
export function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  if (line !== "") lines.push(line);
  return lines;
}

/**
 * The `Options:` rows of `--help`, from the same table the parser reads: flags, description and
 * `(default: ...)`, wrapped to `width` columns.
 */
export function optionRows(table: readonly OptionSpec[], width = 110): string[] {
  const shorts = table.some((o) => o.short);
  const rows = table.map((o) => {
    const alias = o.short ? `-${o.short}, ` : shorts ? "    " : "";
    const fallback = o.defaultText ?? o.default;
    return {
      flags: `${alias}--${o.name}${o.value ? ` <${o.value}>` : ""}`,
      text: `${o.description}${fallback ? ` (default: ${fallback})` : ""}`,
    };
  });
  const column = Math.max(...rows.map((r) => r.flags.length)) + 2;
  return rows.map(
    (r) =>
      `  ${r.flags.padEnd(column)}${wrapText(r.text, width - column - 2).join(`\n${" ".repeat(column + 2)}`)}`,
  );
}

/** A command's `--help` page, in the layout every command shares. */
export interface HelpPage {
  /** What follows `Usage: `, e.g. `npm run cost -- --stack <name> [options]`. */
  readonly usage: string;
  /** What the command does: lines of text (wrapped by the caller, as they read best). */
  readonly about: readonly string[];
  /** The option table the parser reads: the `Options:` rows are generated from it. */
  readonly options: readonly OptionSpec[];
  /** Sections after the options, e.g. `{ title: "Writes:", lines: [...] }`. @default - none */
  readonly sections?: readonly { readonly title?: string; readonly lines: readonly string[] }[];
  /** What each exit status means, e.g. `0 done, 1 ECS refused a task, 2 bad usage.` (wrapped). @default - none */
  readonly exitStatus?: string;
}

/** The `--help` text: usage, about, the generated options, further sections, exit status; blank lines between. */
export function helpPage(page: HelpPage, width = 110): string {
  const blocks: string[][] = [
    [`Usage: ${page.usage}`],
    [...page.about],
    ["Options:", ...optionRows(page.options, width)],
    ...(page.sections ?? []).map((section) => [...(section.title ? [section.title] : []), ...section.lines]),
    ...(page.exitStatus ? [wrapText(`Exit status: ${page.exitStatus}`, width)] : []),
  ];
  return blocks
    .filter((b) => b.length > 0)
    .map((b) => b.join("\n"))
    .join("\n\n");
}

/**
 * Parses a command line whose table has a `help` option: prints the help page and returns undefined for
 * `--help`, else the parsed options. A bad option is a {@link UsageError} ending with
 * `Run <command> -- --help for the options.`
 */
export function optionsOrHelp(
  argv: readonly string[],
  command: string,
  page: HelpPage,
): ParsedOptions | undefined {
  const parsed = parseOptions(argv, page.options, `Run ${command} -- --help for the options.`);
  if (!parsed.flag("help")) return parsed;
  console.log(helpPage(page));
  return undefined;
}

/** An integer option from `min` to `max`. */
export function integerOption(name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max)
    throw new UsageError(`--${name} must be an integer from ${min} to ${max} (got "${text}")`);
  return value;
}

/** A number option from `min` to `max`. */
export function numberOption(name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value < min || value > max)
    throw new UsageError(`--${name} must be a number from ${min} to ${max} (got "${text}")`);
  return value;
}

/** A duration option with a unit (ms, s, m, h, d), in milliseconds from `minMs` to `maxMs`. */
export function durationOption(name: string, text: string, minMs: number, maxMs: number): number {
  const ms = parseDurationMs(text);
  if (ms === undefined)
    throw new UsageError(
      `--${name} must be a duration with a unit: ms, s, m, h or d, e.g. 500ms or 10s (got "${text}")`,
    );
  if (ms < minMs || ms > maxMs)
    throw new UsageError(`--${name} must be from ${minMs} ms to ${maxMs} ms (got "${text}")`);
  return ms;
}

/** Runs `parse` and reports what it throws as a {@link UsageError} (for parsers of option values). */
export function usageOf<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw err instanceof UsageError ? err : new UsageError((err as Error).message);
  }
}

/**
 * Runs `main` as the process: exits with its status; a {@link UsageError} prints its message and exits 2, any
 * other error its stack and exits 1.
 */
export function runCommand(name: string, main: (argv: string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof UsageError) {
        process.stderr.write(`${name}: ${err.message}\n`);
        process.exit(EXIT.usage);
      }
      process.stderr.write(`${name}: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(EXIT.failure);
    },
  );
}
