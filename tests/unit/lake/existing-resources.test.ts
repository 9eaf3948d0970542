/**
 * Existing resources in one shape (BucketRef, key ARNs): a DataLake over existing buckets, with an existing
 * key or none (SSE-S3), ingest without a key, and the ETL and ML composed with buckets from `aws.s3.Bucket.get`.
 */
import * as aws from "@pulumi/aws";
import { expect } from "chai";
import { DataLake } from "../../../components/lake/lake";
import { TelemetryIngest } from "../../../components/ingest/telemetry-ingest";
import { bucketRef, bucketRefFromName } from "../../../components/shared/resource-refs";
import { documentsOf } from "../../../components/documents";
import { evaluatePolicies } from "../../../policies/harness";
import { recorded, Recorded, runUnderMocks, ProgramRun, stackConfig } from "../../helpers/mocks";
import { runEtl, EtlRun } from "../etl/run-etl";
import { runAnalyticsSlice, AnalyticsRun } from "../ml/analytics-stack";

const BUCKET = "aws:s3/bucket:Bucket";
const POLICY = "aws:s3/bucketPolicy:BucketPolicy";
const SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration";
const STREAM = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream";
const GIVEN_KEY = "arn:aws:kms:eu-west-1:111122223333:key/0f0f0f0f-1111-2222-3333-444444444444";
const SHARED_CURATED = { name: "shared-curated", arn: "arn:aws:s3:::shared-curated" };
const ORG_LOGS = { name: "org-access-logs", arn: "arn:aws:s3:::org-access-logs" };
const RETENTION = { rawRetentionDays: 30, curatedRetentionDays: 90 };

type Run = ProgramRun<{ bucketPolicyDocument: unknown }> & Recorded;
const statementsOf = (run: Run, name: string) =>
  (JSON.parse(run.named(POLICY, name).inputs.policy as string) as { Statement: Record<string, unknown>[] })
    .Statement;

