/**
 * `npm run cost -- --stack <name>`: the monthly cost of a stack, from its synth (`.synth/<stack>/resources.json`,
 * synthesized first when missing or older than the stack's configuration), the unit-price table in
 * `data/pricing/aws-prices.json`, usage derived from the stack's configuration, and the assumptions printed
 * next to each figure. It reads the synth's output files only, so it works with whichever synth wrote them.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { helpPage, parseOptions, UsageError, type OptionSpec, HELP_OPTION } from "../../devices/command";
import { ConfigError, parsePlatformConfig } from "../../components/config";
import { PROJECT_DIR } from "../synth/project-dir";
import { listStacks, readStackFile } from "../../components/stack-files";
import { parseDurationMs } from "../../components/telemetry/durations";
import { ASSUMPTIONS, assumptionsWith } from "../../components/cost/assumptions";
import { estimateMonthlyCost, type CostEstimate } from "../../components/cost/estimate";
import { formatEstimate } from "../../components/cost/format";
import { loadPriceTable, RegionPrices } from "../../components/cost/prices";

/** The template's unit-price table. */
export const PRICE_TABLE_FILE = path.join(PROJECT_DIR, "data", "pricing", "aws-prices.json");
import { synthInventory, type SynthResourceRow } from "../../components/cost/synth-inventory";

/** The options of `npm run cost`, in the repository's option-table convention (devices/command.ts). */
export const COST_OPTIONS: readonly OptionSpec[] = [
  {
    name: "stack",
    short: "s",
    value: "name",
    default: "dev",
    description: "stack whose Pulumi.<name>.yaml and synth to use",
  },
  {
    name: "devices",
    value: "n",
    defaultText: "the stack's rooms x sensorsPerRoom",
    description: "sensors publishing",
  },
  {
    name: "interval",
    value: "duration",
    defaultText: `${ASSUMPTIONS.intervalSeconds.default}s`,
    description: "time between a sensor's readings, e.g. 10s, 1m, 5m",
  },
  {
    name: "payload-bytes",
    value: "n",
    defaultText: String(ASSUMPTIONS.payloadBytes.default),
    description: "bytes of one reading",
  },
  {
    name: "glue-minutes",
    value: "n",
    defaultText: String(ASSUMPTIONS.glueJobMinutes.default),
    description: "billed minutes of one Glue job run",
  },
  {
    name: "training-minutes",
    value: "n",
    defaultText: String(ASSUMPTIONS.trainingMinutes.default),
    description: "billed minutes of one training job",
  },
  {
    name: "transform-minutes",
    value: "n",
    defaultText: String(ASSUMPTIONS.transformMinutes.default),
    description: "billed minutes of one batch transform",
  },
  {
    name: "assume",
    value: "key>=<value",
    multiple: true,
    description: "any other assumption (repeatable); the keys are listed below",
  },
  {
    name: "synth-dir",
    value: "dir",
    default: ".synth",
    description:
      "where the synth's output is (the default one is in the project directory); reads <dir>/<stack>/resources.json",
  },
  { name: "resynth", description: "run the synth again even when its output is current" },
  {
    name: "prices",
    value: "file",
    defaultText: path.relative(PROJECT_DIR, PRICE_TABLE_FILE),
    description: "price table",
  },
  { name: "json", description: "the estimate as JSON (total, services, lines, assumptions, price sources)" },
  HELP_OPTION,
];

function helpText(): string {
  return helpPage({
    usage: "npm run cost -- --stack <name> [options]",
    about: [
      "Estimates what a stack costs a month: its synth (what it deploys), usage derived from its configuration",
      "(sensors x interval, buffers, schedules, retention, instance types) and the unit prices in",
      "data/pricing/aws-prices.json. Prints a per-service table with every assumption next to its figure.",
    ],
    options: COST_OPTIONS,
    sections: [
      {
        title: "Assumptions (--assume <key>=<value>; default and unit in parentheses):",
        lines: Object.entries(ASSUMPTIONS).map(
          ([key, a]) => `  ${key} (${a.default} ${a.unit}): ${a.description}`,
        ),
      },
    ],
    exitStatus:
      "0 with an estimate, 1 on an error (unknown stack, invalid configuration, a price missing for the region or an instance type), 2 for bad options.",
  });
}

interface CliOptions {
  readonly stack: string;
  readonly synthDir: string;
  readonly resynth: boolean;
  readonly pricesFile: string;
  readonly json: boolean;
  readonly devices?: number;
  readonly assumptions: Record<string, number>;
}

function positive(option: string, text: string, integer = false): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value)))
    throw new UsageError(`--${option} must be a ${integer ? "whole " : ""}number above 0 (got "${text}")`);
  return value;
}

