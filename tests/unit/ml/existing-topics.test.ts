/**
 * Anomaly detection and the ETL publishing to topics another program owns (`TopicRef`s): no topic and no topic
 * key are created, and each role may publish to the given topic and use only that topic's key.
 */
import { expect } from "chai";
import { runAnalyticsSlice, type AnalyticsRun } from "./analytics-stack";
import { runEtl } from "../etl/run-etl";

const ONCALL = {
  arn: "arn:aws:sns:us-east-1:111122223333:oncall",
  kmsKeyArn: "arn:aws:kms:us-east-1:111122223333:key/oncall-key",
};
const OPS = { arn: "arn:aws:sns:us-east-1:111122223333:ops" };
const policyOf = (run: Pick<AnalyticsRun, "named">, name: string) =>
  JSON.stringify(run.named("aws:iam/rolePolicy:RolePolicy", name).inputs.policy);

describe("AnomalyDetection with existing topics", function () {
  let run: AnalyticsRun;
  before(async function () {
    run = await runAnalyticsSlice("dev", {}, { anomalyTopics: { alerts: ONCALL, failures: OPS } });
  });

  it("creates neither topics nor their key", function () {
    expect(run.ofType("aws:sns/topic:Topic")).to.deep.equal([]);
    expect(run.ofType("aws:kms/key:Key").map((k) => k.name)).not.to.include("sensors-dev-anomaly-topics-key");
  });

  it("alerts go to the given topic with its key; failures to the other, which needs none", function () {
    const scoring = policyOf(run, "sensors-dev-anomaly-scoring-fn-policy");
    expect(scoring).to.include(ONCALL.arn).and.include(ONCALL.kmsKeyArn);
    const machine = policyOf(run, "sensors-dev-anomaly-scoring-policy");
    expect(machine).to.include(OPS.arn).and.not.include("EncryptForTopic");
  });
});

describe("Etl with an existing failure topic", function () {
  it("creates no topic; the planner and the machine publish to the given one with its key", async function () {
    const run = await runEtl("dev", {}, { existingFailureTopic: ONCALL });
    expect(run.ofType("aws:sns/topic:Topic")).to.deep.equal([]);
    for (const name of [
      "sensors-dev-etl-orchestration-planner-policy",
      "sensors-dev-etl-orchestration-etl-policy",
    ])
      expect(policyOf(run, name), name).to.include(ONCALL.arn).and.include(ONCALL.kmsKeyArn);
  });
});
