/**
 * IAM documents of the anomaly pipeline shared by its parts: SageMaker ARNs, the lake-key statements, the
 * SageMaker execution role and the topics' key policy. The state machines' documents are in
 * `machine-iam.ts`, the functions' in `function-iam.ts`. Pure (plain strings in, typed documents out), so tests
 * check them statement by statement against the IAM service reference. Every statement is scoped to the ARNs
 * it needs; a `*` has a Sid ending in "Wildcard" and a comment saying which API requires it.
 */
import type * as aws from "@pulumi/aws";
import { LAKE_ZONES } from "../lake/layout";
import {
  type AccountScope,
  keyAdministeredThroughIam,
  policyDocument as document,
} from "../shared/iam-policy";
import { SCORING_STATE_PREFIX } from "./ml-layout";

export type Statement = aws.iam.PolicyStatement;

/** ARN of a SageMaker resource (names appear lowercased in SageMaker ARNs). */
export function sageMakerArn(
  s: AccountScope,
  type: "training-job" | "model" | "endpoint-config" | "endpoint" | "transform-job",
  name: string,
): string {
  return `arn:${s.partition}:sagemaker:${s.region}:${s.accountId}:${type}/${name.toLowerCase()}`;
}

/**
 * Using the lake key for data at rest, and letting SageMaker volumes hold grants on it; nothing without a
 * customer-managed key (SSE-S3 buckets and SageMaker's AWS-managed volume encryption need no permission).
 */
export function lakeKeyStatements(kmsKeyArn: string | undefined, grants: boolean): Statement[] {
  if (!kmsKeyArn) return [];
  const statements: Statement[] = [
    {
      Sid: "UseLakeKey",
      Effect: "Allow",
      Action: ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
      Resource: [kmsKeyArn],
    },
  ];
  if (grants) {
    // Encrypted ML storage volumes are attached through a grant SageMaker creates on the caller's behalf.
    statements.push({
      Sid: "GrantLakeKeyToSageMakerVolumes",
      Effect: "Allow",
      Action: ["kms:CreateGrant"],
      Resource: [kmsKeyArn],
      Condition: { Bool: { "kms:GrantIsForAWSResource": "true" } },
    });
  }
  return statements;
}

export interface SageMakerRoleArgs {
  readonly scope: AccountScope;
  readonly curatedBucketArn: string;
  readonly artifactsBucketArn: string;
  /** The lake key. @default - none: no `kms:*` statement */
  readonly kmsKeyArn?: string | undefined;
  /** The Random Cut Forest image's repository, e.g. `arn:aws:ecr:us-east-1:382416733822:repository/randomcutforest`. */
  readonly imageRepositoryArn: string;
}

/** The role SageMaker assumes for training, the models and transform jobs: read inputs, write outputs, pull the image. */
export function sageMakerExecutionPolicy(a: SageMakerRoleArgs): aws.iam.PolicyDocument {
  const { scope: s } = a;
  return document([
    {
      Sid: "ListInputs",
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: [a.curatedBucketArn],
      Condition: {
        StringLike: { "s3:prefix": [`${LAKE_ZONES.training.prefix}*`, `${SCORING_STATE_PREFIX}batches/*`] },
      },
    },
    {
      Sid: "ListModels",
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: [a.artifactsBucketArn],
      Condition: { StringLike: { "s3:prefix": [`${LAKE_ZONES.models.prefix}*`] } },
    },
    {
      Sid: "ReadTrainingSet",
      Effect: "Allow",
      Action: ["s3:GetObject"],
      Resource: [`${a.curatedBucketArn}/${LAKE_ZONES.training.prefix}*`],
    },
    {
      Sid: "ReadAndWriteScoringBatches",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"],
      Resource: [`${a.curatedBucketArn}/${SCORING_STATE_PREFIX}batches/*`],
    },
    {
      Sid: "ReadAndWriteModelArtifacts",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"],
      Resource: [`${a.artifactsBucketArn}/${LAKE_ZONES.models.prefix}*`],
    },
    ...lakeKeyStatements(a.kmsKeyArn, true),
    {
      Sid: "PullAlgorithmImage",
      Effect: "Allow",
      Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
      Resource: [a.imageRepositoryArn],
    },
    // ecr:GetAuthorizationToken takes no resource: the token is per registry login, not per repository.
    { Sid: "EcrLoginWildcard", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: "*" },
    {
      Sid: "WriteJobLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
      Resource: [`arn:${s.partition}:logs:${s.region}:${s.accountId}:log-group:/aws/sagemaker/*`],
    },
    // PutMetricData takes no resource; the condition keeps it to SageMaker's own namespaces.
    {
      Sid: "PublishJobMetricsWildcard",
      Effect: "Allow",
      Action: ["cloudwatch:PutMetricData"],
      Resource: "*",
      Condition: { StringLike: { "cloudwatch:namespace": "/aws/sagemaker/*" } },
    },
  ]);
}

/**
 * Key policy of the key that encrypts the pipeline's SNS topics: the account administers it through IAM (roles
 * get access by IAM policies scoped to this key), and CloudWatch may use it so endpoint alarms can publish to
 * an encrypted topic (CloudWatch cannot use the AWS-managed SNS key).
 */
export function notificationKeyPolicy(s: AccountScope): aws.iam.PolicyDocument {
  return document([
    keyAdministeredThroughIam(s),
    {
      Sid: "AllowCloudWatchAlarmsKeyWildcard",
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
      Resource: "*",
      Condition: { StringEquals: { "aws:SourceAccount": s.accountId } },
    },
  ]);
}