export function parseCostArgs(argv: string[]): CliOptions | "help" {
  const options = parseOptions(argv, COST_OPTIONS, "Run npm run cost -- --help for the options.");
  const text = (name: string) => options.text(name);
  if (options.flag("help")) return "help";
  const assumptions: Record<string, number> = {};
  const interval = text("interval");
  if (interval !== undefined) {
    const ms = parseDurationMs(interval);
    if (ms === undefined || ms <= 0)
      throw new UsageError(`--interval must be a duration with a unit, e.g. 10s or 1m (got "${interval}")`);
    assumptions.intervalSeconds = ms / 1000;
  }
  const named: [string, string | undefined, string][] = [
    ["payload-bytes", text("payload-bytes"), "payloadBytes"],
    ["glue-minutes", text("glue-minutes"), "glueJobMinutes"],
    ["training-minutes", text("training-minutes"), "trainingMinutes"],
    ["transform-minutes", text("transform-minutes"), "transformMinutes"],
  ];
  for (const [option, text, key] of named) if (text !== undefined) assumptions[key] = positive(option, text);
  for (const pair of options.list("assume")) {
    const match = /^([A-Za-z]+)=(.+)$/.exec(pair);
    if (!match) throw new UsageError(`--assume takes key=value (got "${pair}")`);
    if (!(match[1]! in ASSUMPTIONS))
      throw new UsageError(`--assume: unknown assumption "${match[1]}"; --help lists them`);
    const value = Number(match[2]);
    if (!Number.isFinite(value) || value < 0)
      throw new UsageError(`--assume ${match[1]} must be a number of 0 or more (got "${match[2]}")`);
    assumptions[match[1]!] = value;
  }
  return {
    stack: text("stack")!,
    synthDir: path.resolve(options.given("synth-dir") ? process.cwd() : PROJECT_DIR, text("synth-dir")!),
    resynth: options.flag("resynth"),
    pricesFile: options.given("prices") ? path.resolve(text("prices")!) : PRICE_TABLE_FILE,
    json: options.flag("json"),
    devices: text("devices") === undefined ? undefined : positive("devices", text("devices")!, true),
    assumptions,
  };
}

/** The synth's resources of a stack, synthesizing first when missing, stale or asked to. */
function synthRows(
  stack: string,
  synthDir: string,
  resynth: boolean,
  log: (line: string) => void,
): SynthResourceRow[] {
  const file = path.join(synthDir, stack, "resources.json");
  const inputs = ["Pulumi.yaml", `Pulumi.${stack}.yaml`].map((f) => path.join(PROJECT_DIR, f));
  const stale =
    fs.existsSync(file) &&
    inputs.some((f) => fs.existsSync(f) && fs.statSync(f).mtimeMs > fs.statSync(file).mtimeMs);
  if (resynth || !fs.existsSync(file) || stale) {
    log(
      `cost: ${fs.existsSync(file) ? (stale ? "the synth is older than the stack's configuration; " : "") + "synthesizing" : "no synth yet; synthesizing"} ${stack} (npm run synth)`,
    );
    const npm = process.env.npm_execpath;
    const command = npm ? process.execPath : "npm";
    const args = [
      ...(npm ? [npm] : []),
      "run",
      "--silent",
      "synth",
      "--",
      "--stack",
      stack,
      "--out",
      synthDir,
    ];
    const result = spawnSync(command, args, { cwd: PROJECT_DIR, stdio: ["ignore", "ignore", "inherit"] });
    if (result.status !== 0)
      throw new Error(
        `npm run synth -- --stack ${stack} failed (exit ${result.status ?? result.signal}); fix the stack, then run cost again`,
      );
  }
  return JSON.parse(fs.readFileSync(file, "utf8")) as SynthResourceRow[];
}

/** The estimate for parsed options (exported for tests). */
export function estimateStack(
  options: CliOptions,
  log: (line: string) => void = () => undefined,
): CostEstimate {
  const config = parsePlatformConfig(readStackFile(options.stack));
  const rows = synthRows(options.stack, options.synthDir, options.resynth, log);
  const prices = new RegionPrices(loadPriceTable(options.pricesFile), config.region, options.pricesFile);
  return estimateMonthlyCost({
    config,
    inventory: synthInventory(rows),
    prices,
    devices: options.devices ?? config.fleet.devices.length,
    assumptions: assumptionsWith(options.assumptions),
  });
}

export async function main(argv: string[]): Promise<number> {
  let options;
  try {
    options = parseCostArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`cost: ${err.message}; npm run cost -- --help lists the options`);
      return 2;
    }
    throw err;
  }
  if (options === "help") {
    console.log(helpText());
    return 0;
  }
  if (!listStacks(PROJECT_DIR).includes(options.stack)) {
    console.error(
      `cost: no stack file Pulumi.${options.stack}.yaml in ${PROJECT_DIR}; stacks: ${listStacks(PROJECT_DIR).join(", ")}`,
    );
    return 1;
  }
  try {
    const estimate = estimateStack(options, (line) => console.error(line));
    const table = loadPriceTable(options.pricesFile);
    if (options.json) {
      const prices = { file: path.relative(PROJECT_DIR, options.pricesFile), provenance: table.provenance };
      // Each assumption with its unit and meaning, beside the value the estimate used.
      const assumptions = Object.fromEntries(
        Object.entries(ASSUMPTIONS).map(([key, a]) => [
          key,
          {
            value: estimate.assumptions[key as keyof typeof ASSUMPTIONS],
            unit: a.unit,
            description: a.description,
          },
        ]),
      );
      console.log(JSON.stringify({ ...estimate, assumptions, prices }, null, 2));
    } else
      console.log(formatEstimate(estimate, table.provenance, path.relative(PROJECT_DIR, options.pricesFile)));
    return 0;
  } catch (err) {
    console.error(`cost: ${err instanceof ConfigError ? err.message : (err as Error).message}`);
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
