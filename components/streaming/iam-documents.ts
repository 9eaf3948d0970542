/**
 * IAM documents of the ingest sources beyond MQTT: the real-time consumer, the HTTPS ingest and latest-state
 * functions, the REST pollers and their schedules. Pure (plain strings in, typed documents out), so tests read
 * them statement by statement and the policy pack checks every action against the IAM service reference. Every
 * statement names the ARNs it needs; a key is usable only through the one service that needs it (`kms:ViaService`).
 */
import type * as aws from "@pulumi/aws";
import {
  type AccountScope,
  keyViaService,
  policyDocument,
  writeOwnLogsStatement,
  xrayStatement,
} from "../shared/iam-policy";

type Statement = aws.iam.PolicyStatement;

/** Where valid and rejected readings go, as ARNs. */
export interface DeliveryArns {
  readonly telemetry:
    | { readonly kind: "kinesis"; readonly streamArn: string; readonly kmsKeyArn?: string | undefined }
    | { readonly kind: "firehose"; readonly deliveryStreamArn: string };
  readonly quarantineDeliveryStreamArn: string;
}

/** Putting valid readings into the ingest stream (or the telemetry delivery stream) and rejected ones into quarantine. */
export function deliveryStatements(scope: AccountScope, d: DeliveryArns): Statement[] {
  const telemetry: Statement[] =
    d.telemetry.kind === "kinesis"
      ? [
          {
            Sid: "PutIntoIngestStream",
            Effect: "Allow",
            Action: ["kinesis:PutRecord", "kinesis:PutRecords"],
            Resource: d.telemetry.streamArn,
          },
          ...keyViaService("EncryptIngestRecords", scope.region, "kinesis", d.telemetry.kmsKeyArn, [
            "kms:GenerateDataKey",
          ]),
        ]
      : [
          {
            Sid: "PutIntoTelemetryDeliveryStream",
            Effect: "Allow",
            Action: ["firehose:PutRecord", "firehose:PutRecordBatch"],
            Resource: d.telemetry.deliveryStreamArn,
          },
        ];
  return [
    ...telemetry,
    {
      Sid: "PutIntoQuarantineDeliveryStream",
      Effect: "Allow",
      Action: ["firehose:PutRecord", "firehose:PutRecordBatch"],
      Resource: d.quarantineDeliveryStreamArn,
    },
  ];
}

/** Sending to an encrypted dead-letter queue. */
function sendToQueue(scope: AccountScope, queueArn: string, keyArn: string | undefined): Statement[] {
  return [
    { Sid: "SendToDeadLetterQueue", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: queueArn },
    ...keyViaService("EncryptDeadLetters", scope.region, "sqs", keyArn, [
      "kms:GenerateDataKey",
      "kms:Decrypt",
    ]),
  ];
}

export interface ConsumerPolicyArgs {
  readonly scope: AccountScope;
  readonly logGroupArn: string;
  readonly streamArn: string;
  /** The stream's customer-managed key. @default - none: the stream uses `aws/kinesis` */
  readonly streamKmsKeyArn?: string | undefined;
  /** Key of the table and the dead-letter queue (the lake key). @default - AWS-managed keys */
  readonly kmsKeyArn?: string | undefined;
  readonly tableArn: string;
  /** The event source mapping's on-failure destination (sent with the function's role). */
  readonly deadLetterQueueArn: string;
}

/** The consumer: read the stream (the event source mapping uses the function's role), write the table. */
export function consumerFunctionPolicy(a: ConsumerPolicyArgs): aws.iam.PolicyDocument {
  return policyDocument([
    writeOwnLogsStatement(a.logGroupArn),
    {
      Sid: "ReadIngestStream",
      Effect: "Allow",
      Action: [
        "kinesis:DescribeStream",
        "kinesis:DescribeStreamSummary",
        "kinesis:GetRecords",
        "kinesis:GetShardIterator",
        "kinesis:ListShards",
      ],
      Resource: a.streamArn,
    },
    ...keyViaService("DecryptIngestRecords", a.scope.region, "kinesis", a.streamKmsKeyArn, ["kms:Decrypt"]),
    {
      Sid: "WriteRealtimeTable",
      Effect: "Allow",
      Action: ["dynamodb:GetItem", "dynamodb:PutItem"],
      Resource: a.tableArn,
    },
    ...keyViaService("UseTableKey", a.scope.region, "dynamodb", a.kmsKeyArn, [
      "kms:Decrypt",
      "kms:GenerateDataKey",
      "kms:DescribeKey",
    ]),
    ...sendToQueue(a.scope, a.deadLetterQueueArn, a.kmsKeyArn),
    xrayStatement(),
  ]);
}

