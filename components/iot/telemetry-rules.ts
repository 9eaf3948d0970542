import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { BucketRef, StreamRef } from "../shared/resource-refs";
import { registerDocument } from "../documents";
import { accountScopeOutput } from "../shared/aws-scope";
import {
  buildNotJsonRuleSql,
  buildQuarantineRuleSql,
  buildTelemetryRuleSql,
  RULE_SQL_VERSION,
  ruleErrorObjectKey,
  ruleErrorPrefix,
  topicRuleName,
} from "./rule-sql";
import { TOPIC_SEGMENT } from "../telemetry/topics";
import { iotLoggingRolePolicy, iotTrustPolicy, topicRuleArn, topicRuleRolePolicy } from "./iam-documents";

/** A delivery stream a rule writes to. */
export interface DeliveryStreamRef {
  readonly name: pulumi.Input<string>;
  readonly arn: pulumi.Input<string>;
}

/** Levels of IoT Core's account-wide logging. */
export type IotLogLevel = "ERROR" | "WARN" | "INFO" | "DEBUG";

export interface TelemetryRulesArgs {
  /** `<app>-<stack>`: the rules read `dt/<deployment>/+/+/telemetry` and are named after it. */
  readonly deployment: string;
  /** Stream for valid readings (Parquet, partitioned). */
  readonly telemetryStream: DeliveryStreamRef;
  /** Stream for rejected messages with their reason. */
  readonly quarantineStream: DeliveryStreamRef;
  /**
   * The ingest stream (`ingestStream: kinesis`): valid readings go there, partitioned by device, instead of into
   * `telemetryStream` (which then reads from it).
   * @default - valid readings go into `telemetryStream` directly
   */
  readonly ingestStream?: DeliveryStreamRef & StreamRef;
  /** The raw bucket: the error actions keep failed messages under `errors/iot-rule/<rule>/` there. */
  readonly errorBucket: BucketRef;
  /**
   * The lake key encrypting the raw bucket: the rules' roles may generate data keys with it through S3.
   * @default - none: the bucket's own default encryption (SSE-S3), and no `kms:*` statement
   */
  readonly kmsKeyArn?: pulumi.Input<string> | undefined;
  /**
   * Turn on IoT Core logging to CloudWatch Logs (`AWSIotLogsV2`) at this level, so every failed rule action is
   * logged with its rule, topic and error. The setting is one per account and region: set `false` when another
   * stack or team manages it.
   * @default "ERROR"
   */
  readonly iotLogLevel?: IotLogLevel | false;
  /** Tags merged into every taggable child. @default - none */
  readonly tags?: Record<string, string>;
}

/**
 * The telemetry topic rules. `telemetry` forwards valid readings (schema columns, identity from the topic,
 * receive time) to the telemetry stream; `quarantine` forwards every other JSON message, with the reason computed
 * in SQL and the original payload, to the quarantine stream; `not_json` forwards payloads that are not JSON
 * (which IoT Core cannot evaluate the other two on) to the quarantine stream too, with the reason
 * `payload: not JSON`. Each has a Firehose action in batch mode with a
 * newline separator, an error action that writes IoT Core's error message (the failure and the base64 original
 * payload, so it can be replayed) to the raw bucket, and its own role that may put records into its stream only.
 */
export class TelemetryRules extends pulumi.ComponentResource {
  public readonly telemetryRule: aws.iot.TopicRule;
  public readonly quarantineRule: aws.iot.TopicRule;
  public readonly notJsonRule: aws.iot.TopicRule;
  public readonly ruleNames: {
    readonly telemetry: string;
    readonly quarantine: string;
    readonly notJson: string;
  };

