/**
 * The real-time table's layout and the consumer's environment: one definition for the consumer function that
 * writes the table, the latest-state function that reads it, the components that create both, and the local
 * backend's DynamoDB stand-in. Pure.
 *
 * One table, keys `pk` (partition) and `sk` (sort), TTL on `expiresAt` (epoch seconds):
 *
 *   pk = device#<device_id>   sk = latest                     the device's latest reading (by ts, then seq)
 *   pk = room#<room_id>       sk = hour#<yyyy-MM-ddTHH>#<shard>  count, sum, min, max of temperature_c in that
 *                                                             UTC hour, from one stream shard's records, and the
 *                                                             last sequence number applied (`lastSequence`)
 *
 * An hour's aggregate is kept per shard because only one consumer writes a shard, in order: a retried batch is
 * recognised by its sequence numbers (at or below `lastSequence`) and not counted twice. The summary of an hour
 * adds up its shards.
 */

/** Key attribute names and the TTL attribute. */
export const REALTIME_TABLE = { partitionKey: "pk", sortKey: "sk", ttlAttribute: "expiresAt" } as const;

/** Sort key of a device's latest reading. */
export const LATEST_SORT_KEY = "latest";

/** Key of a device's latest reading. */
export function latestKey(deviceId: string): { readonly pk: string; readonly sk: string } {
  return { pk: `device#${deviceId}`, sk: LATEST_SORT_KEY };
}

/** `yyyy-MM-ddTHH` of the UTC hour holding `epochMs`. */
export function hourBucket(epochMs: number): string {
  if (!Number.isFinite(epochMs))
    throw new Error(`cannot put ${epochMs} into an hour: not a finite epoch-milliseconds value`);
  return new Date(epochMs).toISOString().slice(0, 13);
}

/** Epoch ms of the start of an hour bucket (`yyyy-MM-ddTHH`). */
export function hourStartMs(bucket: string): number {
  const ms = Date.parse(`${bucket}:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}$/.test(bucket) || !Number.isFinite(ms))
    throw new Error(`"${bucket}" is not an hour bucket (yyyy-MM-ddTHH)`);
  return ms;
}

/** Key of a room's aggregate for one hour and shard. */
export function hourKey(
  roomId: string,
  bucket: string,
  shardId: string,
): { readonly pk: string; readonly sk: string } {
  return { pk: roomPartition(roomId), sk: `hour#${bucket}#${shardId}` };
}

/** Partition key of a room's aggregates. */
export function roomPartition(roomId: string): string {
  return `room#${roomId}`;
}

/** Sort-key bounds selecting a room's aggregates from hour `from` to hour `to` (inclusive), every shard. */
export function hourRange(
  fromBucket: string,
  toBucket: string,
): { readonly from: string; readonly to: string } {
  // "~" sorts after every shard ID character, so the range takes each shard's item of the last hour.
  return { from: `hour#${fromBucket}#`, to: `hour#${toBucket}#~` };
}

/** The hour bucket of an aggregate's sort key. */
export function hourOfSortKey(sk: string): string {
  const match = /^hour#(\d{4}-\d{2}-\d{2}T\d{2})#/.exec(sk);
  if (!match) throw new Error(`"${sk}" is not an hourly aggregate's sort key`);
  return match[1]!;
}

/**
 * A Kinesis sequence number in a form DynamoDB compares correctly as a string: left-padded with zeros to 128
 * digits, the longest sequence number Kinesis issues (string order is then numeric order).
 */
export function comparableSequence(sequenceNumber: string): string {
  if (!/^\d{1,128}$/.test(sequenceNumber))
    throw new Error(`"${sequenceNumber}" is not a Kinesis sequence number (1-128 decimal digits)`);
  return sequenceNumber.padStart(128, "0");
}

/** Epoch seconds at which an item expires, `days` after `epochMs`. */
export function expiresAt(epochMs: number, days: number): number {
  return Math.floor(epochMs / 1000) + days * 86_400;
}

/** The consumer and latest-state functions' environment variables. */
export const REALTIME_ENV = {
  tableName: "REALTIME_TABLE",
  aggregateTtlDays: "AGGREGATE_TTL_DAYS",
  latestTtlDays: "LATEST_TTL_DAYS",
} as const;

/** The consumer's environment (the component passes Output names through `pulumi.all`). */
export function realtimeConsumerEnvironment(args: {
  readonly tableName: string;
  readonly aggregateTtlDays: number;
  readonly latestTtlDays: number;
}): Record<string, string> {
  return {
    [REALTIME_ENV.tableName]: args.tableName,
    [REALTIME_ENV.aggregateTtlDays]: String(args.aggregateTtlDays),
    [REALTIME_ENV.latestTtlDays]: String(args.latestTtlDays),
  };
}
