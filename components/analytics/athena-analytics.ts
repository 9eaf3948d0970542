import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { registerDocument } from "../documents";
import { LAKE_ZONES } from "../lake/layout";
import type { BucketRef } from "../shared/resource-refs";
import { catalogTableArgs } from "../shared/catalog-table";
import { anomaliesTableDefinition, viewTableDefinition } from "./catalog-tables";
import { ANALYTICS_QUERIES, analyticsViews, renderQuery, ScoringQueryContext } from "./queries";
import { buildModelSettings } from "../ml/model-settings";

/** Athena's smallest per-query scan limit (10 MB). */
export const MIN_BYTES_SCANNED_CUTOFF = 10 * 1024 * 1024;

export interface AthenaAnalyticsArgs {
  /** Deployment name (`<app>-<stack>`): names the workgroup. */
  readonly deployment: string;
  /** Glue database of the lake tables; pass the catalog database's name output so tables wait for it. */
  readonly databaseName: pulumi.Input<string>;
  /** Bucket for query results (written under `athena/`). */
  readonly resultsBucket: BucketRef;
  /** Bucket holding the anomalies zone. */
  readonly curatedBucket: BucketRef;
  /**
   * Lake KMS key: query results are SSE-KMS with it. Without it they are SSE-S3 (keys S3 owns), so anyone who
   * may read the results bucket reads every query's results; the policy pack flags that.
   * @default - SSE-S3 query results
   */
  readonly kmsKeyArn?: pulumi.Input<string> | undefined;
  /** Rooms of the fleet: the projected values of the anomalies table's room partition. */
  readonly rooms: readonly string[];
  /** Per-query scan limit in bytes, enforced by the workgroup (at least 10 MiB). */
  readonly bytesScannedCutoffPerQuery: number;
  /**
   * The anomaly model's features and rules (`buildModelSettings(...)`): the scoring_input named query computes
   * the model's vectors with the same feature SQL the training set uses.
   * @default - the default model settings' (deviation features, 30-reading baseline, no shingling)
   */
  readonly model?: ScoringQueryContext;
  /** Keep the catalog tables on `pulumi destroy` and protect them. @default false */
  readonly protectData?: boolean;
  /** Tags merged into every taggable child. @default - none */
  readonly tags?: Record<string, string>;
}

/** Checks the args before anything is created; returns every problem. */
export function validateAthenaAnalyticsArgs(
  args: Pick<AthenaAnalyticsArgs, "bytesScannedCutoffPerQuery" | "rooms">,
): string[] {
  const problems: string[] = [];
  if (
    !Number.isInteger(args.bytesScannedCutoffPerQuery) ||
    args.bytesScannedCutoffPerQuery < MIN_BYTES_SCANNED_CUTOFF
  ) {
    problems.push(
      `bytesScannedCutoffPerQuery must be a whole number of bytes of at least ${MIN_BYTES_SCANNED_CUTOFF} (10 MiB, Athena's minimum) (got ${args.bytesScannedCutoffPerQuery}); raise sensor-analytics:athenaBytesScannedCutoffMiB`,
    );
  }
  if (args.rooms.length === 0)
    problems.push(
      "rooms must name at least one room (the anomalies table projects its room partition from them)",
    );
  return problems;
}

/**
 * Athena for the lake: a workgroup whose settings queries cannot override (engine v3, SSE-KMS results in the
 * results bucket, a scan limit per query, CloudWatch metrics), the anomalies table (partition projection, no
 * crawler), one catalog view per view query and one named query per SQL file. The SQL is the same text the
 * local backend runs in DuckDB, rendered for Athena.
 */
export class AthenaAnalytics extends pulumi.ComponentResource {
  public readonly workGroup: aws.athena.Workgroup;
  public readonly workGroupName: pulumi.Output<string>;
  public readonly workGroupArn: pulumi.Output<string>;
  public readonly databaseName: pulumi.Output<string>;
  public readonly anomaliesTable: aws.glue.CatalogTable;
  /** Catalog views by name. */
  public readonly views: Readonly<Record<string, aws.glue.CatalogTable>>;
  /** Named queries by name. */
  public readonly namedQueries: Readonly<Record<string, aws.athena.NamedQuery>>;

