import { ECSClient, ListTasksCommand, RunTaskCommand, StopTaskCommand } from "@aws-sdk/client-ecs";
import { expect } from "chai";
import { mockClient } from "aws-sdk-client-mock";
import type { FleetRunnerOutput } from "../../../components/fleet-runner/outputs";
import { main } from "../../../devices/cloud/cli";
import { captureStreams } from "./helpers/streams";

const runner: FleetRunnerOutput = {
  region: "eu-west-1",
  clusterArn: "arn:aws:ecs:eu-west-1:111122223333:cluster/sensors-loadtest-fleet-runner",
  containerName: "simulator",
  taskDefinitionArns: [1, 2, 3].map(
    (i) => `arn:aws:ecs:eu-west-1:111122223333:task-definition/sensors-loadtest-fleet-shard-${i}-of-3:4`,
  ),
  subnetIds: ["subnet-0123456789abcdef0"],
  securityGroupIds: ["sg-0123456789abcdef0"],
  assignPublicIp: false,
  runsUri: "s3://sensors-loadtest-fleet-runner-runs-abc1234/runs/",
  logGroupName: "/sensor-analytics/sensors-loadtest/fleet-runner",
};
const NOW = new Date("2025-01-06T09:00:00Z");

describe("devices: fleet:cloud", () => {
  const ecs = mockClient(ECSClient);
  beforeEach(() => ecs.reset());

  async function cloud(args: string[], outputs: unknown = { fleetRunner: runner }) {
    const streams = captureStreams();
    const regions: string[] = [];
    const code = await main(args, streams, {
      ecs: (region) => (regions.push(region), new ECSClient({ region })),
      stackOutputs: async (stack) =>
        stack === "loadtest" ? outputs : Promise.reject(new Error(`no stack ${stack}`)),
      now: () => NOW,
    });
    return { code, stdout: streams.out(), stderr: streams.err(), regions };
  }

  it("starts one task per shard with its own task definition, the run's name and a common start time", async () => {
    ecs.on(ListTasksCommand).resolves({ taskArns: [] });
    ecs.on(RunTaskCommand).callsFake((input: { taskDefinition: string }) => ({
      tasks: [{ taskArn: `arn:aws:ecs:eu-west-1:111122223333:task/x/${input.taskDefinition.slice(-8, -2)}` }],
    }));
    const result = await cloud(["--stack", "loadtest", "--run", "ramp-1", "--delay", "90s"]);
    expect(result.code, result.stderr).to.equal(0);
    expect(result.regions).to.deep.equal(["eu-west-1"]);
    const calls = ecs.commandCalls(RunTaskCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.taskDefinition)).to.deep.equal(runner.taskDefinitionArns);
    expect(calls[1]).to.deep.include({
      cluster: runner.clusterArn,
      launchType: "FARGATE",
      count: 1,
      startedBy: "sensor-fleet-ramp-1",
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: ["subnet-0123456789abcdef0"],
          securityGroups: ["sg-0123456789abcdef0"],
          assignPublicIp: "DISABLED",
        },
      },
      overrides: {
        containerOverrides: [
          {
            name: "simulator",
            environment: [
              { name: "SENSOR_FLEET_RUN", value: "ramp-1" },
              { name: "SENSOR_FLEET_AT", value: "2025-01-06T09:01:30.000Z" },
            ],
          },
        ],
      },
    });
    expect(calls[1]!.tags).to.deep.include({ key: "sensor-fleet:shard", value: "2/3" });
    expect(result.stdout).to.include(
      "run ramp-1: 3 of 3 shards started; they begin at 2025-01-06T09:01:30.000Z",
    );
    expect(result.stdout).to.include(
      "report:    npm run fleet:report -- --from s3://sensors-loadtest-fleet-runner-runs-abc1234/runs/ramp-1/",
    );
  });

  it("says which shards ECS refused and exits 1; refuses to start a run that is already running", async () => {
    ecs.on(ListTasksCommand).resolves({ taskArns: [] });
    ecs
      .on(RunTaskCommand)
      .resolves({ tasks: [{ taskArn: "arn:task/1" }] })
      .on(RunTaskCommand, { taskDefinition: runner.taskDefinitionArns[2] })
      .resolves({ tasks: [], failures: [{ reason: "RESOURCE:MEMORY", detail: "no capacity" }] });
    const refused = await cloud(["--stack", "loadtest", "--run", "r"]);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.equal("fleet:cloud: shard 3/3: RESOURCE:MEMORY (no capacity)\n");

    ecs.reset();
    ecs
      .on(ListTasksCommand, { desiredStatus: "RUNNING" })
      .resolves({ taskArns: ["arn:task/1", "arn:task/2"] });
    ecs.on(ListTasksCommand, { desiredStatus: "PENDING" }).resolves({ taskArns: [] });
    const twice = await cloud(["--stack", "loadtest", "--run", "r"]);
    expect(twice.code).to.equal(1);
    expect(twice.stderr).to.include(
      "run r already has 2 tasks running; stop it (--stop) or choose another --run",
    );
    expect(ecs.commandCalls(RunTaskCommand)).to.have.length(0);
  });

  it("--stop stops every task of the run, across pages", async () => {
    ecs
      .on(ListTasksCommand, { desiredStatus: "RUNNING", nextToken: undefined })
      .resolves({ taskArns: ["arn:task/1"], nextToken: "more" })
      .on(ListTasksCommand, { desiredStatus: "RUNNING", nextToken: "more" })
      .resolves({ taskArns: ["arn:task/2"] })
      .on(ListTasksCommand, { desiredStatus: "PENDING" })
      .resolves({ taskArns: ["arn:task/3"] });
    ecs.on(StopTaskCommand).resolves({});
    const result = await cloud(["--stack", "loadtest", "--run", "ramp-1", "--stop", "--json"]);
    expect(result.code, result.stderr).to.equal(0);
    expect(JSON.parse(result.stdout)).to.deep.equal({
      run: "ramp-1",
      stopped: ["arn:task/1", "arn:task/2", "arn:task/3"],
    });
    expect(ecs.commandCalls(ListTasksCommand)[0]!.args[0].input).to.deep.include({
      cluster: runner.clusterArn,
      startedBy: "sensor-fleet-ramp-1",
    });
    expect(ecs.commandCalls(StopTaskCommand).map((c) => c.args[0].input.task)).to.deep.equal([
      "arn:task/1",
      "arn:task/2",
      "arn:task/3",
    ]);
  });

  it("explains a stack without the runner and bad arguments", async () => {
    const off = await cloud(["--stack", "loadtest", "--run", "r"], { region: "eu-west-1" });
    expect(off.code).to.equal(1);
    expect(off.stderr).to.equal(
      "fleet:cloud: stack loadtest's output fleetRunner is not an object: is the fleet runner on in this stack (fleetRunner.shards)?\n",
    );
    expect((await cloud(["--stack", "loadtest"])).code).to.equal(2);
    expect((await cloud(["--run", "r"])).stderr).to.include("give --stack <name>");
    expect((await cloud(["--stack", "loadtest", "--run", "r", "--delay", "soon"])).code).to.equal(2);
    expect((await cloud(["--help"])).stdout).to.include("Usage: npm run fleet:cloud");
    expect(ecs.calls()).to.have.length(0);
  });
});
