/**
 * The fleet runner's two roles, as policy documents. Pure.
 *
 * - The task role (what the simulator itself may do) has no IoT permissions at all: each device connects and
 *   publishes with its own certificate, and IoT Core authorizes it by the device policy (client ID = thing
 *   name, its own topics); the claim certificate's policy covers provisioning. It writes run summaries under
 *   `runs/` and reads and writes saved certificates under `credentials/` of the runner's bucket, through the
 *   lake key (SSE-KMS), and nothing else in S3.
 * - The execution role (what ECS does to start the task) pulls the image, writes the task's log stream and
 *   reads the claim-only fleet file from Secrets Manager into the task's environment.
 */
import type * as aws from "@pulumi/aws";
import { keyViaService, policyDocument, type AccountScope } from "../shared/iam-policy";

/** Key prefixes in the runner's bucket. */
export const RUNS_PREFIX = "runs/";
export const CREDENTIALS_PREFIX = "credentials/";

export interface TaskRoleDocumentArgs {
  readonly scope: AccountScope;
  readonly bucketArn: string;
  /** The lake key encrypting the bucket. @default - none (SSE-S3): no `kms:*` statement */
  readonly kmsKeyArn?: string | undefined;
}

export function taskRolePolicy(args: TaskRoleDocumentArgs): aws.iam.PolicyDocument {
  const { bucketArn, kmsKeyArn, scope } = args;
  return policyDocument([
    {
      Sid: "WriteRunFiles",
      Effect: "Allow",
      Action: ["s3:PutObject"],
      Resource: [`${bucketArn}/${RUNS_PREFIX}*`],
    },
    {
      Sid: "KeepDeviceCertificates",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:PutObject"],
      Resource: [`${bucketArn}/${CREDENTIALS_PREFIX}*`],
    },
    {
      // A shard reads every shard's certificate file (the shard count may change between runs).
      Sid: "ListDeviceCertificates",
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: [bucketArn],
      Condition: { StringLike: { "s3:prefix": [`${CREDENTIALS_PREFIX}*`] } },
    },
    ...keyViaService("UseLakeKeyThroughS3", scope.region, "s3", kmsKeyArn, [
      "kms:GenerateDataKey",
      "kms:Decrypt",
    ]),
  ]);
}

export interface ExecutionRoleDocumentArgs {
  readonly scope: AccountScope;
  readonly repositoryArn: string;
  readonly logGroupArn: string;
  readonly fleetSecretArn: string;
  /** The key encrypting the fleet secret. @default - none (Secrets Manager's AWS-managed key): no `kms:*` */
  readonly kmsKeyArn?: string | undefined;
}

export function executionRolePolicy(args: ExecutionRoleDocumentArgs): aws.iam.PolicyDocument {
  const { scope } = args;
  return policyDocument([
    {
      Sid: "PullSimulatorImage",
      Effect: "Allow",
      Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
      Resource: [args.repositoryArn],
    },
    {
      // ECR's registry login takes no resource.
      Sid: "RegistryLoginWildcard",
      Effect: "Allow",
      Action: ["ecr:GetAuthorizationToken"],
      Resource: "*",
    },
    {
      Sid: "WriteTaskLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: [`${args.logGroupArn}:log-stream:*`],
    },
    {
      Sid: "ReadFleetFile",
      Effect: "Allow",
      Action: ["secretsmanager:GetSecretValue"],
      Resource: [args.fleetSecretArn],
    },
    ...keyViaService("DecryptFleetFile", scope.region, "secretsmanager", args.kmsKeyArn, ["kms:Decrypt"]),
  ]);
}
