/**
 * IAM documents of the anomaly pipeline's Lambda functions: the training steps, the scoring steps and the
 * ad-hoc scoring URL, each with its logs, dead-letter queue, the lake key (when there is one) and tracing.
 */
import type * as aws from "@pulumi/aws";
import { LAKE_ZONES } from "../lake/layout";
import {
  type AccountScope,
  encryptForTopicStatements,
  policyDocument as document,
  writeOwnLogsStatement as writeLogs,
  xrayStatement,
} from "../shared/iam-policy";
import { lakeKeyStatements, sageMakerArn, type Statement } from "./iam-documents";
import { MODEL_KEYS, SCORING_STATE_PREFIX } from "./ml-layout";

export interface FunctionPolicyArgs {
  readonly scope: AccountScope;
  readonly logGroupArn: string;
  readonly deadLetterQueueArn: string;
  /** The lake key (buckets and the dead-letter queue). @default - none: no `kms:*` statement */
  readonly kmsKeyArn?: string | undefined;
  readonly curatedBucketArn: string;
  readonly artifactsBucketArn: string;
}

function functionCommon(a: FunctionPolicyArgs): Statement[] {
  return [
    writeLogs(a.logGroupArn),
    // Asynchronous invocations that fail end up here.
    {
      Sid: "SendToDeadLetterQueue",
      Effect: "Allow",
      Action: ["sqs:SendMessage"],
      Resource: [a.deadLetterQueueArn],
    },
    ...lakeKeyStatements(a.kmsKeyArn, false),
    xrayStatement(),
  ];
}

/** The training steps: read the training CSV and the transform's scores, write thresholds and the pointer, clean up old runs. */
export function trainingFunctionPolicy(
  a: FunctionPolicyArgs & {
    readonly namePrefix: string;
    readonly endpointName?: string;
    /** The parameter promote records the model in. */
    readonly promotedModelParameterArn: string;
  },
): aws.iam.PolicyDocument {
  const s = a.scope;
  const run = `${a.namePrefix}-rcf-*`;
  return document([
    {
      Sid: "ListTrainingSet",
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: [a.curatedBucketArn],
      Condition: { StringLike: { "s3:prefix": [`${LAKE_ZONES.training.prefix}*`] } },
    },
    {
      Sid: "ReadTrainingSet",
      Effect: "Allow",
      Action: ["s3:GetObject"],
      Resource: [`${a.curatedBucketArn}/${LAKE_ZONES.training.prefix}*`],
    },
    {
      Sid: "ListModelArtifacts",
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: [a.artifactsBucketArn],
      Condition: { StringLike: { "s3:prefix": [`${LAKE_ZONES.models.prefix}*`] } },
    },
    {
      Sid: "ReadAndWriteModelArtifacts",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:PutObject"],
      Resource: [`${a.artifactsBucketArn}/${LAKE_ZONES.models.prefix}*`],
    },
    // The training set's scores are deleted once the threshold is computed.
    {
      Sid: "DeleteTrainingScores",
      Effect: "Allow",
      Action: ["s3:DeleteObject"],
      Resource: [`${a.artifactsBucketArn}/${LAKE_ZONES.models.prefix}runs/*/training-scores/*`],
    },
    {
      Sid: "RecordThePromotedModel",
      Effect: "Allow",
      Action: ["ssm:PutParameter"],
      Resource: [a.promotedModelParameterArn],
    },
    // The List APIs of SageMaker take no resource.
    {
      Sid: "ListRunsWildcard",
      Effect: "Allow",
      Action: ["sagemaker:ListModels", "sagemaker:ListEndpointConfigs"],
      Resource: "*",
    },
    {
      Sid: "DeleteOldRuns",
      Effect: "Allow",
      Action: ["sagemaker:DeleteModel", "sagemaker:DeleteEndpointConfig"],
      Resource: [sageMakerArn(s, "model", run), sageMakerArn(s, "endpoint-config", run)],
    },
    ...(a.endpointName
      ? [
          {
            Sid: "CheckTheEndpoint",
            Effect: "Allow" as const,
            Action: ["sagemaker:DescribeEndpoint"],
            Resource: [sageMakerArn(s, "endpoint", a.endpointName)],
          },
        ]
      : []),
    ...functionCommon(a),
  ]);
}