/** `POST /readings`: deliver readings, nothing else. */
export function ingestFunctionPolicy(a: {
  readonly scope: AccountScope;
  readonly logGroupArn: string;
  readonly delivery: DeliveryArns;
}): aws.iam.PolicyDocument {
  return policyDocument([
    writeOwnLogsStatement(a.logGroupArn),
    ...deliveryStatements(a.scope, a.delivery),
    xrayStatement(),
  ]);
}

/** The latest-state routes: read the table, nothing else. */
export function latestStateFunctionPolicy(a: {
  readonly scope: AccountScope;
  readonly logGroupArn: string;
  readonly tableArn: string;
  readonly kmsKeyArn?: string | undefined;
}): aws.iam.PolicyDocument {
  return policyDocument([
    writeOwnLogsStatement(a.logGroupArn),
    {
      Sid: "ReadRealtimeTable",
      Effect: "Allow",
      Action: ["dynamodb:GetItem", "dynamodb:Query"],
      Resource: a.tableArn,
    },
    ...keyViaService("DecryptTable", a.scope.region, "dynamodb", a.kmsKeyArn, [
      "kms:Decrypt",
      "kms:DescribeKey",
    ]),
    xrayStatement(),
  ]);
}

export interface PollerPolicyArgs {
  readonly scope: AccountScope;
  readonly logGroupArn: string;
  readonly delivery: DeliveryArns;
  readonly dedupTableArn: string;
  /** Key of the de-duplication table and the dead-letter queue (the lake key). @default - AWS-managed keys */
  readonly kmsKeyArn?: string | undefined;
  readonly deadLetterQueueArn: string;
  /** The poller's credentials. @default - no secret */
  readonly secretArn?: string;
}

/** A poller: its one secret, its de-duplication state, delivering readings, its dead-letter queue. */
export function pollerFunctionPolicy(a: PollerPolicyArgs): aws.iam.PolicyDocument {
  return policyDocument([
    writeOwnLogsStatement(a.logGroupArn),
    ...(a.secretArn
      ? [
          {
            Sid: "ReadCredentials",
            Effect: "Allow",
            Action: ["secretsmanager:GetSecretValue"],
            Resource: a.secretArn,
          } satisfies Statement,
        ]
      : []),
    {
      Sid: "TrackSeenReadings",
      Effect: "Allow",
      Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
      Resource: a.dedupTableArn,
    },
    ...keyViaService("UseTableKey", a.scope.region, "dynamodb", a.kmsKeyArn, [
      "kms:Decrypt",
      "kms:GenerateDataKey",
      "kms:DescribeKey",
    ]),
    ...deliveryStatements(a.scope, a.delivery),
    ...sendToQueue(a.scope, a.deadLetterQueueArn, a.kmsKeyArn),
    xrayStatement(),
  ]);
}

/** A poller's schedule: invoke its function, keep undeliverable invocations in its dead-letter queue. */
export function pollerSchedulePolicy(a: {
  readonly scope: AccountScope;
  readonly functionArn: string;
  readonly deadLetterQueueArn: string;
  readonly kmsKeyArn?: string | undefined;
}): aws.iam.PolicyDocument {
  return policyDocument([
    {
      Sid: "InvokePoller",
      Effect: "Allow",
      Action: ["lambda:InvokeFunction"],
      Resource: [a.functionArn, `${a.functionArn}:*`],
    },
    ...sendToQueue(a.scope, a.deadLetterQueueArn, a.kmsKeyArn),
  ]);
}
