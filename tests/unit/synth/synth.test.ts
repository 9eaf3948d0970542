import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR } from "../../../components/config";
import { synthStack, SynthResult } from "../../../components/synth/cli";
import { synthOnce } from "../../helpers/synth-runs";

const NODE = process.execPath;
function runCli(args: string[]) {
  return spawnSync(NODE, ["--import", "tsx", path.join(PROJECT_DIR, "components/synth/cli.ts"), ...args], {
    cwd: PROJECT_DIR,
    encoding: "utf8",
  });
}
const readJson = <T>(file: string) => JSON.parse(fs.readFileSync(file, "utf8")) as T;
interface ResourceRow {
  type: string;
  name: string;
  urn: string;
  parent: string | null;
  protect?: boolean;
  inputs: Record<string, unknown>;
}

describe("offline synth", function () {
  this.timeout(120000);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "synth-"));
  let dev: SynthResult;
  let prod: SynthResult;
  before(async function () {
    // Shared with the other suites that read the shipped stacks' synth.
    dev = await synthOnce("dev");
    prod = await synthOnce("prod");
  });

  it("runs the real index.ts and writes resources, outputs, documents and the policy report", function () {
    for (const file of ["resources.json", "outputs.json", "policy-report.json"]) {
      expect(fs.existsSync(path.join(dev.outDir, file)), file).to.equal(true);
    }
    const resources = readJson<ResourceRow[]>(path.join(dev.outDir, "resources.json"));
    expect(resources).to.have.length(dev.resourceCount);
    const platform = resources.find((r) => r.type === "sensor-analytics:index:Platform")!;
    expect(platform.urn).to.equal(
      "urn:pulumi:dev::sensor-analytics::sensor-analytics:index:Platform::sensors-dev",
    );
    const lake = resources.find((r) => r.type === "sensor-analytics:lake:DataLake")!;
    expect(lake.parent).to.equal(platform.urn);
    const outputs = readJson<Record<string, unknown>>(path.join(dev.outDir, "outputs.json"));
    expect(outputs.region).to.equal("eu-west-1");
    expect(outputs.lakeKmsKeyArn).to.match(/^arn:aws:kms:eu-west-1:111122223333:key\/[0-9a-f-]{36}$/);
    const key = readJson<{ Statement: { Sid: string }[] }>(
      path.join(dev.outDir, "documents", "kms-lake-key-policy.json"),
    );
    expect(key.Statement.map((s) => s.Sid)).to.include("EnableIamPoliciesKeyWildcard");
  });

  it("reports zero mandatory policy violations for dev and prod", function () {
    expect(dev.policy.mandatory).to.deep.equal([]);
    expect(prod.policy.mandatory).to.deep.equal([]);
    expect(dev.policy.results.length).to.be.greaterThan(5);
  });

  it("redacts secrets in resources.json and outputs.json", function () {
    const resources = readJson<ResourceRow[]>(path.join(dev.outDir, "resources.json"));
    const connection = resources.find((r) => r.type === "aws:glue/connection:Connection")!;
    expect(connection.inputs.connectionProperties).to.equal("[secret]");
    const outputs = readJson<Record<string, unknown>>(path.join(dev.outDir, "outputs.json"));
    expect(outputs.deviceFleetFile).to.equal("[secret]");
    expect(fs.readFileSync(path.join(dev.outDir, "outputs.json"), "utf8")).not.to.contain("PRIVATE KEY");
  });

  it("prod differs from dev where it should", function () {
    const rows = (stack: string) =>
      readJson<ResourceRow[]>(path.join((stack === "dev" ? dev : prod).outDir, "resources.json"));
    const devBuckets = rows("dev").filter((r) => r.type === "aws:s3/bucket:Bucket");
    const prodBuckets = rows("prod").filter((r) => r.type === "aws:s3/bucket:Bucket");
    expect(devBuckets.every((b) => !b.protect && b.inputs.forceDestroy === true)).to.equal(true);
    expect(prodBuckets.every((b) => b.protect === true && b.inputs.forceDestroy === false)).to.equal(true);
  });

  it("prod, as a running stack: enforced workgroup, QuickSight, and the RCF endpoint with KMS, autoscaling and alarms", function () {
    const rows = readJson<ResourceRow[]>(path.join(prod.outDir, "resources.json"));
    const ofType = (type: string) => rows.filter((r) => r.type === type);
    const [workGroup] = ofType("aws:athena/workgroup:Workgroup");
    expect(workGroup!.inputs.configuration).to.deep.include({
      enforceWorkgroupConfiguration: true,
      // athenaBytesScannedCutoffMiB: 10240 in Pulumi.prod.yaml; dev's is 100 MiB.
      bytesScannedCutoffPerQuery: 10240 * 1024 ** 2,
    });
    for (const type of [
      "aws:quicksight/dataSource:DataSource",
      "aws:sagemaker/model:Model",
      "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
      "aws:sagemaker/endpoint:Endpoint",
      "aws:appautoscaling/policy:Policy",
    ])
      expect(ofType(type), type).to.have.length(1);
    expect(ofType("aws:quicksight/dataSet:DataSet")).to.have.length(3);
    expect(ofType("aws:sagemaker/endpointConfiguration:EndpointConfiguration")[0]!.inputs.kmsKeyArn).to.match(
      /^arn:aws:kms:/,
    );
    expect(ofType("aws:cloudwatch/metricAlarm:MetricAlarm").map((a) => a.inputs.name)).to.include.members([
      "sensors-prod-rcf-latency",
      "sensors-prod-rcf-5xx",
    ]);
    const outputs = readJson<Record<string, unknown>>(path.join(prod.outDir, "outputs.json"));
    expect(outputs).to.deep.include({
      anomalyEndpointStatus: "serving",
      anomalyEndpointName: "sensors-prod-rcf",
      promotedModelParameter: "/sensor-analytics/sensors-prod/anomaly-model/promoted",
    });
    const devRows = readJson<ResourceRow[]>(path.join(dev.outDir, "resources.json"));
    const [devWorkGroup] = devRows.filter((r) => r.type === "aws:athena/workgroup:Workgroup");
    expect(devWorkGroup!.inputs.configuration).to.deep.include({
      bytesScannedCutoffPerQuery: 100 * 1024 ** 2,
    });
    const devOutputs = readJson<Record<string, unknown>>(path.join(dev.outDir, "outputs.json"));
    expect(devOutputs.anomalyEndpointStatus).to.equal("batch-mode");
    const devTypes = devRows.map((r) => r.type);
    expect(devTypes).to.not.include("aws:sagemaker/endpoint:Endpoint");
    expect(devTypes).to.not.include("aws:quicksight/dataSource:DataSource");
  });

  it("prod's first deployment leaves the endpoint out until training promotes a model, with no policy violation", async function () {
    const firstOut = fs.mkdtempSync(path.join(os.tmpdir(), "synth-first-"));
    const first = await synthStack("prod", firstOut, undefined, { firstDeployment: true });
    expect(first.policy.mandatory).to.deep.equal([]);
    for (const type of [
      "aws:sagemaker/model:Model",
      "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
      "aws:sagemaker/endpoint:Endpoint",
      "aws:appautoscaling/target:Target",
    ])
      expect(first.countsByType[type] ?? 0, type).to.equal(0);
    expect(first.countsByType["aws:ssm/parameter:Parameter"]).to.equal(1);
    const outputs = readJson<Record<string, unknown>>(path.join(firstOut, "prod", "outputs.json"));
    expect(outputs.anomalyEndpointStatus).to.equal("awaiting-first-model");
    expect(outputs).to.not.have.property("anomalyEndpointName");
    const training = readJson<{ States: Record<string, unknown> }>(
      path.join(firstOut, "prod", "documents", "ml-training-state-machine.asl.json"),
    );
    expect(Object.keys(training.States)).to.include("Announce first model");
    // Everything but the endpoint is the same stack.
    expect(prod.resourceCount - first.resourceCount).to.equal(
      [
        "Model",
        "EndpointConfiguration",
        "Endpoint",
        "MetricAlarm",
        "MetricAlarm",
        "Target",
        "Policy",
        "RcfEndpoint",
      ].length,
    );
  });

  it("Pulumi.loadtest.yaml turns the fleet runner on: an awsx Fargate task definition per shard, the image from devices/Dockerfile, a least-privilege task role, no violations", async function () {
    const loadtest = await synthStack("loadtest", out);
    expect(loadtest.policy.mandatory).to.deep.equal([]);
    const rows = readJson<ResourceRow[]>(path.join(out, "loadtest", "resources.json"));
    const ofType = (type: string) => rows.filter((r) => r.type === type);
    expect(ofType("aws:ecs/cluster:Cluster").map((c) => c.inputs.name)).to.deep.equal([
      "sensors-loadtest-fleet-runner",
    ]);
    // fleetRunner.shards: 10 in the stack file: ten task definitions, each with its own --shard i/10.
    const shards = ofType("awsx:ecs:FargateTaskDefinition").map((t) => {
      const command = (t.inputs.container as { command: string[] }).command;
      return command[command.indexOf("--shard") + 1];
    });
    expect(shards).to.deep.equal(Array.from({ length: 10 }, (_, i) => `${i + 1}/10`));
    const [image] = ofType("awsx:ecr:Image");
    expect(image!.inputs).to.deep.include({ context: "devices", dockerfile: "devices/Dockerfile" });
    expect(fs.existsSync(path.join(PROJECT_DIR, image!.inputs.dockerfile as string))).to.equal(true);
    const task = readJson<{ Statement: { Action: string[]; Resource: string[] }[] }>(
      path.join(out, "loadtest", "documents", "iam-fleet-runner-task.json"),
    );
    const actions = task.Statement.flatMap((st) => st.Action);
    expect(actions.some((a) => a.startsWith("iot:") || a === "*" || a.endsWith(":*"))).to.equal(false);
    expect(
      task.Statement.flatMap((st) => st.Resource).some((r) => r === "*" || r === "arn:aws:s3:::*"),
    ).to.equal(false);
    const outputs = readJson<{ fleetRunner: { taskDefinitionArns: string[] } }>(
      path.join(out, "loadtest", "outputs.json"),
    );
    expect(outputs.fleetRunner.taskDefinitionArns).to.have.length(10);
    // The shipped stacks leave it off.
    for (const stack of ["dev", "prod"]) {
      const types = readJson<ResourceRow[]>(
        path.join((stack === "dev" ? dev : prod).outDir, "resources.json"),
      ).map((r) => r.type);
      expect(types.filter((t) => t.startsWith("awsx:") || t.startsWith("aws:ecs"))).to.deep.equal([]);
    }
  });

  it("keeps the URNs of a default stack stable (renaming a child replaces it)", function () {
    const urns = readJson<ResourceRow[]>(path.join(dev.outDir, "resources.json"))
      .filter(
        (r) =>
          r.type.startsWith("sensor-analytics:lake") ||
          r.name === "sensors-dev-lake-key" ||
          r.type === "aws:s3/bucket:Bucket",
      )
      .map((r) => r.urn)
      .sort();
    expect(urns).to.deep.equal(
      [
        "urn:pulumi:dev::sensor-analytics::sensor-analytics:index:Platform$sensor-analytics:lake:DataLake::sensors-dev-lake",
        "urn:pulumi:dev::sensor-analytics::sensor-analytics:lake:DataLake$aws:kms/key:Key::sensors-dev-lake-key",
        ...["artifacts", "curated", "logs", "raw", "results"].map(
          (r) =>
            `urn:pulumi:dev::sensor-analytics::sensor-analytics:lake:DataLake$sensor-analytics:lake:SecureBucket::sensors-dev-lake-${r}`,
        ),
        ...["artifacts", "curated", "logs", "raw", "results"].map(
          (r) =>
            `urn:pulumi:dev::sensor-analytics::sensor-analytics:lake:SecureBucket$aws:s3/bucket:Bucket::sensors-dev-lake-${r}`,
        ),
      ].sort(),
    );
  });

  it("synthesizes a stack file a user adds, without code changes", async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stacks-"));
    fs.writeFileSync(
      path.join(dir, "Pulumi.staging.yaml"),
      [
        "config:",
        "  aws:region: eu-central-1",
        "  sensor-analytics:rooms: [north, south, east]",
        "  sensor-analytics:sensorsPerRoom: 3",
        "  sensor-analytics:glueVpcCidr: 10.50.0.0/24",
        "  sensor-analytics:databaseVpcCidr: 10.60.0.0/24",
      ].join("\n"),
    );
    const staging = await synthStack("staging", out, dir);
    expect(staging.policy.mandatory).to.deep.equal([]);
    const outputs = readJson<Record<string, string>>(path.join(out, "staging", "outputs.json"));
    expect(outputs.region).to.equal("eu-central-1");
  });

  it("CLI: exits 1 with one message per problem for a stack file with several bad values", function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stacks-"));
    fs.writeFileSync(
      path.join(dir, "Pulumi.broken.yaml"),
      [
        "config:",
        "  aws:region: eu-west-1",
        "  sensor-analytics:sensorsPerRoom: -3",
        "  sensor-analytics:glueVpcCidr: 10.30.0.0/16",
        "  sensor-analytics:etlSchedule: every day",
        "  sensor-analytics:catalogDatabase: my-lake",
      ].join("\n"),
    );
    const result = runCli(["--stack", "broken", "--stack-dir", dir, "--out", out]);
    expect(result.status).to.equal(1);
    const lines = result.stderr.trim().split("\n");
    expect(lines[0]).to.equal("synth: 4 problems in the configuration of Pulumi.broken.yaml:");
    expect(lines.slice(1).map((l) => l.trim().split(" ")[1])).to.deep.equal([
      "sensor-analytics:sensorsPerRoom",
      "sensor-analytics:catalogDatabase",
      "sensor-analytics:databaseVpcCidr",
      "sensor-analytics:etlSchedule",
    ]);
    for (const line of lines.slice(1)) expect(line).to.match(/\(got .*\) in Pulumi\.broken\.yaml; fix: /);
  });

  it("CLI: --help documents the options; an unknown stack names the ones that exist", function () {
    const help = runCli(["--help"]);
    expect(help.status).to.equal(0);
    expect(help.stdout).to.contain("--stack, -s <name>");
    expect(help.stdout).to.contain("--first-deployment");
    const missing = runCli(["--stack", "nope"]);
    expect(missing.status).to.equal(1);
    expect(missing.stderr).to.match(/no stack file Pulumi.nope.yaml in .*; stacks: dev, loadtest, prod/);
  });
});
