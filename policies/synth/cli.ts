/**
 * `npm run synth -- --stack <name>`: shows, offline, what a stack would deploy.
 *
 * Runs the program the way `pulumi up` does (see `synth.ts`): the Pulumi CLI's stack-config validation, the
 * entry point and TypeScript loading of `@pulumi/pulumi/cmd/run`, served by an offline gRPC engine and resource
 * monitor with realistic IDs and ARNs. Writes every resource, the stack outputs and every generated document
 * under `.synth/<stack>/`, evaluates the policy pack, prints a summary, and exits non-zero when the CLI would
 * refuse the stack, the program fails (every config problem listed), or a mandatory policy is violated.
 */
import * as path from "path";
import {
  EXIT,
  helpPage,
  parseOptions,
  UsageError,
  type OptionSpec,
  type ParsedOptions,
  HELP_OPTION,
} from "../../devices/command";
import { ConfigError } from "../../components/config";
import { PROJECT_DIR } from "./project-dir";
import { listStacks, StackFileError } from "../../components/stack-files";
import { StackConfigError } from "../../components/testing/stack-config";
import { checkStack } from "./check";
import type { SynthResult } from "./synth";

/** The options of `npm run synth`, in the repository's option-table convention (devices/command.ts). */
export const SYNTH_OPTIONS: readonly OptionSpec[] = [
  {
    name: "stack",
    short: "s",
    value: "name",
    default: "dev",
    description: "stack whose Pulumi.<name>.yaml to use",
  },
  {
    name: "out",
    short: "o",
    value: "dir",
    default: ".synth",
    description: "output directory (the default one is in the project directory); files go to <dir>/<stack>/",
  },
  {
    name: "stack-dir",
    value: "dir",
    defaultText: "the project directory",
    description: "directory holding Pulumi.<name>.yaml",
  },
  {
    name: "first-deployment",
    defaultText: "a stack whose training has promoted a model",
    description:
      "deploy as into a new account: no anomaly model promoted yet, so an endpoint-mode stack leaves its endpoint out",
  },
  { name: "json", description: "print the summary as JSON instead of text" },
  HELP_OPTION,
];

function helpText(): string {
  return helpPage({
    usage: "npm run synth -- --stack <name> [--out <dir>] [--first-deployment] [--json]",
    about: [
      "Runs the program for a stack the way `pulumi up` does, offline: the Pulumi CLI's stack-config validation",
      "and Pulumi.yaml defaults, then @pulumi/pulumi/cmd/run (the entry point it resolves, Pulumi's TypeScript",
      "loading) against an offline gRPC engine and resource monitor. Writes what the stack would deploy and",
      "evaluates the policy pack.",
    ],
    options: SYNTH_OPTIONS,
    sections: [
      {
        title: "Writes:",
        lines: [
          "  <dir>/<stack>/resources.json     every resource: type, name, urn, parent, former URNs (aliases),",
          "                                   inputs (secrets redacted)",
          "  <dir>/<stack>/outputs.json       the stack outputs (secrets redacted)",
          "  <dir>/<stack>/policy-report.json the policy pack's results",
          "  <dir>/<stack>/documents/         generated documents: *.json (IAM/IoT policies), *.asl.json, *.sql",
        ],
      },
      {
        lines: [
          'Example values left in a stack file (Pulumi.prod.yaml ships some, marked "# EXAMPLE") are listed as',
          "warnings (the offline engine deploys into the AWS documentation's example account); `pulumi up` into a",
          "real account refuses them.",
        ],
      },
    ],
    exitStatus:
      "0 when the stack is valid and has no mandatory policy violation, 2 for bad options or a stack file that is not valid YAML, 1 otherwise.",
  });
}

function printSummary(result: SynthResult): void {
  const lines = [
    `Stack ${result.stack}: ${result.resourceCount} resources (written to ${path.relative(process.cwd(), result.outDir) || "."})`,
    `Program: ${result.program.file} (${result.program.source}), run by @pulumi/pulumi/cmd/run`,
  ];
  const width = Math.max(...Object.keys(result.countsByType).map((t) => t.length));
  for (const [type, count] of Object.entries(result.countsByType).sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`  ${type.padEnd(width)}  ${count}`);
  }
  if (result.warnings.length > 0) lines.push(`Warnings: ${result.warnings.length} (on stderr)`);
  const { mandatory, advisory, results } = result.policy;
  lines.push(
    `Policy pack: ${results.length} policies, ${mandatory.length} mandatory and ${advisory.length} advisory violations`,
  );
  for (const v of [...mandatory, ...advisory])
    lines.push(`  [${v.enforcementLevel}] ${v.policy}: ${v.message}`);
  console.log(lines.join("\n"));
}

/** The failure as the user should read it, one `synth:` line per message. */
async function failureLines(err: unknown): Promise<string[]> {
  if (err instanceof StackConfigError) {
    return [
      ...err.messages.map((m) => `synth: ${m}`),
      `synth: (the Pulumi CLI's stack-config validation of ${err.stackFile}; \`pulumi up\` stops at the first)`,
    ];
  }
  if (err instanceof ConfigError || err instanceof StackFileError) return [`synth: ${err.message}`];
  const { ProgramFailedError } = await import("../../components/testing/run-program");
  const { SynthError } = await import("./synth");
  if (err instanceof ProgramFailedError || err instanceof SynthError) return [`synth: ${err.message}`];
  return [`synth: ${(err as Error).stack ?? String(err)}`];
}

/** Runs the command line `argv`; resolves with the exit status. */
export async function main(argv: string[]): Promise<number> {
  let options: ParsedOptions;
  try {
    options = parseOptions(argv, SYNTH_OPTIONS, "Run npm run synth -- --help for the options.");
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`synth: ${err.message}`);
    return EXIT.usage;
  }
  if (options.flag("help")) {
    console.log(helpText());
    return EXIT.ok;
  }
  const stack = options.text("stack")!;
  const stackDir = path.resolve(options.text("stack-dir") ?? PROJECT_DIR);
  if (!listStacks(stackDir).includes(stack)) {
    console.error(
      `synth: no stack file Pulumi.${stack}.yaml in ${stackDir}; stacks: ${listStacks(stackDir).join(", ") || "none"}. Copy Pulumi.dev.yaml to Pulumi.${stack}.yaml to add one.`,
    );
    return EXIT.failure;
  }
  try {
    // A refused stack is reported before the program's dependencies load; --help needs none of them.
    checkStack(PROJECT_DIR, stack, stackDir);
    const { synthStack } = await import("./synth");
    const result = await synthStack(
      stack,
      path.resolve(options.given("out") ? process.cwd() : PROJECT_DIR, options.text("out")!),
      stackDir,
      {
        firstDeployment: options.flag("first-deployment"),
      },
    );
    for (const warning of result.warnings) console.error(`synth: warning: ${warning}`);
    if (options.flag("json")) console.log(JSON.stringify(result, null, 2));
    else printSummary(result);
    return result.policy.mandatory.length > 0 ? EXIT.failure : EXIT.ok;
  } catch (err) {
    for (const line of await failureLines(err)) console.error(line);
    return err instanceof StackFileError ? EXIT.usage : EXIT.failure;
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
