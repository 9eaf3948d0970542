/**
 * `npm run synth -- --stack <name>`: shows, offline, what a stack would deploy.
 *
 * Runs the real `index.ts` with the values of `Pulumi.<name>.yaml` under Pulumi mocks (no AWS account, no
 * Pulumi CLI), writes every resource, the stack outputs and every generated document under
 * `.synth/<stack>/`, evaluates the policy pack, prints a summary, and exits non-zero on a config error or a
 * mandatory policy violation.
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { ConfigError, parsePlatformConfig, PROJECT_DIR } from "../config";
import { documentExtension } from "../documents";
import { listStacks, readStackFile, StackFileError } from "../stack-files";
import { redactSecrets, runUnderMocks } from "./mocks";
import { promotedModelParameterName, runId, sageMakerNamePrefix } from "../ml/ml-layout";
import { evaluatePolicies, PolicyReport } from "../../policies/harness";

const HELP = `Usage: npm run synth -- --stack <name> [--out <dir>] [--first-deployment] [--json]

Runs index.ts for a stack under Pulumi mocks and writes what it would deploy.

Options:
  --stack, -s <name>   stack whose Pulumi.<name>.yaml to use (default: dev)
  --out, -o <dir>      output directory (default: .synth); files go to <dir>/<stack>/
  --stack-dir <dir>    directory holding Pulumi.<name>.yaml (default: the project directory)
  --first-deployment   deploy as into a new account: no anomaly model promoted yet, so an endpoint-mode
                       stack leaves its endpoint out (default: a stack whose training has promoted a model)
  --json               print the summary as JSON instead of text
  --help, -h           show this help

Writes:
  <dir>/<stack>/resources.json     every resource: type, name, urn, parent, inputs (secrets redacted)
  <dir>/<stack>/outputs.json       the stack outputs (secrets redacted)
  <dir>/<stack>/policy-report.json the policy pack's results
  <dir>/<stack>/documents/         generated documents: *.json (IAM/IoT policies), *.asl.json, *.sql

Exit status: 0 when the stack is valid and has no mandatory policy violation, 2 when its stack file is not
valid YAML, 1 otherwise.`;

export interface SynthResult {
  readonly stack: string;
  readonly outDir: string;
  readonly resourceCount: number;
  readonly countsByType: Record<string, number>;
  readonly policy: PolicyReport;
  /** Stack-file keys nothing reads (see `config-namespaces.ts`). */
  readonly warnings: readonly string[];
}

export interface SynthOptions {
  /**
   * Deploy as into a new account, where training has not promoted a model yet. @default false: the
   * deployment's promoted-model parameter names a model, as in a stack that has been running
   */
  readonly firstDeployment?: boolean;
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

/** Synthesizes one stack into `<outRoot>/<stack>/`. Throws ConfigError on invalid configuration. */
export async function synthStack(
  stack: string,
  outRoot: string = path.join(PROJECT_DIR, ".synth"),
  stackDir: string = PROJECT_DIR,
  options: SynthOptions = {},
): Promise<SynthResult> {
  const raw = readStackFile(stack, stackDir);
  // Fail fast with every config problem, before running the program.
  const { deployment } = parsePlatformConfig(raw);

  const indexPath = path.join(PROJECT_DIR, "index.ts");
  delete require.cache[require.resolve(indexPath)];
  // require (not import) so the program runs afresh for every stack synthesized in one process.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const run = await runUnderMocks(raw, () => require(indexPath) as Record<string, unknown>, {
    ssmParameters: options.firstDeployment ? {} : runningDeploymentParameters(deployment),
  });

  const outDir = path.join(outRoot, stack);
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(path.join(outDir, "documents"), { recursive: true });
  const resources = run.resources.map((r) => ({
    type: r.type,
    name: r.name,
    urn: r.urn,
    parent: r.parent ?? null,
    ...(r.id ? { id: r.id } : {}),
    ...(r.protect ? { protect: true } : {}),
    ...(r.retainOnDelete ? { retainOnDelete: true } : {}),
    ...(r.ignoreChanges.length ? { ignoreChanges: r.ignoreChanges } : {}),
    inputs: redactSecrets(r.inputs),
  }));
  writeJson(path.join(outDir, "resources.json"), resources);
  writeJson(path.join(outDir, "outputs.json"), redactSecrets(run.outputs));
  for (const doc of run.documents) {
    const file = path.join(outDir, "documents", `${doc.name}${documentExtension(doc.kind)}`);
    const content = redactSecrets(doc.content);
    if (doc.kind === "json" || doc.kind === "asl") {
      writeJson(file, typeof content === "string" ? JSON.parse(content) : content);
    } else {
      fs.writeFileSync(file, `${String(content).trimEnd()}\n`);
    }
  }

  const policy = await evaluatePolicies(run.resources);
  writeJson(path.join(outDir, "policy-report.json"), policy);
  const countsByType: Record<string, number> = {};
  for (const r of run.resources) countsByType[r.type] = (countsByType[r.type] ?? 0) + 1;
  return { stack, outDir, resourceCount: run.resources.length, countsByType, policy, warnings: raw.warnings };
}

function writeJson(file: string, value: unknown): void {
  fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

function printSummary(result: SynthResult): void {
  const lines = [
    `Stack ${result.stack}: ${result.resourceCount} resources (written to ${path.relative(process.cwd(), result.outDir) || "."})`,
  ];
  const width = Math.max(...Object.keys(result.countsByType).map((t) => t.length));
  for (const [type, count] of Object.entries(result.countsByType).sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`  ${type.padEnd(width)}  ${count}`);
  }
  const { mandatory, advisory, results } = result.policy;
  lines.push(
    `Policy pack: ${results.length} policies, ${mandatory.length} mandatory and ${advisory.length} advisory violations`,
  );
  for (const v of [...mandatory, ...advisory])
    lines.push(`  [${v.enforcementLevel}] ${v.policy}: ${v.message}`);
  console.log(lines.join("\n"));
}

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        stack: { type: "string", short: "s", default: "dev" },
        out: { type: "string", short: "o", default: path.join(PROJECT_DIR, ".synth") },
        "stack-dir": { type: "string", default: PROJECT_DIR },
        json: { type: "boolean", default: false },
        "first-deployment": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    console.error(`synth: ${(err as Error).message}\n\n${HELP}`);
    return 1;
  }
  if (args.help) {
    console.log(HELP);
    return 0;
  }
  const stack = args.stack!;
  const stackDir = path.resolve(args["stack-dir"]!);
  if (!listStacks(stackDir).includes(stack)) {
    console.error(
      `synth: no stack file Pulumi.${stack}.yaml in ${stackDir}; stacks: ${listStacks(stackDir).join(", ") || "none"}. Copy Pulumi.dev.yaml to Pulumi.${stack}.yaml to add one.`,
    );
    return 1;
  }
  try {
    const result = await synthStack(stack, path.resolve(args.out!), stackDir, {
      firstDeployment: args["first-deployment"],
    });
    for (const warning of result.warnings) console.error(`synth: warning: ${warning}`);
    if (args.json) console.log(JSON.stringify({ ...result, outDir: result.outDir }, null, 2));
    else printSummary(result);
    return result.policy.mandatory.length > 0 ? 1 : 0;
  } catch (err) {
    if (err instanceof StackFileError) {
      console.error(`synth: ${err.message}`);
      return 2;
    }
    if (err instanceof ConfigError) {
      console.error(`synth: ${err.message}`);
      return 1;
    }
    console.error(`synth: ${(err as Error).stack ?? String(err)}`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
