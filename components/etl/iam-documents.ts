/**
 * IAM documents of the historical sources and the ETL: trust and permission policies for the Glue role,
 * VPC flow logs, the planning function, the state machine and its schedule. Pure (plain strings in, typed
 * documents out), so tests read them statement by statement and check each action against the IAM service
 * reference. Every statement is scoped to the ARNs it needs; a `*` has a Sid ending in "Wildcard" and a
 * comment saying which API requires it.
 */
import type * as aws from "@pulumi/aws";
import {
  type AccountScope,
  encryptForTopicStatements,
  executionLogDeliveryStatement,
  policyDocument as document,
  xrayStatement,
} from "../shared/iam-policy";

/**
 * CloudWatch namespace of Glue's job metrics (glue.driver.*, with JobName, JobRunId and Type); the namespace
 * AWS/Glue holds only the service's resource-usage metrics.
 */
export const GLUE_JOB_METRICS_NAMESPACE = "Glue";

// Moved to the shared module; re-exported so existing imports keep working.
export { serviceTrustPolicy } from "../shared/iam-policy";
export type { AccountScope } from "../shared/iam-policy";

/** Permissions of a VPC flow log's delivery role: write into its one log group. */
export function flowLogPolicy(logGroupArn: string): aws.iam.PolicyDocument {
  return document([
    {
      Sid: "DeliverFlowLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
      Resource: [logGroupArn, `${logGroupArn}:*`],
    },
  ]);
}

export interface GlueAccessArgs {
  readonly scope: AccountScope;
  readonly rawBucket: string;
  readonly curatedBucket: string;
  readonly artifactsBucket: string;
  /** Prefix of the historical CSV files in the raw bucket. */
  readonly historicalPrefix: string;
  /** The lake's customer-managed key. @default - none: SSE-S3 buckets, no `kms:*` for the lake */
  readonly lakeKeyArn?: string | undefined;
  /** Catalog databases the crawlers write (the lake's and the sources'). */
  readonly databases: readonly string[];
  /** The JDBC source: its connection, secret and network, which Glue attaches to. */
  readonly jdbc: {
    readonly connectionName: string;
    readonly secretArn: string;
    /**
     * Customer-managed KMS key of the secret when it is not the lake key (an existing secret).
     * @default - the lake key, or Secrets Manager's AWS-managed key without one
     */
    readonly secretKeyArn?: string | undefined;
    readonly subnetId: string;
    readonly securityGroupId: string;
  };
}

/**
 * What the Glue jobs and crawlers do: read the sources and the lake, write the historical and curated zones,
 * keep the catalog, log, and attach to the Glue VPC for the JDBC source.
 */
export function glueAccessPolicy(a: GlueAccessArgs): aws.iam.PolicyDocument {
  const { partition: p, region, accountId } = a.scope;
  const s3 = (bucket: string, key: string) => `arn:${p}:s3:::${bucket}/${key}`;
  const glue = (resource: string) => `arn:${p}:glue:${region}:${accountId}:${resource}`;
  const ec2 = (resource: string) => `arn:${p}:ec2:${region}:${accountId}:${resource}`;
  const keys = [...new Set([a.lakeKeyArn, a.jdbc.secretKeyArn].filter((k): k is string => Boolean(k)))];
  return document([
    {
      Sid: "ReadSourcesAndLake",
      Effect: "Allow",
      Action: ["s3:GetObject"],
      Resource: [
        s3(a.rawBucket, `${a.historicalPrefix}*`),
        s3(a.rawBucket, "telemetry/*"),
        s3(a.rawBucket, "historical/*"),
        s3(a.curatedBucket, "readings/*"),
        s3(a.artifactsBucket, "glue/*"),
      ],
    },
    {
      // Listing shows key names, not data; Spark lists with prefixes it derives itself (with and without
      // the trailing "/", and its "_$folder$" markers), which a prefix condition would have to guess.
      Sid: "ListLakeBuckets",
      Effect: "Allow",
      Action: ["s3:ListBucket", "s3:GetBucketLocation"],
      Resource: [
        `arn:${p}:s3:::${a.rawBucket}`,
        `arn:${p}:s3:::${a.curatedBucket}`,
        `arn:${p}:s3:::${a.artifactsBucket}`,
      ],
    },
    {
      // "*" after the zone name (no "/") covers the "<zone>_$folder$" markers Spark writes beside a folder.
      Sid: "WriteHistoricalAndCuratedZones",
      Effect: "Allow",
      Action: ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
      Resource: [
        s3(a.rawBucket, "historical/*"),
        s3(a.curatedBucket, "readings*"),
        s3(a.curatedBucket, "training*"),
        s3(a.artifactsBucket, "glue/temp/*"),
      ],
    },
    ...(keys.length > 0
      ? [
          {
            Sid: "UseLakeAndSecretKeys",
            Effect: "Allow" as const,
            Action: [
              "kms:Decrypt",
              "kms:Encrypt",
              "kms:GenerateDataKey",
              "kms:GenerateDataKeyWithoutPlaintext",
              "kms:DescribeKey",
            ],
            Resource: keys,
          },
        ]
      : []),
    {
      Sid: "KeepCatalog",
      Effect: "Allow",
      Action: [
        "glue:GetDatabase",
        "glue:GetTable",
        "glue:GetTables",
        "glue:CreateTable",
        "glue:UpdateTable",
        "glue:GetPartition",
        "glue:GetPartitions",
        "glue:BatchGetPartition",
        "glue:CreatePartition",
        "glue:BatchCreatePartition",
        "glue:UpdatePartition",
        "glue:BatchUpdatePartition",
      ],
      Resource: [
        glue("catalog"),
        ...a.databases.flatMap((db) => [glue(`database/${db}`), glue(`table/${db}/*`)]),
      ],
    },
    {
      Sid: "UseJdbcConnection",
      Effect: "Allow",
      Action: ["glue:GetConnection"],
      Resource: [glue("catalog"), glue(`connection/${a.jdbc.connectionName}`)],
    },
    {
      Sid: "ReadDatabaseSecret",
      Effect: "Allow",
      Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
      Resource: [a.jdbc.secretArn],
    },
    {
      Sid: "WriteGlueLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"],
      Resource: [`arn:${p}:logs:${region}:${accountId}:log-group:/aws-glue/*`],
    },
    {
      // EC2 Describe* calls do not support resource-level permissions; Glue makes them to validate the
      // connection's subnet and security group before attaching.
      Sid: "DescribeNetworkWildcard",
      Effect: "Allow",
      Action: [
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSubnets",
        "ec2:DescribeVpcs",
        "ec2:DescribeVpcAttribute",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeRouteTables",
        "ec2:DescribeVpcEndpoints",
      ],
      Resource: "*",
    },
    {
      Sid: "AttachToGlueSubnet",
      Effect: "Allow",
      Action: ["ec2:CreateNetworkInterface"],
      Resource: [
        ec2(`subnet/${a.jdbc.subnetId}`),
        ec2(`security-group/${a.jdbc.securityGroupId}`),
        ec2("network-interface/*"),
      ],
    },
    {
      Sid: "ManageGlueInterfaces",
      Effect: "Allow",
      Action: ["ec2:DeleteNetworkInterface", "ec2:CreateTags", "ec2:DeleteTags"],
      Resource: [ec2("network-interface/*")],
    },
    {
      // PutMetricData has no resource; the condition limits it to Glue's namespace.
      Sid: "PublishGlueMetricsWildcard",
      Effect: "Allow",
      Action: ["cloudwatch:PutMetricData"],
      Resource: "*",
      Condition: { StringEquals: { "cloudwatch:namespace": GLUE_JOB_METRICS_NAMESPACE } },
    },
  ]);
}

