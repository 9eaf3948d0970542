/**
 * The ETL transforms: which SQL each job runs, over which views, into which lake zone. Written once and run
 * by both backends:
 *
 * - AWS: the Glue jobs run `functions/glue/etl_job.py`, which reads a job spec built from {@link ETL_JOBS}
 *   (`job-spec.ts`), registers each source as a Spark temp view named as below, runs each step's SQL file
 *   (rendered by {@link renderEtlSql}, uploaded to S3) with `spark.sql`, registers the result under the
 *   step's view name and writes it to the step's zone.
 * - Local: DuckDB registers the same views over the local lake, runs {@link DUCKDB_COMPAT_MACROS} once,
 *   then the same rendered SQL text, and writes the same zones.
 *
 * The convention, which every file in `sql/` states in its header:
 * - A SQL file is one SELECT (CTEs allowed), no trailing semicolon, reading only views named in
 *   {@link ETL_VIEWS}; its result becomes the view its step names.
 * - Only SQL that Spark SQL (3.3+, Glue 4/5) and DuckDB (1.x) both accept: unquoted lowercase identifiers,
 *   CAST/TRY_CAST to STRING/INT/BIGINT/DOUBLE/TIMESTAMP, CASE, COALESCE, NULLIF, TRIM, BETWEEN, UNION ALL,
 *   window functions (ROW_NUMBER, LAG); string literals without backslashes (Spark treats `\` as an escape,
 *   DuckDB does not); no QUALIFY, no `::` casts. Three Spark functions are used by name and defined for
 *   DuckDB as macros: `unix_millis(timestamp)`, `timestamp_millis(bigint)`, `rlike(text, pattern)`.
 * - Times are UTC: the Glue job sets `spark.sql.session.timeZone=UTC`; DuckDB TIMESTAMPs have no zone.
 * - Double-brace tokens are filled by {@link renderEtlSql} before either engine sees the text.
 */
import * as fs from "fs";
import * as path from "path";
import type { LakeZone } from "../lake/layout";
import {
  completeVectorCondition,
  DEFAULT_FEATURES,
  FeatureSettings,
  renderFeatureRows,
  vectorColumns,
} from "../ml/feature-sql";
import { TELEMETRY_FIELDS, telemetryField } from "../telemetry/schema";
import {
  ColumnDefinition,
  ColumnType,
  HISTORICAL_TABLE_COLUMNS,
  LANDING_CSV_COLUMNS,
} from "../sources/historical-schema";

/** SQL files in `components/etl/sql/`, without extension. */
export type EtlSqlName = "import_historical_s3" | "import_historical_jdbc" | "curate" | "training";
export const ETL_SQL_NAMES: readonly EtlSqlName[] = [
  "import_historical_s3",
  "import_historical_jdbc",
  "curate",
  "training",
];

/** Views the SQL reads and produces. */
export type EtlViewName =
  | "landing_csv"
  | "jdbc_readings"
  | "live_readings"
  | "historical_s3"
  | "historical_jdbc"
  | "curated_readings"
  | "training_rows";

const column = (name: string, type: ColumnType, description: string, required = true): ColumnDefinition => ({
  name,
  type,
  description,
  required,
});

/** Canonical historical reading: what both imports produce and store in the raw zone. */
const HISTORICAL_READING: readonly ColumnDefinition[] = [
  column("device_id", "string", "Sensor ID ('historical' when the source had none)"),
  column("room_id", "string", "Room ID"),
  column("ts", "bigint", "Time of the reading, ms since epoch (UTC)"),
  column("temperature_c", "double", "Air temperature [°C]"),
  column("humidity_pct", "double", "Relative humidity [%RH]", false),
];

