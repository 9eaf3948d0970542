/**
 * What a platform team composing the package's pieces relies on: any number of instances of a component in
 * one program and in one test process, the settings in a namespace of their own, and mocks that fail loudly.
 */
import * as aws from "@pulumi/aws";
import { expect } from "chai";
import { parsePlatformConfig, validatePlatformConfig, formatProblem } from "../../../components/config";
import { documentsOf, registerDocument } from "../../../components/documents";
import { DataLake } from "../../../components/lake/lake";
import { runUnderMocks } from "../../../components/testing";

const STACK = {
  stack: "test",
  stackFile: "Pulumi.test.yaml",
  values: { "aws:region": "eu-west-1" },
  secretKeys: new Set<string>(),
};
const LAKE = { rawRetentionDays: 30, curatedRetentionDays: 90 };

describe("composing the components", function () {
  it("two DataLakes in one program, each with its own key policy document", async function () {
    const run = await runUnderMocks(STACK, () => {
      const eu = new DataLake("eu", LAKE);
      const us = new DataLake("us", LAKE);
      return { eu: documentsOf(eu).map((d) => d.name), us: documentsOf(us).map((d) => d.name) };
    });
    expect(run.value.eu).to.include("kms-lake-key-policy");
    expect(run.value.us).to.include("kms-lake-key-policy");
    expect(run.resources.filter((r) => r.type === "aws:kms/key:Key")).to.have.length(2);
    // Written side by side: the second tree's file is qualified with its component's name.
    const names = run.documents.map((d) => d.name);
    expect(names).to.include.members(["kms-lake-key-policy", "us.kms-lake-key-policy"]);
    expect(new Set(names).size).to.equal(names.length);
  });

  it("a DataLake per test in one process, without clearing anything", async function () {
    for (let i = 0; i < 2; i++) {
      const run = await runUnderMocks(STACK, () => new DataLake("lake", LAKE));
      expect(run.resources.filter((r) => r.type === "aws:s3/bucket:Bucket")).to.have.length(5);
    }
  });

  it("refuses the same document twice in one component tree, naming the tree", async function () {
    let message = "";
    await runUnderMocks(STACK, () => {
      const lake = new DataLake("twice", LAKE);
      try {
        registerDocument(lake.kmsKey, "kms-lake-key-policy", "json", {});
      } catch (err) {
        message = (err as Error).message;
      }
    });
    expect(message).to.equal('document "kms-lake-key-policy" is registered twice in the tree of twice');
  });

  it("reads the settings from a namespace of the program's choice, leaving its own keys alone", function () {
    const raw = {
      ...STACK,
      values: {
        "aws:region": "eu-west-1",
        "factory:rooms": '["press_1","cold"]',
        "factory:sensorsPerRoom": "3",
        "factory:owner": "platform-team",
        "sensor-analytics:rooms": '["ignored"]',
      },
    };
    const config = parsePlatformConfig(raw, { namespace: "factory", ownKeys: ["owner"] });
    expect(config.fleet.rooms).to.deep.equal(["press_1", "cold"]);
    expect(config.fleet.devices).to.have.length(6);
    expect(config.project).to.equal("factory");
    const { problems } = validatePlatformConfig(
      { ...raw, values: { ...raw.values, "factory:sensorsPerRom": "2" } },
      {
        namespace: "factory",
        ownKeys: ["owner"],
      },
    );
    expect(problems.map((p) => formatProblem(p, raw.stackFile))).to.deep.equal([
      "factory:sensorsPerRom is not a setting of this project (got 2) in Pulumi.test.yaml; fix: did you mean factory:sensorsPerRoom? Rename the key",
    ]);
  });

  it("an invoke the mocks do not know fails the run, naming its token", async function () {
    let failure: unknown;
    try {
      await runUnderMocks(STACK, () => {
        const ami = aws.ec2.getAmiOutput({ owners: ["amazon"], mostRecent: true });
        return new aws.ec2.Instance("box", { ami: ami.id, instanceType: "t4g.nano" });
      });
    } catch (err) {
      failure = err;
    }
    expect(String(failure)).to.contain("Mock not implemented: aws:ec2/getAmi:getAmi");
  });
});
