/**
 * The real-time consumer: reads batches of readings from the ingest stream and maintains, in DynamoDB
 * (layout in `components/streaming/realtime-layout.ts`), the latest reading per device and the per-room hourly
 * aggregates of temperature (count, sum, min, max; the average is sum / count).
 *
 * Kinesis delivers at least once, and a failed batch is retried (split in halves first, with bisect on error),
 * so every write is idempotent:
 *
 * - a device's latest reading is replaced only by a later one (by `ts`, then `seq`): a conditional put;
 * - an hour's aggregate is kept per shard with the last sequence number applied; records at or below it are
 *   skipped, and the write is conditional on the sequence number read (optimistic concurrency).
 *
 * A failure is reported per record (ReportBatchItemFailures): the lowest sequence number whose write failed, so
 * Lambda retries from there and everything before it is checkpointed. A record that is not a reading can never
 * succeed; it is reported too, so once the retries are spent the batch's position lands in the dead-letter
 * destination instead of vanishing.
 */
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  type AttributeValue,
} from "@aws-sdk/client-dynamodb";
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from "aws-lambda";
import {
  comparableSequence,
  expiresAt,
  hourBucket,
  hourKey,
  hourStartMs,
  latestKey,
} from "../../components/streaming/realtime-layout";
import type { TelemetryRecord } from "../../components/telemetry/schema";
import { keyAttributes, readingItem } from "../latest-state/items";

export interface ConsumerSettings {
  readonly tableName: string;
  readonly aggregateTtlDays: number;
  readonly latestTtlDays: number;
}

export interface ConsumerClients {
  readonly dynamodb: DynamoDBClient;
  /** Structured log lines. @default - console.error */
  readonly log?: (line: string) => void;
}

interface StreamReading {
  readonly sequenceNumber: string;
  readonly shardId: string;
  readonly reading: TelemetryRecord;
}

/** Compares two Kinesis sequence numbers (decimal strings of any length). */
export function compareSequence(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}

/** The reading in a record's data, or why it is not one. */
function decodeReading(data: string): TelemetryRecord | string {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(data, "base64").toString("utf8"));
  } catch {
    return "the record's data is not JSON";
  }
  const r = value as Partial<TelemetryRecord> | null;
  if (typeof r !== "object" || r === null) return "the record's data is not a JSON object";
  if (typeof r.device_id !== "string" || typeof r.room_id !== "string")
    return "the reading has no device_id or room_id";
  if (typeof r.ts !== "number" || typeof r.seq !== "number" || typeof r.temperature_c !== "number")
    return "the reading has no numeric ts, seq or temperature_c";
  return r as TelemetryRecord;
}

