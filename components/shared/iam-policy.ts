/**
 * The account a stack deploys into and the IAM policy-document helpers every area builds its roles with. Pure
 * (type-only AWS import), so the documents built from it stay testable statement by statement and can be
 * imported without loading the Pulumi providers; `aws-scope.ts` adds the lookup of the deploying account.
 */
import type * as aws from "@pulumi/aws";

/** Where a stack deploys: what ARNs are built from. */
export interface AccountScope {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
}

/** An IAM policy document (version 2012-10-17) of the given statements. */
export function policyDocument(statements: aws.iam.PolicyStatement[]): aws.iam.PolicyDocument {
  return { Version: "2012-10-17", Statement: statements };
}

/**
 * The first statement of every customer-managed key's policy: the account administers the key through IAM, so
 * roles get access by IAM policies scoped to the key's ARN. In a key policy `"Resource": "*"` means this key,
 * and without this statement (AWS's default) the key becomes unmanageable.
 */
export function keyAdministeredThroughIam(
  scope: Pick<AccountScope, "partition" | "accountId">,
): aws.iam.PolicyStatement {
  return {
    Sid: "EnableIamPoliciesKeyWildcard",
    Effect: "Allow",
    Principal: { AWS: `arn:${scope.partition}:iam::${scope.accountId}:root` },
    Action: "kms:*",
    Resource: "*",
  };
}

/** Options of {@link serviceTrustPolicy}. */
export interface ServiceTrustOptions {
  /** Require `aws:SourceAccount` to be this account (not every service passes it). @default true */
  readonly sourceAccount?: boolean;
  /** Require `aws:SourceArn` to match this ARN (pattern). @default - no source-ARN condition */
  readonly sourceArn?: string;
  /** The statement's Sid. @default "AssumedByService" */
  readonly sid?: string;
}

/** Trust policy for one AWS service, with the confused-deputy guard where the service supports it. */
export function serviceTrustPolicy(
  service: string,
  scope: AccountScope,
  opts: ServiceTrustOptions = {},
): aws.iam.PolicyDocument {
  const condition: Record<string, Record<string, string>> = {};
  if (opts.sourceAccount ?? true) condition.StringEquals = { "aws:SourceAccount": scope.accountId };
  if (opts.sourceArn) condition.ArnLike = { "aws:SourceArn": opts.sourceArn };
  return policyDocument([
    {
      Sid: opts.sid ?? "AssumedByService",
      Effect: "Allow",
      Principal: { Service: service },
      Action: "sts:AssumeRole",
      ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
    },
  ]);
}

/** Writing X-Ray traces (a traced function or state machine). */
export function xrayStatement(): aws.iam.PolicyStatement {
  // X-Ray's trace APIs take no resource.
  return {
    Sid: "WriteTracesWildcard",
    Effect: "Allow",
    Action: [
      "xray:PutTraceSegments",
      "xray:PutTelemetryRecords",
      "xray:GetSamplingRules",
      "xray:GetSamplingTargets",
    ],
    Resource: "*",
  };
}

/** Delivering a state machine's execution history to its log group. */
export function executionLogDeliveryStatement(): aws.iam.PolicyStatement {
  return {
    // CloudWatch Logs' log-delivery APIs take no resource; Step Functions calls them to deliver the
    // execution history to the machine's log group.
    Sid: "DeliverExecutionLogsWildcard",
    Effect: "Allow",
    Action: [
      "logs:CreateLogDelivery",
      "logs:GetLogDelivery",
      "logs:UpdateLogDelivery",
      "logs:DeleteLogDelivery",
      "logs:ListLogDeliveries",
      "logs:PutResourcePolicy",
      "logs:DescribeResourcePolicies",
      "logs:DescribeLogGroups",
    ],
    Resource: "*",
  };
}

/** A function writing its logs into its own log group. */
export function writeOwnLogsStatement(logGroupArn: string): aws.iam.PolicyStatement {
  return {
    Sid: "WriteOwnLogs",
    Effect: "Allow",
    Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
    Resource: [logGroupArn, `${logGroupArn}:*`],
  };
}

/**
 * The statements granting use of a customer-managed key, or none without a key: SSE-S3 and AWS-managed keys
 * (`aws/sqs`, `aws/kinesis`, CloudWatch Logs' own encryption) are used on the caller's behalf by the service,
 * so a keyless composition carries no `kms:*` statement at all.
 */
export function keyStatements(
  kmsKeyArn: string | undefined,
  statements: (keyArn: string) => aws.iam.PolicyStatement[],
): aws.iam.PolicyStatement[] {
  return kmsKeyArn ? statements(kmsKeyArn) : [];
}

/**
 * The KMS actions a service needs to use the customer-managed `keyArn` for the caller, through that service only
 * (`kms:ViaService`); none without a key (the service's AWS-managed key needs no permission).
 */
export function keyViaService(
  sid: string,
  region: string,
  service: "kinesis" | "dynamodb" | "sqs" | "s3" | "secretsmanager",
  keyArn: string | undefined,
  actions: readonly string[],
): aws.iam.PolicyStatement[] {
  return keyStatements(keyArn, (arn) => [
    {
      Sid: sid,
      Effect: "Allow",
      Action: [...actions],
      Resource: arn,
      Condition: { StringEquals: { "kms:ViaService": `${service}.${region}.amazonaws.com` } },
    },
  ]);
}

/** Publishing to a topic encrypted with a customer-managed key; nothing for a topic without one. */
export function encryptForTopicStatements(topicKeyArn: string | undefined): aws.iam.PolicyStatement[] {
  return keyStatements(topicKeyArn, (keyArn) => [
    {
      Sid: "EncryptForTopic",
      Effect: "Allow",
      Action: ["kms:GenerateDataKey", "kms:Decrypt"],
      Resource: [keyArn],
    },
  ]);
}

/** Running Athena queries in one workgroup: start, follow, read and stop them, and read the workgroup's settings. */
export function queryInWorkGroupStatement(sid: string, workGroupArn: string): aws.iam.PolicyStatement {
  return {
    Sid: sid,
    Effect: "Allow",
    Action: [
      "athena:StartQueryExecution",
      "athena:GetQueryExecution",
      "athena:GetQueryResults",
      "athena:StopQueryExecution",
      "athena:GetWorkGroup",
    ],
    Resource: [workGroupArn],
  };
}

/** A schedule's role: start one state machine. */
export function startExecutionPolicy(stateMachineArn: string): aws.iam.PolicyDocument {
  return policyDocument([
    {
      Sid: "StartTheMachine",
      Effect: "Allow",
      Action: ["states:StartExecution"],
      Resource: [stateMachineArn],
    },
  ]);
}
