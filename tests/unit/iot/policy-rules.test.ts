import { expect } from "chai";
import { fakeResource, violationsOf } from "../../helpers/policy";
import { evaluatePolicies } from "../../../policies/harness";
import { platformPolicies } from "../../../policies/rules";
import {
  iotExclusiveThingAttachment,
  iotPolicies,
  iotPolicyLeastPrivilege,
  iotTopicRuleErrorAction,
} from "../../../policies/rules/iot";
import {
  firehoseCustomerManagedKey,
  firehoseEncryption,
  firehoseErrorPrefix,
  firehoseLogging,
  firehosePolicies,
} from "../../../policies/rules/firehose";
import { buildDevicePolicyDocument } from "../../../components/iot/iot-policy";
import type { RecordedResource } from "../../../components/testing";
import { runPipeline } from "./pipeline-program";

const device = buildDevicePolicyDocument({
  region: "eu-west-1",
  accountId: "111122223333",
  deployment: "sensors-dev",
});
const iotPolicy = (name: string, doc: unknown) =>
  fakeResource("aws:iot/policy:Policy", name, { name, policy: JSON.stringify(doc) });
const rule = (name: string, extra: Record<string, unknown>) =>
  fakeResource("aws:iot/topicRule:TopicRule", name, {
    name,
    enabled: true,
    sql: "SELECT * FROM 'dt/x/+/+/telemetry'",
    sqlVersion: "2016-03-23",
    ...extra,
  });
const KEY = "arn:aws:kms:eu-west-1:111122223333:key/k";
const goodS3 = {
  bucketArn: "arn:aws:s3:::raw",
  roleArn: "arn:aws:iam::111122223333:role/r",
  kmsKeyArn: KEY,
  errorOutputPrefix: "errors/firehose/t/!{firehose:error-output-type}/",
  cloudwatchLoggingOptions: {
    enabled: true,
    logGroupName: "/aws/kinesisfirehose/t",
    logStreamName: "DestinationDelivery",
  },
};
const stream = (
  name: string,
  s3: Record<string, unknown>,
  sse: unknown = { enabled: true, keyType: "CUSTOMER_MANAGED_CMK", keyArn: KEY },
) =>
  fakeResource("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", name, {
    destination: "extended_s3",
    serverSideEncryption: sse,
    extendedS3Configuration: s3,
  });