/** Processes one batch; returns the lowest failed sequence number, if any, for Lambda to retry from. */
export async function consumeBatch(
  settings: ConsumerSettings,
  clients: ConsumerClients,
  event: KinesisStreamEvent,
): Promise<KinesisStreamBatchResponse> {
  const log = clients.log ?? ((line: string) => console.error(line));
  const failures: string[] = [];
  const readings: StreamReading[] = [];
  for (const record of event.Records) {
    const decoded = decodeReading(record.kinesis.data);
    if (typeof decoded === "string") {
      log(
        JSON.stringify({ level: "ERROR", message: decoded, sequenceNumber: record.kinesis.sequenceNumber }),
      );
      failures.push(record.kinesis.sequenceNumber);
      continue;
    }
    readings.push({
      sequenceNumber: record.kinesis.sequenceNumber,
      shardId: record.eventID.split(":")[0] ?? "shard",
      reading: decoded,
    });
  }
  const attempt = async (sequenceNumbers: readonly string[], write: () => Promise<void>) => {
    try {
      await write();
    } catch (err) {
      log(
        JSON.stringify({
          level: "ERROR",
          message: `DynamoDB write failed: ${(err as Error).message}`,
          error: (err as Error).name,
        }),
      );
      failures.push(...sequenceNumbers);
    }
  };

  const latest = new Map<string, StreamReading>();
  for (const r of readings) {
    const current = latest.get(r.reading.device_id);
    if (!current || isLater(r.reading, current.reading)) latest.set(r.reading.device_id, r);
  }
  for (const r of latest.values())
    await attempt([r.sequenceNumber], () => putLatest(settings, clients.dynamodb, r.reading));

  const groups = new Map<string, StreamReading[]>();
  for (const r of readings) {
    const key = `${r.reading.room_id}\u0000${hourBucket(r.reading.ts)}\u0000${r.shardId}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  for (const group of groups.values()) {
    group.sort((a, b) => compareSequence(a.sequenceNumber, b.sequenceNumber));
    await attempt([group[0]!.sequenceNumber], () => addToHour(settings, clients.dynamodb, group));
  }

  failures.sort(compareSequence);
  return { batchItemFailures: failures.length > 0 ? [{ itemIdentifier: failures[0]! }] : [] };
}

const isLater = (a: TelemetryRecord, b: TelemetryRecord) => a.ts > b.ts || (a.ts === b.ts && a.seq > b.seq);

async function putLatest(
  settings: ConsumerSettings,
  dynamodb: DynamoDBClient,
  reading: TelemetryRecord,
): Promise<void> {
  try {
    await dynamodb.send(
      new PutItemCommand({
        TableName: settings.tableName,
        Item: {
          ...keyAttributes(latestKey(reading.device_id)),
          ...readingItem(reading),
          expiresAt: { N: String(expiresAt(reading.ts, settings.latestTtlDays)) },
        },
        // Only a later reading replaces the stored one: a retried or late record leaves it alone.
        ConditionExpression: "attribute_not_exists(#pk) OR #ts < :ts OR (#ts = :ts AND #seq < :seq)",
        ExpressionAttributeNames: { "#pk": "pk", "#ts": "ts", "#seq": "seq" },
        ExpressionAttributeValues: { ":ts": { N: String(reading.ts) }, ":seq": { N: String(reading.seq) } },
      }),
    );
  } catch (err) {
    if (
      !(err instanceof ConditionalCheckFailedException) &&
      (err as Error).name !== "ConditionalCheckFailedException"
    )
      throw err;
  }
}

/** Adds a group of one room, hour and shard (in sequence order) to its aggregate, skipping what it holds. */
async function addToHour(
  settings: ConsumerSettings,
  dynamodb: DynamoDBClient,
  group: readonly StreamReading[],
): Promise<void> {
  const first = group[0]!;
  const bucket = hourBucket(first.reading.ts);
  const key = keyAttributes(hourKey(first.reading.room_id, bucket, first.shardId));
  const stored = (
    await dynamodb.send(new GetItemCommand({ TableName: settings.tableName, Key: key, ConsistentRead: true }))
  ).Item;
  const applied = stored?.lastSequence?.S;
  const fresh = applied ? group.filter((r) => comparableSequence(r.sequenceNumber) > applied) : group;
  if (fresh.length === 0) return;
  const temperatures = fresh.map((r) => r.reading.temperature_c);
  const num = (attr: AttributeValue | undefined) => (attr?.N === undefined ? undefined : Number(attr.N));
  const count = (num(stored?.count) ?? 0) + temperatures.length;
  const sum = (num(stored?.sum) ?? 0) + temperatures.reduce((a, b) => a + b, 0);
  const min = Math.min(num(stored?.min) ?? Infinity, ...temperatures);
  const max = Math.max(num(stored?.max) ?? -Infinity, ...temperatures);
  await dynamodb.send(
    new PutItemCommand({
      TableName: settings.tableName,
      Item: {
        ...key,
        room_id: { S: first.reading.room_id },
        hour: { S: bucket },
        shard_id: { S: first.shardId },
        count: { N: String(count) },
        sum: { N: String(sum) },
        min: { N: String(min) },
        max: { N: String(max) },
        lastSequence: { S: comparableSequence(fresh.at(-1)!.sequenceNumber) },
        expiresAt: { N: String(expiresAt(hourStartMs(bucket) + 3_600_000, settings.aggregateTtlDays)) },
      },
      // Written over exactly what was read: a concurrent writer makes this fail, and the batch retries.
      ConditionExpression: applied ? "#last = :applied" : "attribute_not_exists(#pk)",
      ExpressionAttributeNames: applied ? { "#last": "lastSequence" } : { "#pk": "pk" },
      ...(applied ? { ExpressionAttributeValues: { ":applied": { S: applied } } } : {}),
    }),
  );
}
