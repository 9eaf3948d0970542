/**
 * A lake without a customer-managed key (encryption "s3-managed") feeding the ETL, Athena, QuickSight and
 * anomaly detection: no KMS key is created or named anywhere, no role may use one, every service falls back to
 * its AWS-managed encryption, and the policy pack accepts it with advice instead of refusing it.
 */
import { expect } from "chai";
import { evaluatePolicies } from "../../../policies/harness";
import { runAnalyticsSlice, type AnalyticsRun } from "../ml/analytics-stack";

const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";

describe("a keyless composition (DataLake encryption s3-managed)", function () {
  let run: AnalyticsRun;
  before(async function () {
    run = await runAnalyticsSlice("dev", {}, { lakeEncryption: "s3-managed", etl: true });
  });

  it("composes the ETL and the anomaly pipeline over the lake", function () {
    expect(run.ofType("aws:glue/job:Job")).to.have.length.greaterThan(0);
    expect(run.ofType("aws:sfn/stateMachine:StateMachine").map((m) => m.name)).to.include.members([
      "sensors-dev-etl-orchestration-etl",
    ]);
    expect(run.ofType("aws:sns/topic:Topic")).to.have.length.greaterThan(1);
  });

  it("creates no key and names none: every resource falls back to its service's own encryption", function () {
    expect(run.ofType("aws:kms/key:Key")).to.deep.equal([]);
    expect(JSON.stringify(run.resources.map((r) => r.inputs))).not.to.match(/arn:aws:kms:/);
    for (const group of run.ofType("aws:cloudwatch/logGroup:LogGroup"))
      expect(group.inputs.kmsKeyId, group.name).to.equal(undefined);
    for (const topic of run.ofType("aws:sns/topic:Topic"))
      expect(topic.inputs.kmsMasterKeyId, topic.name).to.equal("alias/aws/sns");
    for (const queue of run.ofType("aws:sqs/queue:Queue"))
      expect(queue.inputs.sqsManagedSseEnabled, queue.name).to.equal(true);
    const [glue] = run.ofType("aws:glue/securityConfiguration:SecurityConfiguration");
    expect(glue!.inputs.encryptionConfiguration).to.deep.include({
      s3Encryption: { s3EncryptionMode: "SSE-S3" },
    });
    const definitions = run
      .ofType("aws:sfn/stateMachine:StateMachine")
      .map((m) => String(m.inputs.definition));
    expect(definitions.join()).not.to.match(/KmsKeyId/);
  });

  it("gives no role a kms:* statement", function () {
    const documents = [
      ...run.ofType(ROLE).map((r) => JSON.stringify(r.inputs.inlinePolicies ?? [])),
      ...run.ofType(ROLE_POLICY).map((p) => JSON.stringify(p.inputs.policy)),
    ];
    expect(documents.length).to.be.greaterThan(10);
    for (const document of documents) expect(document).not.to.match(/kms:/);
  });

  it("passes the policy pack's mandatory rules, with advice to use a customer-managed key", async function () {
    const report = await evaluatePolicies(run.resources);
    expect(report.mandatory.map((v) => `${v.policy}: ${v.message}`)).to.deep.equal([]);
    expect(new Set(report.advisory.map((v) => v.policy))).to.include.keys(
      "s3-kms-encryption",
      "glue-security-configuration-kms",
      "athena-results-kms",
      "log-group-kms",
      "rds-customer-managed-key",
    );
  });
});
