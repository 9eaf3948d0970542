/**
 * Local Athena: the analytics queries (`components/analytics/queries.ts`) run in DuckDB over the local lake,
 * with the tables both backends give them (`telemetry`, `curated_readings`, `anomalies`) as DuckDB views over
 * the zones' files:
 *
 * - `telemetry`: the raw zone's Parquet, partition columns from the folders as text (Athena's partition
 *   projection makes them `string` too);
 * - `curated_readings`: the curate job's Parquet (the curated crawler's table);
 * - `anomalies`: the scoring function's JSON lines, partitioned by room and day.
 *
 * A zone with no files yet is an empty view with the declared columns. A state machine's
 * `athena:startQueryExecution.sync` Task is answered by recognising the rendered named query it carries and
 * running that query's DuckDB rendering with the same parameter values; results are written as Athena writes
 * them (CSV with a header, every value quoted) under the results bucket's `athena/` prefix.
 */
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import {
  ANALYTICS_QUERIES,
  renderQuery,
  scoringInputColumns,
  ScoringQueryContext,
  SourceTable,
} from "../../components/analytics/queries";
import { positionalParameters, SqlParameterValue } from "../../components/analytics/sql-dialect";
import { ETL_VIEWS, duckDbType } from "../../components/etl/transforms";
import { LAKE_ZONES, LakeZone } from "../../components/lake/layout";
import { ANOMALY_RECORD_COLUMNS } from "../../components/ml/anomaly-record";
import { duckDbColumns } from "../../components/telemetry/schema";
import type { LocalObjectStore } from "../lake/object-store";

type Row = Record<string, unknown>;

interface TableSource {
  readonly zone: LakeZone;
  readonly format: "parquet" | "json";
  /** Columns inside the files, with DuckDB types. */
  readonly columns: readonly { readonly name: string; readonly type: string }[];
  /** Partition folders (text columns). */
  readonly partitions: readonly string[];
}

function tableSources(): Record<SourceTable, TableSource> {
  return {
    telemetry: {
      zone: "telemetry",
      format: "parquet",
      columns: duckDbColumns().filter((c) => c.name !== "room_id"),
      partitions: ["room_id", "dt"],
    },
    curated_readings: {
      zone: "curatedReadings",
      format: "parquet",
      columns: ETL_VIEWS.curated_readings
        .filter((c) => c.name !== "room_id")
        .map((c) => ({ name: c.name, type: duckDbType(c.type) })),
      partitions: ["room_id"],
    },
    anomalies: {
      zone: "anomalies",
      format: "json",
      columns: ANOMALY_RECORD_COLUMNS.map((c) => ({ name: c.name, type: c.duckDbType })),
      partitions: ["room_id", "dt"],
    },
  };
}

const q = (text: string) => `'${text.replace(/'/g, "''")}'`;

