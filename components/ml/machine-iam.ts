/**
 * IAM documents of the training and scoring state machines: exactly the SageMaker, Athena and Lambda calls of
 * their definitions, on the run names' prefix, plus failure notification, logging and tracing.
 */
import type * as aws from "@pulumi/aws";
import { LAKE_ZONES } from "../lake/layout";
import {
  type AccountScope,
  encryptForTopicStatements,
  executionLogDeliveryStatement,
  policyDocument as document,
  queryInWorkGroupStatement,
  xrayStatement,
} from "../shared/iam-policy";
import { lakeKeyStatements, sageMakerArn, type Statement } from "./iam-documents";

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
  topicKeyArn?: string | undefined;
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
    ...encryptForTopicStatements(a.topicKeyArn),
    executionLogDeliveryStatement(),
    xrayStatement(),
  ];
}

export interface TrainingMachinePolicyArgs {
  readonly scope: AccountScope;
  readonly stateMachineArn: string;
  readonly functionArn: string;
  readonly failureTopicArn: string;
  /** Key the topics are encrypted with. @default - none (AWS-managed): no `kms:*` statement */
  readonly topicKeyArn?: string | undefined;
  readonly sageMakerRoleArn: string;
  /** The lake key. @default - none: no `kms:*` statement */
  readonly kmsKeyArn?: string | undefined;
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
        // The .sync integrations read the job's tags (Step Functions' generated policy for them grants it).
        "sagemaker:ListTags",
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
  /** Key the topics are encrypted with. @default - none (AWS-managed): no `kms:*` statement */
  readonly topicKeyArn?: string | undefined;
  /** The lake key. @default - none: no `kms:*` statement */
  readonly kmsKeyArn?: string | undefined;
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
    queryInWorkGroupStatement("QueryInTheWorkgroup", a.workGroupArn),
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
          // The .sync integration reads the job's tags (Step Functions' generated policy for it grants it).
          "sagemaker:ListTags",
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
