/**
 * The Glue table of live telemetry, derived from the schema. Pure: the ingest component creates it (Firehose
 * converts JSON to Parquet with its columns), and the same definition documents what Athena and the local
 * DuckDB lake see.
 *
 * Partition projection (`projection.*` parameters) lets Athena compute the partitions from the key layout of
 * `firehose-settings.ts`, so no crawler and no `MSCK REPAIR` is ever needed for this table.
 */
import { EARLIEST_READING_MS, glueColumns, TelemetryFieldType } from "../telemetry/schema";
import { LAKE_ZONES } from "../lake/layout";
import { DT_FORMAT, telemetryPartitionKeys, utcDate } from "./firehose-settings";

/** Name of the telemetry table in the catalog database. */
export const TELEMETRY_TABLE_NAME = "telemetry";

export interface TelemetryTableArgs {
  /** Raw bucket name (the table's location). */
  readonly bucketName: string;
  /** Rooms of the fleet: the values of the `room_id` partition. */
  readonly rooms: readonly string[];
  /** Whether Firehose partitions by room and reading date (see `firehose-settings.ts`). */
  readonly dynamicPartitioning: boolean;
}

export interface GlueColumn {
  readonly name: string;
  readonly type: TelemetryFieldType;
  readonly comment: string;
}

/** What `aws.glue.CatalogTable` needs, as plain data. */
export interface TelemetryTableDefinition {
  readonly name: string;
  readonly description: string;
  readonly tableType: "EXTERNAL_TABLE";
  readonly parameters: Record<string, string>;
  readonly partitionKeys: GlueColumn[];
  readonly storageDescriptor: {
    readonly location: string;
    readonly inputFormat: string;
    readonly outputFormat: string;
    readonly serDeInfo: {
      readonly name: string;
      readonly serializationLibrary: string;
      readonly parameters: Record<string, string>;
    };
    readonly columns: GlueColumn[];
    readonly compressed: boolean;
  };
}

const PARTITION_COMMENTS: Record<"room_id" | "dt", string> = {
  room_id: "Room the sensor is installed in (partition)",
  dt: "UTC date of the reading, yyyy-MM-dd (partition; arrival date when dynamic partitioning is off)",
};

/** `s3://<bucket>/telemetry/room_id=${room_id}/dt=${dt}/`: Athena fills in the projected values. */
export function telemetryLocationTemplate(bucketName: string, dynamicPartitioning: boolean): string {
  const keys = telemetryPartitionKeys(dynamicPartitioning)
    .map((k) => `${k}=\${${k}}/`)
    .join("");
  return `s3://${bucketName}/${LAKE_ZONES.telemetry.prefix}${keys}`;
}

/**
 * The table: every schema column except the partition keys (a Hive table cannot have a column and a partition
 * of one name, and the files need not repeat what the path says), partitioned as Firehose writes.
 */
export function telemetryTableDefinition(args: TelemetryTableArgs): TelemetryTableDefinition {
  if (args.rooms.length === 0)
    throw new Error("telemetry table needs at least one room for the room_id partition projection");
  const partitionNames = telemetryPartitionKeys(args.dynamicPartitioning);
  const columns = glueColumns().filter((c) => !(partitionNames as string[]).includes(c.name));
  const partitionKeys = partitionNames.map((name): GlueColumn => ({
    name,
    type: "string",
    comment: PARTITION_COMMENTS[name],
  }));

  const projection: Record<string, string> = {
    "projection.enabled": "true",
    "projection.dt.type": "date",
    "projection.dt.format": DT_FORMAT.java,
    // From the earliest reading the schema accepts; a day past today, so a device clock running a little ahead
    // does not hide its readings until tomorrow.
    "projection.dt.range": `${utcDate(EARLIEST_READING_MS)},NOW+1DAYS`,
    "projection.dt.interval": "1",
    "projection.dt.interval.unit": "DAYS",
    "storage.location.template": telemetryLocationTemplate(args.bucketName, args.dynamicPartitioning),
  };
  if (args.dynamicPartitioning) {
    projection["projection.room_id.type"] = "enum";
    projection["projection.room_id.values"] = args.rooms.join(",");
  }

  return {
    name: TELEMETRY_TABLE_NAME,
    description: "Live sensor readings delivered by Firehose (Parquet), partitioned by room and reading date",
    tableType: "EXTERNAL_TABLE",
    parameters: {
      EXTERNAL: "TRUE",
      classification: "parquet",
      "parquet.compression": "SNAPPY",
      ...projection,
    },
    partitionKeys,
    storageDescriptor: {
      location: `s3://${args.bucketName}/${LAKE_ZONES.telemetry.prefix}`,
      inputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
      outputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
      serDeInfo: {
        name: "parquet",
        serializationLibrary: "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
        parameters: { "serialization.format": "1" },
      },
      columns,
      compressed: true,
    },
  };
}
