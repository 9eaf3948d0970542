/**
 * Monthly usage of a stack, derived from its configuration, its synth and the assumptions: messages, records,
 * bytes stored under the lifecycle rules, requests, runs of every schedule. Pure. Each volume keeps the
 * reasoning behind it, which the estimate prints next to the figure.
 */
import type { PlatformConfig } from "../config";
import type { Assumptions } from "./assumptions";
import { DAYS_PER_MONTH, runsPerMonth, SECONDS_PER_MONTH } from "./schedule-runs";
import type { SynthInventory } from "./synth-inventory";

export const GIB = 1024 ** 3;
/** Firehose and IoT Core bill records and messages in 5 KB steps. */
export const BILLING_STEP_BYTES = 5 * 1024;

export interface Usage {
  readonly devices: number;
  readonly messages: number;
  readonly validRecords: number;
  readonly quarantinedRecords: number;
  readonly recordBytes: number;
  /** Parquet objects the telemetry stream writes a month, and the quarantine stream's. */
  readonly telemetryObjects: number;
  readonly quarantineObjects: number;
  /** Raw telemetry bytes added per day (readings plus per-object overhead). */
  readonly rawBytesPerDay: number;
  readonly etlRuns: number;
  readonly trainingRuns: number;
  readonly scoringRuns: number;
  readonly jdbcImports: number;
  /** Lake objects read a month: Athena's scoring scans and the curate job's full read. */
  readonly lakeGets: number;
  /** Lake objects written a month: Firehose, curation, Athena results. */
  readonly lakePuts: number;
  /** Step Functions state transitions a month. */
  readonly transitions: number;
  readonly lambdaInvocations: number;
  readonly explain: Readonly<Record<string, string>>;
}

/** A number for people: thousands separators, at most `digits` decimals. */
export function fmt(value: number, digits = 2): string {
  const abs = Math.abs(value);
  const decimals = abs >= 100 ? 0 : abs >= 1 ? Math.min(digits, 2) : digits + 2;
  return value.toLocaleString("en-US", { maximumFractionDigits: decimals });
}

export function deriveUsage(
  config: PlatformConfig,
  inventory: SynthInventory,
  devices: number,
  a: Assumptions,
): Usage {
  const rooms = config.fleet.rooms.length;
  const messages = (devices * SECONDS_PER_MONTH) / a.intervalSeconds;
  const quarantinedRecords = messages * (a.quarantinePercent / 100);
  const validRecords = messages - quarantinedRecords;
  const recordBytes = a.payloadBytes + a.ruleAddedBytes;

  const telemetry = inventory.deliveryStreams.find((s) => s.convertsToParquet);
  const quarantine = inventory.deliveryStreams.find((s) => !s.convertsToParquet);
  // A stream writes when its buffer interval passes or its buffer fills, per partition (room) with dynamic
  // partitioning: at least one object per partition per interval, more when the volume fills the buffer.
  const objectsOf = (
    stream: SynthInventory["deliveryStreams"][number] | undefined,
    records: number,
    partitions: number,
  ) => {
    if (!stream || records === 0) return 0;
    const flushes = SECONDS_PER_MONTH / Math.max(60, stream.bufferSeconds);
    const byVolume = (records * recordBytes) / (stream.bufferMiB * 1024 * 1024);
    return Math.max(flushes * Math.min(partitions, records), byVolume);
  };
  const telemetryObjects = objectsOf(telemetry, validRecords, telemetry?.dynamicPartitioning ? rooms : 1);
  const quarantineObjects = objectsOf(quarantine, quarantinedRecords, 1);
  const rawBytesPerDay =
    (validRecords * a.parquetBytesPerReading + telemetryObjects * a.parquetObjectOverheadBytes) /
    DAYS_PER_MONTH;

  const etlRuns = runsPerMonth(config.etl.schedule);
  // Training runs on its schedule and after every ETL run (the ETL starts it).
  const trainingRuns = runsPerMonth(config.anomaly.trainingSchedule) + etlRuns;
  const scoringRuns = runsPerMonth(config.anomaly.scoringSchedule);
  const jdbcImports = Math.min(etlRuns, a.jdbcImportsPerDay * DAYS_PER_MONTH);

  // Reads: each scoring query scans two days of partitions (yesterday's and today's); the curate job reads every
  // raw telemetry object still kept.
  const objectsPerDay = telemetryObjects / DAYS_PER_MONTH;
  const keptObjects = objectsPerDay * config.lake.rawRetentionDays;
  const lakeGets = scoringRuns * objectsPerDay * 2 + etlRuns * keptObjects;
  const lakePuts = telemetryObjects + quarantineObjects + etlRuns * rooms * 2 + scoringRuns * 2;

  const statesOf = (match: RegExp) =>
    inventory.stateMachines.filter((m) => match.test(m.name)).reduce((sum, m) => sum + m.states, 0);
  const transitions =
    etlRuns * statesOf(/etl/) + trainingRuns * statesOf(/training/) + scoringRuns * statesOf(/scoring/);
  const batchScoring = inventory.endpointVariants.length === 0;
  const lambdaInvocations = etlRuns + trainingRuns * 3 + scoringRuns * (batchScoring ? 3 : 2);

  return {
    devices,
    messages,
    validRecords,
    quarantinedRecords,
    recordBytes,
    telemetryObjects,
    quarantineObjects,
    rawBytesPerDay,
    etlRuns,
    trainingRuns,
    scoringRuns,
    jdbcImports,
    lakeGets,
    lakePuts,
    transitions,
    lambdaInvocations,
    explain: {
      messages: `${fmt(devices)} sensors × one reading every ${fmt(a.intervalSeconds)} s × ${fmt(SECONDS_PER_MONTH)} s a month = ${fmt(messages)} messages`,
      telemetryObjects: telemetry
        ? `a ${telemetry.bufferSeconds} s / ${telemetry.bufferMiB} MiB buffer${telemetry.dynamicPartitioning ? ` per room (${rooms} rooms)` : ""}: ${fmt(telemetryObjects)} objects a month`
        : "no telemetry stream in the synth",
      rawBytesPerDay: `${fmt(validRecords / DAYS_PER_MONTH)} readings/day × ${a.parquetBytesPerReading} B + ${fmt(objectsPerDay)} objects/day × ${a.parquetObjectOverheadBytes} B = ${fmt(rawBytesPerDay / GIB, 3)} GiB/day`,
      runs: `ETL ${fmt(etlRuns)} (${config.etl.schedule.expression}), training ${fmt(trainingRuns)} (${config.anomaly.trainingSchedule.expression} + after each ETL run), scoring ${fmt(scoringRuns)} (${config.anomaly.scoringSchedule.expression}) a month`,
      lakeGets: `each scoring query reads 2 days of objects (${fmt(objectsPerDay * 2)}), each curate run every kept raw object (${fmt(keptObjects)} over ${config.lake.rawRetentionDays} days)`,
    },
  };
}
