/**
 * The spec each Glue job runs (`--job_spec`), built from the transforms in {@link ETL_JOBS} and the deployed
 * locations: the contract with `functions/glue/etl_spec.py`, which parses it. Also the S3 keys of the job
 * script and SQL files in the artifacts bucket. Pure.
 */
import type { DatabaseEngine } from "../config";
import { LAKE_ZONES, LakeZone } from "../lake/layout";
import { GLUE_CONNECTION_TYPES } from "../sources/jdbc-url";
import {
  HISTORICAL_BOOKMARK_KEY,
  historicalTableName,
  missingSourceTable,
  ColumnType,
} from "../sources/historical-schema";
import { ETL_JOBS, ETL_VIEWS, EtlJobKey, EtlSqlName, EtlViewName } from "./transforms";

/** The job script and its helper module, as files in `functions/glue/`. */
export const GLUE_SCRIPT_FILES = { main: "etl_job.py", helpers: ["etl_spec.py"] } as const;

/** Key of a Glue script file in the artifacts bucket. */
export function glueScriptKey(file: string): string {
  return `${LAKE_ZONES.glueScripts.prefix}${file}`;
}

/** Key of a rendered SQL file in the artifacts bucket (beside the scripts that read it). */
export function etlSqlKey(name: EtlSqlName): string {
  return `${LAKE_ZONES.glueScripts.prefix}sql/${name}.sql`;
}

/** Bucket names and source settings a spec needs. */
export interface GlueJobLocations {
  /** Bucket names by role (`raw`, `curated`, `artifacts` are used). */
  readonly buckets: Readonly<Record<"raw" | "curated" | "artifacts", string>>;
  /** Prefix in the raw bucket where historical CSV files land, ending in "/". */
  readonly historicalPrefix: string;
  /** The JDBC source (needed by the JDBC import only). @default - none */
  readonly jdbc?: { readonly connectionName: string; readonly engine: DatabaseEngine };
}

interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
  readonly required: boolean;
}

/** One spec column as a source provides it: the source column read, or null (optional and absent: NULL). */
export interface ConformedColumn {
  readonly name: string;
  readonly source: string | null;
  readonly type: ColumnType;
}

/**
 * How a source's columns become the spec's (the Glue script's `conform_plan` in functions/glue/etl_spec.py, held
 * equal to this one by tests/unit/etl/glue-parity.test.ts): spec columns are matched case-insensitively (CSV
 * headers vary; the first of two spellings wins), a missing optional column is NULL, each is cast to its type.
 * @throws Error naming the source, the missing required columns and the ones it has
 */
export function conformPlan(
  columns: readonly ColumnSpec[],
  present: readonly string[],
  where: string,
): ConformedColumn[] {
  const lowered = new Map<string, string>();
  for (const name of present) if (!lowered.has(name.toLowerCase())) lowered.set(name.toLowerCase(), name);
  const missing = columns.filter((c) => c.required && !lowered.has(c.name)).map((c) => c.name);
  if (missing.length > 0)
    throw new Error(
      `${where} lacks required column(s) ${missing.join(", ")}; it has ${present.join(", ") || "no columns"}. ` +
        "components/sources/historical-schema.ts documents the expected columns.",
    );
  return columns.map((c) => ({ name: c.name, source: lowered.get(c.name) ?? null, type: c.type }));
}

/**
 * The configuration error to report when a JDBC read failed because its table does not exist, else undefined
 * (the Glue script's `missing_table_message`; the patterns are case-insensitive regular expressions).
 */
export function missingTableMessage(
  source: { readonly missing_table: { readonly patterns: readonly string[]; readonly message: string } },
  errorText: string,
): string | undefined {
  const { patterns, message } = source.missing_table;
  return patterns.some((p) => new RegExp(p, "i").test(errorText)) ? message : undefined;
}

export type GlueSourceSpec =
  | {
      readonly view: EtlViewName;
      readonly kind: "landing-csv" | "lake-parquet";
      readonly path: string;
      readonly columns: readonly ColumnSpec[];
    }
  | {
      readonly view: EtlViewName;
      readonly kind: "jdbc";
      readonly connection_name: string;
      readonly connection_type: (typeof GLUE_CONNECTION_TYPES)[DatabaseEngine];
      readonly table: string;
      readonly bookmark_key: string;
      readonly columns: readonly ColumnSpec[];
      /** A read error matching one of `patterns` (regular expressions) is reported as `message`. */
      readonly missing_table: { readonly patterns: readonly string[]; readonly message: string };
    };

export interface GlueStepSpec {
  readonly view: EtlViewName;
  readonly sql_uri: string;
  readonly output: {
    readonly path: string;
    readonly format: "parquet" | "csv";
    readonly partition_by: readonly string[];
    readonly mode: "append" | "overwrite";
    readonly header: boolean;
  };
}

/** What `etl_spec.parse_spec` accepts. */
export interface GlueJobSpec {
  readonly job: EtlJobKey;
  readonly sources: readonly GlueSourceSpec[];
  readonly steps: readonly GlueStepSpec[];
}

const zoneUri = (locations: GlueJobLocations, zone: LakeZone) => {
  const { bucket, prefix } = LAKE_ZONES[zone];
  if (bucket !== "raw" && bucket !== "curated")
    throw new Error(`ETL zone ${zone} is in the ${bucket} bucket; ETL reads and writes only raw and curated`);
  return `s3://${locations.buckets[bucket]}/${prefix}`;
};

const columnsOf = (view: EtlViewName): ColumnSpec[] =>
  ETL_VIEWS[view].map(({ name, type, required }) => ({ name, type, required }));

/** The spec of one job. Throws when the job needs a location the caller did not give. */
export function glueJobSpec(job: EtlJobKey, locations: GlueJobLocations): GlueJobSpec {
  if (!/^([A-Za-z0-9_.-]+\/)+$/.test(locations.historicalPrefix)) {
    throw new Error(`historicalPrefix must be folders ending in "/" (got "${locations.historicalPrefix}")`);
  }
  const definition = ETL_JOBS[job];
  const sources = definition.sources.map((source): GlueSourceSpec => {
    const columns = columnsOf(source.view);
    switch (source.kind) {
      case "landing-csv":
        return {
          view: source.view,
          kind: source.kind,
          path: `s3://${locations.buckets.raw}/${locations.historicalPrefix}`,
          columns,
        };
      case "lake-parquet":
        if (!source.zone)
          throw new Error(`ETL job ${job}: source ${source.view} reads the lake but names no zone`);
        return { view: source.view, kind: source.kind, path: zoneUri(locations, source.zone), columns };
      case "jdbc": {
        if (!locations.jdbc)
          throw new Error(
            `ETL job ${job} reads the historical database; pass locations.jdbc (connection name and engine)`,
          );
        const { connectionName, engine } = locations.jdbc;
        return {
          view: source.view,
          kind: "jdbc",
          connection_name: connectionName,
          connection_type: GLUE_CONNECTION_TYPES[engine],
          table: historicalTableName(engine),
          bookmark_key: HISTORICAL_BOOKMARK_KEY,
          columns,
          missing_table: missingSourceTable(engine, connectionName),
        };
      }
    }
  });
  const steps = definition.steps.map((step): GlueStepSpec => ({
    view: step.view,
    sql_uri: `s3://${locations.buckets.artifacts}/${etlSqlKey(step.sql)}`,
    output: {
      path: zoneUri(locations, step.output.zone),
      format: step.output.format,
      partition_by: step.output.partitionBy,
      mode: step.output.mode,
      header: step.output.header,
    },
  }));
  return { job, sources, steps };
}
