/**
 * One SQL text, two engines: Athena (Trino, engine v3) in the cloud and DuckDB in the local backend.
 *
 * The query files under `sql/` are written in the common subset of both dialects. Where they differ, a file
 * uses a dialect placeholder `{{macro(args)}}` that {@link renderSql} expands per engine, and named
 * parameters `:name` that become positional `?` markers (Athena `ExecutionParameters`, DuckDB prepared
 * statement values) in the order the renderer reports. Pure module: no Pulumi, no I/O.
 *
 * | placeholder                       | Athena (Trino)                                              | DuckDB                                   |
 * |-----------------------------------|-------------------------------------------------------------|------------------------------------------|
 * | `{{percentile(expr, 0.95)}}`      | `approx_percentile(expr, 0.95)`                             | `quantile_cont(expr, 0.95)`              |
 * | `{{timestamp_ms(expr)}}`          | `CAST(from_unixtime(CAST(expr AS double) / 1000) AS timestamp)` | `epoch_ms(CAST(expr AS BIGINT))`     |
 * | `{{now_ms()}}`                    | `CAST(to_unixtime(current_timestamp) * 1000 AS bigint)`     | `epoch_ms(current_timestamp)`            |
 * | `{{utc_date_days_ago(7)}}`        | `date_format(current_date - INTERVAL '7' DAY, '%Y-%m-%d')`  | `strftime(CAST(current_timestamp AT TIME ZONE 'UTC' AS DATE) - INTERVAL '7' DAY, '%Y-%m-%d')` |
 *
 * Timestamps are plain `timestamp` (no zone, UTC) in both engines, the type QuickSight reads from Athena.
 */

export type SqlEngine = "athena" | "duckdb";
export const SQL_ENGINES: readonly SqlEngine[] = ["athena", "duckdb"];

/** SQL ready for one engine. */
export interface RenderedSql {
  readonly engine: SqlEngine;
  /** The statement, with `?` for each parameter occurrence. */
  readonly text: string;
  /** Parameter names in the order of the `?` markers (a name used twice appears twice). */
  readonly parameters: readonly string[];
}

/** A value bound to a named parameter. */
export type SqlParameterValue = string | number;

interface MacroDefinition {
  readonly args: readonly string[];
  readonly describe: string;
  /** Returns a problem with the arguments, or undefined. */
  readonly check?: (args: readonly string[]) => string | undefined;
  readonly render: Readonly<Record<SqlEngine, (args: readonly string[]) => string>>;
}

const INTEGER_LITERAL = /^\d{1,4}$/;
const FRACTION_LITERAL = /^0?\.\d+$/;

/** The dialect placeholders, with what they mean. */
export const SQL_MACROS: Readonly<Record<string, MacroDefinition>> = {
  percentile: {
    args: ["expression", "fraction"],
    describe: "the given percentile of an expression (approximate in Athena, exact in DuckDB)",
    check: ([, fraction]) =>
      FRACTION_LITERAL.test(fraction ?? "")
        ? undefined
        : `fraction must be a literal between 0 and 1 such as 0.95 (got "${fraction}")`,
    render: {
      athena: ([expr, fraction]) => `approx_percentile(${expr}, ${fraction})`,
      duckdb: ([expr, fraction]) => `quantile_cont(${expr}, ${fraction})`,
    },
  },
  timestamp_ms: {
    args: ["epoch_milliseconds"],
    describe: "a UTC timestamp (without zone) from epoch milliseconds",
    render: {
      athena: ([expr]) => `CAST(from_unixtime(CAST(${expr} AS double) / 1000) AS timestamp)`,
      duckdb: ([expr]) => `epoch_ms(CAST(${expr} AS BIGINT))`,
    },
  },
  now_ms: {
    args: [],
    describe: "the current time in epoch milliseconds (bigint)",
    render: {
      athena: () => "CAST(to_unixtime(current_timestamp) * 1000 AS bigint)",
      duckdb: () => "epoch_ms(current_timestamp)",
    },
  },
  utc_date_days_ago: {
    args: ["days"],
    describe: "the UTC date N days ago as a 'YYYY-MM-DD' string, the format of the lake's dt partitions",
    check: ([days]) =>
      INTEGER_LITERAL.test(days ?? "") ? undefined : `days must be a whole number literal (got "${days}")`,
    render: {
      athena: ([days]) => `date_format(current_date - INTERVAL '${days}' DAY, '%Y-%m-%d')`,
      // DuckDB's current_date follows the session time zone; Athena's sessions are UTC.
      duckdb: ([days]) =>
        `strftime(CAST(current_timestamp AT TIME ZONE 'UTC' AS DATE) - INTERVAL '${days}' DAY, '%Y-%m-%d')`,
    },
  },
};

/** Thrown for a template that uses an unknown placeholder or malformed arguments; names the source and line. */
export class SqlTemplateError extends Error {
  constructor(source: string, line: number, message: string) {
    super(`${source}:${line}: ${message}`);
    this.name = "SqlTemplateError";
  }
}

/**
 * Expands the dialect placeholders and named parameters of a SQL template for one engine. Whole-line `--`
 * comments are dropped (they document the file, not the statement); string literals, quoted identifiers and
 * comments are never searched for placeholders.
 * @param source name used in error messages, e.g. the file name
 * @throws SqlTemplateError on an unknown placeholder, a wrong argument count or an unterminated literal
 */
