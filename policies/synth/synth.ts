/**
 * The offline synth of one stack: runs the program the way `pulumi up` does (Pulumi.yaml and the stack file
 * through the CLI's config validation and defaults, the entry point `@pulumi/pulumi/cmd/run` resolves,
 * Pulumi's own TypeScript loading), served by the offline gRPC engine and monitor of `components/testing`,
 * then writes what it would deploy and evaluates the policy pack on it.
 */
import * as fs from "fs";
import * as path from "path";
import { PROJECT } from "../../components/config";
import { PROJECT_DIR } from "./project-dir";
import { DOCUMENTS_DIR_ENV } from "../../components/documents";
import { promotedModelParameterName, runId, sageMakerNamePrefix } from "../../components/ml/ml-layout";
import { deploymentName } from "../../components/telemetry/fleet";
import {
  Diagnostic,
  ProgramEntry,
  ProgramRunResult,
  redactSecrets,
  RecordedResource,
  runProgram,
} from "../../components/testing";
import { evaluatePolicies, PolicyReport } from "../harness";
import { checkStack } from "./check";

export interface SynthResult {
  readonly stack: string;
  readonly outDir: string;
  /** The file `cmd/run` loaded, relative to the project, and what decided it. */
  readonly program: { readonly file: string; readonly source: ProgramEntry["source"] };
  readonly resourceCount: number;
  readonly countsByType: Record<string, number>;
  /** What the program warned about (example values in the stack file among them). */
  readonly warnings: string[];
  readonly policy: PolicyReport;
}

export interface SynthOptions {
  /**
   * Deploy as into a new account, where training has not promoted a model yet. @default false: the
   * deployment's promoted-model parameter names a model, as in a stack that has been running
   */
  readonly firstDeployment?: boolean;
  /** The project directory (Pulumi.yaml, the program). @default - this repository */
  readonly projectDir?: string;
}

/** The synth could not run the program, or the program declares nothing; the message says why. */
export class SynthError extends Error {
  override readonly name = "SynthError";
}

/**
 * The Parameter Store of a running deployment: its promoted-model parameter names a model (what
 * `findPromotedModel` reads before declaring the endpoint).
 */
export function runningDeploymentParameters(deployment: string): Record<string, string> {
  const promotedAt = new Date(Date.UTC(2026, 0, 1, 3));
  const run = runId(promotedAt, "synth");
  return {
    [promotedModelParameterName(deployment)]: JSON.stringify({
      runId: run,
      modelName: `${sageMakerNamePrefix(deployment)}-rcf-${run}`,
      promotedAt: promotedAt.toISOString(),
    }),
  };
}

/**
 * The Parameter Store the synth's engine answers with: a running deployment's (its promoted model named), or,
 * for `--first-deployment` (or a project that is not this one), a new account's (empty).
 */
export function synthParameterStore(
  values: Readonly<Record<string, string>>,
  stack: string,
  firstDeployment: boolean,
): Record<string, string> {
  const app = values[`${PROJECT}:app`];
  return firstDeployment || app === undefined ? {} : runningDeploymentParameters(deploymentName(app, stack));
}

/**
 * Synthesizes one stack into `<outRoot>/<stack>/`. @throws StackConfigError (the CLI's own refusal),
 * ConfigError (every problem the program would report), ProgramFailedError (the program's errors), SynthError.
 */
export async function synthStack(
  stack: string,
  outRoot: string = path.join(PROJECT_DIR, ".synth"),
  stackDir?: string,
  options: SynthOptions = {},
): Promise<SynthResult> {
  const projectDir = options.projectDir ?? PROJECT_DIR;
  const outDir = path.join(outRoot, stack);
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(path.join(outDir, "documents"), { recursive: true });

  const { config } = checkStack(projectDir, stack, stackDir);
  const run = await runProgram({
    projectDir,
    stack,
    stackDir,
    ssmParameters: synthParameterStore(config.values, stack, options.firstDeployment ?? false),
    env: { [DOCUMENTS_DIR_ENV]: path.join(outDir, "documents") },
  });
  const program = { file: path.relative(projectDir, run.entry.file), source: run.entry.source };
  if (!run.resources.some((r) => r.type !== "pulumi:pulumi:Stack")) {
    throw new SynthError(
      `the program @pulumi/pulumi/cmd/run loaded, ${program.file} (${program.source}), declared no resources: ` +
        "`pulumi up` would plan to delete every resource of an existing stack. Set `main` in Pulumi.yaml to the " +
        "program file (this project's is index.ts)",
    );
  }

  writeJson(path.join(outDir, "resources.json"), run.resources.map(resourceRow));
  writeJson(path.join(outDir, "outputs.json"), redactSecrets(run.outputs));
  const policy = await evaluatePolicies(run.resources);
  writeJson(path.join(outDir, "policy-report.json"), policy);
  const countsByType: Record<string, number> = {};
  for (const r of run.resources) countsByType[r.type] = (countsByType[r.type] ?? 0) + 1;
  return {
    stack,
    outDir,
    program,
    resourceCount: run.resources.length,
    countsByType,
    warnings: warnings(run),
    policy,
  };
}

/** What resources.json holds for a resource (secrets redacted; options only when set). */
function resourceRow(r: RecordedResource) {
  return {
    type: r.type,
    name: r.name,
    urn: r.urn,
    parent: r.parent ?? null,
    ...(r.aliases?.length ? { aliases: r.aliases } : {}),
    ...(r.id ? { id: r.id } : {}),
    ...(r.protect ? { protect: true } : {}),
    ...(r.retainOnDelete ? { retainOnDelete: true } : {}),
    ...(r.ignoreChanges.length ? { ignoreChanges: r.ignoreChanges } : {}),
    inputs: redactSecrets(r.inputs),
  };
}

function warnings(run: ProgramRunResult): string[] {
  return run.diagnostics.filter((d: Diagnostic) => d.severity === "warning").map((d) => d.message.trim());
}

function writeJson(file: string, value: unknown): void {
  fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}