describe("policy pack: IoT and Firehose rules", function () {
  describe("iot-policy-least-privilege", function () {
    it("passes the device policy", async function () {
      expect(await violationsOf(iotPolicyLeastPrivilege, [iotPolicy("device", device)])).to.deep.equal([]);
    });

    it("fails a policy that lets a certificate connect as client/*", async function () {
      const weak = {
        ...device,
        Statement: device.Statement.map((s, i) =>
          i === 0 ? { ...s, Resource: "arn:aws:iot:eu-west-1:111122223333:client/*" } : s,
        ),
      };
      expect(await violationsOf(iotPolicyLeastPrivilege, [iotPolicy("weak", weak)])).to.deep.equal([
        "weak [client-wildcard] statement ConnectAsOwnThing: iot:Connect on arn:aws:iot:eu-west-1:111122223333:client/* lets a certificate connect as any client ID; use client/${iot:Connection.Thing.ThingName}",
      ]);
    });

    it("fails $aws/things/* wildcards, a missing IsAttached condition and MQTT wildcards in Deny", async function () {
      const weak = {
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "Shadows",
            Effect: "Allow",
            Action: "iot:Publish",
            Resource: "arn:aws:iot:eu-west-1:111122223333:topic/$aws/things/*/shadow/update",
            Condition: { Bool: { "iot:Connection.Thing.IsAttached": "true" } },
          },
          {
            Sid: "Unbound",
            Effect: "Allow",
            Action: "iot:Publish",
            Resource: "arn:aws:iot:eu-west-1:111122223333:topic/dt/x/${iot:Connection.Thing.ThingName}",
          },
          {
            Sid: "NoOthers",
            Effect: "Deny",
            Action: "iot:Publish",
            Resource: "arn:aws:iot:eu-west-1:111122223333:topic/dt/+/#",
          },
        ],
      };
      const messages = await violationsOf(iotPolicyLeastPrivilege, [iotPolicy("weak", weak)]);
      expect(messages.map((m) => m.slice(0, m.indexOf(":"))).sort()).to.deep.equal([
        "weak [deny-mqtt-wildcard] statement NoOthers",
        "weak [missing-is-attached] statement Unbound",
        "weak [thing-topic-wildcard] statement Shadows",
      ]);
    });

    it("skips a policy whose text is not known yet (preview of a new stack)", async function () {
      expect(
        await violationsOf(iotPolicyLeastPrivilege, [
          fakeResource("aws:iot/policy:Policy", "p", { name: "p" }),
        ]),
      ).to.deep.equal([]);
    });
  });

  describe("iot-topic-rule-error-action", function () {
    it("passes a rule with an error action and fails one without", async function () {
      const good = rule("good", {
        errorAction: { s3: { bucketName: "raw", key: "errors/x", roleArn: "r" } },
      });
      const bad = rule("bad", {});
      const empty = rule("empty", { errorAction: {} });
      expect(await violationsOf(iotTopicRuleErrorAction, [good, bad, empty])).to.deep.equal([
        "bad has no errorAction; add one (e.g. s3 into the lake's errors/iot-rule/ prefix) so failed deliveries are kept",
        "empty has no errorAction; add one (e.g. s3 into the lake's errors/iot-rule/ prefix) so failed deliveries are kept",
      ]);
    });
  });

  describe("iot-exclusive-thing-attachment", function () {
    it("passes EXCLUSIVE_THING and fails the default and NON_EXCLUSIVE_THING", async function () {
      const attach = (name: string, type?: string) =>
        fakeResource("aws:iot/thingPrincipalAttachment:ThingPrincipalAttachment", name, {
          thing: "t",
          principal: "arn:aws:iot:eu-west-1:111122223333:cert/c",
          ...(type ? { thingPrincipalType: type } : {}),
        });
      expect(
        await violationsOf(iotExclusiveThingAttachment, [
          attach("ok", "EXCLUSIVE_THING"),
          attach("dflt"),
          attach("shared", "NON_EXCLUSIVE_THING"),
        ]),
      ).to.deep.equal([
        "dflt attaches its certificate with thingPrincipalType NON_EXCLUSIVE_THING (the default); set it to EXCLUSIVE_THING",
        "shared attaches its certificate with thingPrincipalType NON_EXCLUSIVE_THING; set it to EXCLUSIVE_THING",
      ]);
    });
  });

  describe("firehose-encryption and firehose-customer-managed-key", function () {
    it("refuses a DirectPut stream without encryption at rest, and accepts the AWS-owned key", async function () {
      const { kmsKeyArn: _k, ...noObjectKey } = goodS3;
      expect(
        await violationsOf(firehoseEncryption, [
          stream("ok", goodS3),
          stream("nosse", goodS3, null),
          stream("aws-key", noObjectKey, { enabled: true, keyType: "AWS_OWNED_CMK" }),
        ]),
      ).to.deep.equal([
        'nosse does not encrypt records at rest; set serverSideEncryption { enabled: true, keyType: "CUSTOMER_MANAGED_CMK", keyArn } (or keyType "AWS_OWNED_CMK" without a key)',
      ]);
    });

    it("advises a customer key for records and objects; names either missing", async function () {
      const { kmsKeyArn: _k, ...noObjectKey } = goodS3;
      expect(
        await violationsOf(firehoseCustomerManagedKey, [
          stream("ok", goodS3),
          stream("nosse", goodS3, null),
          stream("aws-key", goodS3, { enabled: true, keyType: "AWS_OWNED_CMK" }),
          stream("noobj", noObjectKey),
        ]),
      ).to.deep.equal([
        'nosse does not encrypt records at rest with a customer-managed key; set serverSideEncryption { enabled: true, keyType: "CUSTOMER_MANAGED_CMK", keyArn }',
        'aws-key does not encrypt records at rest with a customer-managed key; set serverSideEncryption { enabled: true, keyType: "CUSTOMER_MANAGED_CMK", keyArn }',
        "noobj writes S3 objects without extendedS3Configuration.kmsKeyArn; set it to the lake key",
      ]);
    });
  });

  describe("firehose-error-prefix", function () {
    it("passes an error prefix naming the error type; fails none and one without the type", async function () {
      const { errorOutputPrefix: _e, ...none } = goodS3;
      expect(
        await violationsOf(firehoseErrorPrefix, [
          stream("ok", goodS3),
          stream("none", none),
          stream("flat", { ...goodS3, errorOutputPrefix: "errors/" }),
        ]),
      ).to.deep.equal([
        "none has no errorOutputPrefix; failed records would mix with data; use e.g. errors/firehose/<stream>/!{firehose:error-output-type}/",
        'flat errorOutputPrefix "errors/" does not contain !{firehose:error-output-type}, so conversion and delivery failures cannot be told apart',
      ]);
    });
  });

  describe("firehose-logging", function () {
    it("passes enabled logging with group and stream; fails disabled or incomplete logging", async function () {
      const off = { ...goodS3, cloudwatchLoggingOptions: { enabled: false } };
      const noStream = { ...goodS3, cloudwatchLoggingOptions: { enabled: true, logGroupName: "g" } };
      expect(
        await violationsOf(firehoseLogging, [
          stream("ok", goodS3),
          stream("off", off),
          stream("nostream", noStream),
        ]),
      ).to.deep.equal([
        "off does not log delivery errors; set extendedS3Configuration.cloudwatchLoggingOptions { enabled: true, logGroupName, logStreamName }",
        "nostream does not log delivery errors; set extendedS3Configuration.cloudwatchLoggingOptions { enabled: true, logGroupName, logStreamName }",
      ]);
    });
  });

  describe("the whole pack on the ingest path", function () {
    const pack = platformPolicies;
    it("the pack includes the IoT and Firehose rules", function () {
      for (const policy of [...iotPolicies, ...firehosePolicies]) expect(pack).to.include(policy);
    });
    const mandatory = async (resources: RecordedResource[]) =>
      (await evaluatePolicies(resources, pack)).mandatory.map((v) => `${v.policy}: ${v.message}`);

    for (const [label, stack, overrides] of [
      ["dev", "dev", {}],
      ["prod", "prod", {}],
      ["dev with fleet provisioning", "dev", { fleetProvisioning: true }],
    ] as const) {
      it(`${label}: zero mandatory violations`, async function () {
        const run = await runPipeline(stack, overrides);
        expect(await mandatory(run.resources)).to.deep.equal([]);
      });
    }

    it("a weakened variant (rule without error action, policy with client/*) fails it", async function () {
      const run = await runPipeline("dev");
      const weakened = run.resources.map((r) => {
        if (r.type === "aws:iot/topicRule:TopicRule" && r.name.endsWith("-telemetry")) {
          const { errorAction: _dropped, ...inputs } = r.inputs;
          return { ...r, inputs };
        }
        if (r.type === "aws:iot/policy:Policy") {
          const doc = JSON.parse(r.inputs.policy as string) as { Statement: Record<string, unknown>[] };
          doc.Statement[0]!.Resource = "arn:aws:iot:eu-west-1:111122223333:client/*";
          return { ...r, inputs: { ...r.inputs, policy: JSON.stringify(doc) } };
        }
        return r;
      });
      const found = await mandatory(weakened);
      expect(found.map((m) => m.slice(0, m.indexOf(" "))).sort()).to.deep.equal([
        "iot-policy-least-privilege:",
        "iot-topic-rule-error-action:",
      ]);
    });
  });
});
