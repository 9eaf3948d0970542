/**
 * AuditTrail's `encryption`, in DataLake's shape: a key of its own by default, an existing key by ARN, or the
 * log bucket's SSE-S3 without any key; only the first creates a key.
 */
import { expect } from "chai";
import type { LakeEncryption } from "../../../components/lake/lake";
import { recorded, runUnderMocks, stackConfig } from "../../helpers/mocks";

const EXISTING_KEY = "arn:aws:kms:eu-west-1:111122223333:key/audit-existing";

async function runTrail(encryption: LakeEncryption | undefined) {
  const run = await runUnderMocks(stackConfig("dev"), async () => {
    const { AuditTrail } = await import("../../../components/audit/audit-trail");
    new AuditTrail("audit", {
      trailName: "sensors-dev-audit",
      logBucket: { name: "sensors-dev-logs" },
      dataBucketArns: ["arn:aws:s3:::sensors-dev-raw"],
      ...(encryption === undefined ? {} : { encryption }),
    });
  });
  const r = recorded(run.resources);
  return { keys: r.ofType("aws:kms/key:Key"), trail: r.ofType("aws:cloudtrail/trail:Trail")[0]! };
}

describe("AuditTrail encryption", function () {
  it("creates a key of its own by default and encrypts the log files with it", async function () {
    const { keys, trail } = await runTrail(undefined);
    expect(keys.map((k) => k.name)).to.deep.equal(["audit-key"]);
    expect(trail.inputs.kmsKeyId).to.equal(keys[0]!.state.arn);
  });

  it("takes an existing key by ARN, or none (the log bucket's SSE-S3), creating no key", async function () {
    const existing = await runTrail({ kmsKeyArn: EXISTING_KEY });
    expect(existing.keys).to.deep.equal([]);
    expect(existing.trail.inputs.kmsKeyId).to.equal(EXISTING_KEY);
    const keyless = await runTrail("s3-managed");
    expect(keyless.keys).to.deep.equal([]);
    expect(keyless.trail.inputs).to.not.have.property("kmsKeyId");
    expect(keyless.trail.inputs.enableLogFileValidation).to.equal(true);
  });
});
