/**
 * Runs one ETL Glue job locally in DuckDB, from the same job spec the cloud job receives as `--job_spec`
 * (`components/etl/job-spec.ts`) and the same SQL files it reads from the artifacts bucket, doing what
 * `functions/glue/etl_job.py` does with Spark:
 *
 * - each source becomes a view with the spec's columns (a missing required column fails the job, a missing
 *   optional one is NULL, each is cast to its type); a lake zone without data yet is an empty view;
 * - landing CSV and JDBC sources are incremental with job bookmarks (files already read, rows up to the last
 *   `reading_id` read), committed only when the whole job succeeded;
 * - each step's SQL result becomes its view and is written to its zone (Parquet or CSV, partitioned,
 *   `append` adds files, `overwrite` replaces the zone's content).
 */
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import {
  conformPlan,
  type GlueJobSpec,
  type GlueSourceSpec,
  type GlueStepSpec,
} from "../../components/etl/job-spec";
import { duckDbType } from "../../components/etl/transforms";
import type { LocalObjectStore } from "../lake/object-store";
import { readJdbcTable, type JdbcConnection } from "./jdbc-source";

/** What a job has read before, by source view. */
export interface JobBookmarks {
  /** Landing files read (key → modification time, ms). */
  readonly files?: Readonly<Record<string, number>>;
  /** Largest bookmark key value read, per JDBC source. */
  readonly lastKey?: number;
}

export interface JobRunResult {
  /** Rows written per step view. */
  readonly rows: Readonly<Record<string, number>>;
  /** The bookmarks to commit (only when the job succeeded). */
  readonly bookmarks: Readonly<Record<string, JobBookmarks>>;
}

export interface JobRunContext {
  readonly duck: DuckDBConnection;
  readonly store: LocalObjectStore;
  /** Glue connections by name (the JDBC source's `connection_name`). */
  readonly connections: ReadonlyMap<string, JdbcConnection>;
  /** Bookmarks of the previous successful run, by source view. @default - none */
  readonly bookmarks?: Readonly<Record<string, JobBookmarks>>;
  /** Whether the job uses bookmarks (ETL_JOBS[job].bookmarks). */
  readonly useBookmarks: boolean;
  /** Folder for temporary files. */
  readonly scratchDir: string;
}

const q = (text: string) => `'${text.replace(/'/g, "''")}'`;
const ident = (name: string) => {
  if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new Error(`"${name}" is not a lowercase identifier`);
  return name;
};

export async function runGlueJob(spec: GlueJobSpec, context: JobRunContext): Promise<JobRunResult> {
  const bookmarks: Record<string, JobBookmarks> = {};
  for (const source of spec.sources) {
    bookmarks[source.view] = await registerSource(source, context);
  }
  const rows: Record<string, number> = {};
  for (const step of spec.steps) rows[step.view] = await runStep(step, context);
  return { rows, bookmarks };
}

function emptySelect(columns: GlueSourceSpec["columns"]): string {
  return `SELECT ${columns.map((c) => `CAST(NULL AS ${duckDbType(c.type)}) AS ${ident(c.name)}`).join(", ")} WHERE false`;
}

/** `SELECT` conforming a relation to the spec's columns, by the plan the Glue script's `conform()` follows. */
function conformSelect(
  available: readonly string[],
  columns: GlueSourceSpec["columns"],
  relation: string,
  where: string,
): string {
  const items = conformPlan(columns, available, where).map(
    (c) =>
      `CAST(${c.source !== null ? `"${c.source.replace(/"/g, '""')}"` : "NULL"} AS ${duckDbType(c.type)}) AS ${ident(c.name)}`,
  );
  return `SELECT ${items.join(", ")} FROM ${relation}`;
}

async function columnsOf(duck: DuckDBConnection, relation: string): Promise<string[]> {
  const described = await duck.runAndReadAll(`DESCRIBE SELECT * FROM ${relation}`);
  return described.getRowObjectsJS().map((r) => String(r.column_name));
}

/** Files under a folder with one of the extensions (recursively), hidden and `_`-prefixed files skipped as Spark does. */
function filesUnder(dir: string, extensions: readonly string[]): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter(
      (e) =>
        e.isFile() &&
        !e.name.startsWith(".") &&
        !e.name.startsWith("_") &&
        extensions.some((x) => e.name.endsWith(x)),
    )
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