export class LocalAthena {
  private readonly sources = tableSources();
  /** Queries run, for the summary and the dashboard. */
  readonly stats = { queries: 0, failures: 0, lastError: null as string | null };
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly duck: DuckDBConnection,
    private readonly store: LocalObjectStore,
    /** The model settings the scoring input query renders with (as the named query is deployed). */
    private readonly model: ScoringQueryContext,
  ) {}

  static async open(
    instance: DuckDBInstance,
    store: LocalObjectStore,
    model: ScoringQueryContext,
  ): Promise<LocalAthena> {
    return new LocalAthena(await instance.connect(), store, model);
  }

  /** (Re)defines the table views over whatever files the zones hold now. */
  private async refreshViews(tables: readonly SourceTable[]): Promise<void> {
    for (const table of tables) {
      const source = this.sources[table];
      const folder = this.store.zonePath(source.zone);
      const extension = source.format === "parquet" ? ".parquet" : ".json";
      const hasFiles =
        fs.existsSync(folder) &&
        fs
          .readdirSync(folder, { recursive: true, withFileTypes: true })
          .some((e) => e.isFile() && e.name.endsWith(extension) && !e.name.startsWith("."));
      const columns = [...source.columns.map((c) => `${c.name}`), ...source.partitions].join(", ");
      let body: string;
      if (!hasFiles) {
        body = `SELECT ${[...source.columns.map((c) => `CAST(NULL AS ${c.type}) AS ${c.name}`), ...source.partitions.map((p) => `CAST(NULL AS VARCHAR) AS ${p}`)].join(", ")} WHERE false`;
      } else if (source.format === "parquet") {
        body = `SELECT ${columns} FROM read_parquet(${q(path.join(folder, "**", `*${extension}`))}, hive_partitioning = true, hive_types_autocast = false, union_by_name = true)`;
      } else {
        const types = source.columns.map((c) => `${c.name}: '${c.type}'`).join(", ");
        body = `SELECT ${columns} FROM read_json(${q(path.join(folder, "**", `*${extension}`))}, format = 'newline_delimited', columns = {${types}}, hive_partitioning = true, hive_types_autocast = false)`;
      }
      await this.duck.run(`CREATE OR REPLACE TEMP VIEW ${table} AS ${body}`);
    }
  }

  /** Runs a named query (its DuckDB rendering) with named parameter values; rows as plain JS values. */
  async runNamed(name: string, values: Readonly<Record<string, SqlParameterValue>> = {}): Promise<Row[]> {
    const query = ANALYTICS_QUERIES.find((q) => q.name === name);
    if (!query) throw new Error(`no analytics query "${name}"`);
    const rendered = renderQuery(name, "duckdb", this.model);
    return this.execute(query.reads, rendered.text, positionalParameters(rendered, values));
  }

  /** Runs ad-hoc SQL over the same views (the dashboard's small aggregates, the summary's row counts). */
  async sql(
    text: string,
    reads: readonly SourceTable[] = ["telemetry", "curated_readings", "anomalies"],
  ): Promise<Row[]> {
    return this.execute(reads, text, []);
  }

  /** One query at a time on the connection: a view refresh must not swap a view under a running query. */
  private execute(
    reads: readonly SourceTable[],
    text: string,
    values: readonly SqlParameterValue[],
  ): Promise<Row[]> {
    const run = this.queue.then(() => this.executeNow(reads, text, values));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async executeNow(
    reads: readonly SourceTable[],
    text: string,
    values: readonly SqlParameterValue[],
  ): Promise<Row[]> {
    this.stats.queries++;
    try {
      await this.refreshViews(reads);
      const result = await this.duck.runAndReadAll(text, values.length > 0 ? [...values] : undefined);
      return result
        .getRowObjectsJS()
        .map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, plain(v)])));
    } catch (err) {
      this.stats.failures++;
      this.stats.lastError = (err as Error).message;
      throw err;
    }
  }

  /** Rows in files of the lake (a zone's files, or the objects one run delivered). */
  async countRows(files: readonly string[], format: "parquet" | "json" | "csv"): Promise<number> {
    if (files.length === 0) return 0;
    const list = `[${files.map(q).join(", ")}]`;
    const relation =
      format === "parquet"
        ? `read_parquet(${list})`
        : format === "json"
          ? `read_json(${list}, format = 'newline_delimited')`
          : `read_csv(${list}, header = false)`;
    const rows = await this.execute([], `SELECT count(*) AS n FROM ${relation}`, []);
    return Number(rows[0]!.n);
  }

  /** Data files of a zone (hidden and `_`-prefixed files skipped). */
  zoneFiles(zone: LakeZone, extension: string): string[] {
    const folder = this.store.zonePath(zone);
    if (!fs.existsSync(folder)) return [];
    return fs
      .readdirSync(folder, { recursive: true, withFileTypes: true })
      .filter(
        (e) => e.isFile() && e.name.endsWith(extension) && !e.name.startsWith(".") && !e.name.startsWith("_"),
      )
      .map((e) => path.join(e.parentPath, e.name))
      .sort();
  }

  /**
   * `athena:startQueryExecution.sync`: the Task's QueryString must be the Athena rendering of a named query;
   * its `ExecutionParameters` (Athena literals) become the DuckDB values.
   */
  async startQueryExecutionSync(input: {
    QueryString: string;
    ExecutionParameters?: readonly string[];
  }): Promise<{
    QueryExecution: {
      QueryExecutionId: string;
      Status: { State: "SUCCEEDED" };
      ResultConfiguration: { OutputLocation: string };
      Query: string;
    };
  }> {
    const match = ANALYTICS_QUERIES.map((q) => ({
      query: q,
      athena: renderQuery(q.name, "athena", this.model),
    })).find((c) => normalize(c.athena.text) === normalize(input.QueryString));
    if (!match) {
      throw Object.assign(
        new Error(
          "the local Athena runs only the named analytics queries (components/analytics/sql), and this QueryString is none of them",
        ),
        { name: "Athena.InvalidRequestException" },
      );
    }
    const literals = input.ExecutionParameters ?? [];
    if (literals.length !== match.athena.parameters.length) {
      throw Object.assign(
        new Error(
          `${match.query.name} takes ${match.athena.parameters.length} ExecutionParameters, got ${literals.length}`,
        ),
        { name: "Athena.InvalidRequestException" },
      );
    }
    const duckdb = renderQuery(match.query.name, "duckdb", this.model);
    const byName = Object.fromEntries(
      match.athena.parameters.map((name, i) => [name, fromAthenaLiteral(literals[i]!)]),
    );
    const rows = await this.execute(match.query.reads, duckdb.text, positionalParameters(duckdb, byName));
    const id = randomUUID();
    const bucket = this.store.bucketNames[LAKE_ZONES.athenaResults.bucket];
    const key = `${LAKE_ZONES.athenaResults.prefix}${id}.csv`;
    const header = (
      match.query.name === "scoring_input" ? scoringInputColumns(this.model) : match.query.columns
    ).map((c) => c.name);
    const quote = (v: unknown) => `"${v === null || v === undefined ? "" : String(v).replace(/"/g, '""')}"`;
    const csv = [
      header.map(quote).join(","),
      ...rows.map((r) => header.map((c) => quote(r[c])).join(",")),
    ].join("\n");
    this.store.put(bucket, key, `${csv}\n`);
    return {
      QueryExecution: {
        QueryExecutionId: id,
        Status: { State: "SUCCEEDED" },
        ResultConfiguration: { OutputLocation: `s3://${bucket}/${key}` },
        Query: input.QueryString,
      },
    };
  }

  close(): void {
    this.duck.closeSync();
  }
}

function normalize(sql: string): string {
  return sql.replace(/\s+/g, " ").trim();
}

/** An Athena execution parameter literal: `'text'` (quotes doubled) or a number. */
export function fromAthenaLiteral(literal: string): SqlParameterValue {
  const text = /^'((?:[^']|'')*)'$/.exec(literal);
  if (text) return text[1]!.replace(/''/g, "'");
  const number = Number(literal);
  if (literal.trim() === "" || !Number.isFinite(number))
    throw new Error(`ExecutionParameters value ${literal} is neither a quoted string nor a number`);
  return number;
}

/** DuckDB values to JSON-friendly ones (BIGINT arrives as bigint, timestamps as Date). */
function plain(value: unknown): unknown {
  if (typeof value === "bigint")
    return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Date) return value.toISOString();
  return value;
}
