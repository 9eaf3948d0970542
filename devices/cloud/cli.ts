/**
 * `npm run fleet:cloud -- --stack <stack> --run <name> [--stop]`: starts (or stops) a run of the fleet runner
 * a stack deployed (`fleetRunner` in its stack file): one Fargate task per shard through ECS RunTask, no
 * `pulumi up`. Reads the stack output `fleetRunner` with the Pulumi CLI, or from `--outputs <file>`.
 * Exit status: 0 done, 1 ECS refused something (said on stderr), 2 bad usage.
 */
import { ECSClient } from "@aws-sdk/client-ecs";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { parseFleetRunnerOutput, type FleetRunnerOutput } from "../../components/fleet-runner/outputs";
import {
  EXIT,
  helpPage,
  parseOptions,
  runCommand,
  UsageError,
  type OptionSpec,
  type ParsedOptions,
  HELP_OPTION,
} from "../command";
import { parseDurationMs } from "../../components/telemetry/durations";
import { runTasks, startRun, stopRun } from "./runs";

/** The options of `npm run fleet:cloud`, in the repository's option-table convention (../command.ts). */
export const CLOUD_OPTIONS: readonly OptionSpec[] = [
  {
    name: "stack",
    value: "name",
    description: "stack whose output fleetRunner to use (read with: pulumi stack output --json --stack)",
  },
  {
    name: "outputs",
    value: "file",
    description: "read the outputs from this file instead (pulumi stack output --json > outputs.json)",
  },
  { name: "run", value: "name", description: 'run name: 1-64 letters, digits, ".", "_" or "-" (required)' },
  {
    name: "delay",
    value: "duration",
    default: "2m",
    description:
      "start the shards together this long after now (Fargate needs about a minute to start a task; each shard waits for the common time)",
  },
  { name: "stop", description: "stop the run's tasks instead (each drains, writes its summary, exits)" },
  { name: "json", description: "print what was done as JSON" },
  HELP_OPTION,
];

function helpText(): string {
  return helpPage({
    usage: "npm run fleet:cloud -- --stack <stack> --run <name> [options]",
    about: [
      "Starts a run of the stack's fleet runner: one ECS Fargate task per shard (RunTask), each running the bundled",
      "simulator with its --shard i/n and the stack's load profile. Summaries land under <runsUri><name>/; merge them",
      "with npm run fleet:report -- --from <runsUri><name>/. Needs fleetRunner in the stack file and a deployed stack.",
    ],
    options: CLOUD_OPTIONS,
    exitStatus: "0 done, 1 ECS refused a task or the output is missing, 2 bad usage.",
  });
}

