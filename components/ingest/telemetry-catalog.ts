import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { registerDocument } from "../documents";
import { catalogTableArgs } from "../shared/catalog-table";
import { telemetryTableDefinition } from "./telemetry-table";

export interface TelemetryCatalogArgs {
  /** Glue database of the lake tables (`PlatformConfig.lake.catalogDatabase`; no "-", which Athena rejects). */
  readonly databaseName: string;
  /** Raw bucket name: the telemetry table's location. */
  readonly bucketName: pulumi.Input<string>;
  /** Rooms of the fleet: the projected values of the room partition. */
  readonly rooms: readonly string[];
  /** Whether Firehose partitions by room and reading date. */
  readonly dynamicPartitioning: boolean;
  /** Protect the database and table from deletion (`protect` + `retainOnDelete`). @default false */
  readonly protectData?: boolean;
  /** Tags merged into every taggable child. @default - none */
  readonly tags?: Record<string, string>;
}

/**
 * The lake's Glue catalog database and the live telemetry table, whose columns come from the telemetry schema
 * and whose partitions Athena projects from the key layout (no crawler). Firehose reads the table to convert
 * readings to Parquet; other areas add their tables to {@link database}.
 */
export class TelemetryCatalog extends pulumi.ComponentResource {
  public readonly database: aws.glue.CatalogDatabase;
  public readonly table: aws.glue.CatalogTable;
  public readonly databaseName: pulumi.Output<string>;
  public readonly tableName: pulumi.Output<string>;

  constructor(name: string, args: TelemetryCatalogArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:ingest:TelemetryCatalog", name, {}, opts);
    if (!/^[a-z0-9_]{1,255}$/.test(args.databaseName)) {
      throw new pulumi.ResourceError(
        `databaseName "${args.databaseName}" must be lowercase letters, digits and "_" (Athena cannot query other names); set sensor-analytics:catalogDatabase`,
        this,
      );
    }
    const tags = { ...args.tags };
    const protect = args.protectData ?? false;
    const dataOpts = { parent: this, protect, retainOnDelete: protect };

    this.database = new aws.glue.CatalogDatabase(
      `${name}-database`,
      {
        name: args.databaseName,
        description: "Sensor analytics lake: live telemetry, historical imports, curated data",
        tags,
      },
      dataOpts,
    );
    const definition = pulumi.output(args.bucketName).apply((bucketName) =>
      telemetryTableDefinition({
        bucketName,
        rooms: args.rooms,
        dynamicPartitioning: args.dynamicPartitioning,
      }),
    );
    registerDocument(this, "glue-telemetry-table", "json", definition);
    this.table = new aws.glue.CatalogTable(
      `${name}-telemetry`,
      catalogTableArgs(this.database.name, definition),
      dataOpts,
    );
    this.databaseName = this.database.name;
    this.tableName = this.table.name;
    this.registerOutputs({ databaseName: this.databaseName, tableName: this.tableName });
  }
}
