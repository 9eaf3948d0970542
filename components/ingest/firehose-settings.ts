/**
 * Where Firehose writes telemetry and quarantined messages in the raw bucket, and how it buffers. Pure: the
 * delivery streams use the Firehose expressions, and the local backend's lake writer uses
 * {@link telemetryObjectPrefix} / {@link quarantineObjectPrefix}, so both lakes have the same keys.
 *
 * Key layout (raw bucket):
 *
 *   telemetry/room_id=<room>/dt=<yyyy-MM-dd>/...   valid readings, Parquet; dt is the reading's date (from `ts`,
 *                                                  UTC), extracted by the JQ query of dynamic partitioning
 *   telemetry/dt=<yyyy-MM-dd>/...                  the same when dynamic partitioning is off: dt is then the
 *                                                  arrival date and room_id stays a column inside the files
 *   quarantine/dt=<yyyy-MM-dd>/...                 rejected messages with their reason, GZIP JSON lines,
 *                                                  by arrival date (a rejected reading's `ts` may be garbage)
 *   errors/firehose/<stream>/<error type>/dt=<yyyy-MM-dd>/   records Firehose could not convert or deliver
 */
import { LAKE_ZONES } from "../lake/layout";
import { telemetryField, TelemetryRecord } from "../telemetry/schema";

/** Partition columns of the telemetry table, outermost first. */
export function telemetryPartitionKeys(dynamicPartitioning: boolean): ("room_id" | "dt")[] {
  return dynamicPartitioning ? ["room_id", "dt"] : ["dt"];
}

/** Format of the `dt` partition values, in Java (Glue, Firehose) and strftime (JQ) notation. */
export const DT_FORMAT = { java: "yyyy-MM-dd", strftime: "%Y-%m-%d" } as const;

/** `yyyy-MM-dd` of an epoch-milliseconds instant, in UTC. */
export function utcDate(epochMs: number): string {
  if (!Number.isFinite(epochMs))
    throw new Error(`cannot derive a date partition from ${epochMs}: not a finite epoch-milliseconds value`);
  return new Date(epochMs).toISOString().slice(0, 10);
}

/**
 * The JQ query Firehose's metadata extraction runs on each record (JQ 1.6) to get the partition keys: the room,
 * and the reading's UTC date from `ts` (milliseconds, so divided down to whole seconds for strftime).
 */
export const TELEMETRY_PARTITION_JQ = `{room_id: .${telemetryField("room_id").name}, dt: (.${telemetryField("ts").name} / 1000 | floor | strftime("${DT_FORMAT.strftime}"))}`;

/** The delivery stream's `prefix` for telemetry. */
export function telemetryFirehosePrefix(dynamicPartitioning: boolean): string {
  const zone = LAKE_ZONES.telemetry.prefix;
  return dynamicPartitioning
    ? `${zone}room_id=!{partitionKeyFromQuery:room_id}/dt=!{partitionKeyFromQuery:dt}/`
    : `${zone}dt=!{timestamp:${DT_FORMAT.java}}/`;
}

/**
 * The key prefix a valid reading lands under, as {@link telemetryFirehosePrefix} computes it in the cloud. Without
 * dynamic partitioning Firehose dates by arrival, which `received_at` stands for.
 */
export function telemetryObjectPrefix(
  record: Pick<TelemetryRecord, "room_id" | "ts" | "received_at">,
  dynamicPartitioning = true,
): string {
  const zone = LAKE_ZONES.telemetry.prefix;
  return dynamicPartitioning
    ? `${zone}room_id=${record.room_id}/dt=${utcDate(record.ts)}/`
    : `${zone}dt=${utcDate(record.received_at)}/`;
}

/** The delivery stream's `prefix` for quarantined messages (by arrival date). */
export function quarantineFirehosePrefix(): string {
  return `${LAKE_ZONES.quarantine.prefix}dt=!{timestamp:${DT_FORMAT.java}}/`;
}

/** The key prefix of a quarantined message received at `receivedAtMs`. */
export function quarantineObjectPrefix(receivedAtMs: number): string {
  return `${LAKE_ZONES.quarantine.prefix}dt=${utcDate(receivedAtMs)}/`;
}

/** The delivery stream's `errorOutputPrefix`: failed records by stream, error type and arrival date. */
export function firehoseErrorPrefix(stream: string): string {
  if (!/^[a-z0-9-]+$/.test(stream))
    throw new Error(`stream label "${stream}" must be lowercase letters, digits or "-"`);
  return `${LAKE_ZONES.firehoseErrors.prefix}${stream}/!{firehose:error-output-type}/dt=!{timestamp:${DT_FORMAT.java}}/`;
}

export interface BufferingSettings {
  /** Seconds Firehose waits before writing a file (0-900). */
  readonly bufferSeconds: number;
  /** MiB Firehose collects before writing a file (1-128). */
  readonly bufferMiB: number;
}

/**
 * Shortest buffer interval of a stream that partitions dynamically: "Zero buffering feature is not available for
 * dynamic partitioning" (Firehose developer guide, "Buffer data for dynamic partitioning"), so such a stream keeps
 * the interval's range from before zero buffering, 60 to 900 seconds.
 */
export const DYNAMIC_PARTITIONING_MIN_BUFFER_SECONDS = 60;

/**
 * Problems with buffering hints for a stream. Firehose requires at least 64 MiB when it converts to Parquet or
 * partitions dynamically, and a dynamically partitioned stream cannot use zero buffering (it rejects the stream
 * otherwise).
 */
export function bufferingProblems(
  settings: BufferingSettings,
  stream: { parquet: boolean; dynamicPartitioning: boolean },
): string[] {
  const problems: string[] = [];
  if (
    !Number.isInteger(settings.bufferSeconds) ||
    settings.bufferSeconds < 0 ||
    settings.bufferSeconds > 900
  ) {
    problems.push(`bufferSeconds must be an integer from 0 to 900 (got ${settings.bufferSeconds})`);
  } else if (stream.dynamicPartitioning && settings.bufferSeconds < DYNAMIC_PARTITIONING_MIN_BUFFER_SECONDS) {
    problems.push(
      `bufferSeconds must be at least ${DYNAMIC_PARTITIONING_MIN_BUFFER_SECONDS} with dynamic partitioning (Firehose has no zero buffering for it) (got ${settings.bufferSeconds})`,
    );
  }
  const min = stream.parquet || stream.dynamicPartitioning ? 64 : 1;
  if (!Number.isInteger(settings.bufferMiB) || settings.bufferMiB < min || settings.bufferMiB > 128) {
    const why =
      min === 64 ? " (Firehose needs at least 64 MiB for Parquet conversion and dynamic partitioning)" : "";
    problems.push(`bufferMiB must be an integer from ${min} to 128${why} (got ${settings.bufferMiB})`);
  }
  return problems;
}
