/**
 * Starting and stopping a run of the deployed fleet runner with ECS RunTask/StopTask: one task per shard, each
 * with its shard's task definition, told the run's name and a common start time through its environment
 * (SENSOR_FLEET_RUN, SENSOR_FLEET_AT), and marked `startedBy` the run so `--stop` finds them. The ECS client
 * is injected (tests use aws-sdk-client-mock).
 */
import {
  ECSClient,
  ListTasksCommand,
  RunTaskCommand,
  StopTaskCommand,
  type RunTaskCommandInput,
} from "@aws-sdk/client-ecs";
import type { FleetRunnerOutput } from "../../components/fleet-runner/outputs";

/** ECS's `startedBy` (letters, digits, `-`, `_`; 128 at most) for a run name. */
export function startedBy(run: string): string {
  return `sensor-fleet-${run.replace(/[^A-Za-z0-9_-]/g, "_")}`.slice(0, 128);
}

/** Tasks of a run that are not stopped yet (any status before STOPPED), by ARN. */
export async function runTasks(ecs: ECSClient, runner: FleetRunnerOutput, run: string): Promise<string[]> {
  const arns: string[] = [];
  for (const desiredStatus of ["RUNNING", "PENDING"] as const) {
    let nextToken: string | undefined;
    do {
      const page = await ecs.send(
        new ListTasksCommand({
          cluster: runner.clusterArn,
          startedBy: startedBy(run),
          desiredStatus,
          nextToken,
        }),
      );
      arns.push(...(page.taskArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
  }
  return [...new Set(arns)];
}

/** The RunTask request of one shard (`index` 1-based). */
export function runTaskInput(
  runner: FleetRunnerOutput,
  run: string,
  index: number,
  startAt: Date,
): RunTaskCommandInput {
  return {
    cluster: runner.clusterArn,
    taskDefinition: runner.taskDefinitionArns[index - 1],
    launchType: "FARGATE",
    platformVersion: "LATEST",
    count: 1,
    startedBy: startedBy(run),
    networkConfiguration: {
      awsvpcConfiguration: {
        subnets: [...runner.subnetIds],
        securityGroups: [...runner.securityGroupIds],
        assignPublicIp: runner.assignPublicIp ? "ENABLED" : "DISABLED",
      },
    },
    overrides: {
      containerOverrides: [
        {
          name: runner.containerName,
          environment: [
            { name: "SENSOR_FLEET_RUN", value: run },
            { name: "SENSOR_FLEET_AT", value: startAt.toISOString() },
          ],
        },
      ],
    },
    tags: [
      { key: "sensor-fleet:run", value: run },
      { key: "sensor-fleet:shard", value: `${index}/${runner.taskDefinitionArns.length}` },
    ],
    enableECSManagedTags: true,
  };
}

export interface StartedRun {
  /** Task ARNs by shard (1-based index - 1); `undefined` where ECS refused. */
  readonly tasks: (string | undefined)[];
  /** Why ECS refused a shard's task: `"3/10: RESOURCE:CPU"`. */
  readonly failures: string[];
}

/** Starts one task per shard. */
export async function startRun(
  ecs: ECSClient,
  runner: FleetRunnerOutput,
  run: string,
  startAt: Date,
): Promise<StartedRun> {
  const shards = runner.taskDefinitionArns.length;
  const tasks: (string | undefined)[] = [];
  const failures: string[] = [];
  for (let index = 1; index <= shards; index++) {
    try {
      const result = await ecs.send(new RunTaskCommand(runTaskInput(runner, run, index, startAt)));
      const arn = result.tasks?.[0]?.taskArn;
      tasks.push(arn);
      for (const failure of result.failures ?? [])
        failures.push(
          `${index}/${shards}: ${failure.reason ?? "refused"}${failure.detail ? ` (${failure.detail})` : ""}`,
        );
      if (!arn && (result.failures ?? []).length === 0) failures.push(`${index}/${shards}: no task returned`);
    } catch (err) {
      tasks.push(undefined);
      failures.push(`${index}/${shards}: ${(err as Error).message}`);
    }
  }
  return { tasks, failures };
}

/** Stops a run's tasks (SIGTERM: each shard drains, writes its summary and exits). */
export async function stopRun(ecs: ECSClient, runner: FleetRunnerOutput, run: string): Promise<string[]> {
  const arns = await runTasks(ecs, runner, run);
  for (const task of arns) {
    await ecs.send(
      new StopTaskCommand({
        cluster: runner.clusterArn,
        task,
        reason: `npm run fleet:cloud -- --run ${run} --stop`,
      }),
    );
  }
  return arns;
}
