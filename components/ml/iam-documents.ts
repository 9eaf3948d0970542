/**
 * IAM documents of the anomaly pipeline: the SageMaker execution role, the training and scoring state
 * machines, their schedules, and the Lambda functions. Pure (plain strings in, typed documents out), so tests
 * check them statement by statement against the IAM service reference. Every statement is scoped to the ARNs
 * it needs; a `*` has a Sid ending in "Wildcard" and a comment saying which API requires it.
 */
import type * as aws from "@pulumi/aws";
import { LAKE_ZONES } from "../lake/layout";
import {
  type AccountScope,
  executionLogDeliveryStatement,
  keyAdministeredThroughIam,
  policyDocument as document,
  writeOwnLogsStatement as writeLogs,
  xrayStatement,
} from "../shared/iam-policy";
import { MODEL_KEYS, SCORING_STATE_PREFIX } from "./ml-layout";

type Statement = aws.iam.PolicyStatement;

/** ARN of a SageMaker resource (names appear lowercased in SageMaker ARNs). */
export function sageMakerArn(
  s: AccountScope,
  type: "training-job" | "model" | "endpoint-config" | "endpoint" | "transform-job",
  name: string,
): string {
  return `arn:${s.partition}:sagemaker:${s.region}:${s.accountId}:${type}/${name.toLowerCase()}`;
}

