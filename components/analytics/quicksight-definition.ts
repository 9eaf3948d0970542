/**
 * The QuickSight side of analytics as plain data: which views become datasets (with their column types), the
 * dashboard definition (visuals, fields, sheets, in the QuickSight API's shape), the CloudFormation template
 * that deploys it, the permissions principals get, and the IAM policy of the role QuickSight uses for Athena.
 * Pure.
 *
 * Why CloudFormation for the dashboard: `aws.quicksight.Dashboard` in @pulumi/aws v7 takes only a template as
 * its source (the provider does not expose `definition`), while `AWS::QuickSight::Dashboard` takes the full
 * definition. A one-resource stack keeps the dashboard declarative and reviewable as JSON.
 */
import type * as aws from "@pulumi/aws";
import { LAKE_ZONES } from "../lake/layout";
import { keyStatements, queryInWorkGroupStatement } from "../shared/iam-policy";
import { analyticsQuery, PrestoType } from "./queries";

/** The views QuickSight reads, in dashboard order. */
export const QUICKSIGHT_VIEWS = ["hourly_room_stats", "anomalies_last_24h", "device_completeness"] as const;
export type QuickSightView = (typeof QUICKSIGHT_VIEWS)[number];

/** QuickSight's input column type for an Athena column type. */
export function quickSightColumnType(type: PrestoType): "STRING" | "INTEGER" | "DECIMAL" | "DATETIME" {
  return (
    {
      varchar: "STRING",
      bigint: "INTEGER",
      integer: "INTEGER",
      double: "DECIMAL",
      timestamp: "DATETIME",
    } as const
  )[type];
}

/** Input columns of a view's dataset, from the view's declared columns. */
export function datasetInputColumns(view: QuickSightView): { name: string; type: string }[] {
  return analyticsQuery(view).columns.map((c) => ({ name: c.name, type: quickSightColumnType(c.type) }));
}

/** QuickSight IDs allow letters, digits, `-` and `_`. */
export function quickSightId(deployment: string, suffix: string): string {
  const id = `${deployment}-${suffix}`.replace(/[^\w-]/g, "-");
  if (id.length > 512) throw new Error(`QuickSight ID "${id.slice(0, 40)}..." is longer than 512 characters`);
  return id;
}

/** What viewers may do: read, never change or share. */
export const VIEWER_ACTIONS = {
  dataSource: [
    "quicksight:DescribeDataSource",
    "quicksight:DescribeDataSourcePermissions",
    "quicksight:PassDataSource",
  ],
  dataSet: [
    "quicksight:DescribeDataSet",
    "quicksight:DescribeDataSetPermissions",
    "quicksight:PassDataSet",
    "quicksight:DescribeIngestion",
    "quicksight:ListIngestions",
  ],
  dashboard: [
    "quicksight:DescribeDashboard",
    "quicksight:ListDashboardVersions",
    "quicksight:QueryDashboard",
  ],
} as const;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const column = (dataSet: QuickSightView, name: string): Json => {
  if (!analyticsQuery(dataSet).columns.some((c) => c.name === name))
    throw new Error(`view ${dataSet} has no column ${name}`);
  return { DataSetIdentifier: dataSet, ColumnName: name };
};
const title = (text: string): Json => ({ Visibility: "VISIBLE", FormatText: { PlainText: text } });

/**
 * The dashboard definition (QuickSight API / CloudFormation shape): one sheet with the temperature of every
 * room over time, the anomalies of the last 24 hours, and data completeness per device.
 * @param dataSetArns the dataset ARN of each view
 */
export function dashboardDefinition(dataSetArns: Readonly<Record<QuickSightView, string>>): {
  [key: string]: Json;
} {
  return {
    DataSetIdentifierDeclarations: QUICKSIGHT_VIEWS.map((view) => ({
      Identifier: view,
      DataSetArn: dataSetArns[view],
    })),
    Sheets: [
      {
        SheetId: "overview",
        Name: "Overview",
        Visuals: [
          {
            LineChartVisual: {
              VisualId: "temperature-per-room",
              Title: title("Temperature per room (hourly mean, °C)"),
              ChartConfiguration: {
                FieldWells: {
                  LineChartAggregatedFieldWells: {
                    Category: [
                      {
                        DateDimensionField: {
                          FieldId: "hour",
                          Column: column("hourly_room_stats", "hour"),
                          DateGranularity: "HOUR",
                        },
                      },
                    ],
                    Values: [
                      {
                        NumericalMeasureField: {
                          FieldId: "avg-temperature",
                          Column: column("hourly_room_stats", "avg_temperature_c"),
                          AggregationFunction: { SimpleNumericalAggregation: "AVERAGE" },
                        },
                      },
                    ],
                    Colors: [
                      {
                        CategoricalDimensionField: {
                          FieldId: "room",
                          Column: column("hourly_room_stats", "room_id"),
                        },
                      },
                    ],
                  },
                },
              },
            },
          },
          {
            TableVisual: {
              VisualId: "anomalies-24h",
              Title: title("Anomalies in the last 24 hours"),
              ChartConfiguration: {
                FieldWells: {
                  TableUnaggregatedFieldWells: {
                    Values: [
                      "reading_time",
                      "room_id",
                      "device_id",
                      "temperature_c",
                      "kind",
                      "anomaly_score",
                      "score",
                    ].map((name) => ({
                      FieldId: `anomaly-${name.replace(/_/g, "-")}`,
                      Column: column("anomalies_last_24h", name),
                    })),
                  },
                },
                SortConfiguration: {
                  RowSort: [{ FieldSort: { FieldId: "anomaly-reading-time", Direction: "DESC" } }],
                },
              },
            },
          },
          {
            BarChartVisual: {
              VisualId: "completeness-per-device",
              Title: title("Data completeness per device, last 7 days (%)"),
              ChartConfiguration: {
                Orientation: "HORIZONTAL",
                FieldWells: {
                  BarChartAggregatedFieldWells: {
                    Category: [
                      {
                        CategoricalDimensionField: {
                          FieldId: "device",
                          Column: column("device_completeness", "device_id"),
                        },
                      },
                    ],
                    Values: [
                      {
                        NumericalMeasureField: {
                          FieldId: "completeness",
                          Column: column("device_completeness", "completeness_pct"),
                          AggregationFunction: { SimpleNumericalAggregation: "AVERAGE" },
                        },
                      },
                    ],
                  },
                },
              },
            },
          },
        ],
      },
    ],
  };
}

