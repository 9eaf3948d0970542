/**
 * Glue catalog definitions the analytics area adds to the lake database, as plain data: the anomalies table
 * (what the scoring function writes) and one Athena view per view query. Pure.
 *
 * Views are catalogued the way Athena stores a `CREATE VIEW`: a `VIRTUAL_VIEW` table whose original text is
 * `/* Presto View: <base64 JSON> *\/` holding the SQL, the catalog, the schema and the typed columns. Athena
 * (engine v3) reads it like any view; QuickSight datasets select from it by name.
 */
import { LAKE_ZONES } from "../lake/layout";
import { ANOMALY_PARTITION_COLUMNS, ANOMALY_RECORD_COLUMNS } from "../ml/anomaly-record";
import { AnalyticsQuery, hiveType, queryTemplate } from "./queries";
import { renderSql } from "./sql-dialect";

/** Name of the anomalies table. */
export const ANOMALIES_TABLE_NAME = "anomalies";

export interface GlueColumnDefinition {
  readonly name: string;
  readonly type: string;
  readonly comment?: string;
}

/** What `aws.glue.CatalogTable` needs, as plain data. */
export interface CatalogTableDefinition {
  readonly name: string;
  readonly description: string;
  readonly tableType: "EXTERNAL_TABLE" | "VIRTUAL_VIEW";
  readonly parameters: Record<string, string>;
  readonly partitionKeys: GlueColumnDefinition[];
  readonly viewOriginalText?: string;
  readonly viewExpandedText?: string;
  readonly storageDescriptor: {
    readonly location?: string;
    readonly inputFormat?: string;
    readonly outputFormat?: string;
    readonly serDeInfo: {
      readonly name: string;
      readonly serializationLibrary: string;
      readonly parameters?: Record<string, string>;
    };
    readonly columns: GlueColumnDefinition[];
  };
}

/** First day the anomalies table projects (the platform did not score anything earlier). */
export const ANOMALIES_FIRST_DAY = "2024-01-01";

/**
 * The anomalies table: newline-delimited JSON under `anomalies/room_id=<room>/dt=<day>/`, partitions projected
 * from the key layout (rooms from config, days up to tomorrow), so no crawler and no `MSCK REPAIR`.
 */
export function anomaliesTableDefinition(args: {
  readonly bucketName: string;
  readonly rooms: readonly string[];
}): CatalogTableDefinition {
  if (args.rooms.length === 0)
    throw new Error("the anomalies table needs at least one room for its room_id partition projection");
  const location = `s3://${args.bucketName}/${LAKE_ZONES.anomalies.prefix}`;
  return {
    name: ANOMALIES_TABLE_NAME,
    description:
      "Readings the Random Cut Forest scored above the threshold (JSON lines), by room and reading date",
    tableType: "EXTERNAL_TABLE",
    parameters: {
      EXTERNAL: "TRUE",
      classification: "json",
      "projection.enabled": "true",
      "projection.room_id.type": "enum",
      "projection.room_id.values": args.rooms.join(","),
      "projection.dt.type": "date",
      "projection.dt.format": "yyyy-MM-dd",
      "projection.dt.range": `${ANOMALIES_FIRST_DAY},NOW+1DAYS`,
      "projection.dt.interval": "1",
      "projection.dt.interval.unit": "DAYS",
      "storage.location.template": `${location}room_id=\${room_id}/dt=\${dt}/`,
    },
    partitionKeys: ANOMALY_PARTITION_COLUMNS.map((c) => ({
      name: c.name,
      type: c.glueType,
      comment: c.comment,
    })),
    storageDescriptor: {
      location,
      inputFormat: "org.apache.hadoop.mapred.TextInputFormat",
      outputFormat: "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
      serDeInfo: {
        name: "json",
        serializationLibrary: "org.openx.data.jsonserde.JsonSerDe",
        // A malformed line is an error, not a silent row of NULLs.
        parameters: { "ignore.malformed.json": "false" },
      },
      columns: ANOMALY_RECORD_COLUMNS.map((c) => ({ name: c.name, type: c.glueType, comment: c.comment })),
    },
  };
}

/** `/* Presto View: <base64> *\/`: how Athena stores a view's definition in the Glue catalog. */
export function prestoViewText(view: AnalyticsQuery, database: string): string {
  const originalSql = renderSql(queryTemplate(view), "athena", `components/analytics/sql/${view.file}`).text;
  const definition = {
    originalSql,
    catalog: "awsdatacatalog",
    schema: database,
    columns: view.columns.map((c) => ({ name: c.name, type: c.type })),
  };
  return `/* Presto View: ${Buffer.from(JSON.stringify(definition), "utf8").toString("base64")} */`;
}

/** Decodes {@link prestoViewText} (for tests and for people reading the synth output). */
export function decodePrestoView(text: string): {
  originalSql: string;
  catalog: string;
  schema: string;
  columns: { name: string; type: string }[];
} {
  const match = /^\/\* Presto View: ([A-Za-z0-9+/=]+) \*\/$/.exec(text);
  if (!match) throw new Error("not a Presto view definition");
  return JSON.parse(Buffer.from(match[1]!, "base64").toString("utf8")) as ReturnType<typeof decodePrestoView>;
}

/** The Glue table of an Athena view. */
export function viewTableDefinition(view: AnalyticsQuery, database: string): CatalogTableDefinition {
  if (view.kind !== "view") throw new Error(`${view.name} is a ${view.kind}, not a view`);
  return {
    name: view.name,
    description: view.description,
    tableType: "VIRTUAL_VIEW",
    parameters: { presto_view: "true", comment: "Presto View" },
    partitionKeys: [],
    viewOriginalText: prestoViewText(view, database),
    viewExpandedText: "/* Presto View */",
    storageDescriptor: {
      serDeInfo: { name: "-", serializationLibrary: "-" },
      columns: view.columns.map((c) => ({ name: c.name, type: hiveType(c.type), comment: c.description })),
    },
  };
}
