import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { registerDocument } from "../documents";
import { accountScopeOutput } from "../shared/aws-scope";
import type { BucketRef } from "../shared/resource-refs";
import {
  dashboardDefinition,
  dashboardTemplate,
  datasetInputColumns,
  QUICKSIGHT_VIEWS,
  QuickSightView,
  quickSightAthenaPolicy,
  quickSightId,
  quickSightTrustPolicy,
  VIEWER_ACTIONS,
} from "./quicksight-definition";

export interface QuickSightDashboardArgs {
  /** Deployment name (`<app>-<stack>`): prefixes every QuickSight ID. */
  readonly deployment: string;
  /** QuickSight user or group ARNs that may view the dashboard, its datasets and data source. */
  readonly principals: readonly string[];
  /** The Athena workgroup the data source queries through. */
  readonly workGroupName: pulumi.Input<string>;
  readonly workGroupArn: pulumi.Input<string>;
  /** Glue database holding the views. */
  readonly databaseName: pulumi.Input<string>;
  /** Lake buckets the views read (raw, curated) and the query results bucket. */
  readonly buckets: {
    readonly raw: BucketRef;
    readonly curated: BucketRef;
    readonly results: BucketRef;
  };
  /**
   * ARN of the lake KMS key (data and query results are encrypted with it).
   * @default - none: the buckets use SSE-S3 and the role gets no `kms:*` statement
   */
  readonly kmsKeyArn?: pulumi.Input<string> | undefined;
  /** Views that must exist before the datasets (the catalog views of AthenaAnalytics). @default - none */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
  /** Tags merged into every taggable child. @default - none */
  readonly tags?: Record<string, string>;
}

/**
 * QuickSight on the lake (needs a QuickSight subscription in the account): an Athena data source with SSL that
 * queries through the analytics workgroup with a role of its own (scoped to that workgroup, the lake catalog,
 * the zones the views read, and the lake key), one direct-query dataset per view, and a dashboard defined as
 * code (temperature per room, anomalies of the last 24 hours, completeness per device). The principals from
 * config may view all of it.
 */
export class QuickSightDashboard extends pulumi.ComponentResource {
  public readonly dataSource: aws.quicksight.DataSource;
  public readonly dataSets: Readonly<Record<QuickSightView, aws.quicksight.DataSet>>;
  public readonly dashboardStack: aws.cloudformation.Stack;
  public readonly dashboardId: string;
  public readonly dashboardUrl: pulumi.Output<string>;
  public readonly role: aws.iam.Role;

  constructor(name: string, args: QuickSightDashboardArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:analytics:QuickSightDashboard", name, {}, opts);
    if (args.principals.length === 0) {
      throw new pulumi.ResourceError(
        "QuickSightDashboard needs at least one principal (sensor-analytics:quicksightPrincipals), or nobody can open it",
        this,
      );
    }
    const tags = { ...args.tags };
    const child = { parent: this };
    const scope = accountScopeOutput(this);

    const policy = pulumi
      .all([
        scope,
        args.workGroupArn,
        args.databaseName,
        args.buckets.raw.arn,
        args.buckets.curated.arn,
        args.buckets.results.arn,
        pulumi.output(args.kmsKeyArn),
      ])
      .apply(([s, workGroupArn, database, rawBucketArn, curatedBucketArn, resultsBucketArn, kmsKeyArn]) =>
        quickSightAthenaPolicy({
          ...s,
          workGroupArn,
          database,
          rawBucketArn,
          curatedBucketArn,
          resultsBucketArn,
          kmsKeyArn,
        }),
      );
    registerDocument(this, "iam-quicksight-athena-role", "json", policy);
    this.role = new aws.iam.Role(
      `${name}-athena-role`,
      {
        description: `QuickSight queries the ${args.deployment} views through Athena with this role`,
        assumeRolePolicy: pulumi.jsonStringify(scope.accountId.apply(quickSightTrustPolicy)),
        inlinePolicies: [{ name: "athena-views", policy: pulumi.jsonStringify(policy) }],
        tags,
      },
      child,
    );

    const viewers = (actions: readonly string[]) =>
      args.principals.map((principal) => ({ principal, actions: [...actions] }));
    this.dataSource = new aws.quicksight.DataSource(
      `${name}-source`,
      {
        dataSourceId: quickSightId(args.deployment, "athena"),
        name: `${args.deployment} lake (Athena)`,
        type: "ATHENA",
        parameters: { athena: { workGroup: args.workGroupName, roleArn: this.role.arn } },
        sslProperties: { disableSsl: false },
        permissions: viewers(VIEWER_ACTIONS.dataSource),
        tags,
      },
      { parent: this, dependsOn: args.dependsOn },
    );

    const dataSets = {} as Record<QuickSightView, aws.quicksight.DataSet>;
    for (const view of QUICKSIGHT_VIEWS) {
      dataSets[view] = new aws.quicksight.DataSet(
        `${name}-dataset-${view}`,
        {
          dataSetId: quickSightId(args.deployment, view.replace(/_/g, "-")),
          name: `${args.deployment} ${view.replace(/_/g, " ")}`,
          // Direct query: always current, and no SPICE capacity to buy.
          importMode: "DIRECT_QUERY",
          physicalTableMaps: [
            {
              physicalTableMapId: view.replace(/_/g, "-"),
              relationalTable: {
                dataSourceArn: this.dataSource.arn,
                catalog: "AwsDataCatalog",
                schema: args.databaseName,
                name: view,
                inputColumns: datasetInputColumns(view),
              },
            },
          ],
          permissions: viewers(VIEWER_ACTIONS.dataSet),
          tags,
        },
        { parent: this, dependsOn: args.dependsOn },
      );
    }
    this.dataSets = dataSets;

    this.dashboardId = quickSightId(args.deployment, "sensor-analytics");
    const dataSetArns = pulumi.all(QUICKSIGHT_VIEWS.map((v) => dataSets[v].arn));
    const template = pulumi.all([scope.accountId, dataSetArns]).apply(([awsAccountId, arns]) =>
      dashboardTemplate({
        awsAccountId,
        dashboardId: this.dashboardId,
        name: `${args.deployment} sensor analytics`,
        definition: dashboardDefinition(
          Object.fromEntries(QUICKSIGHT_VIEWS.map((v, i) => [v, arns[i]!])) as Record<QuickSightView, string>,
        ),
        principals: args.principals,
        tags,
      }),
    );
    registerDocument(this, "quicksight-dashboard-definition", "json", template);
    this.dashboardStack = new aws.cloudformation.Stack(
      `${name}-dashboard`,
      { name: `${args.deployment}-quicksight-dashboard`, templateBody: pulumi.jsonStringify(template), tags },
      child,
    );
    this.dashboardUrl = pulumi.interpolate`https://${scope.region}.quicksight.aws.amazon.com/sn/dashboards/${this.dashboardId}`;

    this.registerOutputs({
      dataSourceArn: this.dataSource.arn,
      dashboardId: this.dashboardId,
      dashboardUrl: this.dashboardUrl,
    });
  }
}