/** Columns of each view, in order: the empty view a source with no data yet becomes, and the local catalog. */
export const ETL_VIEWS: Readonly<Record<EtlViewName, readonly ColumnDefinition[]>> = {
  landing_csv: LANDING_CSV_COLUMNS,
  jdbc_readings: HISTORICAL_TABLE_COLUMNS,
  live_readings: TELEMETRY_FIELDS.map((f) => column(f.name, f.type, f.description, f.required)),
  historical_s3: HISTORICAL_READING,
  historical_jdbc: HISTORICAL_READING,
  curated_readings: [
    column("room_id", "string", "Room ID"),
    column("device_id", "string", "Sensor ID"),
    column("ts", "bigint", "Time of the reading, ms since epoch (UTC)"),
    column("reading_time", "timestamp", "Time of the reading (UTC)"),
    column("temperature_c", "double", "Air temperature [°C]"),
    column("humidity_pct", "double", "Relative humidity [%RH]", false),
    column("battery_pct", "double", "Battery charge [%] (live readings only)", false),
    column("rssi_dbm", "int", "Signal strength [dBm] (live readings only)", false),
    column("status", "string", "Device status (live readings only)", false),
    column("source", "string", "Where the reading came from: live, jdbc or s3"),
  ],
  training_rows: [
    column("room_id", "string", "Room ID (the folder, not a CSV column)"),
    column(
      "deviation_c",
      "double",
      "Vector columns: components/ml/sql/features.sql (this one for the default set)",
    ),
  ],
};

/** Where a job's input comes from. */
export type EtlSourceKind = "landing-csv" | "jdbc" | "lake-parquet";

export interface EtlSource {
  readonly view: EtlViewName;
  readonly kind: EtlSourceKind;
  /** The lake zone read (for `lake-parquet`). */
  readonly zone?: LakeZone;
}

export interface EtlStep {
  readonly sql: EtlSqlName;
  /** The view the result is registered as (later steps may read it). */
  readonly view: EtlViewName;
  readonly output: {
    readonly zone: LakeZone;
    readonly format: "parquet" | "csv";
    /** Columns that become `<column>=<value>/` folders. */
    readonly partitionBy: readonly string[];
    /** `append` for incremental imports (bookmarks read new input only), `overwrite` for full recomputes. */
    readonly mode: "append" | "overwrite";
    /** CSV only: write a header row. */
    readonly header: boolean;
  };
}

export type EtlJobKey = "s3Import" | "jdbcImport" | "curate";

/** The crawlers the state machine runs, by what they crawl: each import's output, and the curated readings. */
export type EtlCrawlerKey = "s3History" | "jdbcHistory" | "curated";

export interface EtlJobDefinition {
  readonly key: EtlJobKey;
  readonly description: string;
  readonly sources: readonly EtlSource[];
  readonly steps: readonly EtlStep[];
  /** Glue job bookmarks: read only input not seen by a previous successful run. */
  readonly bookmarks: boolean;
}

/** The three Glue jobs, as data. */
export const ETL_JOBS: Readonly<Record<EtlJobKey, EtlJobDefinition>> = {
  s3Import: {
    key: "s3Import",
    description:
      "Historical CSV files from the landing prefix into the raw zone's historical/s3/ (Parquet per room)",
    sources: [{ view: "landing_csv", kind: "landing-csv" }],
    steps: [
      {
        sql: "import_historical_s3",
        view: "historical_s3",
        output: {
          zone: "historicalS3",
          format: "parquet",
          partitionBy: ["room_id"],
          mode: "append",
          header: false,
        },
      },
    ],
    bookmarks: true,
  },
  jdbcImport: {
    key: "jdbcImport",
    description:
      "New rows of the historical database's readings table into the raw zone's historical/jdbc/ (Parquet per room)",
    sources: [{ view: "jdbc_readings", kind: "jdbc" }],
    steps: [
      {
        sql: "import_historical_jdbc",
        view: "historical_jdbc",
        output: {
          zone: "historicalJdbc",
          format: "parquet",
          partitionBy: ["room_id"],
          mode: "append",
          header: false,
        },
      },
    ],
    bookmarks: true,
  },
  curate: {
    key: "curate",
    description:
      "Live and historical readings merged and de-duplicated: Parquet per room for BI, CSV per room for training",
    sources: [
      { view: "live_readings", kind: "lake-parquet", zone: "telemetry" },
      { view: "historical_s3", kind: "lake-parquet", zone: "historicalS3" },
      { view: "historical_jdbc", kind: "lake-parquet", zone: "historicalJdbc" },
    ],
    steps: [
      {
        sql: "curate",
        view: "curated_readings",
        output: {
          zone: "curatedReadings",
          format: "parquet",
          partitionBy: ["room_id"],
          mode: "overwrite",
          header: false,
        },
      },
      {
        sql: "training",
        view: "training_rows",
        output: {
          zone: "training",
          format: "csv",
          partitionBy: ["room_id"],
          mode: "overwrite",
          header: false,
        },
      },
    ],
    // A full recompute: de-duplication across sources needs every reading, not only the new ones.
    bookmarks: false,
  },
};