export interface CloudStreams {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

export interface CloudDependencies {
  /** @default - an ECSClient in the runner's region */
  readonly ecs?: (region: string) => ECSClient;
  /** Reads the stack's outputs. @default - `pulumi stack output --json --stack <stack>` */
  readonly stackOutputs?: (stack: string) => Promise<unknown>;
  readonly now?: () => Date;
}

export async function main(
  argv: readonly string[],
  streams: CloudStreams = { stdout: process.stdout, stderr: process.stderr },
  deps: CloudDependencies = {},
): Promise<number> {
  const { stdout, stderr } = streams;
  const usage = (message: string): number => {
    stderr.write(`fleet:cloud: ${message}\n`);
    return EXIT.usage;
  };
  let options: ParsedOptions;
  try {
    options = parseOptions(argv, CLOUD_OPTIONS, "Run npm run fleet:cloud -- --help for the options.");
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    return usage(err.message);
  }
  if (options.flag("help")) {
    stdout.write(`${helpText()}\n`);
    return EXIT.ok;
  }
  const stack = options.text("stack");
  const outputsFile = options.text("outputs");
  const run = options.text("run");
  if (!run || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(run)) {
    return usage(
      `--run must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit (got ${JSON.stringify(run ?? null)})`,
    );
  }
  if ((stack === undefined) === (outputsFile === undefined)) {
    return usage("give --stack <name> (reads pulumi stack output) or --outputs <file>, one of them");
  }
  const delay = options.text("delay")!;
  const delayMs = parseDurationMs(delay);
  if (delayMs === undefined) return usage(`--delay must be a duration such as 90s or 2m (got "${delay}")`);

  let runner: FleetRunnerOutput;
  try {
    const outputs =
      outputsFile !== undefined
        ? (JSON.parse(readFileSync(outputsFile, "utf8")) as unknown)
        : await (deps.stackOutputs ?? pulumiStackOutputs)(stack!);
    const source =
      outputsFile !== undefined ? `${outputsFile}: fleetRunner` : `stack ${stack}'s output fleetRunner`;
    runner = parseFleetRunnerOutput((outputs as { fleetRunner?: unknown }).fleetRunner, source);
  } catch (err) {
    stderr.write(`fleet:cloud: ${(err as Error).message}\n`);
    return 1;
  }
  const ecs = (deps.ecs ?? ((region: string) => new ECSClient({ region })))(runner.region);
  const report = (result: Record<string, unknown>, text: string): void => {
    stdout.write(options.flag("json") ? `${JSON.stringify(result, null, 2)}\n` : `${text}\n`);
  };

  try {
    if (options.flag("stop")) {
      const stopped = await stopRun(ecs, runner, run);
      report(
        { run, stopped },
        stopped.length === 0
          ? `run ${run}: no running tasks`
          : `run ${run}: stopping ${stopped.length} tasks; each drains and writes its summary under ${runner.runsUri}${run}/`,
      );
      return 0;
    }
    const existing = await runTasks(ecs, runner, run);
    if (existing.length > 0) {
      stderr.write(
        `fleet:cloud: run ${run} already has ${existing.length} tasks running; stop it (--stop) or choose another --run\n`,
      );
      return 1;
    }
    const startAt = new Date((deps.now?.() ?? new Date()).getTime() + delayMs);
    const started = await startRun(ecs, runner, run, startAt);
    const from = `${runner.runsUri}${run}/`;
    report(
      {
        run,
        startAt: startAt.toISOString(),
        tasks: started.tasks,
        failures: started.failures,
        summaries: from,
      },
      [
        `run ${run}: ${started.tasks.filter(Boolean).length} of ${runner.taskDefinitionArns.length} shards started; they begin at ${startAt.toISOString()}`,
        `  logs:      ${runner.logGroupName}`,
        `  summaries: ${from}`,
        `  report:    npm run fleet:report -- --from ${from}`,
        `  stop:      npm run fleet:cloud -- ${stack !== undefined ? `--stack ${stack}` : `--outputs ${outputsFile}`} --run ${run} --stop`,
      ].join("\n"),
    );
    for (const failure of started.failures) stderr.write(`fleet:cloud: shard ${failure}\n`);
    return started.failures.length === 0 ? 0 : 1;
  } catch (err) {
    stderr.write(`fleet:cloud: ${(err as Error).message}\n`);
    return 1;
  }
}

/** The stack's outputs through the Pulumi CLI (secrets stay hidden: the runner output holds none). */
function pulumiStackOutputs(stack: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    execFile(
      "pulumi",
      ["stack", "output", "--json", "--stack", stack],
      { maxBuffer: 16 * 1024 * 1024 },
      (err, out, errOut) => {
        if (err) {
          reject(
            new Error(
              `pulumi stack output --stack ${stack} failed: ${(errOut || err.message).trim()} (or pass --outputs <file>)`,
            ),
          );
          return;
        }
        try {
          resolve(JSON.parse(out));
        } catch (parseErr) {
          reject(
            new Error(
              `pulumi stack output --stack ${stack} did not print JSON: ${(parseErr as Error).message}`,
            ),
          );
        }
      },
    );
  });
}

if (require.main === module) runCommand("fleet:cloud", (argv) => main(argv));
