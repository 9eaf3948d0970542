import { expect } from "chai";
import { fakeResource, violationsOf } from "../../helpers/policy";
import { alarmHasAction, trailIntegrity, trailKms } from "../../../policies/rules/operations";

const TOPIC = "arn:aws:sns:eu-west-1:111122223333:alerts";
const alarm = (name: string, inputs: Record<string, unknown>) =>
  fakeResource("aws:cloudwatch/metricAlarm:MetricAlarm", name, {
    metricName: "Errors",
    namespace: "AWS/Lambda",
    threshold: 1,
    ...inputs,
  });

describe("policy pack: operations rules", function () {
  describe("cloudwatch-alarm-actions", function () {
    it("passes an alarm that notifies a topic", async function () {
      expect(
        await violationsOf(alarmHasAction, [alarm("ok", { alarmActions: [TOPIC], okActions: [TOPIC] })]),
      ).to.deep.equal([]);
    });
    it("fails an alarm without actions, with an empty action, or with its actions disabled", async function () {
      expect(
        await violationsOf(alarmHasAction, [
          alarm("silent", {}),
          alarm("empty", { alarmActions: [""] }),
          alarm("disabled", { alarmActions: [TOPIC], actionsEnabled: false }),
        ]),
      ).to.deep.equal([
        "silent: no alarmActions, so nobody hears when it fires; add the stack's alert topic (Operations' alarmTopic)",
        "empty: no alarmActions, so nobody hears when it fires; add the stack's alert topic (Operations' alarmTopic)",
        "disabled: actionsEnabled is false; its actions never run. Remove the setting",
      ]);
    });
  });

  describe("cloudtrail-integrity and cloudtrail-kms", function () {
    const trail = (name: string, inputs: Record<string, unknown>) =>
      fakeResource("aws:cloudtrail/trail:Trail", name, { s3BucketName: "logs", ...inputs });
    it("passes a trail that validates and encrypts its log files", async function () {
      expect(
        await violationsOf(trailIntegrity, [
          trail("audit", { enableLogFileValidation: true, kmsKeyId: "arn:aws:kms:eu-west-1:1:key/k" }),
        ]),
      ).to.deep.equal([]);
      expect(
        await violationsOf(trailKms, [
          trail("audit", { enableLogFileValidation: true, kmsKeyId: "arn:aws:kms:eu-west-1:1:key/k" }),
        ]),
      ).to.deep.equal([]);
    });
    it("fails a trail without log file validation or a KMS key", async function () {
      expect(await violationsOf(trailIntegrity, [trail("plain", {})])).to.deep.equal([
        "plain: enableLogFileValidation is not true; set it so tampering shows",
      ]);
      expect(await violationsOf(trailKms, [trail("plain", {})])).to.deep.equal([
        "plain: no kmsKeyId; encrypt the log files with a customer-managed key",
      ]);
      expect([trailIntegrity.enforcementLevel, trailKms.enforcementLevel]).to.deep.equal([
        "mandatory",
        "advisory",
      ]);
    });
  });
});