describe("existing resources", function () {
  let run: Run;
  before(async function () {
    const program = await runUnderMocks(stackConfig("dev"), () => {
      // A landing bucket another program owns, looked up; a lake over it with an existing key.
      const landing = aws.s3.Bucket.get("team-landing", "team-landing-bucket");
      new DataLake("adopt", {
        ...RETENTION,
        existingBuckets: { raw: bucketRef(landing) },
        encryption: { kmsKeyArn: GIVEN_KEY },
      });
      // A lake over a bucket whose owner keeps its policy and encryption, SSE-S3 for the rest.
      const unmanaged = new DataLake("plain", {
        ...RETENTION,
        encryption: "s3-managed",
        existingBuckets: { curated: SHARED_CURATED },
        applyControlsToExistingBuckets: false,
      });
      // A lake with its own key over the organisation's log bucket and a landing bucket.
      new DataLake("org", {
        ...RETENTION,
        existingBuckets: { logs: ORG_LOGS, raw: { name: "org-landing", arn: "arn:aws:s3:::org-landing" } },
      });
      // Ingest into a bucket known by name only, without a customer-managed key.
      new TelemetryIngest("keyless", {
        rawBucket: bucketRefFromName("factory-landing"),
        catalogDatabase: "factory",
        rooms: ["hall"],
        bufferSeconds: 60,
        bufferMiB: 64,
      });
      return {
        bucketPolicyDocument: documentsOf(unmanaged).find((d) => d.name === "s3-bucket-policy-plain-curated")
          ?.content,
      };
    });
    run = Object.assign(program, recorded(program.resources));
  });

  describe("DataLake over an existing bucket", function () {
    it("creates no bucket for the adopted role, and the other four", function () {
      const names = run
        .ofType(BUCKET)
        .filter((b) => b.name.startsWith("adopt-"))
        .map((b) => b.name)
        .sort();
      expect(names).to.deep.equal(["adopt-artifacts", "adopt-curated", "adopt-logs", "adopt-results"]);
      expect(run.ofType(BUCKET).map((b) => b.name)).not.to.include("team-landing");
    });

    it("puts its TLS-only policy, encryption and public-access block on the given bucket, kept on destroy", function () {
      const policy = run.named(POLICY, "adopt-raw-policy");
      expect(policy.inputs.bucket).to.equal("team-landing-bucket");
      expect(policy.retainOnDelete).to.equal(true);
      const [tls] = statementsOf(run, "adopt-raw-policy");
      expect(tls).to.deep.include({ Sid: "DenyInsecureTransport", Effect: "Deny" });
      expect(tls!.Resource).to.deep.equal([
        "arn:aws:s3:::team-landing-bucket",
        "arn:aws:s3:::team-landing-bucket/*",
      ]);
      const sse = run.named(SSE, "adopt-raw-encryption");
      expect(sse.inputs.bucket).to.equal("team-landing-bucket");
      expect(sse.inputs.rules).to.deep.equal([
        {
          applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: GIVEN_KEY },
          bucketKeyEnabled: true,
        },
      ]);
      const block = run.named(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "adopt-raw-public-access",
      );
      expect(block.inputs.bucket).to.equal("team-landing-bucket");
    });

    it("leaves the owner's versioning and lifecycle alone", function () {
      const ofRaw = run.resources
        .filter((r) => r.custom && r.name.startsWith("adopt-raw-"))
        .map((r) => r.name)
        .sort();
      expect(ofRaw).to.deep.equal([
        "adopt-raw-access-logging",
        "adopt-raw-encryption",
        "adopt-raw-policy",
        "adopt-raw-public-access",
      ]);
    });

    it("lets the adopted bucket log into the lake's log bucket", function () {
      const delivery = statementsOf(run, "adopt-logs-policy").find(
        (s) => s.Sid === "AllowServerAccessLogDelivery",
      );
      const condition = delivery!.Condition as { ArnLike: Record<string, string[]> };
      expect(condition.ArnLike["aws:SourceArn"]).to.include("arn:aws:s3:::team-landing-bucket");
    });

    it("creates no key when given one", function () {
      expect(run.ofType("aws:kms/key:Key").filter((k) => k.name.startsWith("adopt"))).to.have.length(0);
    });

    it("changes nothing on a bucket whose controls stay with its owner, and still names it in its documented policy", function () {
      expect(run.resources.filter((r) => r.name.startsWith("plain-curated-") && r.custom)).to.have.length(0);
      expect(
        JSON.stringify((run.outputs as { bucketPolicyDocument: unknown }).bucketPolicyDocument),
      ).to.include("arn:aws:s3:::shared-curated/*");
    });
  });

  describe("DataLake over an existing access-log bucket", function () {
    it("creates no log bucket; the given one gets SSE-S3 and admits the lake's access logs", function () {
      expect(run.ofType(BUCKET).map((b) => b.name)).not.to.include("org-logs");
      const sse = run.named(SSE, "org-logs-encryption");
      expect(sse.inputs.bucket).to.equal(ORG_LOGS.name);
      expect(sse.inputs.rules).to.deep.equal([
        { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
      ]);
      const delivery = statementsOf(run, "org-logs-policy").find(
        (s) => s.Sid === "AllowServerAccessLogDelivery",
      );
      expect(delivery!.Resource).to.equal(`${ORG_LOGS.arn}/*`);
      const rawLogging = run.named("aws:s3/bucketLogging:BucketLogging", "org-raw-access-logging");
      expect(rawLogging.inputs.targetBucket).to.equal(ORG_LOGS.name);
    });

    it("keeps its own key on destroy, since objects in the adopted bucket are encrypted with it", function () {
      expect(run.named("aws:kms/key:Key", "org-key").retainOnDelete).to.equal(true);
    });
  });

  describe("without a KMS key", function () {
    it("encrypts the lake's buckets with SSE-S3 and creates no key", function () {
      expect(run.ofType("aws:kms/key:Key").filter((k) => k.name.startsWith("plain"))).to.have.length(0);
      for (const role of ["raw", "results", "artifacts"])
        expect(run.named(SSE, `plain-${role}-encryption`).inputs.rules).to.deep.equal([
          { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
        ]);
    });

    it("has Firehose encrypt at rest with an AWS-owned key and grants no KMS use", function () {
      const stream = run.named(STREAM, "keyless-telemetry-stream");
      expect(stream.inputs.serverSideEncryption).to.deep.equal({ enabled: true, keyType: "AWS_OWNED_CMK" });
      expect(run.named("aws:iam/role:Role", "keyless-telemetry-role").inputs.inlinePolicies).not.to.match(
        /kms:/,
      );
      expect(
        JSON.stringify(run.named("aws:iam/role:Role", "keyless-telemetry-role").inputs.inlinePolicies),
      ).to.include("arn:aws:s3:::factory-landing/telemetry/*");
    });

    it("is advised, not refused, by the policy pack's key rules", async function () {
      const report = await evaluatePolicies(run.resources);
      const keyless = (v: { message: string }) => v.message.includes("keyless-telemetry-stream");
      expect(report.advisory.filter(keyless).map((v) => v.policy)).to.include(
        "firehose-customer-managed-key",
      );
      expect(report.mandatory.filter(keyless)).to.deep.equal([]);
    });
  });

  describe("ETL and ML composed with buckets from aws.s3.Bucket.get", function () {
    let etl: EtlRun;
    let ml: AnalyticsRun;
    before(async function () {
      etl = await runEtl("dev", {}, () => ({
        buckets: {
          raw: bucketRef(aws.s3.Bucket.get("etl-raw", "etl-existing-raw")),
          curated: bucketRef(aws.s3.Bucket.get("etl-curated", "etl-existing-curated")),
          artifacts: bucketRef(aws.s3.Bucket.get("etl-artifacts", "etl-existing-artifacts")),
        },
      }));
      ml = await runAnalyticsSlice("dev", {}, { existingBuckets: true });
    });

    it("the Glue role reads and writes the given buckets, and none of the lake's", function () {
      const access = JSON.stringify(
        etl.named("aws:iam/rolePolicy:RolePolicy", "sensors-dev-etl-glue-access").inputs.policy,
      );
      for (const role of ["raw", "curated", "artifacts"])
        expect(access).to.include(`arn:aws:s3:::etl-existing-${role}`);
      expect(access).not.to.include("sensors-dev-lake-raw");
    });

    it("the ML functions and the Athena workgroup use the given buckets", function () {
      const functions = ml
        .ofType("aws:lambda/function:Function")
        .map((f) => JSON.stringify(f.inputs.environment));
      expect(functions.join()).to.include("existing-curated").and.include("existing-artifacts");
      expect(functions.join()).not.to.include("sensors-dev-lake-curated");
      const workgroup = ml.ofType("aws:athena/workgroup:Workgroup")[0]!;
      expect(JSON.stringify(workgroup.inputs.configuration)).to.include("s3://existing-results/");
    });
  });
});
