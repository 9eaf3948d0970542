/**
 * `aws.glue.CatalogTable` arguments from a table defined as plain data by a pure builder (the telemetry table in
 * ingest, the anomalies table and the views in analytics): one mapping, so the tables cannot drift in what they pass.
 */
import type * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";

/** What a pure table builder produces: every field `aws.glue.CatalogTable` takes from it. */
export interface GlueTableDefinition {
  readonly name: string;
  readonly description: string;
  readonly tableType: string;
  readonly parameters: Record<string, string>;
  readonly partitionKeys: aws.types.input.glue.CatalogTablePartitionKey[];
  readonly storageDescriptor: aws.types.input.glue.CatalogTableStorageDescriptor;
  /** Views only. */
  readonly viewOriginalText?: string;
  readonly viewExpandedText?: string;
}

/** `aws.glue.CatalogTableArgs` for `definition` in `databaseName`. */
export function catalogTableArgs(
  databaseName: pulumi.Input<string>,
  definition: pulumi.Output<GlueTableDefinition>,
): aws.glue.CatalogTableArgs {
  return {
    databaseName,
    name: definition.name,
    description: definition.description,
    tableType: definition.tableType,
    parameters: definition.parameters,
    partitionKeys: definition.partitionKeys,
    storageDescriptor: definition.storageDescriptor,
    viewOriginalText: definition.viewOriginalText,
    viewExpandedText: definition.viewExpandedText,
  };
}
