/**
 * Runs a Pulumi program the way `pulumi up` runs it, offline: reads Pulumi.yaml and the stack file, applies
 * the CLI's stack-config validation and defaults, resolves the program directory and entry point as the CLI
 * does, and starts `@pulumi/pulumi/cmd/run` in a child process with the arguments and environment the Node.js
 * language host passes (`--monitor --engine --organization --project --root-directory --stack --pwd
 * --parallel <entry>`, `PULUMI_CONFIG`, `PULUMI_CONFIG_SECRET_KEYS`, `PULUMI_NODEJS_TYPESCRIPT`,
 * `PULUMI_NODEJS_TSCONFIG_PATH`, the runtime's `nodeargs`), so the program is loaded by Pulumi's own
 * TypeScript loader with the project's tsconfig. The child talks to an {@link OfflineEngine} that answers
 * with realistic IDs and ARNs. See sdk/nodejs/cmd/pulumi-language-nodejs/main.go (`constructArguments`,
 * `execRuntime`) in pulumi/pulumi.
 *
 * Platform teams can run their own program through it: `runProgram({ projectDir, stack })`.
 */
import { spawn } from "child_process";
import type * as pulumi from "@pulumi/pulumi";
import { AwsMocks } from "./aws-mocks";
import { Diagnostic, OfflineEngine } from "./engine";
import { loadProject, ProgramEntry, PulumiProject, resolveProgramEntry } from "./project";
import { RecordedResource } from "./recorded";
import { languageHostConfigEnv, loadStackConfig, ProgramConfig } from "./stack-config";

export interface RunProgramOptions {
  /** The project's directory (where Pulumi.yaml is). */
  readonly projectDir: string;
  readonly stack: string;
  /** Directory of `Pulumi.<stack>.yaml`. @default - Pulumi.yaml's stackConfigDir, else the project directory */
  readonly stackDir?: string;
  /** @default "organization" (what a self-managed backend reports) */
  readonly organization?: string;
  /**
   * Answers registrations and invokes. @default - {@link AwsMocks} for the stack's `aws:region`, answering
   * `aws.ssm.getParametersByPath` from {@link RunProgramOptions.ssmParameters}
   */
  readonly mocks?: pulumi.runtime.Mocks;
  /** Parameter Store of the default mocks (name to value). @default - empty, as in a new account */
  readonly ssmParameters?: Readonly<Record<string, string>>;
  /** The account the default mocks deploy into. @default - `MOCK_ACCOUNT_ID` (an AWS documentation example) */
  readonly accountId?: string;
  /** Extra environment for the program. @default - none */
  readonly env?: Readonly<Record<string, string>>;
  /** Give up (and kill the program) after this long. @default 180000 */
  readonly timeoutMs?: number;
}

export interface ProgramRunResult {
  readonly project: PulumiProject;
  readonly stack: string;
  readonly stackFile: string;
  /** What `cmd/run` loaded and why. */
  readonly entry: ProgramEntry;
  /** The config the program received. */
  readonly config: ProgramConfig;
  /** Every resource registered, the stack resource (`pulumi:pulumi:Stack`) first. */
  readonly resources: RecordedResource[];
  /** The stack's outputs (secrets wrapped, see `isSecretValue`). */
  readonly outputs: Record<string, unknown>;
  readonly diagnostics: Diagnostic[];
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The program ended with an error; `diagnostics` holds what it logged (its error messages among them). */
export class ProgramFailedError extends Error {
  override readonly name = "ProgramFailedError";
  constructor(readonly result: ProgramRunResult) {
    const errors = result.diagnostics.filter((d) => d.severity === "error").map((d) => d.message.trim());
    super(
      errors.length > 0
        ? errors.join("\n")
        : `the program exited with code ${result.exitCode}:\n${result.stderr.trim() || result.stdout.trim()}`,
    );
  }
}

/**
 * Runs the program for a stack. @throws StackConfigError (the CLI's messages) before starting anything,
 * ProjectError for a Pulumi.yaml the CLI refuses, ProgramFailedError when the program fails.
 */
export async function runProgram(options: RunProgramOptions): Promise<ProgramRunResult> {
  const project = loadProject(options.projectDir);
  const { stackFile, ...config } = loadStackConfig(project, options.stack, options.stackDir);
  const entry = resolveProgramEntry(project);
  const organization = options.organization ?? "organization";
  const engine = new OfflineEngine({
    project: project.name,
    stack: options.stack,
    organization,
    mocks:
      options.mocks ??
      new AwsMocks(config.values["aws:region"] ?? "us-east-1", options.accountId, options.ssmParameters),
  });
  const address = await engine.start();
  try {
    const run = await runChild(project, entry, config, address, options, organization);
    if (entry.warning) engine.diagnostics.unshift({ severity: "warning", message: entry.warning });
    const stackUrn = engine.rootUrn ?? engine.resources.find((r) => r.type === "pulumi:pulumi:Stack")?.urn;
    const result: ProgramRunResult = {
      project,
      stack: options.stack,
      stackFile,
      entry,
      config,
      resources: engine.resources,
      outputs: (stackUrn && engine.outputs.get(stackUrn)) || {},
      diagnostics: engine.diagnostics,
      ...run,
    };
    if (run.exitCode !== 0 || engine.diagnostics.some((d) => d.severity === "error")) {
      throw new ProgramFailedError(result);
    }
    return result;
  } finally {
    await engine.stop();
  }
}

/** The language host's command line and environment for `cmd/run`, and the child's exit. */
function runChild(
  project: PulumiProject,
  entry: ProgramEntry,
  config: ProgramConfig,
  address: string,
  options: RunProgramOptions,
  organization: string,
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const runPath = require.resolve("@pulumi/pulumi/cmd/run", { paths: [entry.programDirectory] });
  const runtimeOptions = project.runtime.options;
  const nodeArgs = typeof runtimeOptions.nodeargs === "string" ? splitArgs(runtimeOptions.nodeargs) : [];
  const args = [
    ...nodeArgs,
    runPath,
    ...["--monitor", address, "--engine", address],
    ...["--organization", organization, "--project", project.name, "--root-directory", project.dir],
    ...["--stack", options.stack, "--pwd", entry.programDirectory, "--parallel", "16"],
    entry.entryPoint,
  ];
  const env: Record<string, string | undefined> = {
    ...process.env,
    ...languageHostConfigEnv(config),
    ...options.env,
  };
  // The language host sets these from Pulumi.yaml's runtime options only; none may leak in from this process.
  delete env.PULUMI_NODEJS_TYPESCRIPT;
  delete env.PULUMI_NODEJS_TSCONFIG_PATH;
  delete env.PULUMI_NODEJS_TRANSPILE_ONLY;
  delete env.NODE_OPTIONS;
  if (runtimeOptions.typescript !== false) env.PULUMI_NODEJS_TYPESCRIPT = "true";
  if (typeof runtimeOptions.tsconfig === "string") env.PULUMI_NODEJS_TSCONFIG_PATH = runtimeOptions.tsconfig;

  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: entry.programDirectory, env, stdio: "pipe" });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timeoutMs = options.timeoutMs ?? 180_000;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the program did not finish within ${timeoutMs} ms; it wrote:\n${stderr || stdout}`));
    }, timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ exitCode: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}

/** Splits `nodeargs` like the language host's shlex: whitespace-separated, quotes group. */
function splitArgs(text: string): string[] {
  return [...text.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}
