/**
 * The shape of historical data the platform imports, written once: the CSV files operators drop in the
 * landing prefix, and the readings table of the historical database (the demo database, an existing one, or
 * the local backend's PGlite). The ETL SQL, the Glue job spec, the JDBC crawler's include path and the local
 * seeders all read these definitions. Pure.
 */
import type { DatabaseEngine } from "../config";

/** Column types, named like Spark/Glue types. */
export type ColumnType = "string" | "bigint" | "int" | "double" | "timestamp";

export interface ColumnDefinition {
  readonly name: string;
  readonly type: ColumnType;
  readonly description: string;
  /** Whether a source without this column is rejected (optional ones are read as NULL). */
  readonly required: boolean;
}

/**
 * Historical CSV files: UTF-8, comma-separated, a header row naming the columns (any order, extra columns
 * ignored). Every value is read as text and parsed by the import SQL.
 */
export const LANDING_CSV_COLUMNS: readonly ColumnDefinition[] = [
  {
    name: "device_id",
    type: "string",
    required: false,
    description: "Sensor that took the reading; empty becomes 'historical'",
  },
  { name: "room_id", type: "string", required: true, description: "Room ID (1-32 letters, digits or '_')" },
  {
    name: "reading_time",
    type: "string",
    required: true,
    description: "UTC time, ISO 8601: 2024-05-01 13:45:00 or 2024-05-01T13:45:00Z",
  },
  { name: "temperature_c", type: "string", required: true, description: "Air temperature in °C" },
  {
    name: "humidity_pct",
    type: "string",
    required: false,
    description: "Relative humidity in %RH; may be empty",
  },
];

/** Name of the historical readings table. */
export const HISTORICAL_TABLE = "readings";

/**
 * Columns of the historical readings table. `reading_id` only grows, so the JDBC import's job bookmark
 * reads each row once.
 */
export const HISTORICAL_TABLE_COLUMNS: readonly ColumnDefinition[] = [
  {
    name: "reading_id",
    type: "bigint",
    required: true,
    description: "Row identity, increasing (the job bookmark key)",
  },
  { name: "device_id", type: "string", required: false, description: "Sensor that took the reading" },
  { name: "room_id", type: "string", required: true, description: "Room ID" },
  { name: "reading_time", type: "timestamp", required: true, description: "Time of the reading, UTC" },
  { name: "temperature_c", type: "double", required: true, description: "Air temperature in °C" },
  { name: "humidity_pct", type: "double", required: false, description: "Relative humidity in %RH" },
];

/** The JDBC import's bookmark key: the column whose values only grow. */
export const HISTORICAL_BOOKMARK_KEY = "reading_id";

/** Default schema of each engine, where the table lives. */
const DEFAULT_SCHEMA: Readonly<Record<DatabaseEngine, string | undefined>> = {
  postgres: "public",
  sqlserver: "dbo",
  // MySQL has no schemas inside a database: the database is the schema.
  mysql: undefined,
};

/** The table name as the JDBC reader's `dbtable` option wants it (`public.readings`, `dbo.readings`, `readings`). */
export function historicalTableName(engine: DatabaseEngine): string {
  const schema = DEFAULT_SCHEMA[engine];
  return schema ? `${schema}.${HISTORICAL_TABLE}` : HISTORICAL_TABLE;
}

/**
 * The JDBC crawler's include path, `<database>/<schema>/<table>` (`<database>/<table>` for MySQL), as Glue
 * expects it for a JDBC target.
 */
export function historicalCrawlPath(engine: DatabaseEngine, database: string): string {
  return `${database}/${historicalTableName(engine).replace(".", "/")}`;
}

const SQL_TYPES: Readonly<Record<DatabaseEngine, Record<ColumnType, string>>> = {
  postgres: {
    string: "VARCHAR(128)",
    bigint: "BIGINT",
    int: "INTEGER",
    double: "DOUBLE PRECISION",
    timestamp: "TIMESTAMP(3)",
  },
  mysql: { string: "VARCHAR(128)", bigint: "BIGINT", int: "INT", double: "DOUBLE", timestamp: "DATETIME(3)" },
  sqlserver: {
    string: "NVARCHAR(128)",
    bigint: "BIGINT",
    int: "INT",
    double: "FLOAT",
    timestamp: "DATETIME2(3)",
  },
};

const IDENTITY: Readonly<Record<DatabaseEngine, string>> = {
  postgres: "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
  mysql: "BIGINT AUTO_INCREMENT PRIMARY KEY",
  sqlserver: "BIGINT IDENTITY(1,1) PRIMARY KEY",
};

/**
 * DDL creating the readings table (and its time index) if it does not exist, for the engine: what an
 * operator runs on the demo database, and what the local backend runs on PGlite.
 */
export function historicalTableDdl(engine: DatabaseEngine): string[] {
  const table = historicalTableName(engine);
  const columns = HISTORICAL_TABLE_COLUMNS.map((c) =>
    c.name === HISTORICAL_BOOKMARK_KEY
      ? `  ${c.name} ${IDENTITY[engine]}`
      : `  ${c.name} ${SQL_TYPES[engine][c.type]}${c.required ? " NOT NULL" : ""}`,
  ).join(",\n");
  const index = `${HISTORICAL_TABLE}_reading_time`;
  switch (engine) {
    case "postgres":
      return [
        `CREATE TABLE IF NOT EXISTS ${table} (\n${columns}\n)`,
        `CREATE INDEX IF NOT EXISTS ${index} ON ${table} (reading_time)`,
      ];
    case "mysql":
      return [`CREATE TABLE IF NOT EXISTS ${table} (\n${columns},\n  INDEX ${index} (reading_time)\n)`];
    case "sqlserver":
      return [
        `IF OBJECT_ID(N'${table}', N'U') IS NULL CREATE TABLE ${table} (\n${columns}\n)`,
        `IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'${index}') CREATE INDEX ${index} ON ${table} (reading_time)`,
      ];
  }
}

/** Marks the error of an import whose source table does not exist (the job's and the planner's). */
export const HISTORICAL_SOURCE_MISSING = "HistoricalSourceMissing";

/** How each engine words "no such table" (its own error text), as regular expressions. */
const MISSING_TABLE_PATTERNS: Readonly<Record<DatabaseEngine, readonly string[]>> = {
  postgres: [`relation "(public\\.)?${HISTORICAL_TABLE}" does not exist`],
  mysql: [`Table '([^']*\\.)?${HISTORICAL_TABLE}' doesn't exist`],
  sqlserver: [`Invalid object name '(dbo\\.)?${HISTORICAL_TABLE}'`],
};

/**
 * How an import recognises a missing source table, and the configuration error it then reports instead of
 * the database's raw error: what is missing, where, and how to fix it.
 */
export function missingSourceTable(
  engine: DatabaseEngine,
  connectionName: string,
): { readonly patterns: readonly string[]; readonly message: string } {
  return {
    patterns: MISSING_TABLE_PATTERNS[engine],
    message:
      `${HISTORICAL_SOURCE_MISSING}: the historical ${engine} database that Glue connection ${connectionName} ` +
      `reaches has no table ${historicalTableName(engine)}. Create it with the DDL of ` +
      "components/sources/historical-schema.ts (with databaseMode demo the stack's seed function creates and " +
      "fills it at deploy), or set sensor-analytics:databaseName to the database that holds it",
  };
}
