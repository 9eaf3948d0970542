/**
 * IAM documents of the IoT area: trust and permission policies for the topic rules, IoT logging, the
 * fleet-provisioning role and the pre-provisioning hook. Pure (plain strings in, typed documents out), so the
 * tests read them statement by statement and check every action against the IAM service reference.
 */
import type * as aws from "@pulumi/aws";
import {
  type AccountScope,
  keyViaService,
  policyDocument,
  serviceTrustPolicy,
  writeOwnLogsStatement,
  xrayStatement,
} from "../shared/iam-policy";

export type { AccountScope } from "../shared/iam-policy";

/**
 * Trust policy for IoT Core, limited to this account and, where given, one source ARN (the rule), against the
 * confused-deputy problem.
 */
export function iotTrustPolicy(scope: AccountScope, sourceArn?: string): aws.iam.PolicyDocument {
  return serviceTrustPolicy("iot.amazonaws.com", scope, { sourceArn, sid: "AssumedByIotCore" });
}

/** ARN of a topic rule. */
export function topicRuleArn(scope: AccountScope, ruleName: string): string {
  return `arn:${scope.partition}:iot:${scope.region}:${scope.accountId}:rule/${ruleName}`;
}

export interface TopicRuleRoleArgs {
  readonly region: string;
  /**
   * The one delivery stream the rule's action writes to (unless it writes to {@link kinesisStream}).
   * @default - none (then `kinesisStream` is required)
   */
  readonly deliveryStreamArn?: string;
  /** The Kinesis stream the rule's action writes to instead, and the key encrypting it. @default - none */
  readonly kinesisStream?: { readonly arn: string; readonly kmsKeyArn?: string | undefined };
  /** Bucket of the error action. */
  readonly errorBucketArn: string;
  /** Key prefix the error action writes under, e.g. `errors/iot-rule/sensors_dev_telemetry/`. */
  readonly errorPrefix: string;
  /** The lake key that encrypts the error bucket. @default - none: the bucket's SSE-S3, no `kms:*` statement */
  readonly kmsKeyArn?: string | undefined;
}

/**
 * What a topic rule's role may do: put records into its delivery stream, and (error action) write the failed
 * message under its own error prefix, encrypted with the lake key through S3 only.
 */
export function topicRuleRolePolicy(args: TopicRuleRoleArgs): aws.iam.PolicyDocument {
  if ((args.deliveryStreamArn === undefined) === (args.kinesisStream === undefined))
    throw new Error("a topic rule writes to exactly one of a delivery stream and a Kinesis stream");
  const put: aws.iam.PolicyStatement[] = args.kinesisStream
    ? [
        {
          Sid: "PutRecordsIntoIngestStream",
          Effect: "Allow",
          Action: "kinesis:PutRecord",
          Resource: args.kinesisStream.arn,
        },
        ...keyViaService("EncryptIngestRecords", args.region, "kinesis", args.kinesisStream.kmsKeyArn, [
          "kms:GenerateDataKey",
        ]),
      ]
    : [
        {
          Sid: "PutRecordsIntoDeliveryStream",
          Effect: "Allow",
          Action: ["firehose:PutRecord", "firehose:PutRecordBatch"],
          Resource: args.deliveryStreamArn!,
        },
      ];
  return {
    Version: "2012-10-17",
    Statement: [
      ...put,
      {
        Sid: "WriteFailedMessages",
        Effect: "Allow",
        Action: "s3:PutObject",
        Resource: `${args.errorBucketArn}/${args.errorPrefix}*`,
      },
      ...keyViaService("EncryptFailedMessages", args.region, "s3", args.kmsKeyArn, ["kms:GenerateDataKey"]),
    ],
  };
}

/** Name of the log group IoT Core's own logging writes to (fixed by AWS). */
export const IOT_LOG_GROUP = "AWSIotLogsV2";

/** What IoT Core's logging role may do: write into its AWSIotLogsV2 log group of this region only. */
export function iotLoggingRolePolicy(scope: AccountScope): aws.iam.PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "WriteIotCoreLogs",
        Effect: "Allow",
        Action: [
          "logs:CreateLogGroup",
          "logs:CreateLogStream",
          "logs:PutLogEvents",
          "logs:PutMetricFilter",
          "logs:PutRetentionPolicy",
        ],
        Resource: `arn:${scope.partition}:logs:${scope.region}:${scope.accountId}:log-group:${IOT_LOG_GROUP}:*`,
      },
    ],
  };
}

export interface ProvisioningRoleArgs extends AccountScope {
  readonly deployment: string;
  readonly thingTypeName: string;
  readonly devicePolicyName: string;
}

/**
 * What IoT Core may do when it runs the provisioning template: the registry calls of AWS's
 * AWSIoTThingsRegistration managed policy that the template needs, scoped to this deployment's things, groups,
 * thing type and device policy.
 */
export function provisioningRolePolicy(args: ProvisioningRoleArgs): aws.iam.PolicyDocument {
  const iot = `arn:${args.partition}:iot:${args.region}:${args.accountId}`;
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "RegisterDeploymentThings",
        Effect: "Allow",
        Action: [
          "iot:CreateThing",
          "iot:DescribeThing",
          "iot:UpdateThing",
          "iot:ListThingPrincipals",
          "iot:ListThingGroupsForThing",
          "iot:UpdateThingGroupsForThing",
          "iot:AddThingToThingGroup",
        ],
        Resource: [`${iot}:thing/${args.deployment}-*`, `${iot}:thinggroup/${args.deployment}-*`],
      },
      {
        Sid: "UseDeploymentThingType",
        Effect: "Allow",
        Action: "iot:DescribeThingType",
        Resource: `${iot}:thingtype/${args.thingTypeName}`,
      },
      {
        Sid: "ReadDevicePolicy",
        Effect: "Allow",
        Action: "iot:GetPolicy",
        Resource: `${iot}:policy/${args.devicePolicyName}`,
      },
      {
        // The certificate is created by the device's CreateCertificateFromCsr just before; its ID cannot be
        // known here, so the statement covers this account's certificates in this region.
        Sid: "ActivateAndAttachNewCertificateWildcard",
        Effect: "Allow",
        Action: [
          "iot:DescribeCertificate",
          "iot:UpdateCertificate",
          "iot:AttachThingPrincipal",
          "iot:AttachPolicy",
          "iot:ListPrincipalThings",
        ],
        Resource: `${iot}:cert/*`,
      },
    ],
  };
}

export interface ProvisioningHookRoleArgs extends AccountScope {
  readonly deployment: string;
  /** The hook's log group ARN (without the `:*` suffix). */
  readonly logGroupArn: string;
}

/**
 * What the pre-provisioning hook may do: log into its own group, write its traces, and look up whether a
 * deployment thing has a certificate.
 */
export function provisioningHookRolePolicy(args: ProvisioningHookRoleArgs): aws.iam.PolicyDocument {
  return policyDocument([
    writeOwnLogsStatement(args.logGroupArn),
    xrayStatement(),
    {
      Sid: "LookUpDeploymentThings",
      Effect: "Allow",
      Action: "iot:ListThingPrincipals",
      Resource: `arn:${args.partition}:iot:${args.region}:${args.accountId}:thing/${args.deployment}-*`,
    },
  ]);
}