  constructor(name: string, args: TelemetryRulesArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:iot:TelemetryRules", name, {}, opts);
    const tags = { ...args.tags };
    const child = { parent: this };
    const { deployment } = args;

    const scope = accountScopeOutput(this);

    const descriptions = {
      telemetry: `Valid readings of ${deployment} into the lake (schema columns, identity from the topic)`,
      quarantine: `Rejected messages of ${deployment} into the quarantine zone, with the reason and the original payload`,
      "not-json": `Payloads of ${deployment} that are not JSON into the quarantine zone, with the original bytes`,
    };
    const rule = (
      purpose: "telemetry" | "quarantine" | "not-json",
      sql: string,
      stream: DeliveryStreamRef,
      kinesis?: TelemetryRulesArgs["ingestStream"],
    ): aws.iot.TopicRule => {
      const ruleName = topicRuleName(deployment, purpose.replace("-", "_"));
      registerDocument(this, `iot-${purpose}-rule`, "sql", sql);
      const errorKey = ruleErrorObjectKey(ruleName);
      const policy = pulumi
        .all([scope, stream.arn, args.errorBucket.arn, args.kmsKeyArn, kinesis?.arn, kinesis?.kmsKeyArn])
        .apply(([s, deliveryStreamArn, errorBucketArn, kmsKeyArn, kinesisArn, kinesisKeyArn]) =>
          topicRuleRolePolicy({
            region: s.region,
            ...(kinesisArn
              ? { kinesisStream: { arn: kinesisArn, kmsKeyArn: kinesisKeyArn } }
              : { deliveryStreamArn }),
            errorBucketArn,
            errorPrefix: ruleErrorPrefix(ruleName),
            kmsKeyArn,
          }),
        );
      registerDocument(this, `iam-${purpose}-rule-role`, "json", policy);
      const role = new aws.iam.Role(
        `${name}-${purpose}-role`,
        {
          description: `Topic rule ${ruleName}: put records into its delivery stream, keep failed messages in the lake`,
          assumeRolePolicy: pulumi.jsonStringify(
            scope.apply((s) => iotTrustPolicy(s, topicRuleArn(s, ruleName))),
          ),
          inlinePolicies: [{ name: "deliver", policy: pulumi.jsonStringify(policy) }],
          tags,
        },
        child,
      );
      return new aws.iot.TopicRule(
        `${name}-${purpose}`,
        {
          name: ruleName,
          description: descriptions[purpose],
          enabled: true,
          sql,
          sqlVersion: RULE_SQL_VERSION,
          ...(kinesis
            ? // Partitioned by the device (its topic segment): a device's readings stay in order on one shard.
              {
                kineses: [
                  {
                    streamName: kinesis.name,
                    partitionKey: `${"$"}{topic(${TOPIC_SEGMENT.thing})}`,
                    roleArn: role.arn,
                  },
                ],
              }
            : {
                firehoses: [
                  { deliveryStreamName: stream.name, roleArn: role.arn, batchMode: true, separator: "\n" },
                ],
              }),
          errorAction: { s3: { bucketName: args.errorBucket.name, key: errorKey, roleArn: role.arn } },
          tags,
        },
        child,
      );
    };

    this.ruleNames = {
      telemetry: topicRuleName(deployment, "telemetry"),
      quarantine: topicRuleName(deployment, "quarantine"),
      notJson: topicRuleName(deployment, "not_json"),
    };
    this.telemetryRule = rule(
      "telemetry",
      buildTelemetryRuleSql({ deployment }),
      args.telemetryStream,
      args.ingestStream,
    );
    this.quarantineRule = rule("quarantine", buildQuarantineRuleSql({ deployment }), args.quarantineStream);
    this.notJsonRule = rule("not-json", buildNotJsonRuleSql({ deployment }), args.quarantineStream);

    const level = args.iotLogLevel ?? "ERROR";
    if (level !== false) {
      const loggingPolicy = scope.apply(iotLoggingRolePolicy);
      registerDocument(this, "iam-iot-logging-role", "json", loggingPolicy);
      const loggingRole = new aws.iam.Role(
        `${name}-logging-role`,
        {
          description:
            "IoT Core writes its logs (rule action failures among them) to CloudWatch Logs with this role",
          assumeRolePolicy: pulumi.jsonStringify(scope.apply((s) => iotTrustPolicy(s))),
          inlinePolicies: [{ name: "iot-logs", policy: pulumi.jsonStringify(loggingPolicy) }],
          tags,
        },
        child,
      );
      new aws.iot.LoggingOptions(
        `${name}-logging`,
        { defaultLogLevel: level, disableAllLogs: false, roleArn: loggingRole.arn },
        child,
      );
    }

    this.registerOutputs({
      telemetryRuleName: this.ruleNames.telemetry,
      quarantineRuleName: this.ruleNames.quarantine,
      telemetryRuleArn: this.telemetryRule.arn,
      quarantineRuleArn: this.quarantineRule.arn,
      notJsonRuleName: this.ruleNames.notJson,
      notJsonRuleArn: this.notJsonRule.arn,
    });
  }
}