/** Using the lake key for data at rest, and letting SageMaker volumes hold grants on it. */
function lakeKeyStatements(kmsKeyArn: string, grants: boolean): Statement[] {
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
  readonly kmsKeyArn: string;
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

/** Rules Step Functions creates to learn when a SageMaker job of a `.sync` Task ends. */
function syncRules(s: AccountScope, jobs: ("Training" | "Transform")[]): Statement {
  return {
    Sid: "TrackSageMakerJobs",
    Effect: "Allow",
    Action: ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
    Resource: jobs.map(
      (j) =>
        `arn:${s.partition}:events:${s.region}:${s.accountId}:rule/StepFunctionsGetEventsFor${j === "Training" ? "SageMakerTrainingJobs" : "SageMakerTransformJobs"}Rule`,
    ),
  };
}

function machineCommon(a: {
  stateMachineArn: string;
  functionArn: string;
  failureTopicArn: string;
  topicKeyArn: string;
}): Statement[] {
  return [
    {
      Sid: "InvokeSteps",
      Effect: "Allow",
      Action: ["lambda:InvokeFunction"],
      Resource: [a.functionArn, `${a.functionArn}:*`],
    },
    // The overlap guard lists this machine's own running executions.
    {
      Sid: "ListOwnExecutions",
      Effect: "Allow",
      Action: ["states:ListExecutions"],
      Resource: [a.stateMachineArn],
    },
    { Sid: "NotifyFailure", Effect: "Allow", Action: ["sns:Publish"], Resource: [a.failureTopicArn] },
    {
      Sid: "EncryptForTopic",
      Effect: "Allow",
      Action: ["kms:GenerateDataKey", "kms:Decrypt"],
      Resource: [a.topicKeyArn],
    },
    executionLogDeliveryStatement(),
    xrayStatement(),
  ];
}

export interface TrainingMachinePolicyArgs {
  readonly scope: AccountScope;
  readonly stateMachineArn: string;
  readonly functionArn: string;
  readonly failureTopicArn: string;
  /** Key the topics are encrypted with. */
  readonly topicKeyArn: string;
  readonly sageMakerRoleArn: string;
  readonly kmsKeyArn: string;
  /** Prefix of the run names (`<prefix>-rcf-<run>`). */
  readonly namePrefix: string;
  /** Endpoint mode. @default - batch mode */
  readonly endpointName?: string;
}

/** The training machine: exactly the SageMaker calls of its definition, on the run names' prefix. */
export function trainingMachinePolicy(a: TrainingMachinePolicyArgs): aws.iam.PolicyDocument {
  const s = a.scope;
  const run = `${a.namePrefix}-rcf-*`;
  const statements: Statement[] = [
    {
      Sid: "RunTrainingAndTransformJobs",
      Effect: "Allow",
      Action: [
        "sagemaker:CreateTrainingJob",
        "sagemaker:DescribeTrainingJob",
        "sagemaker:StopTrainingJob",
        "sagemaker:CreateTransformJob",
        "sagemaker:DescribeTransformJob",
        "sagemaker:StopTransformJob",
        "sagemaker:CreateModel",
        "sagemaker:AddTags",
      ],
      Resource: [
        sageMakerArn(s, "training-job", run),
        sageMakerArn(s, "transform-job", run),
        sageMakerArn(s, "model", run),
      ],
    },
    {
      Sid: "PassRoleToSageMaker",
      Effect: "Allow",
      Action: ["iam:PassRole"],
      Resource: [a.sageMakerRoleArn],
      Condition: { StringEquals: { "iam:PassedToService": "sagemaker.amazonaws.com" } },
    },
    syncRules(s, ["Training", "Transform"]),
    ...lakeKeyStatements(a.kmsKeyArn, true),
    ...machineCommon(a),
  ];
  if (a.endpointName) {
    statements.push(
      {
        Sid: "CreateEndpointConfigs",
        Effect: "Allow",
        Action: ["sagemaker:CreateEndpointConfig", "sagemaker:AddTags"],
        Resource: [sageMakerArn(s, "endpoint-config", run)],
      },
      {
        Sid: "UpdateTheEndpoint",
        Effect: "Allow",
        Action: ["sagemaker:UpdateEndpoint", "sagemaker:DescribeEndpoint"],
        Resource: [sageMakerArn(s, "endpoint", a.endpointName), sageMakerArn(s, "endpoint-config", run)],
      },
    );
  }
  return document(statements);
}

export interface ScoringMachinePolicyArgs {
  readonly scope: AccountScope;
  readonly stateMachineArn: string;
  readonly functionArn: string;
  readonly failureTopicArn: string;
  /** Key the topics are encrypted with. */
  readonly topicKeyArn: string;
  readonly kmsKeyArn: string;
  readonly workGroupArn: string;
  readonly database: string;
  readonly rawBucketArn: string;
  readonly resultsBucketArn: string;
  readonly namePrefix: string;
  /** Batch mode: run transform jobs. */
  readonly batch: boolean;
}

/** The scoring machine: the scoring_input query in the workgroup, the function, and (batch mode) transform jobs. */
export function scoringMachinePolicy(a: ScoringMachinePolicyArgs): aws.iam.PolicyDocument {
  const s = a.scope;
  const glue = (resource: string) => `arn:${s.partition}:glue:${s.region}:${s.accountId}:${resource}`;
  const statements: Statement[] = [
    {
      Sid: "QueryInTheWorkgroup",
      Effect: "Allow",
      Action: [
        "athena:StartQueryExecution",
        "athena:GetQueryExecution",
        "athena:GetQueryResults",
        "athena:StopQueryExecution",
        "athena:GetWorkGroup",
      ],
      Resource: [a.workGroupArn],
    },
    {
      Sid: "ReadTheTelemetryTable",
      Effect: "Allow",
      Action: ["glue:GetDatabase", "glue:GetTable", "glue:GetPartition", "glue:GetPartitions"],
      Resource: [glue("catalog"), glue(`database/${a.database}`), glue(`table/${a.database}/telemetry`)],
    },
    {
      Sid: "ListTelemetryAndResults",
      Effect: "Allow",
      Action: ["s3:ListBucket", "s3:GetBucketLocation"],
      Resource: [a.rawBucketArn, a.resultsBucketArn],
    },
    {
      Sid: "ReadTelemetry",
      Effect: "Allow",
      Action: ["s3:GetObject"],
      Resource: [`${a.rawBucketArn}/${LAKE_ZONES.telemetry.prefix}*`],
    },
    {
      Sid: "WriteQueryResults",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
      Resource: [`${a.resultsBucketArn}/${LAKE_ZONES.athenaResults.prefix}*`],
    },
    ...lakeKeyStatements(a.kmsKeyArn, a.batch),
    ...machineCommon(a),
  ];
  if (a.batch) {
    statements.push(
      {
        Sid: "RunScoringTransformJobs",
        Effect: "Allow",
        Action: [
          "sagemaker:CreateTransformJob",
          "sagemaker:DescribeTransformJob",
          "sagemaker:StopTransformJob",
          "sagemaker:AddTags",
        ],
        // The job runs a model of a training run: both ARNs are checked by CreateTransformJob.
        Resource: [
          sageMakerArn(s, "transform-job", `${a.namePrefix}-score-*`),
          sageMakerArn(s, "model", `${a.namePrefix}-rcf-*`),
        ],
      },
      syncRules(s, ["Transform"]),
    );
  }
  return document(statements);
}

/** The schedule's role: start one state machine. */
export function startExecutionPolicy(stateMachineArn: string): aws.iam.PolicyDocument {
  return document([
    {
      Sid: "StartTheMachine",
      Effect: "Allow",
      Action: ["states:StartExecution"],
      Resource: [stateMachineArn],
    },
  ]);
}

export interface FunctionPolicyArgs {
  readonly scope: AccountScope;
  readonly logGroupArn: string;
  readonly deadLetterQueueArn: string;
  readonly kmsKeyArn: string;
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

/** The scoring steps: read query results and the model pointer, write anomalies and scoring state, alert, invoke the endpoint. */
export function scoringFunctionPolicy(
  a: FunctionPolicyArgs & {
    readonly resultsBucketArn: string;
    readonly alertTopicArn: string;
    readonly topicKeyArn: string;
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
    {
      Sid: "ListScoringState",
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: [a.curatedBucketArn],
      Condition: { StringLike: { "s3:prefix": [`${SCORING_STATE_PREFIX}*`] } },
    },
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
    {
      Sid: "EncryptForTopic",
      Effect: "Allow",
      Action: ["kms:GenerateDataKey", "kms:Decrypt"],
      Resource: [a.topicKeyArn],
    },
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
    {
      Sid: "InvokeTheEndpoint",
      Effect: "Allow",
      Action: ["sagemaker:InvokeEndpoint"],
      Resource: [sageMakerArn(a.scope, "endpoint", a.endpointName)],
    },
    ...functionCommon(a),
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