export function renderSql(template: string, engine: SqlEngine, source = "<sql>"): RenderedSql {
  const lines = template.split("\n").filter((l) => !/^\s*--/.test(l));
  const sql = lines.join("\n").trim().replace(/;\s*$/, "");
  const lineOf = (index: number) => sql.slice(0, index).split("\n").length;
  let out = "";
  const parameters: string[] = [];
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    if (ch === "'" || ch === '"') {
      const end = closingQuote(sql, i);
      if (end < 0)
        throw new SqlTemplateError(
          source,
          lineOf(i),
          `unterminated ${ch === "'" ? "string literal" : "quoted identifier"}`,
        );
      out += sql.slice(i, end + 1);
      i = end + 1;
    } else if (sql.startsWith("--", i)) {
      const end = sql.indexOf("\n", i);
      out += sql.slice(i, end < 0 ? sql.length : end);
      i = end < 0 ? sql.length : end;
    } else if (sql.startsWith("{{", i)) {
      const end = sql.indexOf("}}", i);
      if (end < 0)
        throw new SqlTemplateError(source, lineOf(i), 'placeholder "{{" is never closed with "}}"');
      out += expandMacro(sql.slice(i + 2, end).trim(), engine, source, lineOf(i));
      i = end + 2;
    } else if (ch === ":" && /[A-Za-z_]/.test(sql[i + 1] ?? "") && sql[i - 1] !== ":") {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i + 1))![0];
      parameters.push(name);
      out += "?";
      i += 1 + name.length;
    } else {
      out += ch;
      i++;
    }
  }
  return { engine, text: out, parameters };
}

function closingQuote(sql: string, start: number): number {
  const quote = sql[start]!;
  for (let j = start + 1; j < sql.length; j++) {
    if (sql[j] === quote) {
      if (sql[j + 1] === quote)
        j++; // doubled quote: an escaped quote inside the literal
      else return j;
    }
  }
  return -1;
}

function expandMacro(body: string, engine: SqlEngine, source: string, line: number): string {
  const match = /^([a-z_]+)\s*\(([\s\S]*)\)$/.exec(body);
  if (!match)
    throw new SqlTemplateError(source, line, `placeholder "{{${body}}}" must look like {{name(arguments)}}`);
  const [, name, argText] = match as unknown as [string, string, string];
  const macro = SQL_MACROS[name];
  if (!macro) {
    throw new SqlTemplateError(
      source,
      line,
      `unknown placeholder "${name}"; known placeholders: ${Object.keys(SQL_MACROS).join(", ")}`,
    );
  }
  const args = splitArguments(argText);
  if (args.length !== macro.args.length) {
    throw new SqlTemplateError(
      source,
      line,
      `{{${name}}} takes ${macro.args.length} argument${macro.args.length === 1 ? "" : "s"} (${macro.args.join(", ") || "none"}), got ${args.length}`,
    );
  }
  const problem = macro.check?.(args);
  if (problem) throw new SqlTemplateError(source, line, `{{${name}}}: ${problem}`);
  return macro.render[engine](args);
}

/** Splits macro arguments on top-level commas (commas inside parentheses or literals belong to an argument). */
function splitArguments(text: string): string[] {
  if (text.trim() === "") return [];
  const args: string[] = [];
  let depth = 0;
  let current = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "'" || ch === '"') {
      const end = closingQuote(text, i);
      const stop = end < 0 ? text.length - 1 : end;
      current += text.slice(i, stop + 1);
      i = stop;
      continue;
    }
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      args.push(current.trim());
      current = "";
    } else {
      current += ch;
    }
  }
  args.push(current.trim());
  return args;
}

function checkedValues(
  rendered: RenderedSql,
  values: Readonly<Record<string, SqlParameterValue>>,
): SqlParameterValue[] {
  const missing = [...new Set(rendered.parameters.filter((p) => values[p] === undefined))];
  if (missing.length > 0) {
    throw new Error(
      `SQL parameter${missing.length === 1 ? "" : "s"} ${missing.map((m) => `:${m}`).join(", ")} not given a value`,
    );
  }
  return rendered.parameters.map((p) => {
    const value = values[p]!;
    if (typeof value === "number" && !Number.isFinite(value))
      throw new Error(`SQL parameter :${p} must be a finite number (got ${value})`);
    return value;
  });
}

/**
 * Athena `ExecutionParameters` for a rendered statement: each value as the SQL literal Athena substitutes for
 * its `?` (numbers as written, strings single-quoted with quotes doubled).
 */
export function athenaExecutionParameters(
  rendered: RenderedSql,
  values: Readonly<Record<string, SqlParameterValue>>,
): string[] {
  return checkedValues(rendered, values).map((v) =>
    typeof v === "number" ? String(v) : `'${v.replace(/'/g, "''")}'`,
  );
}

/** DuckDB prepared-statement values for a rendered statement, in `?` order. */
export function positionalParameters(
  rendered: RenderedSql,
  values: Readonly<Record<string, SqlParameterValue>>,
): SqlParameterValue[] {
  return checkedValues(rendered, values);
}