/** The CloudFormation template of the dashboard (one `AWS::QuickSight::Dashboard`). */
export function dashboardTemplate(args: {
  readonly awsAccountId: string;
  readonly dashboardId: string;
  readonly name: string;
  readonly definition: { [key: string]: Json };
  readonly principals: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
}): { [key: string]: Json } {
  return {
    AWSTemplateFormatVersion: "2010-09-09",
    Description: `QuickSight dashboard ${args.name}, defined as code (components/analytics/quicksight-definition.ts)`,
    Resources: {
      Dashboard: {
        Type: "AWS::QuickSight::Dashboard",
        Properties: {
          AwsAccountId: args.awsAccountId,
          DashboardId: args.dashboardId,
          Name: args.name,
          VersionDescription: "Deployed by Pulumi",
          Definition: args.definition,
          Permissions: args.principals.map((principal) => ({
            Principal: principal,
            Actions: [...VIEWER_ACTIONS.dashboard],
          })),
          DashboardPublishOptions: {
            AdHocFilteringOption: { AvailabilityStatus: "ENABLED" },
            ExportToCSVOption: { AvailabilityStatus: "ENABLED" },
            SheetControlsOption: { VisibilityState: "EXPANDED" },
          },
          Tags: Object.entries(args.tags).map(([Key, Value]) => ({ Key, Value })),
        },
      },
    },
    Outputs: { DashboardArn: { Value: { "Fn::GetAtt": ["Dashboard", "Arn"] } } },
  };
}

/** ARNs the QuickSight Athena role is scoped to. */
export interface QuickSightAccessScope {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly workGroupArn: string;
  readonly database: string;
  readonly rawBucketArn: string;
  readonly curatedBucketArn: string;
  readonly resultsBucketArn: string;
  /** The lake key. @default - none: SSE-S3 buckets, no `kms:*` statement */
  readonly kmsKeyArn?: string | undefined;
}

/**
 * What QuickSight needs to query the views through Athena with its own role: run queries in the one workgroup,
 * read the lake database's catalog, read the zones the views read, write and read query results, and use the
 * lake key for both.
 */
export function quickSightAthenaPolicy(s: QuickSightAccessScope): aws.iam.PolicyDocument {
  const glue = (resource: string) => `arn:${s.partition}:glue:${s.region}:${s.accountId}:${resource}`;
  const results = `${s.resultsBucketArn}/${LAKE_ZONES.athenaResults.prefix}*`;
  return {
    Version: "2012-10-17",
    Statement: [
      queryInWorkGroupStatement("RunQueriesInTheWorkgroup", s.workGroupArn),
      {
        Sid: "ReadTheLakeCatalog",
        Effect: "Allow",
        Action: [
          "glue:GetDatabase",
          "glue:GetDatabases",
          "glue:GetTable",
          "glue:GetTables",
          "glue:GetPartition",
          "glue:GetPartitions",
        ],
        Resource: [glue("catalog"), glue(`database/${s.database}`), glue(`table/${s.database}/*`)],
      },
      {
        Sid: "ListTheLakeBuckets",
        Effect: "Allow",
        Action: ["s3:GetBucketLocation", "s3:ListBucket"],
        Resource: [s.rawBucketArn, s.curatedBucketArn, s.resultsBucketArn],
      },
      {
        Sid: "ReadTheZonesTheViewsRead",
        Effect: "Allow",
        Action: ["s3:GetObject"],
        Resource: [
          `${s.rawBucketArn}/${LAKE_ZONES.telemetry.prefix}*`,
          `${s.curatedBucketArn}/${LAKE_ZONES.curatedReadings.prefix}*`,
          `${s.curatedBucketArn}/${LAKE_ZONES.anomalies.prefix}*`,
        ],
      },
      {
        Sid: "WriteQueryResults",
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
        Resource: results,
      },
      ...keyStatements(s.kmsKeyArn, (keyArn) => [
        {
          Sid: "UseTheLakeKey",
          Effect: "Allow",
          Action: ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
          Resource: keyArn,
        },
      ]),
    ],
  };
}

/** Trust policy: QuickSight of this account only. */
export function quickSightTrustPolicy(accountId: string): aws.iam.PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: "quicksight.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": accountId } },
      },
    ],
  };
}
