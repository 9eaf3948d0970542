/** Ingest: Firehose buffering and IoT logging, and the ways in besides MQTT (ingest stream, HTTP API, pollers). */
import { readHttpApiSettings } from "../api/api-settings";
import { readPollerSettings } from "../pollers/poller-settings";
import { INGEST_STREAM_KINDS, readStreamSettings } from "../streaming/stream-settings";
import { DYNAMIC_PARTITIONING_MIN_BUFFER_SECONDS } from "../ingest/firehose-settings";
import type { ConfigReader } from "./reader";
import type { PlatformConfig } from "./types";

export type IngestConfig = Pick<PlatformConfig, "firehose" | "iotLogLevel">;

/** Reads Firehose buffering and partitioning and the IoT log level; problems go to `r`. */
export function readIngestConfig(r: ConfigReader): IngestConfig {
  const problemsBefore = r.problems.length;
  const bufferSeconds = r.integer("firehoseBufferSeconds", 0, 900, 60);
  const bufferSecondsInRange = r.problems.length === problemsBefore;
  const dynamicPartitioning = r.boolean("firehoseDynamicPartitioning");
  const bufferMiB = r.integer("firehoseBufferMiB", 1, 128, 64);
  if (bufferMiB < 64) {
    r.problem(
      "firehoseBufferMiB",
      "must be at least 64 (Firehose rejects smaller buffers for Parquet conversion, which the telemetry stream always uses, and for dynamic partitioning)",
      "set it to a value from 64 to 128",
    );
  }
  if (
    bufferSecondsInRange &&
    dynamicPartitioning &&
    bufferSeconds < DYNAMIC_PARTITIONING_MIN_BUFFER_SECONDS
  ) {
    r.problem(
      "firehoseBufferSeconds",
      `must be at least ${DYNAMIC_PARTITIONING_MIN_BUFFER_SECONDS} while firehoseDynamicPartitioning is on (Firehose has no zero buffering for dynamically partitioned streams)`,
      `set it to a value from ${DYNAMIC_PARTITIONING_MIN_BUFFER_SECONDS} to 900, or set firehoseDynamicPartitioning: false`,
    );
  }
  const iotLogLevel = r.oneOf("iotLogLevel", ["ERROR", "WARN", "INFO", "DEBUG", "DISABLED"] as const);
  return { firehose: { bufferSeconds, bufferMiB, dynamicPartitioning }, iotLogLevel };
}

export type EntrancesConfig = Pick<PlatformConfig, "ingestStream" | "httpApi" | "pollers">;

/** Reads the ways in besides MQTT: the ingest stream, the HTTP API, the REST pollers; problems go to `r`. */
export function readEntrancesConfig(r: ConfigReader): EntrancesConfig {
  const nested = (key: string) => (field: string, message: string, fix: string, value?: unknown) =>
    r.problem(
      field === "" ? key : field.startsWith("[") ? `${key}${field}` : `${key}.${field}`,
      message,
      fix,
      value,
    );
  const streamKind = r.oneOf("ingestStream", INGEST_STREAM_KINDS);
  const ingestStream = readStreamSettings(
    streamKind,
    r.structured("ingestStreamSettings"),
    nested("ingestStreamSettings"),
  );
  const httpApi = readHttpApiSettings(r.structured("httpApi"), nested("httpApi"));
  const pollers = readPollerSettings(r.structured("pollers"), nested("pollers"));
  return { ingestStream, httpApi, pollers };
}
