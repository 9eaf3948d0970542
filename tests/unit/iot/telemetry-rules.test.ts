import { expect } from "chai";
import { runPipeline, PipelineRun } from "./pipeline-program";
import {
  buildNotJsonRuleSql,
  buildQuarantineRuleSql,
  buildTelemetryRuleSql,
} from "../../../components/iot/rule-sql";
import { MOCK_ACCOUNT_ID, RecordedResource } from "../../../components/testing";

const RULE = "aws:iot/topicRule:TopicRule";
const ROLE = "aws:iam/role:Role";
const STREAM = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream";
const RULES = "sensors-dev-telemetry-rules";

interface Statement {
  Sid: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string>>;
}
const inlinePolicy = (role: { inputs: Record<string, unknown> }): Statement[] =>
  JSON.parse((role.inputs.inlinePolicies as { policy: string }[])[0]!.policy).Statement as Statement[];

describe("TelemetryRules", function () {
  let dev: PipelineRun;
  let noLogging: RecordedResource[];
  before(async function () {
    dev = await runPipeline("dev");
    const { runUnderMocks, stackConfig } = await import("../../helpers/mocks");
    const { TelemetryRules } = await import("../../../components/iot/telemetry-rules");
    const standalone = await runUnderMocks(stackConfig("dev"), () => {
      new TelemetryRules("rules", {
        deployment: "sensors-dev",
        telemetryStream: { name: "t", arn: "arn:aws:firehose:eu-west-1:111122223333:deliverystream/t" },
        quarantineStream: { name: "q", arn: "arn:aws:firehose:eu-west-1:111122223333:deliverystream/q" },
        errorBucket: { name: "raw", arn: "arn:aws:s3:::raw" },
        kmsKeyArn: "arn:aws:kms:eu-west-1:111122223333:key/k",
        iotLogLevel: false,
      });
    });
    noLogging = standalone.resources;
  });

  const streamArn = (label: string) =>
    dev.named(STREAM, `sensors-dev-telemetry-firehose-${label}-stream`).state;

  for (const [purpose, sqlOf, stream] of [
    ["telemetry", buildTelemetryRuleSql, "telemetry"],
    ["quarantine", buildQuarantineRuleSql, "quarantine"],
    ["not-json", buildNotJsonRuleSql, "quarantine"],
  ] as const) {
    const ruleName = `sensors_dev_${purpose.replace("-", "_")}`;
    describe(`${purpose} rule`, function () {
      it("runs the generated SQL (version 2016-03-23) and is registered as a document", function () {
        const rule = dev.named(RULE, `${RULES}-${purpose}`);
        const sql = sqlOf({ deployment: "sensors-dev" });
        expect(rule.inputs).to.deep.include({
          name: ruleName,
          enabled: true,
          sql,
          sqlVersion: "2016-03-23",
        });
        expect(dev.documents.find((d) => d.name === `iot-${purpose}-rule`)).to.deep.equal({
          name: `iot-${purpose}-rule`,
          kind: "sql",
          content: sql,
        });
      });

      it("has one Firehose action into its stream, in batch mode with a newline separator", function () {
        const rule = dev.named(RULE, `${RULES}-${purpose}`);
        const role = dev.named(ROLE, `${RULES}-${purpose}-role`);
        expect(rule.inputs.firehoses).to.deep.equal([
          {
            deliveryStreamName: streamArn(stream).name,
            roleArn: role.state.arn,
            batchMode: true,
            separator: "\n",
          },
        ]);
        for (const other of ["lambdas", "s3", "republishes", "kineses", "https"])
          expect(rule.inputs[other], other).to.equal(undefined);
      });

      it("keeps a failed message (original payload and failure) in the raw bucket's errors/iot-rule/ prefix", function () {
        const rule = dev.named(RULE, `${RULES}-${purpose}`);
        const raw = dev.named("aws:s3/bucket:Bucket", "sensors-dev-lake-raw").state;
        expect(rule.inputs.errorAction).to.deep.equal({
          s3: {
            bucketName: raw.bucket,
            key: `errors/iot-rule/${ruleName}/dt=\${parse_time("yyyy-MM-dd", timestamp(), "UTC")}/\${newuuid()}.json`,
            roleArn: dev.named(ROLE, `${RULES}-${purpose}-role`).state.arn,
          },
        });
      });

      it("has a role that may only put records into its own stream and write its own error prefix", function () {
        const role = dev.named(ROLE, `${RULES}-${purpose}-role`);
        const raw = dev.named("aws:s3/bucket:Bucket", "sensors-dev-lake-raw").state;
        const key = dev.ofType("aws:kms/key:Key")[0]!.state;
        expect(inlinePolicy(role)).to.deep.equal([
          {
            Sid: "PutRecordsIntoDeliveryStream",
            Effect: "Allow",
            Action: ["firehose:PutRecord", "firehose:PutRecordBatch"],
            Resource: streamArn(stream).arn,
          },
          {
            Sid: "WriteFailedMessages",
            Effect: "Allow",
            Action: "s3:PutObject",
            Resource: `${raw.arn as string}/errors/iot-rule/${ruleName}/*`,
          },
          {
            Sid: "EncryptFailedMessages",
            Effect: "Allow",
            Action: ["kms:GenerateDataKey"],
            Resource: key.arn,
            Condition: { StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } },
          },
        ]);
      });

      it("can be assumed only by IoT Core for this rule in this account", function () {
        const role = dev.named(ROLE, `${RULES}-${purpose}-role`);
        expect(JSON.parse(role.inputs.assumeRolePolicy as string).Statement).to.deep.equal([
          {
            Sid: "AssumedByIotCore",
            Effect: "Allow",
            Principal: { Service: "iot.amazonaws.com" },
            Action: "sts:AssumeRole",
            Condition: {
              StringEquals: { "aws:SourceAccount": MOCK_ACCOUNT_ID },
              ArnLike: {
                "aws:SourceArn": `arn:aws:iot:eu-west-1:${MOCK_ACCOUNT_ID}:rule/${ruleName}`,
              },
            },
          },
        ]);
      });
    });
  }

  it("the rules' roles are distinct: the telemetry role cannot write to the quarantine stream", function () {
    const telemetryResources = inlinePolicy(dev.named(ROLE, `${RULES}-telemetry-role`)).flatMap(
      (s) => s.Resource,
    );
    expect(telemetryResources).not.to.include(streamArn("quarantine").arn);
  });

  it("turns on IoT Core logging at ERROR with a role limited to the AWSIotLogsV2 log group", function () {
    const logging = dev.ofType("aws:iot/loggingOptions:LoggingOptions");
    expect(logging).to.have.length(1);
    expect(logging[0]!.inputs).to.deep.include({ defaultLogLevel: "ERROR", disableAllLogs: false });
    const role = dev.named(ROLE, `${RULES}-logging-role`);
    expect(logging[0]!.inputs.roleArn).to.equal(role.state.arn);
    expect(inlinePolicy(role).map((s) => s.Resource)).to.deep.equal([
      `arn:aws:logs:eu-west-1:${MOCK_ACCOUNT_ID}:log-group:AWSIotLogsV2:*`,
    ]);
  });

  it("leaves the account's IoT logging alone with iotLogLevel: false", function () {
    expect(noLogging.filter((r) => r.type === "aws:iot/loggingOptions:LoggingOptions")).to.have.length(0);
    expect(noLogging.filter((r) => r.type === RULE)).to.have.length(3);
  });
});
