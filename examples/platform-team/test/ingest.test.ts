// The team's test of its own composition, offline: the package's realistic mocks run it in-process.
import * as aws from "@pulumi/aws";
import { expect } from "chai";
import { documentsOf } from "@sensor-analytics/components";
import { runUnderMocks, type RecordedResource } from "@sensor-analytics/components/testing";
import { FactoryIngest } from "../ingest";

const STACK = {
  stack: "test",
  stackFile: "Pulumi.test.yaml",
  values: { "aws:region": "eu-central-1" },
  secretKeys: new Set<string>(),
};
const ARGS = {
  deployment: "factory-test",
  sensorsByRoom: { press_1: 3, press_2: 1, cold_store: 2 },
  landingBucket: "acme-factory-landing",
  landingKeyArn: "arn:aws:kms:eu-central-1:111122223333:key/0b6b7e1e-5d0e-4f3c-9a51-2f5c1f0d1e11",
  catalogDatabase: "factory_test",
  tags: { team: "platform" },
};

function ofType(resources: readonly RecordedResource[], type: string): RecordedResource[] {
  return resources.filter((r) => r.type === type);
}

describe("FactoryIngest", function () {
  it("registers one thing per sensor, rooms of different sizes, all through the team's provider", async function () {
    const run = await runUnderMocks(STACK, () => {
      const provider = new aws.Provider("factory", { region: "eu-central-1" });
      return new FactoryIngest("factory", ARGS, { providers: [provider] });
    });
    const things = ofType(run.resources, "aws:iot/thing:Thing");
    expect(things.map((t) => t.inputs["name"])).to.deep.equal([
      "factory-test-press_1-001",
      "factory-test-press_1-002",
      "factory-test-press_1-003",
      "factory-test-press_2-001",
      "factory-test-cold_store-001",
      "factory-test-cold_store-002",
    ]);
    const groups = ofType(run.resources, "aws:iot/thingGroup:ThingGroup").map((g) => g.inputs["name"]);
    expect(groups).to.have.length(3);
    const custom = run.resources.filter((r) => r.custom && r.type !== "pulumi:providers:aws");
    expect(custom.length).to.be.greaterThan(20);
    for (const resource of custom) expect(resource.provider, resource.name).to.match(/::factory::/);
  });

  it("delivers into the existing landing bucket with its key, and tags what it creates", async function () {
    const run = await runUnderMocks(STACK, () => new FactoryIngest("factory", ARGS));
    const streams = ofType(run.resources, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream");
    expect(streams).to.have.length(2);
    for (const stream of streams) {
      const s3 = stream.inputs["extendedS3Configuration"] as Record<string, unknown>;
      expect(s3["bucketArn"]).to.equal("arn:aws:s3:::acme-factory-landing");
      expect(s3["kmsKeyArn"]).to.equal(ARGS.landingKeyArn);
      expect(stream.inputs["tags"]).to.deep.include({ team: "platform" });
    }
    expect(ofType(run.resources, "aws:s3/bucket:Bucket")).to.have.length(0);
  });

  it("into an SSE-S3 landing bucket without a key: no KMS use anywhere", async function () {
    const { landingKeyArn: _key, ...keyless } = ARGS;
    const run = await runUnderMocks(STACK, () => new FactoryIngest("factory", keyless));
    for (const stream of ofType(run.resources, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")) {
      expect(stream.inputs["serverSideEncryption"]).to.deep.equal({
        enabled: true,
        keyType: "AWS_OWNED_CMK",
      });
      const s3 = stream.inputs["extendedS3Configuration"] as Record<string, unknown>;
      expect(s3["kmsKeyArn"]).to.equal(undefined);
    }
    const roles = ofType(run.resources, "aws:iam/role:Role").map((r) =>
      JSON.stringify(r.inputs["inlinePolicies"]),
    );
    expect(roles.join()).to.include("firehose:PutRecord").and.not.include("kms:");
  });

  it("two compositions in one program (and one process) keep their documents apart", async function () {
    const run = await runUnderMocks(STACK, () => {
      const a = new FactoryIngest("line-a", ARGS);
      const b = new FactoryIngest("line-b", { ...ARGS, deployment: "factory-test2" });
      return { a: documentsOf(a.devices).map((d) => d.name), b: documentsOf(b.devices).map((d) => d.name) };
    });
    expect(run.value.a).to.include("iot-device-policy");
    expect(run.value.b).to.include("iot-device-policy");
  });
});
