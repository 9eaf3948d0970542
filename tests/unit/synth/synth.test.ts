import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_DIR } from "../../../policies/synth/project-dir";
import { RunError } from "@pulumi/pulumi";
import { loadPlatformConfig } from "../../../components/runtime-config";
import { StackConfigError } from "../../../components/testing";
import { main as cliMain } from "../../../policies/synth/cli";
import { SynthError, synthParameterStore, synthStack, SynthResult } from "../../../policies/synth/synth";
import { runUnderMocks, stackConfig } from "../../helpers/mocks";
import { synthOnce } from "../../helpers/synth-runs";
import { NOTHING_MODULE, ONE_RESOURCE_PROGRAM, tempProject } from "../../helpers/temp-project";
import { testTempDir } from "../../helpers/temp-dir";

const NODE = process.execPath;
function runCli(args: string[]) {
  return spawnSync(NODE, ["--import", "tsx", path.join(PROJECT_DIR, "policies/synth/cli.ts"), ...args], {
    cwd: PROJECT_DIR,
    encoding: "utf8",
    timeout: 60_000,
  });
}
/** The CLI's `main` in this process (its own process costs a second), with what it prints. */
async function runCliHere(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...parts: unknown[]) => void out.push(parts.join(" "));
  console.error = (...parts: unknown[]) => void err.push(parts.join(" "));
  try {
    const status = await cliMain(args);
    return { status, stdout: out.join("\n"), stderr: err.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}
const readJson = <T>(file: string) => JSON.parse(fs.readFileSync(file, "utf8")) as T;
/** A directory holding one stack file, `Pulumi.<stack>.yaml`, whose config block is the given lines. */
function stackDir(stack: string, configLines: string[]): string {
  const dir = testTempDir("stacks-");
  fs.writeFileSync(
    path.join(dir, `Pulumi.${stack}.yaml`),
    ["config:", ...configLines.map((l) => `  ${l}`)].join("\n"),
  );
  return dir;
}
interface ResourceRow {
  type: string;
  name: string;
  urn: string;
  parent: string | null;
  aliases?: string[];
  protect?: boolean;
  inputs: Record<string, unknown>;
}

describe("offline synth", function () {
  this.timeout(180000);
  const out = testTempDir("synth-");
  let dev: SynthResult;
  let prod: SynthResult;
  let loadtest: SynthResult;
  let streaming: SynthResult;
  const rows = (result: SynthResult) => readJson<ResourceRow[]>(path.join(result.outDir, "resources.json"));
  before(async function () {
    // The shipped stacks, started together: each is a Node.js process of its own.
    [dev, prod, loadtest, streaming] = await Promise.all([
      synthOnce("dev"),
      synthOnce("prod"),
      synthOnce("loadtest"),
      synthOnce("streaming"),
    ]);
  });

  it("runs the real index.ts through @pulumi/pulumi/cmd/run and writes resources, outputs, documents and the policy report", function () {
    expect(dev.program).to.deep.equal({ file: "index.ts", source: "Pulumi.yaml main" });
    for (const file of ["resources.json", "outputs.json", "policy-report.json"]) {
      expect(fs.existsSync(path.join(dev.outDir, file)), file).to.equal(true);
    }
    const resources = rows(dev);
    expect(resources).to.have.length(dev.resourceCount);
    const platform = resources.find((r) => r.type === "sensor-analytics:index:Platform")!;
    expect(platform.urn).to.equal(
      "urn:pulumi:dev::sensor-analytics::sensor-analytics:index:Platform::sensors-dev",
    );
    const lake = resources.find((r) => r.type === "sensor-analytics:lake:DataLake")!;
    expect(lake.parent).to.equal(platform.urn);
    // Top-level resources are the stack's children, as under `pulumi up`.
    const stack = resources.find((r) => r.type === "pulumi:pulumi:Stack")!;
    expect(stack.urn).to.equal("urn:pulumi:dev::sensor-analytics::pulumi:pulumi:Stack::sensor-analytics-dev");
    expect(platform.parent).to.equal(stack.urn);
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
    const connection = rows(dev).find((r) => r.type === "aws:glue/connection:Connection")!;
    expect(connection.inputs.connectionProperties).to.equal("[secret]");
    expect(connection.inputs.connectionType).to.equal("JDBC");
    const outputs = readJson<Record<string, unknown>>(path.join(dev.outDir, "outputs.json"));
    expect(outputs.deviceFleetFile).to.equal("[secret]");
    expect(fs.readFileSync(path.join(dev.outDir, "outputs.json"), "utf8")).not.to.contain("PRIVATE KEY");
  });

  it("prod differs from dev where it should", function () {
    const devBuckets = rows(dev).filter((r) => r.type === "aws:s3/bucket:Bucket");
    const prodBuckets = rows(prod).filter((r) => r.type === "aws:s3/bucket:Bucket");
    expect(devBuckets.every((b) => !b.protect && b.inputs.forceDestroy === true)).to.equal(true);
    expect(prodBuckets.every((b) => b.protect === true && b.inputs.forceDestroy === false)).to.equal(true);
  });

  it("prod, as a running stack: enforced workgroup, QuickSight, and the RCF endpoint with KMS, autoscaling and alarms", function () {
    const ofType = (type: string) => rows(prod).filter((r) => r.type === type);
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
    const devRows = rows(dev);
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

  it("answers pulumi up's read of the Parameter Store as a running deployment, or a new account with --first-deployment", function () {
    const values = { "sensor-analytics:app": "sensors" };
    expect(Object.keys(synthParameterStore(values, "prod", false))).to.deep.equal([
      "/sensor-analytics/sensors-prod/anomaly-model/promoted",
    ]);
    expect(synthParameterStore(values, "prod", true)).to.deep.equal({});
    // Running: the endpoint is declared (prod above); a new account's first deployment leaves it out, which the
    // Platform's own tests show (tests/unit/ml/anomaly-detection.test.ts).
    expect(prod.countsByType["aws:sagemaker/endpoint:Endpoint"]).to.equal(1);
  });

  it("Pulumi.loadtest.yaml turns the fleet runner on: an awsx Fargate task definition per shard, the image from devices/Dockerfile, a least-privilege task role, no violations", function () {
    expect(loadtest.policy.mandatory).to.deep.equal([]);
    const ofType = (type: string) => rows(loadtest).filter((r) => r.type === type);
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
      path.join(loadtest.outDir, "documents", "iam-fleet-runner-task.json"),
    );
    const actions = task.Statement.flatMap((st) => st.Action);
    expect(actions.some((a) => a.startsWith("iot:") || a === "*" || a.endsWith(":*"))).to.equal(false);
    expect(
      task.Statement.flatMap((st) => st.Resource).some((r) => r === "*" || r === "arn:aws:s3:::*"),
    ).to.equal(false);
    const outputs = readJson<{ fleetRunner: { taskDefinitionArns: string[] } }>(
      path.join(loadtest.outDir, "outputs.json"),
    );
    expect(outputs.fleetRunner.taskDefinitionArns).to.have.length(10);
    // The shipped stacks leave it off.
    for (const stack of [dev, prod]) {
      const types = rows(stack).map((r) => r.type);
      expect(types.filter((t) => t.startsWith("awsx:") || t.startsWith("aws:ecs"))).to.deep.equal([]);
    }
  });

  it("Pulumi.streaming.yaml turns the ways in and out on: a KMS stream Firehose reads, a table with TTL, an authorized, throttled, logged HTTP API, a scheduled poller with a DLQ, no violations", function () {
    expect(streaming.policy.mandatory).to.deep.equal([]);
    const ofType = (result: SynthResult, type: string) => rows(result).filter((r) => r.type === type);
    const [stream] = ofType(streaming, "aws:kinesis/stream:Stream");
    expect(stream!.inputs).to.deep.include({ encryptionType: "KMS", retentionPeriod: 48 });
    expect(stream!.inputs.kmsKeyId).to.match(/^arn:aws:kms:/);
    const firehose = ofType(streaming, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream").find(
      (f) => f.inputs.kinesisSourceConfiguration,
    );
    expect(
      (firehose!.inputs.kinesisSourceConfiguration as { kinesisStreamArn: string }).kinesisStreamArn,
    ).to.match(/^arn:aws:kinesis:eu-west-1:111122223333:stream\//);
    const [table] = ofType(streaming, "aws:dynamodb/table:Table").filter((t) => /realtime/.test(t.name));
    expect(table!.inputs.ttl).to.deep.include({ enabled: true, attributeName: "expiresAt" });
    expect(table!.inputs.serverSideEncryption).to.deep.include({ enabled: true });
    const [stage] = ofType(streaming, "aws:apigatewayv2/stage:Stage");
    expect(stage!.inputs.defaultRouteSettings).to.deep.include({
      throttlingRateLimit: 50,
      throttlingBurstLimit: 100,
    });
    expect(stage!.inputs.accessLogSettings).to.have.property("destinationArn");
    const routes = ofType(streaming, "aws:apigatewayv2/route:Route");
    expect(routes.map((r) => r.inputs.routeKey)).to.have.members([
      "POST /readings",
      "GET /devices/{id}/latest",
      "GET /rooms/{room}/summary",
    ]);
    expect(routes.every((r) => r.inputs.authorizationType === "JWT")).to.equal(true);
    const schedule = ofType(streaming, "aws:scheduler/schedule:Schedule").find((s) =>
      /roof-weather/.test(s.name),
    );
    expect(schedule!.inputs.scheduleExpression).to.equal("rate(2 minutes)");
    expect((schedule!.inputs.target as { deadLetterConfig: { arn: string } }).deadLetterConfig.arn).to.match(
      /^arn:aws:sqs:/,
    );
    const outputs = readJson<{ httpApi: { url: string }; realtimeTable: string }>(
      path.join(streaming.outDir, "outputs.json"),
    );
    expect(outputs.httpApi.url).to.match(/^https:\/\//);
    expect(outputs.realtimeTable).to.be.a("string");
    // The shipped stacks leave them off.
    for (const result of [dev, prod])
      for (const type of [
        "aws:kinesis/stream:Stream",
        "aws:apigatewayv2/api:Api",
        "aws:scheduler/schedule:Schedule",
      ])
        expect(
          ofType(result, type).filter((r) => !/etl|training|scoring/.test(r.name)),
          type,
        ).to.deep.equal([]);
  });

  it("keeps the URNs of a default stack stable (renaming a child replaces it)", function () {
    // The engine's URNs: every ancestor's type, joined by "$" (the stack itself is no prefix).
    const lake = "sensor-analytics:index:Platform$sensor-analytics:lake:DataLake";
    const urns = rows(dev)
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
        `urn:pulumi:dev::sensor-analytics::${lake}::sensors-dev-lake`,
        `urn:pulumi:dev::sensor-analytics::${lake}$aws:kms/key:Key::sensors-dev-lake-key`,
        ...["artifacts", "curated", "logs", "raw", "results"].map(
          (r) =>
            `urn:pulumi:dev::sensor-analytics::${lake}$sensor-analytics:lake:SecureBucket::sensors-dev-lake-${r}`,
        ),
        ...["artifacts", "curated", "logs", "raw", "results"].map(
          (r) =>
            `urn:pulumi:dev::sensor-analytics::${lake}$sensor-analytics:lake:SecureBucket$aws:s3/bucket:Bucket::sensors-dev-lake-${r}`,
        ),
      ].sort(),
    );
  });

  it("keeps the former URNs of the functions and state machines that moved under LambdaFunction and StateMachine as aliases (dev, streaming, the load test's provisioning hook)", function () {
    const root = "urn:pulumi:dev::sensor-analytics::sensor-analytics:index:Platform$sensor-analytics:";
    const etl = `${root}etl:Etl$sensor-analytics:etl:EtlStateMachine`;
    const seed = `${root}etl:Etl$sensor-analytics:sources:HistoricalSources$sensor-analytics:sources:DemoHistorySeed`;
    const ml = (pipeline: string, type: string) =>
      `${root}ml:AnomalyDetection$sensor-analytics:ml:${pipeline}$sensor-analytics:ml:${type}`;
    const T = {
      fn: "aws:lambda/function:Function",
      logs: "aws:cloudwatch/logGroup:LogGroup",
      role: "aws:iam/role:Role",
      policy: "aws:iam/rolePolicy:RolePolicy",
      machine: "aws:sfn/stateMachine:StateMachine",
      schedule: "aws:scheduler/schedule:Schedule",
    };
    const o = "sensors-dev-etl-orchestration";
    const s = "sensors-dev-etl-sources-database-seed-function";
    const former: [string, string, string][] = [
      ...[T.fn, T.logs, T.role, T.policy].map((t): [string, string, string] => [etl, t, `${o}-planner`]),
      [etl, "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", `${o}-planner-async`],
      [etl, T.machine, `${o}-etl`],
      [etl, T.logs, `${o}-executions`],
      [etl, T.role, `${o}-state-machine`],
      [etl, T.policy, `${o}-state-machine`],
      [etl, T.schedule, `${o}-schedule`],
      [etl, T.role, `${o}-scheduler`],
      [etl, T.policy, `${o}-scheduler`],
      ...[T.fn, T.logs, T.role, T.policy].map((t): [string, string, string] => [seed, t, s]),
      ...(["Training", "Scoring"] as const).flatMap((p): [string, string, string][] => {
        const n = `sensors-dev-anomaly-${p.toLowerCase()}`;
        const fn = ml(`${p}Pipeline`, "MlFunction");
        const machine = ml(`${p}Pipeline`, "MlStateMachine");
        return [
          [fn, T.fn, `${n}-fn`],
          [fn, T.logs, `${n}-fn-logs`],
          [fn, T.role, `${n}-fn-role`],
          [fn, T.policy, `${n}-fn-policy`],
          [fn, "aws:sqs/queue:Queue", `${n}-fn-dlq`],
          [machine, T.machine, n],
          [machine, T.logs, `${n}-executions`],
          [machine, T.role, `${n}-role`],
          [machine, T.schedule, `${n}-schedule`],
          [machine, T.role, `${n}-schedule-role`],
        ];
      }),
    ];
    // pulumi up matches a resource to its state by URN, then by alias: a former URN no row answers to would
    // be planned as a delete and a create (a new function, a log group losing its history).
    const known = new Set(rows(dev).flatMap((r) => [r.urn, ...(r.aliases ?? [])]));
    const lost = former
      .map(([parent, type, name]) => `${parent}$${type}::${name}`)
      .filter((u) => !known.has(u));
    expect(lost).to.deep.equal([]);
    const planner = rows(dev).find((r) => r.type === T.fn && r.name === `${o}-planner`)!;
    expect(planner.urn).to.contain("$sensor-analytics:shared:LambdaFunction$");

    // The streaming stack's functions, children of their components before (same names).
    const streamingRoot =
      "urn:pulumi:streaming::sensor-analytics::sensor-analytics:index:Platform$sensor-analytics:";
    const streamingFormer = [
      ["api:TelemetryApi", "sensors-streaming-api-ingest"],
      ["api:TelemetryApi", "sensors-streaming-api-latest-state"],
      ["streaming:RealtimeAggregates", "sensors-streaming-realtime-consumer"],
      ["pollers:RestPollers", "sensors-streaming-pollers-roof-weather"],
    ].flatMap(([component, fn]) =>
      [
        [T.fn, fn],
        [T.logs, `${fn}-logs`],
        [T.role, `${fn}-role`],
        [T.policy, `${fn}-policy`],
      ].map(([type, name]) => `${streamingRoot}${component}$${type}::${name}`),
    );
    const streamingKnown = new Set(rows(streaming).flatMap((r) => [r.urn, ...(r.aliases ?? [])]));
    expect(streamingFormer.filter((u) => !streamingKnown.has(u))).to.deep.equal([]);

    // The load-test stack's pre-provisioning hook (fleet provisioning by claim), a child of
    // FleetProvisioning before (same names; its permissions were an inline entry of the role then).
    const provisioning =
      "urn:pulumi:loadtest::sensor-analytics::sensor-analytics:index:Platform$sensor-analytics:iot:TelemetryPipeline$sensor-analytics:iot:DeviceFleet$sensor-analytics:iot:FleetProvisioning";
    const hook = "sensors-loadtest-telemetry-fleet-provisioning-hook";
    const hookFormer = [
      [T.fn, hook],
      [T.logs, `${hook}-logs`],
      [T.role, `${hook}-role`],
    ].map(([type, name]) => `${provisioning}$${type}::${name}`);
    const loadtestKnown = new Set(rows(loadtest).flatMap((r) => [r.urn, ...(r.aliases ?? [])]));
    expect(hookFormer.filter((u) => !loadtestKnown.has(u))).to.deep.equal([]);
  });

  it("lists Pulumi.prod.yaml's example values as warnings; pulumi up into a real account refuses them, naming the keys", async function () {
    expect(dev.warnings).to.deep.equal([]);
    expect(prod.warnings).to.have.length(9);
    expect(prod.warnings[0]).to.equal(
      'sensor-analytics:alertEmail is an example value ("iot-oncall@example.com": example.com is reserved for documentation (RFC 2606): nothing there receives e-mail); set your own before deploying',
    );
    // The program's own check (index.ts awaits it before declaring anything), in-process, deploying into a
    // real account: the synth's engine answers with the documentation's.
    const refusal = await runUnderMocks(stackConfig("prod"), () => loadPlatformConfig(), {
      accountId: "210987654321",
    }).then(
      () => undefined,
      (err: Error) => err,
    );
    expect(RunError.isInstance(refusal), String(refusal)).to.equal(true);
    const lines = refusal!.message.split("\n");
    expect(lines[0]).to.equal(
      "Pulumi.prod.yaml still holds example values; set these 7 keys to your own before deploying into account 210987654321 (pulumi config set <key> <value>):",
    );
    expect(lines).to.include(
      '  - sensor-analytics:databaseVpcId: "vpc-0a1b2c3d4e5f60718" (an example ID shipped in Pulumi.prod.yaml)',
    );
    expect(lines).to.have.length(10);
    // An engine that answers getCallerIdentity without an account (a test monitor) is no deployment: warnings.
    await runUnderMocks(stackConfig("prod"), () => loadPlatformConfig(), { accountId: "" });
  });

  it("fails, naming the file cmd/run loaded, when package.json's main takes the place of the program", async function () {
    const files = {
      "package.json": JSON.stringify({ name: "demo", main: "lib.ts" }),
      "index.ts": ONE_RESOURCE_PROGRAM,
      "lib.ts": NOTHING_MODULE,
    };
    const hijacked = tempProject({ ...files, "Pulumi.yaml": "name: demo\nruntime: nodejs\n" });
    // A stack file kept elsewhere (--stack-dir), as a user may keep theirs.
    const stacks = stackDir("dev", []);
    const err = await synthStack("dev", out, stacks, { projectDir: hijacked }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(SynthError);
    expect((err as Error).message).to.equal(
      'the program @pulumi/pulumi/cmd/run loaded, lib.ts (package.json "main"), declared no resources: `pulumi up` would plan to delete every resource of an existing stack. Set `main` in Pulumi.yaml to the program file (this project\'s is index.ts)',
    );
    // With Pulumi.yaml main set (as this project sets it), package.json's main no longer matters: the synth of
    // dev above ran index.ts.
    expect(dev.program.source).to.equal("Pulumi.yaml main");
  });

  it("stops at the CLI's stack-config validation, with its message, before starting the program", async function () {
    const dir = tempProject({
      "Pulumi.yaml":
        "name: demo\nruntime: nodejs\nmain: index.ts\nconfig:\n  apiToken:\n    type: string\n    secret: true\n",
      "package.json": JSON.stringify({ name: "demo" }),
      "index.ts": ONE_RESOURCE_PROGRAM,
      "Pulumi.dev.yaml": "config:\n  demo:apiToken: hunter2\n",
    });
    const err = await synthStack("dev", out, undefined, { projectDir: dir }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(StackConfigError);
    expect((err as StackConfigError).messages).to.deep.equal([
      "Stack 'dev' with configuration key 'apiToken' must be encrypted as it's secret",
    ]);
    // The same through the CLI, on this project: a list where Pulumi.yaml declares a string.
    const stacks = stackDir("typo", ["aws:region: eu-west-1", "sensor-analytics:databaseName: [telemetry]"]);
    const cli = await runCliHere(["--stack", "typo", "--stack-dir", stacks, "--out", out]);
    expect(cli.status).to.equal(1);
    expect(cli.stderr.trim().split("\n")).to.deep.equal([
      "synth: Stack 'typo' with configuration key 'databaseName' must be of type 'string'",
      "synth: (the Pulumi CLI's stack-config validation of Pulumi.typo.yaml; `pulumi up` stops at the first)",
    ]);
  });

  it("CLI: exits 1 with one message per problem for a stack file with several bad values", async function () {
    const dir = stackDir("broken", [
      "aws:region: eu-west-1",
      "sensor-analytics:sensorsPerRoom: -3",
      "sensor-analytics:glueVpcCidr: 10.30.0.0/16",
      "sensor-analytics:etlSchedule: every day",
      "sensor-analytics:catalogDatabase: my-lake",
    ]);
    const result = await runCliHere(["--stack", "broken", "--stack-dir", dir, "--out", out]);
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

  it("CLI: --help documents the options; an unknown stack names the ones that exist", async function () {
    const help = runCli(["--help"]);
    expect(help.status).to.equal(0);
    expect(help.stdout).to.contain("-s, --stack <name>");
    expect(help.stdout).to.contain("--first-deployment");
    const missing = await runCliHere(["--stack", "nope"]);
    expect(missing.status).to.equal(1);
    expect(missing.stderr).to.match(/no stack file Pulumi.nope.yaml in .*; stacks: dev, loadtest, prod/);
  });
});
