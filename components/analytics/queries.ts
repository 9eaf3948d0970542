/**
 * The analytics queries: which SQL files exist, what each one is for, and (for views) the columns it
 * returns. Both backends take their SQL from here: the Athena component makes a named query of every entry
 * and a catalog view of every view; the local backend runs the same text in DuckDB. Pure apart from reading
 * the SQL files that ship beside this module.
 */
import * as fs from "fs";
import * as path from "path";
import { renderSql, RenderedSql, SqlEngine } from "./sql-dialect";
import { TELEMETRY_FIELDS, TelemetryFieldType } from "../telemetry/schema";
import { renderFeatureRows, vectorColumns } from "../ml/feature-sql";
import type { ModelSettings } from "../ml/model-settings";

/** Directory of the SQL files. */
export const SQL_DIR = path.join(__dirname, "sql");

/** Column types as Athena (Presto/Trino) names them in a view definition. */
export type PrestoType = "varchar" | "bigint" | "integer" | "double" | "timestamp";

/** The Athena type of each telemetry schema type. */
const PRESTO_TYPES: Readonly<Record<TelemetryFieldType, PrestoType>> = {
  string: "varchar",
  bigint: "bigint",
  int: "integer",
  double: "double",
};

/** The Glue (Hive) type a view column is catalogued as. */
export function hiveType(type: PrestoType): string {
  return { varchar: "string", bigint: "bigint", integer: "int", double: "double", timestamp: "timestamp" }[
    type
  ];
}

/** DuckDB's name for a column type, to compare what DuckDB returns with what the catalog declares. */
export function duckDbType(type: PrestoType): string {
  return {
    varchar: "VARCHAR",
    bigint: "BIGINT",
    integer: "INTEGER",
    double: "DOUBLE",
    timestamp: "TIMESTAMP",
  }[type];
}

export interface ViewColumn {
  readonly name: string;
  readonly type: PrestoType;
  readonly description: string;
}

/** Tables the queries read, by the name both backends give them. */
export type SourceTable = "telemetry" | "curated_readings" | "anomalies";

export interface AnalyticsQuery {
  /** Name of the view / named query (Athena-safe: lowercase, digits, `_`). */
  readonly name: string;
  /** SQL file under {@link SQL_DIR}. */
  readonly file: string;
  readonly description: string;
  /** `view`: catalogued as a view (dashboards and people query it); `query`: a named query with parameters. */
  readonly kind: "view" | "query";
  /** Tables the SQL reads. */
  readonly reads: readonly SourceTable[];
  /** Columns the SQL returns, in order. */
  readonly columns: readonly ViewColumn[];
}

const reading = (name: string, type: PrestoType, description: string): ViewColumn => ({
  name,
  type,
  description,
});

/** Every analytics query, in a stable order (names are resource names: do not rename casually). */
export const ANALYTICS_QUERIES: readonly AnalyticsQuery[] = [
  {
    name: "latest_reading_per_sensor",
    file: "latest_reading_per_sensor.sql",
    description: "Latest reading of every sensor that reported in the last 7 days",
    kind: "view",
    reads: ["telemetry"],
    columns: [
      // Every telemetry column from the schema (the one place the field list is written), plus the reading
      // time as a timestamp right after the epoch-millisecond `ts` it is derived from.
      ...TELEMETRY_FIELDS.flatMap((field) => {
        const column = reading(
          field.name,
          PRESTO_TYPES[field.type],
          field.unit ? `${field.description} [${field.unit}]` : field.description,
        );
        return field.name === "ts"
          ? [column, reading("reading_time", "timestamp", "Reading time (UTC)")]
          : [column];
      }),
    ],
  },
  {
    name: "hourly_room_stats",
    file: "hourly_room_stats.sql",
    description: "Temperature per room and hour: min, mean, max and 95th percentile",
    kind: "view",
    reads: ["curated_readings"],
    columns: [
      reading("room_id", "varchar", "Room"),
      reading("hour", "timestamp", "Start of the hour (UTC)"),
      reading("readings", "bigint", "Readings in the hour"),
      reading("sensors", "bigint", "Sensors that reported in the hour"),
      reading("min_temperature_c", "double", "Minimum temperature, °C"),
      reading("avg_temperature_c", "double", "Mean temperature, °C"),
      reading("max_temperature_c", "double", "Maximum temperature, °C"),
      reading("p95_temperature_c", "double", "95th percentile temperature, °C"),
    ],
  },
  {
    name: "anomalies_last_24h",
    file: "anomalies_last_24h.sql",
    description:
      "Anomalies found in the last 24 hours (by the Random Cut Forest or the stuck and dropout rules)",
    kind: "view",
    reads: ["anomalies"],
    columns: [
      reading("room_id", "varchar", "Room"),
      reading("device_id", "varchar", "IoT thing name"),
      reading("ts", "bigint", "Reading time, epoch ms"),
      reading("reading_time", "timestamp", "Reading time (UTC)"),
      reading("seq", "bigint", "Per-device sequence number"),
      reading("temperature_c", "double", "Temperature, °C"),
      reading("kind", "varchar", "What found it: score (the model), stuck, dropout, range"),
      reading("score", "double", "Random Cut Forest score (0 when a rule found it without a vector)"),
      reading("threshold", "double", "Alert policy floor in force (mean + z sigma of training scores)"),
      reading(
        "anomaly_score",
        "double",
        "Alert policy anomaly score in [0, 1] (0.5 = tail probability 1e-5)",
      ),
      reading("model_version", "varchar", "Training run that produced the model"),
      reading("scored_at", "bigint", "Scoring time, epoch ms"),
    ],
  },
  {
    name: "device_completeness",
    file: "device_completeness.sql",
    description: "Data completeness per device and day from gaps in the seq counter (last 7 days)",
    kind: "view",
    reads: ["telemetry"],
    columns: [
      reading("device_id", "varchar", "IoT thing name"),
      reading("room_id", "varchar", "Room"),
      reading("day", "varchar", "UTC day (YYYY-MM-DD)"),
      reading("readings", "bigint", "Readings received, duplicates included"),
      reading("duplicates", "bigint", "Readings received twice"),
      reading(
        "conflicting_duplicates",
        "bigint",
        "Readings whose (device_id, seq) another reading has with different values (flag: above 0)",
      ),
      reading("gaps", "bigint", "Runs of lost readings"),
      reading("missing", "bigint", "Readings lost in the gaps"),
      reading("completeness_pct", "double", "Unique readings received / expected, %"),
    ],
  },
  {
    name: "scoring_input",
    file: "scoring_input.sql",
    description:
      "Feature vectors of the readings that arrived in a scoring window, with the rules' columns (parameters: from_day, to_day, context_since_ms, since_ms, until_ms)",
    kind: "query",
    reads: ["telemetry"],
    // Then the vector's columns (see scoringInputColumns) and the rules' columns.
    columns: scoringReadingColumns(),
  },
];

