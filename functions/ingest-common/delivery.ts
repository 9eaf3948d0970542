/**
 * Sends validated readings where the topic rules would: valid ones to the ingest stream (Kinesis PutRecords,
 * partitioned by device) or the telemetry delivery stream (Firehose PutRecordBatch), rejected ones to the
 * quarantine delivery stream. Shared by the HTTPS ingest and the REST poller functions.
 *
 * Both APIs accept part of a batch and refuse the rest (throttling, an internal error), so each refused record
 * is retried with exponential backoff and jitter; what still fails after the last attempt is reported per item
 * (the caller answers or fails with it), never dropped. A call refused as a whole is retried only for a transient
 * cause (throttling, 5xx, a timeout): access denied, a missing stream or a bad request would fail the same way
 * again, so its records are reported at once with that error instead of after three more pauses.
 */
import { FirehoseClient, PutRecordBatchCommand } from "@aws-sdk/client-firehose";
import { KinesisClient, PutRecordsCommand } from "@aws-sdk/client-kinesis";
import type { DeliveryTargets } from "../../components/ingest/delivery-targets";
import { packBatches } from "../../components/shared/batches";
import type { QuarantineRecord } from "../../components/ingest/reading-validation";
import type { TelemetryRecord } from "../../components/telemetry/schema";
import { isTransientError } from "../ml-common/retry";

export interface DeliveryClients {
  /** Needed when valid readings go to a Kinesis stream. */
  readonly kinesis?: KinesisClient;
  readonly firehose: FirehoseClient;
  /** @default - setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** One record to deliver. */
export type Outgoing =
  | { readonly kind: "telemetry"; readonly record: TelemetryRecord }
  | { readonly kind: "quarantine"; readonly record: QuarantineRecord };

/** Records per call: both PutRecords and PutRecordBatch take at most 500. */
const BATCH = 500;
/**
 * Bytes per call: PutRecordBatch takes "up to a limit of 4 MB for the entire request", PutRecords 5 MB
 * (data and partition keys). Read as decimal megabytes, the smaller reading of "MB".
 */
export const FIREHOSE_BATCH_BYTES = 4_000_000;
export const KINESIS_BATCH_BYTES = 5_000_000;
/** Attempts per record, the first included. */
export const DELIVERY_ATTEMPTS = 4;
const BASE_BACKOFF_MS = 100;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Pending {
  readonly index: number;
  readonly data: Uint8Array;
  readonly partitionKey: string;
}

/**
 * Delivers every record; returns, per record in order, `undefined` when it was accepted or the error of its
 * last attempt.
 */
export async function deliver(
  targets: DeliveryTargets,
  clients: DeliveryClients,
  outgoing: readonly Outgoing[],
): Promise<(string | undefined)[]> {
  const results: (string | undefined)[] = outgoing.map(() => undefined);
  const telemetry: Pending[] = [];
  const quarantine: Pending[] = [];
  const toKinesis = targets.telemetry.kind === "kinesis";
  outgoing.forEach((o, index) => {
    // Firehose writes records back to back: a newline keeps one JSON object per line in the lake's files.
    const text = JSON.stringify(o.record) + (o.kind === "telemetry" && toKinesis ? "" : "\n");
    const pending = { index, data: Buffer.from(text), partitionKey: o.record.device_id || "unknown" };
    (o.kind === "telemetry" ? telemetry : quarantine).push(pending);
  });
  const sleep = clients.sleep ?? defaultSleep;
  const send = async (
    pending: readonly Pending[],
    maxBytes: number,
    put: (batch: readonly Pending[]) => Promise<(string | undefined)[]>,
  ) => {
    let left = [...pending];
    for (let attempt = 0; attempt < DELIVERY_ATTEMPTS && left.length > 0; attempt++) {
      if (attempt > 0) await sleep(Math.random() * BASE_BACKOFF_MS * 2 ** attempt);
      const failed: Pending[] = [];
      for (const batch of callBatches(left, maxBytes)) {
        let final = false;
        const errors = await put(batch).catch((err: unknown) => {
          final = !isRetryableCallError(err);
          return batch.map(() => describeError(err));
        });
        batch.forEach((p, j) => {
          results[p.index] = errors[j];
          if (errors[j] !== undefined && !final) failed.push(p);
        });
      }
      left = failed;
    }
  };

  const t = targets.telemetry;
  if (t.kind === "kinesis") {
    const kinesis = clients.kinesis;
    if (!kinesis)
      throw new Error(`readings go to the Kinesis stream ${t.streamName}, but no Kinesis client was given`);
    await send(telemetry, KINESIS_BATCH_BYTES, async (batch) => {
      const out = await kinesis.send(
        new PutRecordsCommand({
          StreamName: t.streamName,
          Records: batch.map((p) => ({ Data: p.data, PartitionKey: p.partitionKey })),
        }),
      );
      return batch.map((_, j) => entryError(out.Records?.[j]));
    });
  } else {
    await send(telemetry, FIREHOSE_BATCH_BYTES, (batch) =>
      putFirehose(clients.firehose, t.deliveryStreamName, batch),
    );
  }
  await send(quarantine, FIREHOSE_BATCH_BYTES, (batch) =>
    putFirehose(clients.firehose, targets.quarantineDeliveryStream, batch),
  );
  return results;
}

/** Consecutive calls' worth of records: at most {@link BATCH} records and `maxBytes` bytes (one record at least). */
export function callBatches<T extends { readonly data: Uint8Array; readonly partitionKey: string }>(
  records: readonly T[],
  maxBytes: number,
): T[][] {
  return packBatches(records, (r) => r.data.length + Buffer.byteLength(r.partitionKey), maxBytes, BATCH);
}

async function putFirehose(
  client: FirehoseClient,
  stream: string,
  batch: readonly Pending[],
): Promise<(string | undefined)[]> {
  const out = await client.send(
    new PutRecordBatchCommand({ DeliveryStreamName: stream, Records: batch.map((p) => ({ Data: p.data })) }),
  );
  return batch.map((_, j) => entryError(out.RequestResponses?.[j]));
}

/** A response entry's error (`undefined` when the record was taken); a missing entry counts as a failure. */
function entryError(entry: { ErrorCode?: string; ErrorMessage?: string } | undefined): string | undefined {
  if (!entry) return "no response for this record";
  return entry.ErrorCode ? `${entry.ErrorCode}: ${entry.ErrorMessage ?? ""}`.trim() : undefined;
}

/**
 * Whether a call refused as a whole is worth another attempt: a transient error (throttling, 5xx, timeouts,
 * dropped connections), or the streams' own throttles, which the SDK's retries already met and which may have
 * passed a moment later.
 */
export function isRetryableCallError(err: unknown): boolean {
  const name = (err as { name?: string } | undefined)?.name;
  return (
    isTransientError(err) ||
    name === "ProvisionedThroughputExceededException" ||
    name === "LimitExceededException" ||
    name === "KMSThrottlingException"
  );
}

function describeError(err: unknown): string {
  const e = err as { name?: string; message?: string };
  return `${e.name ?? "Error"}: ${e.message ?? String(err)}`;
}
