/**
 * `npm run fleet:report -- --from <dir|s3://bucket/prefix/run/>`: merges the shard summaries of one run into
 * one report, and with `--athena-workgroup`/`--athena-database` compares it with what reached the lake.
 * Exit status: 0 every shard delivered everything (and the lake has it, when compared), 1 otherwise, 2 bad usage.
 */
import { AthenaClient } from "@aws-sdk/client-athena";
import type { S3Client } from "@aws-sdk/client-s3";
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
import { openStore } from "../storage";
import type { FleetSummary } from "../summary";
import { formatReport } from "./format";
import { compareWithLake, queryLake, type LakeComparison } from "./lake-completeness";
import { MergeError, mergeSummaries, type MergedReport, type ShardSummary } from "./merge";

/** The options of `npm run fleet:report`, in the repository's option-table convention (../command.ts). */
export const REPORT_OPTIONS: readonly OptionSpec[] = [
  {
    name: "from",
    value: "location",
    description: "the run's folder: a directory or s3://bucket/prefix/<run>/ (required)",
  },
  {
    name: "athena-workgroup",
    value: "name",
    description: "compare with the lake: the stack's Athena workgroup (stack output athenaWorkGroup)",
  },
  {
    name: "athena-database",
    value: "name",
    description: "the stack's catalog database (stack output catalogDatabase)",
  },
  {
    name: "days",
    value: "from..to",
    defaultText: "the run's simulated days",
    description: "UTC days to read from the lake",
  },
  {
    name: "region",
    value: "region",
    defaultText: "the SDK's, e.g. AWS_REGION",
    description: "AWS region for S3 and Athena",
  },
  { name: "json", description: "print the report as JSON" },
  HELP_OPTION,
];

function helpText(): string {
  return helpPage({
    usage: "npm run fleet:report -- --from <dir|s3://bucket/prefix/<run>/> [options]",
    about: [
      "Merges the shard summaries of one run (shard-<i>-of-<n>.summary.json, written by npm run fleet -- --out) into",
      "one report: counts add up, failures by cause, last seq per device, acknowledgement latency percentiles from",
      "the merged histograms. Optionally compares it with the lake through the device_completeness Athena view.",
    ],
    options: REPORT_OPTIONS,
    exitStatus:
      "0 every shard present and every reading delivered (and in the lake, when compared), 1 otherwise, 2 bad usage.",
  });
}

export interface ReportStreams {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/** Clients for S3 locations and the lake comparison (tests inject mocked ones). */
export interface ReportClients {
  readonly s3?: S3Client;
  readonly athena?: AthenaClient;
  readonly sleep?: (ms: number) => Promise<void>;
}

const SUMMARY = /^shard-\d+-of-\d+\.summary\.json$/;

export async function main(
  argv: readonly string[],
  streams: ReportStreams = { stdout: process.stdout, stderr: process.stderr },
  clients: ReportClients = {},
): Promise<number> {
  const { stdout, stderr } = streams;
  let options: ParsedOptions;
  try {
    options = parseOptions(argv, REPORT_OPTIONS, "Run npm run fleet:report -- --help for the options.");
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    stderr.write(`fleet:report: ${err.message}\n`);
    return EXIT.usage;
  }
  if (options.flag("help")) {
    stdout.write(`${helpText()}\n`);
    return EXIT.ok;
  }
  const from = options.text("from");
  const workGroup = options.text("athena-workgroup");
  const database = options.text("athena-database");
  const usage = (message: string): number => {
    stderr.write(`fleet:report: ${message}\n`);
    return EXIT.usage;
  };
  if (!from)
    return usage("--from is required: the run's folder, e.g. .fleet-runs/ramp or s3://bucket/runs/ramp/");
  if ((workGroup === undefined) !== (database === undefined)) {
    return usage(
      "--athena-workgroup and --athena-database go together (stack outputs athenaWorkGroup, catalogDatabase)",
    );
  }
  const days = options.text("days");
  if (days !== undefined && !/^\d{4}-\d{2}-\d{2}\.\.\d{4}-\d{2}-\d{2}$/.test(days)) {
    return usage(`--days must be YYYY-MM-DD..YYYY-MM-DD (got "${days}")`);
  }
  const region = options.text("region");

  let report: MergedReport;
  try {
    const store = openStore(from, clients.s3);
    const keys = (await store.list()).filter((key) => SUMMARY.test(key));
    if (keys.length === 0) {
      stderr.write(
        `fleet:report: no shard-<i>-of-<n>.summary.json in ${store.location}; point --from at <out>/<run> of npm run fleet -- --out <out> --run <run>\n`,
      );
      return 1;
    }
    const shards: ShardSummary[] = [];
    for (const key of keys) {
      const text = (await store.read(key)) as string;
      try {
        shards.push({ source: key, summary: JSON.parse(text) as FleetSummary });
      } catch (err) {
        throw new MergeError(`${store.location}${key} is not JSON: ${(err as Error).message}`);
      }
    }
    report = mergeSummaries(shards);
  } catch (err) {
    stderr.write(`fleet:report: ${(err as Error).message}\n`);
    return 1;
  }

  let lake: LakeComparison | undefined;
  if (workGroup && database) {
    const [fromDay, toDay] = days?.split("..") ?? [
      (report.simulated.start ?? new Date().toISOString()).slice(0, 10),
      (report.simulated.end ?? new Date().toISOString()).slice(0, 10),
    ];
    try {
      const inLake = await queryLake({
        athena: clients.athena ?? new AthenaClient(region ? { region } : {}),
        workGroup,
        database,
        deployment: report.deployment,
        fromDay: fromDay as string,
        toDay: toDay as string,
        sleep: clients.sleep,
      });
      lake = compareWithLake(report.lastSeq, inLake);
    } catch (err) {
      stderr.write(`fleet:report: comparing with the lake failed: ${(err as Error).message}\n`);
      return 1;
    }
  }

  stdout.write(
    options.flag("json")
      ? `${JSON.stringify({ ...report, lake: lake ?? null }, null, 2)}\n`
      : `${formatReport(report, lake)}\n`,
  );
  for (const warning of report.warnings) stderr.write(`fleet:report: warning: ${warning}\n`);
  const lakeOk = !lake || lake.received === lake.published;
  return report.ok && lakeOk ? 0 : 1;
}

if (require.main === module) runCommand("fleet:report", (argv) => main(argv));