/**
 * s3:ListBucket on the buckets whose objects a function reads before they exist (the model pointer before the
 * first training, the scoring watermark before the first scoring run). Without it S3 answers a GET of a missing
 * object with 403 instead of 404 (GetObject, "Permissions"), and the function would fail where it should skip.
 * Not narrowed by s3:prefix: that condition key is absent from a GET, so a narrowed grant does not count.
 */
function missingObjectsAre404(bucketArns: readonly string[]): aws.iam.PolicyStatement {
  return {
    Sid: "ListSoThatMissingObjectsAre404",
    Effect: "Allow",
    Action: ["s3:ListBucket"],
    Resource: [...bucketArns],
  };
}

/** The scoring steps: read query results and the model pointer, write anomalies and scoring state, alert, invoke the endpoint. */
export function scoringFunctionPolicy(
  a: FunctionPolicyArgs & {
    readonly resultsBucketArn: string;
    readonly alertTopicArn: string;
    readonly topicKeyArn?: string | undefined;
    readonly endpointName?: string;
  },
): aws.iam.PolicyDocument {
  const s = a.scope;
  return document([
    {
      Sid: "ReadQueryResults",
      Effect: "Allow",
      Action: ["s3:GetObject"],
      Resource: [`${a.resultsBucketArn}/${LAKE_ZONES.athenaResults.prefix}*`],
    },
    {
      Sid: "ReadTheModelPointer",
      Effect: "Allow",
      Action: ["s3:GetObject"],
      Resource: [`${a.artifactsBucketArn}/${MODEL_KEYS.current}`],
    },
    missingObjectsAre404([a.artifactsBucketArn, a.curatedBucketArn]),
    {
      Sid: "ReadAndWriteScoringState",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:PutObject"],
      Resource: [`${a.curatedBucketArn}/${SCORING_STATE_PREFIX}*`],
    },
    // A finished batch window's transform input and output are deleted.
    {
      Sid: "DeleteFinishedBatches",
      Effect: "Allow",
      Action: ["s3:DeleteObject"],
      Resource: [`${a.curatedBucketArn}/${SCORING_STATE_PREFIX}batches/*`],
    },
    {
      Sid: "WriteAnomalies",
      Effect: "Allow",
      Action: ["s3:PutObject"],
      Resource: [`${a.curatedBucketArn}/${LAKE_ZONES.anomalies.prefix}*`],
    },
    { Sid: "PublishAlerts", Effect: "Allow", Action: ["sns:Publish"], Resource: [a.alertTopicArn] },
    ...encryptForTopicStatements(a.topicKeyArn),
    ...(a.endpointName
      ? [
          {
            Sid: "InvokeTheEndpoint",
            Effect: "Allow" as const,
            Action: ["sagemaker:InvokeEndpoint"],
            Resource: [sageMakerArn(s, "endpoint", a.endpointName)],
          },
        ]
      : []),
    ...functionCommon(a),
  ]);
}

/** The ad-hoc scoring URL: invoke the endpoint and read the threshold of the model in service. */
export function adHocScoringPolicy(
  a: FunctionPolicyArgs & { readonly endpointName: string },
): aws.iam.PolicyDocument {
  return document([
    {
      Sid: "ReadTheModelPointer",
      Effect: "Allow",
      Action: ["s3:GetObject"],
      Resource: [`${a.artifactsBucketArn}/${MODEL_KEYS.current}`],
    },
    missingObjectsAre404([a.artifactsBucketArn]),
    {
      Sid: "InvokeTheEndpoint",
      Effect: "Allow",
      Action: ["sagemaker:InvokeEndpoint"],
      Resource: [sageMakerArn(a.scope, "endpoint", a.endpointName)],
    },
    ...functionCommon(a),
  ]);
}