  constructor(name: string, args: AthenaAnalyticsArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:analytics:AthenaAnalytics", name, {}, opts);
    const problems = validateAthenaAnalyticsArgs(args);
    if (problems.length > 0)
      throw new pulumi.ResourceError(`AthenaAnalytics ${name}: ${problems.join("; ")}`, this);
    const tags = { ...args.tags };
    const child = { parent: this };
    const protect = args.protectData ?? false;
    const dataOpts = { parent: this, protect, retainOnDelete: protect };
    const identity = aws.getCallerIdentityOutput({}, child);
    this.databaseName = pulumi.output(args.databaseName);

    this.workGroup = new aws.athena.Workgroup(
      `${name}-workgroup`,
      {
        name: `${args.deployment}-analytics`,
        description: `Queries over the ${args.deployment} lake: enforced encryption and a scan limit per query`,
        state: "ENABLED",
        // Saved query results are disposable (the lifecycle expires them anyway).
        forceDestroy: true,
        configuration: {
          enforceWorkgroupConfiguration: true,
          publishCloudwatchMetricsEnabled: true,
          bytesScannedCutoffPerQuery: args.bytesScannedCutoffPerQuery,
          requesterPaysEnabled: false,
          engineVersion: { selectedEngineVersion: "Athena engine version 3" },
          resultConfiguration: {
            outputLocation: pulumi.interpolate`s3://${args.resultsBucket.name}/${LAKE_ZONES.athenaResults.prefix}`,
            encryptionConfiguration: args.kmsKeyArn
              ? { encryptionOption: "SSE_KMS", kmsKeyArn: args.kmsKeyArn }
              : { encryptionOption: "SSE_S3" },
            expectedBucketOwner: identity.accountId,
          },
        },
        tags,
      },
      child,
    );
    this.workGroupName = this.workGroup.name;
    this.workGroupArn = this.workGroup.arn;

    const anomalies = pulumi
      .output(args.curatedBucket.name)
      .apply((bucketName) => anomaliesTableDefinition({ bucketName, rooms: args.rooms }));
    registerDocument(this, "glue-anomalies-table", "json", anomalies);
    this.anomaliesTable = new aws.glue.CatalogTable(
      `${name}-anomalies`,
      catalogTableArgs(this.databaseName, anomalies),
      dataOpts,
    );

    const views: Record<string, aws.glue.CatalogTable> = {};
    for (const view of analyticsViews()) {
      const definition = this.databaseName.apply((database) => viewTableDefinition(view, database));
      // Views read the anomalies table (and the other areas' tables): create them after it.
      views[view.name] = new aws.glue.CatalogTable(
        `${name}-view-${view.name}`,
        catalogTableArgs(this.databaseName, definition),
        {
          parent: this,
          dependsOn: [this.anomaliesTable],
        },
      );
    }
    this.views = views;

    const model = args.model ?? buildModelSettings({ numTrees: 50, shingleSize: 1, z: 3 });
    const namedQueries: Record<string, aws.athena.NamedQuery> = {};
    for (const query of ANALYTICS_QUERIES) {
      const sql = renderQuery(query.name, "athena", model).text;
      registerDocument(this, `athena-${query.name.replace(/_/g, "-")}`, "sql", sql);
      namedQueries[query.name] = new aws.athena.NamedQuery(
        `${name}-query-${query.name}`,
        {
          name: `${args.deployment}-${query.name}`,
          description: query.description.slice(0, 1024),
          workgroup: this.workGroup.name,
          database: this.databaseName,
          query: sql,
        },
        child,
      );
    }
    this.namedQueries = namedQueries;

    this.registerOutputs({
      workGroupName: this.workGroupName,
      workGroupArn: this.workGroupArn,
      databaseName: this.databaseName,
      anomaliesTableName: this.anomaliesTable.name,
      viewNames: Object.keys(views),
    });
  }
}