/** The reading columns the scoring input starts with (a function: the array above is built before consts). */
function scoringReadingColumns(): ViewColumn[] {
  return [
    reading("device_id", "varchar", "IoT thing name"),
    reading("room_id", "varchar", "Room"),
    reading("ts", "bigint", "Reading time, epoch ms"),
    reading("seq", "bigint", "Per-device sequence number"),
    reading("temperature_c", "double", "Temperature, °C"),
    reading("received_at", "bigint", "Receive time at IoT Core, epoch ms"),
  ];
}

/** What the scoring input query is rendered with: the model settings' features and rules. */
export type ScoringQueryContext = Pick<ModelSettings, "features" | "rules">;

/** Every column the scoring input returns, in order: the reading, the vector, the rules' columns. */
export function scoringInputColumns(context: ScoringQueryContext): ViewColumn[] {
  return [
    ...scoringReadingColumns(),
    ...vectorColumns(context.features).map((c) =>
      reading(c, "double", "Feature (components/ml/sql/features.sql); empty until the vector is complete"),
    ),
    reading("missing_readings", "bigint", "Readings missing right before this one (seq jump or time gap)"),
    reading("stuck", "integer", "1 when the value has not changed for the stuck window"),
  ];
}

/** Looks a query up by name; throws naming the known ones. */
export function analyticsQuery(name: string): AnalyticsQuery {
  const query = ANALYTICS_QUERIES.find((q) => q.name === name);
  if (!query)
    throw new Error(
      `no analytics query "${name}"; known: ${ANALYTICS_QUERIES.map((q) => q.name).join(", ")}`,
    );
  return query;
}

/** The SQL template of a query, as written in its file. */
export function queryTemplate(query: AnalyticsQuery): string {
  return fs.readFileSync(path.join(SQL_DIR, query.file), "utf8");
}

/**
 * A query's SQL rendered for one engine. The scoring input also needs the model's feature settings: its vector
 * is the feature SQL the training set embeds too.
 */
export function renderQuery(name: string, engine: SqlEngine, context?: ScoringQueryContext): RenderedSql {
  const query = analyticsQuery(name);
  let template = queryTemplate(query);
  if (name === "scoring_input") {
    if (!context) throw new Error("the scoring_input query needs the model's feature settings to render");
    template = fillScoringTokens(template, context);
  }
  return renderSql(template, engine, `components/analytics/sql/${query.file}`);
}

function fillScoringTokens(template: string, context: ScoringQueryContext): string {
  const carry = scoringReadingColumns().map((c) => c.name);
  const stuckReadings = context.rules.stuckReadings;
  const stuckOn = stuckReadings >= 2;
  const tokens: Record<string, string> = {
    feature_rows: renderFeatureRows(context.features, "delivered", carry),
    row_columns: [...carry, ...vectorColumns(context.features)].join(", "),
    stuck_preceding: String(stuckOn ? stuckReadings - 1 : 1),
    stuck_enabled: stuckOn ? "1 = 1" : "1 = 0",
    interval_preceding: String(context.features.baselineReadings),
  };
  // Plain tokens only ({{name}}); the dialect's placeholders ({{name(args)}}) are the renderer's.
  return template.replace(/\{\{([a-z_]+)\}\}/g, (match, key: string) => {
    const value = tokens[key];
    if (value === undefined) throw new Error(`scoring_input.sql: unknown token ${match}`);
    return value;
  });
}

/** The views, in catalog order. */
export function analyticsViews(): AnalyticsQuery[] {
  return ANALYTICS_QUERIES.filter((q) => q.kind === "view");
}