/** Settings that shape the rendered SQL. */
export interface EtlSqlParams {
  /** How readings become the model's vectors (the model settings' `features`). @default DEFAULT_FEATURES */
  readonly features?: FeatureSettings;
}

/** The SQL file's text as stored, tokens unfilled. */
export function readSqlTemplate(name: EtlSqlName): string {
  return fs.readFileSync(path.join(__dirname, "sql", `${name}.sql`), "utf8");
}

/**
 * The SQL text both engines run: the file with its tokens filled from the telemetry schema's limits and the
 * model's feature settings. Throws on an unknown or unfilled token, so a typo never reaches an engine.
 */
export function renderEtlSql(name: EtlSqlName, params: EtlSqlParams = {}): string {
  return fillSqlTokens(name, readSqlTemplate(name), params);
}

/** Fills the tokens of a SQL template (`name` is only for messages). */
export function fillSqlTokens(name: string, template: string, params: EtlSqlParams): string {
  const features = params.features ?? DEFAULT_FEATURES;
  const tokens: Record<string, string> = {
    vector_columns: vectorColumns(features).join(", "),
    feature_rows: renderFeatureRows(features, "curated_readings", [
      "room_id",
      "device_id",
      "ts",
      "temperature_c",
    ]),
    vector_complete: completeVectorCondition(features),
  };
  const text = template.replace(
    /\{\{([a-z_]+)(?:\.(min|max))?\}\}/g,
    (match, key: string, bound?: "min" | "max") => {
      if (bound) {
        const value = telemetryField(key)[bound];
        if (value === undefined)
          throw new Error(`${name}.sql: telemetry field ${key} has no ${bound} (token ${match})`);
        return String(value);
      }
      const value = tokens[key];
      if (value === undefined) throw new Error(`${name}.sql: unknown token ${match}`);
      return value;
    },
  );
  const left = text.indexOf("{{");
  if (left >= 0) throw new Error(`${name}.sql: malformed token near "${text.slice(left, left + 30)}"`);
  if (/;\s*$/.test(text))
    throw new Error(
      `${name}.sql must not end with a semicolon (Spark's sql() takes one statement without it)`,
    );
  return text;
}

/**
 * Run once per DuckDB connection before any ETL SQL: the three Spark functions the SQL uses, by the same
 * names and meaning (Spark's are built in).
 */
export const DUCKDB_COMPAT_MACROS: readonly string[] = [
  // Spark: milliseconds since the epoch of a TIMESTAMP (UTC), BIGINT.
  "CREATE OR REPLACE MACRO unix_millis(t) AS epoch_ms(t)",
  // Spark: the TIMESTAMP of a number of milliseconds since the epoch.
  "CREATE OR REPLACE MACRO timestamp_millis(ms) AS epoch_ms(CAST(ms AS BIGINT))",
  // Spark: true when the pattern matches anywhere in the text (Java regex; the SQL uses the subset RE2 shares).
  "CREATE OR REPLACE MACRO rlike(s, pattern) AS regexp_matches(s, pattern)",
];

/** DuckDB type of a column type. */
export function duckDbType(type: ColumnType): "VARCHAR" | "BIGINT" | "INTEGER" | "DOUBLE" | "TIMESTAMP" {
  return (
    { string: "VARCHAR", bigint: "BIGINT", int: "INTEGER", double: "DOUBLE", timestamp: "TIMESTAMP" } as const
  )[type];
}
