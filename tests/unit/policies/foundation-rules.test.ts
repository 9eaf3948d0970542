import { expect } from "chai";
import { fakeResource, violationsOf } from "../../helpers/policy";
import {
  s3AccessLogging,
  s3DefaultEncryption,
  s3KmsEncryption,
  s3PublicAccessBlock,
  s3TlsOnly,
  s3Versioning,
} from "../../../policies/rules/s3";
import { kmsKeyRotation } from "../../../policies/rules/kms";
import {
  iamActionsExist,
  iamNoAwsManagedPolicies,
  iamNoUnjustifiedWildcards,
  unknownActionReason,
} from "../../../policies/rules/iam";
import { platformPolicies } from "../../../policies/rules";
import type { RecordedResource } from "../../../components/testing";

const bucket = (name: string) => fakeResource("aws:s3/bucket:Bucket", name, { bucket: `${name}-abc1234` });
const on = (
  b: RecordedResource,
  type: string,
  suffix: string,
  inputs: Record<string, unknown>,
  property = "bucket",
) =>
  fakeResource(type, `${b.name}-${suffix}`, { [property]: b.inputs.bucket, ...inputs }, { [property]: [b] });
const tlsPolicy = (b: RecordedResource) => {
  const arn = `arn:aws:s3:::${b.inputs.bucket as string}`;
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [arn, `${arn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
  });
};
const iamPolicy = (name: string, statements: Record<string, unknown>[]) =>
  fakeResource("aws:iam/policy:Policy", name, {
    policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }),
  });

describe("policy pack: foundation rules", function () {
  it("every rule is mandatory and has a unique name", function () {
    const names = platformPolicies.map((p) => p.name);
    expect(new Set(names).size).to.equal(names.length);
  });

  describe("s3-public-access-block", function () {
    it("passes a bucket with all four settings on", async function () {
      const b = bucket("data");
      const pab = on(b, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "pab", {
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      });
      expect(await violationsOf(s3PublicAccessBlock, [b, pab])).to.deep.equal([]);
    });
    it("fails a bucket without one, and one with a setting off", async function () {
      const a = bucket("a");
      const b = bucket("b");
      const pab = on(b, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "pab", {
        blockPublicAcls: true,
        blockPublicPolicy: false,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      });
      expect(await violationsOf(s3PublicAccessBlock, [a, b, pab])).to.deep.equal([
        "a: has no BucketPublicAccessBlock",
        "b: public-access block leaves blockPublicPolicy off",
      ]);
    });
  });

  describe("s3-kms-encryption", function () {
    const sse = (b: RecordedResource, algorithm: string, key?: string) =>
      on(b, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "sse", {
        rules: [
          {
            applyServerSideEncryptionByDefault: {
              sseAlgorithm: algorithm,
              ...(key ? { kmsMasterKeyId: key } : {}),
            },
          },
        ],
      });
    it("passes SSE-KMS with a key, and SSE-S3 on the access-log target", async function () {
      const data = bucket("data");
      const logs = bucket("logs");
      const logging = fakeResource(
        "aws:s3/bucketLogging:BucketLogging",
        "data-logging",
        { bucket: "data-abc1234", targetBucket: "logs-abc1234" },
        { bucket: [data], targetBucket: [logs] },
      );
      expect(
        await violationsOf(s3KmsEncryption, [
          data,
          logs,
          logging,
          sse(data, "aws:kms", "arn:aws:kms:eu-west-1:111122223333:key/k"),
          sse(logs, "AES256"),
        ]),
      ).to.deep.equal([]);
    });
    it("fails SSE-S3 on a data bucket, KMS without a key, and no encryption", async function () {
      const a = bucket("a");
      const b = bucket("b");
      const c = bucket("c");
      expect(
        await violationsOf(s3KmsEncryption, [a, b, c, sse(a, "AES256"), sse(b, "aws:kms")]),
      ).to.deep.equal([
        "a: defaults to AES256; use aws:kms with a customer-managed key",
        "b: uses aws:kms without naming a customer-managed key",
      ]);
    });
    it("s3-default-encryption (mandatory) accepts SSE-S3 and refuses no encryption or SSE-KMS on a log target", async function () {
      const a = bucket("a");
      const c = bucket("c");
      const logs = bucket("logs");
      const logging = fakeResource(
        "aws:s3/bucketLogging:BucketLogging",
        "a-logging",
        { bucket: "a-abc1234", targetBucket: "logs-abc1234" },
        { bucket: [a], targetBucket: [logs] },
      );
      expect(
        await violationsOf(s3DefaultEncryption, [
          a,
          c,
          logs,
          logging,
          sse(a, "AES256"),
          sse(logs, "aws:kms", "arn:aws:kms:eu-west-1:111122223333:key/k"),
        ]),
      ).to.deep.equal([
        "c: has no default encryption configuration",
        "logs: is an access-log target and must default to SSE-S3 (AES256)",
      ]);
    });
  });

  describe("s3-tls-only", function () {
    it("passes a policy denying non-TLS on bucket and objects", async function () {
      const b = bucket("data");
      expect(
        await violationsOf(s3TlsOnly, [
          b,
          on(b, "aws:s3/bucketPolicy:BucketPolicy", "policy", { policy: tlsPolicy(b) }),
        ]),
      ).to.deep.equal([]);
    });
    it("fails a missing policy and one that only covers objects", async function () {
      const a = bucket("a");
      const b = bucket("b");
      const objectsOnly = JSON.stringify({
        Statement: [
          {
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: "arn:aws:s3:::b-abc1234/*",
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          },
        ],
      });
      expect(
        await violationsOf(s3TlsOnly, [
          a,
          b,
          on(b, "aws:s3/bucketPolicy:BucketPolicy", "policy", { policy: objectsOnly }),
        ]),
      ).to.deep.equal([
        "a: has no bucket policy (needs one denying non-TLS requests)",
        "b: bucket policy does not deny s3:* on the bucket and its objects when aws:SecureTransport is false",
      ]);
    });
  });

  describe("s3-versioning", function () {
    it("passes Enabled and fails Suspended or missing", async function () {
      const a = bucket("a");
      const b = bucket("b");
      const c = bucket("c");
      const v = (x: RecordedResource, status: string) =>
        on(x, "aws:s3/bucketVersioning:BucketVersioning", "v", { versioningConfiguration: { status } });
      expect(await violationsOf(s3Versioning, [a, b, c, v(a, "Enabled"), v(b, "Suspended")])).to.deep.equal([
        "b: versioning is Suspended; enable it",
        "c: versioning is not configured; enable it",
      ]);
    });
  });

  describe("s3-access-logging", function () {
    it("requires logging on data buckets and exempts the log bucket", async function () {
      const data = bucket("data");
      const other = bucket("other");
      const logs = bucket("logs");
      const logging = fakeResource(
        "aws:s3/bucketLogging:BucketLogging",
        "data-logging",
        { bucket: "data-abc1234", targetBucket: "logs-abc1234" },
        { bucket: [data], targetBucket: [logs] },
      );
      expect(await violationsOf(s3AccessLogging, [data, other, logs, logging])).to.deep.equal([
        "other: has no server access logging; add a BucketLogging into the log bucket",
      ]);
    });
  });

  describe("kms-key-rotation", function () {
    it("passes a rotating key and fails one without rotation", async function () {
      const good = fakeResource("aws:kms/key:Key", "good", { enableKeyRotation: true });
      const bad = fakeResource("aws:kms/key:Key", "bad", {});
      const asymmetric = fakeResource("aws:kms/key:Key", "signing", { customerMasterKeySpec: "RSA_2048" });
      expect(await violationsOf(kmsKeyRotation, [good, bad, asymmetric])).to.deep.equal([
        "bad: enableKeyRotation is undefined; set it to true",
      ]);
    });
  });

  describe("iam-no-unjustified-wildcards", function () {
    it("passes scoped statements and justified wildcards", async function () {
      const scoped = iamPolicy("scoped", [
        { Effect: "Allow", Action: ["s3:GetObject"], Resource: "arn:aws:s3:::lake/*" },
        { Sid: "PutMetricDataWildcard", Effect: "Allow", Action: "cloudwatch:PutMetricData", Resource: "*" },
        { Effect: "Deny", Action: "*", Resource: "*" },
      ]);
      expect(await violationsOf(iamNoUnjustifiedWildcards, [scoped])).to.deep.equal([]);
    });
    it("fails a resource wildcard, a service wildcard and NotAction without justification", async function () {
      const wild = iamPolicy("wild", [
        { Sid: "ReadAll", Effect: "Allow", Action: "s3:GetObject", Resource: "*" },
        { Effect: "Allow", Action: "glue:*", Resource: "arn:aws:glue:eu-west-1:111122223333:catalog" },
        { Effect: "Allow", NotAction: "iam:*", Resource: "arn:aws:s3:::x" },
      ]);
      const role = fakeResource("aws:iam/role:Role", "role", {
        inlinePolicies: [
          {
            name: "p",
            policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }),
          },
        ],
      });
      expect(await violationsOf(iamNoUnjustifiedWildcards, [wild, role])).to.deep.equal([
        'wild policy statement ReadAll allows resource "*"; scope it to ARNs and actions, or justify it with a Sid ending in "Wildcard" and a comment',
        'wild policy statement #1 allows action glue:*; scope it to ARNs and actions, or justify it with a Sid ending in "Wildcard" and a comment',
        'wild policy statement #2 allows NotAction; scope it to ARNs and actions, or justify it with a Sid ending in "Wildcard" and a comment',
        'role inlinePolicies[0].policy statement #0 allows action * and resource "*"; scope it to ARNs and actions, or justify it with a Sid ending in "Wildcard" and a comment',
      ]);
    });
    it("ignores bucket and key policies, where * principals and resources mean something else", async function () {
      const bucketPolicy = fakeResource("aws:s3/bucketPolicy:BucketPolicy", "bp", {
        policy: JSON.stringify({
          Statement: [
            {
              Effect: "Allow",
              Principal: { AWS: "arn:aws:iam::111122223333:root" },
              Action: "s3:GetObject",
              Resource: "*",
            },
          ],
        }),
      });
      expect(await violationsOf(iamNoUnjustifiedWildcards, [bucketPolicy])).to.deep.equal([]);
    });
  });

  describe("iam-no-aws-managed-policies", function () {
    it("fails an AWS-managed attachment and passes a customer-managed one", async function () {
      const managed = fakeResource("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "managed", {
        role: "r",
        policyArn: "arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole",
      });
      const own = fakeResource("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "own", {
        role: "r",
        policyArn: "arn:aws:iam::111122223333:policy/glue-crawler",
      });
      expect(await violationsOf(iamNoAwsManagedPolicies, [managed, own])).to.deep.equal([
        "managed attaches the AWS-managed policy arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole; write a policy scoped to this stack's resources instead",
      ]);
    });
  });

  describe("iam-actions-exist", function () {
    it("catches iot:PublishTopic (the action is iot:Publish) and unknown services", async function () {
      const typo = iamPolicy("typo", [
        {
          Effect: "Allow",
          Action: ["iot:PublishTopic", "iot:Publish", "glu:GetJob", "s3:Get*", "kms:GenerateDataKey*"],
          Resource: "arn:aws:iot:eu-west-1:111122223333:topic/x",
        },
      ]);
      expect(await violationsOf(iamActionsExist, [typo])).to.deep.equal([
        'typo policy: "iot:PublishTopic" is not an IAM action of iot (did you mean iot:Publish?)',
        'typo policy: "glu:GetJob": there is no IAM service prefix "glu"',
      ]);
    });
    it("checks IoT policies and bucket policies too", async function () {
      const iot = fakeResource("aws:iot/policy:Policy", "device", {
        policy: JSON.stringify({
          Statement: [{ Effect: "Allow", Action: ["iot:Connect", "iot:Recieve"], Resource: "*" }],
        }),
      });
      expect(await violationsOf(iamActionsExist, [iot])).to.deep.equal([
        'device policy: "iot:Recieve" is not an IAM action of iot',
      ]);
    });
    it("matches wildcards against real actions", async function () {
      expect(await unknownActionReason("s3:GetObject*")).to.equal(undefined);
      expect(await unknownActionReason("s3:Frobnicate*")).to.equal('"s3:Frobnicate*" matches no s3 action');
      expect(await unknownActionReason("s3 GetObject")).to.equal(
        '"s3 GetObject" is not of the form service:Action',
      );
    });
  });
});