async function registerSource(source: GlueSourceSpec, context: JobRunContext): Promise<JobBookmarks> {
  const { duck, store } = context;
  const view = ident(source.view);
  const previous = context.useBookmarks ? context.bookmarks?.[source.view] : undefined;
  if (source.kind === "landing-csv") {
    const folder = store.pathOfUri(source.path);
    const all = filesUnder(folder, [".csv"]).map((file) => ({
      file,
      key: path.relative(folder, file),
      mtime: fs.statSync(file).mtimeMs,
    }));
    const fresh = all.filter((f) => previous?.files?.[f.key] !== f.mtime);
    if (fresh.length === 0) {
      await duck.run(`CREATE OR REPLACE TEMP VIEW ${view} AS ${emptySelect(source.columns)}`);
    } else {
      // Every value as text, header required, files with different column orders aligned by name.
      const relation = `read_csv([${fresh.map((f) => q(f.file)).join(", ")}], header = true, all_varchar = true, union_by_name = true)`;
      const select = conformSelect(
        await columnsOf(duck, relation),
        source.columns,
        relation,
        `CSV files under ${source.path}`,
      );
      await duck.run(`CREATE OR REPLACE TEMP TABLE ${view} AS ${select}`);
    }
    return {
      files: { ...(previous?.files ?? {}), ...Object.fromEntries(fresh.map((f) => [f.key, f.mtime])) },
    };
  }
  if (source.kind === "jdbc") {
    const connection = context.connections.get(source.connection_name);
    if (!connection)
      throw new Error(
        `Glue connection ${source.connection_name} does not exist locally (known: ${[...context.connections.keys()].join(", ")})`,
      );
    const read = await readJdbcTable(connection, source, previous?.lastKey ?? null);
    const columnDefs = source.columns.map((c) => `${ident(c.name)} ${duckDbType(c.type)}`).join(", ");
    await duck.run(`CREATE OR REPLACE TEMP TABLE ${view} (${columnDefs})`);
    if (read.rows.length > 0) {
      // JSON carries the values, DuckDB casts them to the column types (timestamps arrive as text).
      fs.mkdirSync(context.scratchDir, { recursive: true });
      const staging = path.join(context.scratchDir, `${view}-${randomUUID()}.json`);
      fs.writeFileSync(staging, read.rows.map((r) => JSON.stringify(r)).join("\n"));
      try {
        const casts = source.columns.map((c) => `CAST(${ident(c.name)} AS ${duckDbType(c.type)})`).join(", ");
        const types = source.columns.map((c) => `${ident(c.name)}: 'VARCHAR'`).join(", ");
        await duck.run(
          `INSERT INTO ${view} SELECT ${casts} FROM read_json(${q(staging)}, format = 'newline_delimited', columns = {${types}})`,
        );
      } finally {
        fs.rmSync(staging, { force: true });
      }
    }
    return { lastKey: read.lastKey ?? previous?.lastKey };
  }
  // lake-parquet: the zone's Parquet files with hive partitions as text columns; none yet is an empty view.
  const folder = store.pathOfUri(source.path);
  const files = filesUnder(folder, [".parquet"]);
  if (files.length === 0) {
    await duck.run(`CREATE OR REPLACE TEMP VIEW ${view} AS ${emptySelect(source.columns)}`);
  } else {
    const relation = `read_parquet(${q(path.join(folder, "**", "*.parquet"))}, hive_partitioning = true, hive_types_autocast = false, union_by_name = true)`;
    const select = conformSelect(
      await columnsOf(duck, relation),
      source.columns,
      relation,
      `Parquet under ${source.path}`,
    );
    await duck.run(`CREATE OR REPLACE TEMP VIEW ${view} AS ${select}`);
  }
  return {};
}

async function runStep(step: GlueStepSpec, context: JobRunContext): Promise<number> {
  const { duck, store } = context;
  const view = ident(step.view);
  const sqlUri = /^s3:\/\/([^/]+)\/(.+)$/.exec(step.sql_uri);
  if (!sqlUri) throw new Error(`step ${view}: sql_uri ${step.sql_uri} is not an s3:// object URI`);
  const sql = store.get(sqlUri[1]!, sqlUri[2]!).body.toString("utf8");
  await duck.run(`CREATE OR REPLACE TEMP TABLE ${view} AS ${sql}`);
  const count = Number(
    (await duck.runAndReadAll(`SELECT count(*) AS n FROM ${view}`)).getRowObjectsJS()[0]!.n,
  );
  const output = step.output;
  const folder = store.pathOfUri(output.path);
  if (output.mode === "overwrite") fs.rmSync(folder, { recursive: true, force: true });
  if (count === 0) return 0;
  fs.mkdirSync(folder, { recursive: true });
  const partitioned = output.partition_by.length > 0;
  const options = [
    output.format === "parquet"
      ? "FORMAT PARQUET, COMPRESSION SNAPPY"
      : `FORMAT CSV, HEADER ${output.header ? "true" : "false"}`,
    // A new name per file, so `append` never replaces what an earlier run wrote.
    ...(partitioned
      ? [
          `PARTITION_BY (${output.partition_by.map(ident).join(", ")})`,
          "FILENAME_PATTERN 'part-{uuid}'",
          "OVERWRITE_OR_IGNORE true",
        ]
      : []),
  ];
  // DuckDB writes into a staging folder outside the bucket folders; the finished files are then renamed into
  // place one by one (a rename is atomic), so a run killed mid-write never leaves a half-written file where
  // crawlers and the next job read.
  const staging = path.join(store.root, ".staging", randomUUID());
  fs.mkdirSync(staging, { recursive: true });
  try {
    const target = partitioned ? staging : path.join(staging, `part-${randomUUID()}.${output.format}`);
    await duck.run(`COPY (SELECT * FROM ${view}) TO ${q(target)} (${options.join(", ")})`);
    for (const entry of fs.readdirSync(staging, { withFileTypes: true, recursive: true })) {
      if (!entry.isFile()) continue;
      const from = path.join(entry.parentPath, entry.name);
      const to = path.join(folder, path.relative(staging, from));
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.renameSync(from, to);
    }
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  store.stampTree(folder);
  return count;
}
