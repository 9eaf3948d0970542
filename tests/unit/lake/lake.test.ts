import { expect } from "chai";
import { runPlatform, Recorded, ProgramRun } from "../../helpers/mocks";
import type { PlatformConfig } from "../../../components/config";

type Run = ProgramRun<PlatformConfig> & Recorded;
const BUCKET = "aws:s3/bucket:Bucket";

describe("DataLake", function () {
  let dev: Run;
  let prod: Run;
  before(async function () {
    dev = await runPlatform("dev");
    prod = await runPlatform("prod");
  });

  it("creates the five buckets of the layout, auto-named under the deployment", function () {
    expect(
      dev
        .ofType(BUCKET)
        .map((b) => b.name)
        .sort(),
    ).to.deep.equal(["artifacts", "curated", "logs", "raw", "results"].map((r) => `sensors-dev-lake-${r}`));
  });

  it("blocks all four kinds of public access on every bucket", function () {
    const blocks = dev.ofType("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock");
    expect(blocks).to.have.length(5);
    for (const b of blocks) {
      expect(b.inputs).to.include({
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      });
    }
  });

  it("encrypts data buckets with the lake KMS key and the log bucket with SSE-S3", function () {
    const keyArn = dev.named("aws:kms/key:Key", "sensors-dev-lake-key").state.arn;
    for (const role of ["raw", "curated", "results", "artifacts"]) {
      const sse = dev.named(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        `sensors-dev-lake-${role}-encryption`,
      );
      expect(sse.inputs.rules).to.deep.equal([
        {
          applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: keyArn },
          bucketKeyEnabled: true,
        },
      ]);
    }
    const logs = dev.named(
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
      "sensors-dev-lake-logs-encryption",
    );
    expect(logs.inputs.rules).to.deep.equal([
      { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
    ]);
  });

  it("rotates the KMS key", function () {
    const key = dev.named("aws:kms/key:Key", "sensors-dev-lake-key");
    expect(key.inputs.enableKeyRotation).to.equal(true);
  });

  it("denies non-TLS requests on every bucket and its objects", function () {
    for (const policy of dev.ofType("aws:s3/bucketPolicy:BucketPolicy")) {
      const doc = JSON.parse(policy.inputs.policy as string) as { Statement: Record<string, unknown>[] };
      const bucketArn = `arn:aws:s3:::${policy.inputs.bucket as string}`;
      expect(doc.Statement[0]).to.deep.equal({
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      });
    }
  });

  it("lets only S3 logging from this account's lake buckets write into the log bucket", function () {
    const policy = dev.named("aws:s3/bucketPolicy:BucketPolicy", "sensors-dev-lake-logs-policy");
    const doc = JSON.parse(policy.inputs.policy as string) as { Statement: Record<string, unknown>[] };
    expect(doc.Statement[1]).to.deep.include({
      Principal: { Service: "logging.s3.amazonaws.com" },
      Action: "s3:PutObject",
      Condition: {
        ArnLike: { "aws:SourceArn": "arn:aws:s3:::sensors-dev-lake-*" },
        StringEquals: { "aws:SourceAccount": "111122223333" },
      },
    });
  });

  it("versions every bucket and logs access of every bucket but the log bucket into it", function () {
    expect(
      dev.ofType("aws:s3/bucketVersioning:BucketVersioning").map((v) => v.inputs.versioningConfiguration),
    ).to.deep.equal(Array(5).fill({ status: "Enabled" }));
    const logBucket = dev.named(BUCKET, "sensors-dev-lake-logs").id;
    const logging = dev.ofType("aws:s3/bucketLogging:BucketLogging");
    expect(logging.map((l) => l.name).sort()).to.deep.equal(
      ["artifacts", "curated", "raw", "results"].map((r) => `sensors-dev-lake-${r}-access-logging`),
    );
    for (const l of logging) expect(l.inputs.targetBucket).to.equal(logBucket);
  });

  it("expires raw zones after the raw retention and curated data after the curated retention", function () {
    const raw = dev.named(
      "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
      "sensors-dev-lake-raw-lifecycle",
    );
    const rules = raw.inputs.rules as {
      id: string;
      filter: { prefix?: string };
      expiration?: { days?: number };
    }[];
    const telemetry = rules.find((r) => r.id === "expire-telemetry")!;
    expect(telemetry.filter.prefix).to.equal("telemetry/");
    expect(telemetry.expiration!.days).to.equal(30);
    const curated = dev.named(
      "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
      "sensors-dev-lake-curated-lifecycle",
    );
    expect(
      (curated.inputs.rules as { id: string; expiration?: { days?: number } }[]).find(
        (r) => r.id === "expire-curated",
      )!.expiration!.days,
    ).to.equal(60);
  });

  it("dev: buckets are force-destroyable and nothing is protected", function () {
    for (const b of dev.ofType(BUCKET)) {
      expect(b.inputs.forceDestroy).to.equal(true);
      expect(b.protect).to.equal(false);
    }
  });

  it("prod: buckets and the key are protected and retained on delete, never force-destroyed", function () {
    for (const r of [...prod.ofType(BUCKET), prod.named("aws:kms/key:Key", "sensors-prod-lake-key")]) {
      expect(r.protect, r.name).to.equal(true);
      expect(r.retainOnDelete, r.name).to.equal(true);
    }
    for (const b of prod.ofType(BUCKET)) expect(b.inputs.forceDestroy).to.equal(false);
    expect(prod.named("aws:kms/key:Key", "sensors-prod-lake-key").inputs.deletionWindowInDays).to.equal(30);
  });

  it("prod: tiers raw data to Standard-IA and Glacier IR as configured", function () {
    const raw = prod.named(
      "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
      "sensors-prod-lake-raw-lifecycle",
    );
    const telemetry = (
      raw.inputs.rules as { id: string; transitions?: unknown[]; expiration?: { days: number } }[]
    ).find((r) => r.id === "expire-telemetry")!;
    expect(telemetry.transitions).to.deep.equal([
      { days: 30, storageClass: "STANDARD_IA" },
      { days: 180, storageClass: "GLACIER_IR" },
    ]);
    expect(telemetry.expiration).to.deep.equal({ days: 730 });
  });

  it("tags every bucket with the stack tags", function () {
    for (const b of prod.ofType(BUCKET)) {
      expect(b.inputs.tags).to.include({
        environment: "prod",
        "sensor-analytics:stack": "prod",
        "data-classification": "internal",
      });
    }
  });
});