export interface PlannerAccessArgs {
  readonly jobArns: readonly string[];
  readonly landingBucket: string;
  readonly landingPrefix: string;
  readonly logGroupArn: string;
  readonly partition: string;
  /** Where a failed asynchronous invocation is reported, and the topic's key. */
  readonly failureTopicArn: string;
  /** @default - none: the topic uses SNS's AWS-managed encryption or none, no `kms:*` statement */
  readonly topicKeyArn?: string | undefined;
}

/**
 * The planning function: job run history of the two imports, the landing prefix's listing, its logs, and
 * the failure topic (its on-failure destination for asynchronous invocations).
 */
export function plannerPolicy(a: PlannerAccessArgs): aws.iam.PolicyDocument {
  return document([
    { Sid: "ReadImportRuns", Effect: "Allow", Action: ["glue:GetJobRuns"], Resource: [...a.jobArns] },
    {
      Sid: "ListLandingPrefix",
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: [`arn:${a.partition}:s3:::${a.landingBucket}`],
      Condition: { StringLike: { "s3:prefix": [`${a.landingPrefix}*`] } },
    },
    {
      Sid: "WriteOwnLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: [a.logGroupArn, `${a.logGroupArn}:*`],
    },
    { Sid: "ReportAsyncFailure", Effect: "Allow", Action: ["sns:Publish"], Resource: [a.failureTopicArn] },
    ...encryptForTopicStatements(a.topicKeyArn),
    xrayStatement(),
  ]);
}

export interface StateMachineAccessArgs {
  readonly plannerFunctionArn: string;
  readonly jobArns: readonly string[];
  readonly crawlerArns: readonly string[];
  readonly failureTopicArn: string;
  /** The customer-managed key the failure topic is encrypted with. @default - none: no `kms:*` statement */
  readonly topicKeyArn?: string | undefined;
  /** @default - no training step */
  readonly trainingStateMachineArn?: string;
}

/** The ETL state machine: exactly the Tasks its definition has, plus logging and tracing. */
export function stateMachinePolicy(a: StateMachineAccessArgs): aws.iam.PolicyDocument {
  return document([
    {
      Sid: "InvokePlanner",
      Effect: "Allow",
      Action: ["lambda:InvokeFunction"],
      Resource: [a.plannerFunctionArn, `${a.plannerFunctionArn}:*`],
    },
    // startJobRun.sync polls the run, and stops it when the Task times out or the execution is stopped.
    {
      Sid: "RunGlueJobs",
      Effect: "Allow",
      Action: ["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:BatchStopJobRun"],
      Resource: [...a.jobArns],
    },
    {
      Sid: "RunCrawlers",
      Effect: "Allow",
      Action: ["glue:StartCrawler", "glue:GetCrawler"],
      Resource: [...a.crawlerArns],
    },
    { Sid: "NotifyFailure", Effect: "Allow", Action: ["sns:Publish"], Resource: [a.failureTopicArn] },
    ...encryptForTopicStatements(a.topicKeyArn),
    ...(a.trainingStateMachineArn
      ? [
          {
            Sid: "StartTraining",
            Effect: "Allow" as const,
            Action: ["states:StartExecution"],
            Resource: [a.trainingStateMachineArn],
          },
        ]
      : []),
    executionLogDeliveryStatement(),
    xrayStatement(),
  ]);
}
