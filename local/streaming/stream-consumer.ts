/**
 * The real-time consumer's event source mapping, locally: the valid readings on the ingest stream (the durable
 * log's entries, in LSN order; the LSN is the record's sequence number) are handed to the real consumer handler
 * (`functions/realtime-consumer`) in batches of the stack's `batchSize`, at most `batchWindowSeconds` (simulated)
 * apart, with the mapping's semantics:
 *
 * - a reported item failure is retried from that record on (`retryAttempts`), split in halves first (bisect on
 *   error); a record that still fails goes to the on-failure destination, a JSON-lines file standing in for the
 *   dead-letter queue (`<data dir>/dynamodb/consumer-dead-letters.jsonl`), and the mapping moves on;
 * - the tables are saved after each batch, then the consumer's position (`consumer-checkpoint.json`): the
 *   ingest log keeps entries until both the lake and this position are past them, so a restart consumes what the
 *   last run had not (again, harmlessly: the handler's writes are idempotent).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { KinesisStreamEvent, KinesisStreamRecord } from "aws-lambda";
import type { ConsumerHandler } from "../../functions/realtime-consumer/handler";
import type { TelemetryRecord } from "../../components/telemetry/schema";
import type { StreamConsumerSettings } from "../../components/streaming/stream-settings";
import type { StreamTap } from "../lake/ingest-pipeline";
import { writeFileDurably } from "../lake/object-store";
import { LOCAL_SHARD_ID } from "../aws/stream-clients";

/** What the consumer did this run, for the summary. */
export interface ConsumerStats {
  batches: number;
  records: number;
  /** Invocations that reported a failed item (each retried). */
  retries: number;
  /** Records sent to the dead-letter file after the retries. */
  deadLettered: number;
}

interface Pending {
  readonly lsn: number;
  readonly record: TelemetryRecord;
}

/** The consumer's saved position: every stream record at or below it is in the tables. */
export function readConsumerCheckpoint(dir: string): number | undefined {
  const file = path.join(dir, "consumer-checkpoint.json");
  if (!fs.existsSync(file)) return undefined;
  const value = (JSON.parse(fs.readFileSync(file, "utf8")) as { throughLsn?: unknown }).throughLsn;
  return typeof value === "number" ? value : undefined;
}

export class LocalStreamConsumer implements StreamTap {
  readonly stats: ConsumerStats = { batches: 0, records: 0, retries: 0, deadLettered: 0 };
  private pending: Pending[] = [];
  /** Highest LSN routed so far (stream record or not). */
  private seenThrough: number;
  private savedThrough: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly args: {
      readonly dir: string;
      readonly streamArn: string;
      readonly settings: StreamConsumerSettings;
      readonly handler: ConsumerHandler;
      /** Saves the tables (durably) before the position moves. */
      readonly saveTables: () => void;
      readonly speed: number;
      readonly now: () => number;
      /** Where the position starts: the saved checkpoint or the lake's. */
      readonly startLsn: number;
      /** Tells the log it may release what the consumer is past. */
      readonly onCheckpoint?: () => void;
    },
  ) {
    this.seenThrough = args.startLsn;
    this.savedThrough = args.startLsn;
  }

  add(lsn: number, record: TelemetryRecord | undefined): void {
    this.seenThrough = Math.max(this.seenThrough, lsn);
    if (!record) return;
    this.pending.push({ lsn, record });
    if (this.pending.length >= this.args.settings.batchSize) void this.flush();
    else
      this.timer ??= setTimeout(
        () => void this.flush(),
        (this.args.settings.batchWindowSeconds * 1000) / this.args.speed,
      );
  }

  checkpoint(): number {
    const through = this.pending.length > 0 ? this.pending[0]!.lsn - 1 : this.seenThrough;
    if (through > this.savedThrough) {
      this.args.saveTables();
      writeFileDurably(
        path.join(this.args.dir, "consumer-checkpoint.json"),
        Buffer.from(`${JSON.stringify({ throughLsn: through })}\n`),
      );
      this.savedThrough = through;
    }
    return this.savedThrough;
  }

  /** Hands everything pending to the handler (batch by batch); resolves when the tables hold it. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.running = this.running.then(async () => {
      while (this.pending.length > 0) {
        const batch = this.pending.slice(0, this.args.settings.batchSize);
        await this.invoke(batch, this.args.settings.retryAttempts);
        this.pending.splice(0, batch.length);
        this.stats.batches++;
        this.stats.records += batch.length;
      }
      this.checkpoint();
      this.args.onCheckpoint?.();
    });
    return this.running;
  }

  /** One batch until it succeeds, retrying the failed suffix (bisected) while attempts are left. */
  private async invoke(batch: readonly Pending[], attemptsLeft: number): Promise<void> {
    // A handler that throws failed the whole batch, as Lambda sees it.
    const response = await this.args
      .handler(this.event(batch))
      .catch(() => ({ batchItemFailures: [{ itemIdentifier: String(batch[0]!.lsn) }] }));
    const failed = response.batchItemFailures[0]?.itemIdentifier;
    if (failed === undefined) return;
    const from = batch.findIndex((p) => String(p.lsn) === failed);
    const rest = batch.slice(from < 0 ? 0 : from);
    if (attemptsLeft <= 0) {
      this.deadLetter(rest, `the consumer reported record ${failed} failed after its retries`);
      return;
    }
    this.stats.retries++;
    if (rest.length === 1) return this.invoke(rest, attemptsLeft - 1);
    const half = Math.ceil(rest.length / 2);
    await this.invoke(rest.slice(0, half), attemptsLeft - 1);
    await this.invoke(rest.slice(half), attemptsLeft - 1);
  }

  private deadLetter(records: readonly Pending[], reason: string): void {
    this.stats.deadLettered += records.length;
    const line = {
      reason,
      at: new Date(this.args.now()).toISOString(),
      streamArn: this.args.streamArn,
      shardId: LOCAL_SHARD_ID,
      startSequenceNumber: String(records[0]!.lsn),
      endSequenceNumber: String(records.at(-1)!.lsn),
      batchSize: records.length,
    };
    fs.appendFileSync(path.join(this.args.dir, "consumer-dead-letters.jsonl"), `${JSON.stringify(line)}\n`);
  }

  private event(batch: readonly Pending[]): KinesisStreamEvent {
    const arrival = this.args.now() / 1000;
    return {
      Records: batch.map((p): KinesisStreamRecord => ({
        kinesis: {
          kinesisSchemaVersion: "1.0",
          partitionKey: p.record.device_id,
          sequenceNumber: String(p.lsn),
          data: Buffer.from(JSON.stringify(p.record)).toString("base64"),
          approximateArrivalTimestamp: arrival,
        },
        eventSource: "aws:kinesis",
        eventVersion: "1.0",
        eventID: `${LOCAL_SHARD_ID}:${p.lsn}`,
        eventName: "aws:kinesis:record",
        invokeIdentityArn: "arn:aws:iam::000000000000:role/local-consumer",
        awsRegion: "local",
        eventSourceARN: this.args.streamArn,
      })),
    };
  }

  /** Consumes what is pending and saves the position (at stop). */
  async close(): Promise<void> {
    await this.flush();
  }
}
