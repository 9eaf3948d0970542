/**
 * The monthly cost of a stack: usage (from config, synth and assumptions) times unit prices, one line per
 * billed item, grouped by service, every line with the assumptions behind it. Pure.
 */
import type { PlatformConfig } from "../config";
import type { Assumptions } from "./assumptions";
import { charge, type PriceRef, type RegionPrices } from "./prices";
import { DAYS_PER_MONTH, HOURS_PER_MONTH } from "./schedule-runs";
import type { SynthInventory } from "./synth-inventory";
import { BILLING_STEP_BYTES, deriveUsage, fmt, GIB, type Usage } from "./usage";
import { platformLines } from "./estimate-platform";
import { streamingLines } from "./estimate-streaming";

export interface CostLine {
  readonly service: string;
  readonly item: string;
  /** In the price's unit (`per`). */
  readonly quantity: number;
  readonly unit: string;
  readonly monthlyUsd: number;
  /** `devices`: grows with the fleet; `fixed`: does not depend on it. */
  readonly scales: "devices" | "fixed";
  readonly assumptions: readonly string[];
  readonly price: {
    readonly id: string;
    readonly usd: number;
    readonly source: string;
    readonly read: string;
    /** Whether the figure was checked against its page (`confirmedBy`), or written from memory. */
    readonly confirmed: boolean;
  };
}

export interface ServiceCost {
  readonly service: string;
  readonly monthlyUsd: number;
  readonly lines: readonly CostLine[];
}

export interface CostEstimate {
  readonly stack: string;
  readonly region: string;
  readonly devices: number;
  readonly intervalSeconds: number;
  readonly messagesPerMonth: number;
  readonly totalMonthlyUsd: number;
  readonly services: readonly ServiceCost[];
  readonly assumptions: Assumptions;
  /** What the estimate leaves out, on purpose. */
  readonly excluded: readonly string[];
}

/** Adds one priced line: `quantity` in the price's unit. */
export type AddLine = (
  service: string,
  item: string,
  priceId: string,
  quantity: number,
  scales: CostLine["scales"],
  assumptions: readonly string[],
) => void;

export interface EstimateInput {
  readonly config: PlatformConfig;
  readonly inventory: SynthInventory;
  readonly prices: RegionPrices;
  readonly devices: number;
  readonly assumptions: Assumptions;
}

const DPU_PER_WORKER: Readonly<Record<string, number>> = {
  "G.025X": 0.25,
  "G.1X": 1,
  "G.2X": 2,
  "G.4X": 4,
  "G.8X": 8,
};

/** GiB-months per storage class of data added daily and kept `retention` days, moved by the lifecycle rules. */
export function storageByClass(
  dailyGib: number,
  retentionDays: number,
  infrequentAccessAfterDays?: number,
  glacierAfterDays?: number,
): { standard: number; standardIa: number; glacierIr: number } {
  const ia = Math.min(infrequentAccessAfterDays ?? Infinity, retentionDays);
  const glacier = Math.min(glacierAfterDays ?? Infinity, retentionDays);
  const standardDays = Math.min(ia, glacier);
  const iaDays = Math.max(0, glacier - ia);
  const glacierDays = Math.max(0, retentionDays - glacier);
  return {
    standard: dailyGib * standardDays,
    standardIa: dailyGib * iaDays,
    glacierIr: dailyGib * glacierDays,
  };
}

export function estimateMonthlyCost(input: EstimateInput): CostEstimate {
  const { config, inventory: inv, prices, devices, assumptions: a } = input;
  const u: Usage = deriveUsage(config, inv, devices, a);
  const lines: CostLine[] = [];
  const add: AddLine = (service, item, priceId, quantity, scales, assumptions) => {
    const price: PriceRef = prices.get(priceId);
    lines.push({
      service,
      item,
      quantity,
      unit: price.per,
      monthlyUsd: charge(price, quantity),
      scales,
      assumptions,
      price: {
        id: price.id,
        usd: price.usd,
        source: price.source,
        read: price.read,
        confirmed: price.confirmedBy !== undefined,
      },
    });
  };
  const hours = HOURS_PER_MONTH;

  // AWS IoT Core
  const steps = Math.ceil(a.payloadBytes / BILLING_STEP_BYTES);
  add("AWS IoT Core", "Messaging", "iot.messaging", (u.messages * steps) / 1e6, "devices", [
    u.explain.messages!,
    `${a.payloadBytes} B payloads are billed as ${steps} message${steps > 1 ? "s" : ""} of 5 KB`,
  ]);
  add("AWS IoT Core", "Connectivity", "iot.connectivity", (devices * hours * 60) / 1e6, "devices", [
    `${fmt(devices)} sensors connected all month (${fmt(hours * 60)} minutes each)`,
  ]);
  const triggered = u.messages * inv.topicRules;
  add("AWS IoT Core", "Rules triggered", "iot.rulesTriggered", triggered / 1e6, "devices", [
    `${inv.topicRules} topic rules in the synth listen on the telemetry topics: each message triggers each`,
  ]);
  add("AWS IoT Core", "Rule actions executed", "iot.actionsExecuted", triggered / 1e6, "devices", [
    "one action (Firehose, or Kinesis for the telemetry rule with ingestStream: kinesis) per triggered rule (IoT Core bills at least one action per rule triggered)",
  ]);

  // Amazon Data Firehose
  const billedGib = (records: number) =>
    (records * Math.ceil(u.recordBytes / BILLING_STEP_BYTES) * BILLING_STEP_BYTES) / GIB;
  const recordsNote = `${u.recordBytes} B records (payload + ${a.ruleAddedBytes} B the rule adds), each billed as 5 KB`;
  add("Amazon Data Firehose", "Ingestion", "firehose.ingestion", billedGib(u.messages), "devices", [
    `${fmt(u.validRecords)} telemetry + ${fmt(u.quarantinedRecords)} quarantined records (${a.quarantinePercent}% of messages)`,
    recordsNote,
  ]);
  const telemetryStream = inv.deliveryStreams.find((s) => s.convertsToParquet);
  if (telemetryStream) {
    add(
      "Amazon Data Firehose",
      "Parquet conversion",
      "firehose.formatConversion",
      billedGib(u.validRecords),
      "devices",
      ["the telemetry stream converts every record to Parquet", recordsNote],
    );
  }
  if (telemetryStream?.dynamicPartitioning) {
    add(
      "Amazon Data Firehose",
      "Dynamic partitioning",
      "firehose.dynamicPartitioning",
      (u.validRecords * u.recordBytes) / GIB,
      "devices",
      [`by room and day: ${fmt(u.validRecords)} records × ${u.recordBytes} B`],
    );
    add(
      "Amazon Data Firehose",
      "Objects delivered (partitioned)",
      "firehose.partitionObjects",
      u.telemetryObjects / 1000,
      "devices",
      [u.explain.telemetryObjects!],
    );
    add(
      "Amazon Data Firehose",
      "JQ processing",
      "firehose.jqHours",
      (u.validRecords * a.jqMicrosecondsPerRecord) / 3.6e9,
      "devices",
      [`${a.jqMicrosecondsPerRecord} µs of JQ per record`],
    );
  }

  // Amazon S3
  const raw = storageByClass(
    u.rawBytesPerDay / GIB,
    config.lake.rawRetentionDays,
    config.lake.infrequentAccessAfterDays,
    config.lake.glacierAfterDays,
  );
  const rawNote = `steady state: raw telemetry kept ${config.lake.rawRetentionDays} days; ${u.explain.rawBytesPerDay}`;
  const tiering = [
    config.lake.infrequentAccessAfterDays
      ? `Standard-IA after ${config.lake.infrequentAccessAfterDays} days`
      : undefined,
    config.lake.glacierAfterDays ? `Glacier IR after ${config.lake.glacierAfterDays} days` : undefined,
  ].filter((t): t is string => t !== undefined);
  const readingsKept = (u.validRecords / DAYS_PER_MONTH) * config.lake.rawRetentionDays;
  const curateRunsPerDay = u.etlRuns / DAYS_PER_MONTH;
  const curatedCopies = 1 + curateRunsPerDay * config.lake.noncurrentVersionDays;
  const curatedGib = ((readingsKept * a.curatedBytesPerReading) / GIB) * curatedCopies;
  add("Amazon S3", "Raw zone, Standard", "s3.standard", raw.standard, "devices", [rawNote, ...tiering]);
  add("Amazon S3", "Curated zone, Standard", "s3.standard", curatedGib, "devices", [
    `every ETL run rewrites it from the ${fmt(readingsKept)} readings kept (${a.curatedBytesPerReading} B each)`,
    `versioning keeps each replaced copy ${config.lake.noncurrentVersionDays} days (noncurrentVersionDays) at ${fmt(curateRunsPerDay)} ETL runs a day: ${fmt(curatedCopies)} copies`,
  ]);
  if (raw.standardIa > 0)
    add("Amazon S3", "Raw zone, Standard-IA", "s3.standardIa", raw.standardIa, "devices", [
      rawNote,
      ...tiering,
    ]);
  if (raw.glacierIr > 0)
    add("Amazon S3", "Raw zone, Glacier Instant Retrieval", "s3.glacierIr", raw.glacierIr, "devices", [
      rawNote,
      ...tiering,
    ]);
  // The log bucket: server access logs of every lake request (365 days), and the audit trail's files
  // (auditRetentionDays, Glacier Instant Retrieval after 90 days when kept 180 or more, as the lake sets it).
  const lakeRequests = u.lakeGets + u.lakePuts;
  const accessLogGib = (lakeRequests * a.accessLogBytesPerRequest * 12) / GIB;
  const retention = config.audit.retentionDays;
  const trail = storageByClass(
    inv.trails > 0 ? (lakeRequests * a.trailBytesPerEvent) / DAYS_PER_MONTH / GIB : 0,
    retention,
    undefined,
    retention >= 180 ? 90 : undefined,
  );
  add("Amazon S3", "Log bucket storage", "s3.standard", accessLogGib + trail.standard, "devices", [
    `server access logs: ${a.accessLogBytesPerRequest} B per lake request, kept 365 days`,
    ...(inv.trails > 0
      ? [
          `audit trail: ${a.trailBytesPerEvent} B per data event (one per lake request), kept ${retention} days`,
        ]
      : []),
  ]);
  if (trail.glacierIr > 0)
    add("Amazon S3", "Audit logs in Glacier Instant Retrieval", "s3.glacierIr", trail.glacierIr, "devices", [
      `audit trail files older than 90 days, kept ${retention} days`,
    ]);
  add("Amazon S3", "PUT and LIST requests", "s3.put", u.lakePuts / 1000, "devices", [
    `Firehose objects (${fmt(u.telemetryObjects + u.quarantineObjects)}), curated files per ETL run, Athena results`,
  ]);
  add("Amazon S3", "GET requests", "s3.get", u.lakeGets / 1000, "devices", [u.explain.lakeGets!]);

  // Amazon Athena: the scheduled scoring query (people's queries and QuickSight are excluded).
  const scannedBytes = Math.max(10 * 1024 ** 2, u.rawBytesPerDay * 2);
  add(
    "Amazon Athena",
    "Data scanned by scoring queries",
    "athena.scanned",
    (u.scoringRuns * scannedBytes) / 1024 ** 4,
    "devices",
    [
      `${fmt(u.scoringRuns)} scoring queries a month, each scanning 2 days of raw telemetry (10 MB minimum per query)`,
    ],
  );

  // AWS Glue
  const job = inv.glueJobs[0];
  if (job) {
    const dpus = job.workers * (DPU_PER_WORKER[job.workerType] ?? 1);
    const runs = u.etlRuns + u.jdbcImports;
    add("AWS Glue", "ETL jobs", "glue.etlDpuHour", (runs * dpus * a.glueJobMinutes) / 60, "fixed", [
      `curate on every ETL run (${fmt(u.etlRuns)}) + JDBC import ${a.jdbcImportsPerDay}× a day (${fmt(u.jdbcImports)}); S3 imports only when files land (not counted)`,
      `${job.workers} × ${job.workerType} workers = ${dpus} DPU, ${a.glueJobMinutes} min a run`,
    ]);
    add(
      "AWS Glue",
      "Crawlers",
      "glue.crawlerDpuHour",
      (runs * a.crawlerDpus * a.crawlerMinutes) / 60,
      "fixed",
      [
        `one crawl per job run (curated after curation, JDBC history after its import), ${a.crawlerMinutes} min at ${a.crawlerDpus} DPU (of the ${inv.glueCrawlers} crawlers in the synth; the sources' own crawlers run by hand)`,
      ],
    );
  }

  // AWS Step Functions, AWS Lambda
  add("AWS Step Functions", "State transitions", "sfn.transitions", u.transitions / 1000, "fixed", [
    u.explain.runs!,
    "each execution passes every state of its machine once (states counted in the synth's definitions)",
  ]);
  const memoryGb =
    inv.functions.reduce((sum, f) => sum + f.memoryMiB, 0) / Math.max(1, inv.functions.length) / 1024;
  const arm = inv.functions.every((f) => f.arm64);
  add("AWS Lambda", "Requests", "lambda.requests", u.lambdaInvocations / 1e6, "fixed", [
    "planner once per ETL run, 3 training steps per training run, 2-3 scoring steps per scoring run",
  ]);
  add(
    "AWS Lambda",
    "Compute",
    arm ? "lambda.gbSecondArm" : "lambda.gbSecondX86",
    u.lambdaInvocations * (a.lambdaMilliseconds / 1000) * memoryGb,
    "fixed",
    [
      `${a.lambdaMilliseconds} ms per invocation at the functions' average ${fmt(memoryGb * 1024)} MiB (${arm ? "arm64" : "x86_64"})`,
    ],
  );

  // Amazon SageMaker
  const { anomaly } = config;
  add(
    "Amazon SageMaker",
    `Training (${anomaly.trainingInstanceType})`,
    `sagemaker.training.${anomaly.trainingInstanceType}`,
    (u.trainingRuns * a.trainingMinutes) / 60,
    "fixed",
    [`${fmt(u.trainingRuns)} training runs × ${a.trainingMinutes} min`],
  );
  add(
    "Amazon SageMaker",
    `Threshold transforms (${anomaly.inferenceInstanceType})`,
    `sagemaker.batch.${anomaly.inferenceInstanceType}`,
    (u.trainingRuns * a.transformMinutes) / 60,
    "fixed",
    [`one batch transform of the training set per training run × ${a.transformMinutes} min`],
  );
  for (const variant of inv.endpointVariants)
    add(
      "Amazon SageMaker",
      `Real-time endpoint (${variant.instanceType})`,
      `sagemaker.hosting.${variant.instanceType}`,
      variant.instances * hours,
      "fixed",
      [
        `${variant.instances} instance${variant.instances > 1 ? "s" : ""} all month (the autoscaling minimum; up to ${anomaly.inferenceMaxInstances} under load)`,
      ],
    );
  if (inv.endpointVariants.length === 0)
    add(
      "Amazon SageMaker",
      `Scoring batch transforms (${anomaly.inferenceInstanceType})`,
      `sagemaker.batch.${anomaly.inferenceInstanceType}`,
      (u.scoringRuns * a.transformMinutes) / 60,
      "fixed",
      [`one transform per scoring run with new readings (${fmt(u.scoringRuns)}) × ${a.transformMinutes} min`],
    );

  platformLines(add, input, u);
  streamingLines(add, input, u);

  const services = groupByService(lines);
  return {
    stack: config.stack,
    region: prices.region,
    devices,
    intervalSeconds: a.intervalSeconds,
    messagesPerMonth: u.messages,
    totalMonthlyUsd: services.reduce((sum, s) => sum + s.monthlyUsd, 0),
    services,
    assumptions: a,
    excluded: [
      "free tiers (not subtracted), savings plans, reserved capacity and taxes",
      "QuickSight subscriptions (per author and reader) and SPICE",
      "queries people run in Athena or QuickSight (only the scheduled scoring query is priced)",
      "data transfer out of AWS; SNS notifications and EventBridge Scheduler invocations (cents)",
      "load tests: the fleet runner's Fargate tasks are billed per run, not monthly",
      "Glue job metrics and observability metrics (may bill as custom metrics)",
    ],
  };
}

function groupByService(lines: readonly CostLine[]): ServiceCost[] {
  const services = new Map<string, CostLine[]>();
  for (const line of lines) services.set(line.service, [...(services.get(line.service) ?? []), line]);
  return [...services].map(([service, serviceLines]) => ({
    service,
    monthlyUsd: serviceLines.reduce((sum, l) => sum + l.monthlyUsd, 0),
    lines: serviceLines,
  }));
}
