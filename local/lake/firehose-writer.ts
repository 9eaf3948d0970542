/**
 * The local Firehose: buffers the rules' output and writes it into the local lake with the cloud's delivery
 * stream settings, key layout and formats:
 *
 * - telemetry: Parquet (SNAPPY) through DuckDB `COPY ... (FORMAT PARQUET)`, with the telemetry table's
 *   columns (partition keys in the path, not the file), under `telemetryObjectPrefix` (room and reading date
 *   with dynamic partitioning, arrival date without);
 * - quarantine: GZIP JSON lines under `quarantineObjectPrefix` (arrival date);
 * - a record whose values do not fit the table's column types goes to the stream's error output prefix,
 *   as Firehose's format conversion does, instead of being dropped;
 * - object names as Firehose makes them: `<stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid><extension>`.
 *
 * A buffer is delivered when it has been open for the buffering interval (simulated seconds, so divided by the
 * speed in wall time) or has reached the buffering size. Delivery is a commit: files are written to a staging
 * folder and fsync'ed, a checkpoint naming them and the last ingest-log LSN they contain is written
 * atomically, then they are renamed into place. After a crash, start-up finishes the renames of a written
 * checkpoint and replays the log after its LSN: every acknowledged reading ends up in the lake exactly once.
 */
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import type { DuckDBConnection } from "@duckdb/node-api";
import {
  firehoseErrorPrefix,
  quarantineObjectPrefix,
  telemetryObjectPrefix,
  utcDate,
} from "../../components/ingest/firehose-settings";
import { telemetryTableDefinition } from "../../components/ingest/telemetry-table";
import { LAKE_ZONES } from "../../components/lake/layout";
import { QUARANTINE_FIELDS } from "../../components/iot/rule-sql";
import { duckDbColumns, TelemetryRecord } from "../../components/telemetry/schema";
import type { QuarantineRecord } from "../rule/topic-rules";
import { fsyncDirectory, LocalObjectStore, writeFileDurably } from "./object-store";

export interface FirehoseWriterOptions {
  readonly store: LocalObjectStore;
  /** A DuckDB connection of its own (the writer keeps a temporary table on it). */
  readonly duck: DuckDBConnection;
  /** Where the checkpoint and the staging folder live. */
  readonly stateDir: string;
  /** `<app>-<stack>`: names the streams (`<deployment>-telemetry`, `<deployment>-quarantine`). */
  readonly deployment: string;
  readonly rooms: readonly string[];
  /** Firehose buffering hints (simulated time). */
  readonly bufferSeconds: number;
  readonly bufferMiB: number;
  readonly dynamicPartitioning: boolean;
  /** Simulated ms per wall ms. */
  readonly speed: number;
  /** Simulated clock. */
  readonly now: () => number;
}

/** What is durable in the lake: the last ingest-log LSN delivered, and how far simulated time had got. */
export interface LakeCheckpoint {
  readonly durableThroughLsn: number;
  readonly simulatedNowMs: number;
  /** Staged files of a delivery whose renames may not have happened yet. */
  readonly pending?: readonly (readonly [string, string])[];
}

/** One delivery. */
export interface Delivery {
  readonly throughLsn: number;
  readonly telemetryRows: number;
  readonly quarantineRows: number;
  readonly errorRows: number;
  /** Lake keys written, `<bucket role>/<key>`. */
  readonly objects: readonly string[];
  /** Wall time (performance.now()) at which the files became visible. */
  readonly committedAtWall: number;
  /** Earliest simulated receive time in the delivery (for freshness figures). */
  readonly oldestReceivedAt: number;
}

export interface FirehoseStats {
  deliveries: number;
  files: number;
  telemetryRows: number;
  quarantineRows: number;
  conversionErrors: number;
  bufferedRecords: number;
  bufferedBytes: number;
  lastDeliveryAt: number | null;
  /** The last failed delivery's error (kept after a retry succeeds, for the dashboard). */
  lastError: string | null;
  /** Deliveries that failed: nothing of theirs was committed, and their records were put back and retried. */
  failedDeliveries: number;
  /**
   * Whether the latest delivery failed. A failure the next attempt recovers from loses nothing; one that lasts
   * (records still buffered, not in the lake) is a problem of the run.
   */
  failing: boolean;
}

type Buffered =
  | {
      readonly lsn: number;
      readonly kind: "telemetry";
      readonly record: TelemetryRecord;
      readonly bytes: number;
    }
  | {
      readonly lsn: number;
      readonly kind: "quarantine";
      readonly record: QuarantineRecord;
      readonly bytes: number;
    };

const FIREHOSE_VERSION = 1;
const CHECKPOINT_FILE = "checkpoint.json";
/** Shortest wall pause between deliveries (a 0-second buffer would otherwise spin). */
const MIN_INTERVAL_WALL_MS = 20;

export class FirehoseWriter {
  readonly stats: FirehoseStats = {
    deliveries: 0,
    files: 0,
    telemetryRows: 0,
    quarantineRows: 0,
    conversionErrors: 0,
    bufferedRecords: 0,
    bufferedBytes: 0,
    lastDeliveryAt: null,
    lastError: null,
    failedDeliveries: 0,
    failing: false,
  };
  /** Called after every delivery (the ingest log releases segments, the dashboard updates). */
  onDelivery: ((delivery: Delivery) => void) | undefined;
  private buffer: Buffered[] = [];
  private timer: NodeJS.Timeout | undefined;
  private delivering: Promise<Delivery | undefined> | undefined;
  private readonly fileColumns: { name: string; type: string }[];
  private readonly intervalWallMs: number;
  private checkpoint: LakeCheckpoint;
  private tableReady = false;
  private closed = false;

  private constructor(
    private readonly options: FirehoseWriterOptions,
    checkpoint: LakeCheckpoint,
  ) {
    this.checkpoint = checkpoint;
    const types = new Map(duckDbColumns().map((c) => [c.name, c.type]));
    const table = telemetryTableDefinition({
      bucketName: options.store.bucketNames.raw,
      rooms: options.rooms,
      dynamicPartitioning: options.dynamicPartitioning,
    });
    this.fileColumns = table.storageDescriptor.columns.map((c) => ({
      name: c.name,
      type: types.get(c.name)!,
    }));
    this.intervalWallMs = Math.max(MIN_INTERVAL_WALL_MS, (options.bufferSeconds * 1000) / options.speed);
  }

  /** Opens the writer: finishes a delivery a crash interrupted and removes staged files nobody committed. */
  static open(options: FirehoseWriterOptions): FirehoseWriter {
    fs.mkdirSync(stagingDir(options.stateDir), { recursive: true });
    const checkpoint = readLakeCheckpoint(options.stateDir);
    if (checkpoint.pending) finishRenames(checkpoint.pending);
    for (const name of fs.readdirSync(stagingDir(options.stateDir)))
      fs.rmSync(path.join(stagingDir(options.stateDir), name), { force: true });
    const committed: LakeCheckpoint = {
      durableThroughLsn: checkpoint.durableThroughLsn,
      simulatedNowMs: checkpoint.simulatedNowMs,
    };
    if (checkpoint.pending) writeCheckpoint(options.stateDir, committed);
    return new FirehoseWriter(options, committed);
  }

  /** The last committed checkpoint. */
  get committed(): LakeCheckpoint {
    return this.checkpoint;
  }

  /** Buffers one routed message (in LSN order). */
  add(
    lsn: number,
    outcome:
      { kind: "telemetry"; record: TelemetryRecord } | { kind: "quarantine"; record: QuarantineRecord },
  ): void {
    if (this.closed) throw new Error("the lake writer is closed");
    // Firehose counts the record's bytes as delivered to it: the JSON the rule produced.
    const bytes = JSON.stringify(outcome.record).length + 1;
    this.buffer.push({ lsn, ...outcome, bytes } as Buffered);
    this.stats.bufferedRecords++;
    this.stats.bufferedBytes += bytes;
    if (this.stats.bufferedBytes >= this.options.bufferMiB * 1024 * 1024) {
      this.clearTimer();
      void this.deliver();
    } else if (!this.timer && !this.delivering) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.deliver();
      }, this.intervalWallMs);
    }
  }

  /**
   * Delivers everything buffered now (the timer does this on its own; shutdown and tests call it).
   * Deliveries never overlap: a call during one waits for it and then delivers what arrived meanwhile.
   */
  async flush(): Promise<void> {
    this.clearTimer();
    while (this.delivering) await this.delivering;
    if (this.buffer.length > 0) await this.deliver();
  }

  /** Delivers what is buffered and stops. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private deliver(): Promise<Delivery | undefined> {
    if (this.delivering) return this.delivering;
    const batch = this.buffer;
    this.buffer = [];
    this.stats.bufferedRecords = 0;
    this.stats.bufferedBytes = 0;
    if (batch.length === 0) return Promise.resolve(undefined);
    this.delivering = this.deliverBatch(batch)
      .catch((err: unknown) => {
        // Nothing of this batch was committed: put it back in front, so it is delivered (once) next time.
        this.buffer = [...batch, ...this.buffer];
        this.stats.bufferedRecords = this.buffer.length;
        this.stats.bufferedBytes = this.buffer.reduce((sum, b) => sum + b.bytes, 0);
        this.stats.lastError = `lake delivery failed: ${(err as Error).message}`;
        this.stats.failedDeliveries++;
        this.stats.failing = true;
        process.emitWarning(this.stats.lastError);
        return undefined;
      })
      .finally(() => {
        this.delivering = undefined;
        if (this.buffer.length > 0 && !this.timer && !this.closed) {
          this.timer = setTimeout(() => {
            this.timer = undefined;
            void this.deliver();
          }, this.intervalWallMs);
        }
      });
    return this.delivering;
  }

  private async deliverBatch(batch: readonly Buffered[]): Promise<Delivery> {
    const { store, stateDir, deployment } = this.options;
    const now = this.options.now();
    const stamp = firehoseTimestamp(now);
    const staged: [string, string][] = [];
    const objects: string[] = [];
    const stage = (role: string, key: string, write: (file: string) => Promise<void> | void) => async () => {
      const file = path.join(stagingDir(stateDir), randomUUID());
      await write(file);
      fsyncFile(file);
      staged.push([file, path.join(store.root, role, key)]);
      objects.push(`${role}/${key}`);
    };

    // Telemetry: rows that fit the table's types, per partition prefix; the rest to the error output.
    const byPrefix = new Map<string, TelemetryRecord[]>();
    const conversionErrors: { record: TelemetryRecord; message: string }[] = [];
    for (const b of batch) {
      if (b.kind !== "telemetry") continue;
      const problem = this.typeProblem(b.record);
      if (problem) {
        conversionErrors.push({ record: b.record, message: problem });
        continue;
      }
      const prefix = telemetryObjectPrefix(b.record, this.options.dynamicPartitioning);
      let rows = byPrefix.get(prefix);
      if (!rows) byPrefix.set(prefix, (rows = []));
      rows.push(b.record);
    }
    const steps: (() => Promise<void>)[] = [];
    if (byPrefix.size > 0) {
      await this.loadBatch(byPrefix);
      for (const prefix of [...byPrefix.keys()].sort()) {
        const key = `${prefix}${deployment}-telemetry-${FIREHOSE_VERSION}-${stamp}-${randomUUID()}.parquet`;
        steps.push(stage(LAKE_ZONES.telemetry.bucket, key, (file) => this.copyPartition(prefix, file)));
      }
    }

    const quarantined = new Map<string, QuarantineRecord[]>();
    for (const b of batch) {
      if (b.kind !== "quarantine") continue;
      const prefix = quarantineObjectPrefix(b.record.received_at);
      quarantined.set(prefix, [...(quarantined.get(prefix) ?? []), b.record]);
    }
    for (const [prefix, records] of quarantined) {
      const key = `${prefix}${deployment}-quarantine-${FIREHOSE_VERSION}-${stamp}-${randomUUID()}.json.gz`;
      const lines = records
        .map((r) => JSON.stringify(Object.fromEntries(QUARANTINE_FIELDS.map((f) => [f, r[f]]))))
        .join("\n");
      steps.push(
        stage(LAKE_ZONES.quarantine.bucket, key, (file) => fs.writeFileSync(file, gzipSync(`${lines}\n`))),
      );
    }

    if (conversionErrors.length > 0) {
      const prefix = expandErrorPrefix(firehoseErrorPrefix("telemetry"), "format-conversion-failed", now);
      const key = `${prefix}${deployment}-telemetry-${FIREHOSE_VERSION}-${stamp}-${randomUUID()}`;
      const lines = conversionErrors.map(({ record, message }) =>
        JSON.stringify({
          attemptsMade: 1,
          arrivalTimestamp: record.received_at,
          errorCode: "DataFormatConversion.InvalidSchema",
          errorMessage: message,
          rawData: Buffer.from(JSON.stringify(record)).toString("base64"),
        }),
      );
      steps.push(
        stage(LAKE_ZONES.firehoseErrors.bucket, key, (file) =>
          fs.writeFileSync(file, `${lines.join("\n")}\n`),
        ),
      );
    }
    for (const step of steps) await step();

    // Commit: the checkpoint names the staged files, then they move into place.
    const throughLsn = batch[batch.length - 1]!.lsn;
    const next: LakeCheckpoint = { durableThroughLsn: throughLsn, simulatedNowMs: now };
    writeCheckpoint(stateDir, { ...next, pending: staged });
    finishRenames(staged);
    for (const [, final] of staged) store.stamp(final);
    writeCheckpoint(stateDir, next);
    this.checkpoint = next;

    const delivery: Delivery = {
      throughLsn,
      telemetryRows: [...byPrefix.values()].reduce((n, rows) => n + rows.length, 0),
      quarantineRows: [...quarantined.values()].reduce((n, rows) => n + rows.length, 0),
      errorRows: conversionErrors.length,
      objects,
      committedAtWall: performance.now(),
      oldestReceivedAt: batch.reduce((min, b) => Math.min(min, b.record.received_at), Infinity),
    };
    this.stats.deliveries++;
    this.stats.failing = false;
    this.stats.files += staged.length;
    this.stats.telemetryRows += delivery.telemetryRows;
    this.stats.quarantineRows += delivery.quarantineRows;
    this.stats.conversionErrors += delivery.errorRows;
    this.stats.lastDeliveryAt = now;
    this.onDelivery?.(delivery);
    return delivery;
  }

  /** Why a record cannot be converted to the table's column types (as Firehose's conversion would refuse it). */
  private typeProblem(record: TelemetryRecord): string | undefined {
    const values = record as unknown as Record<string, unknown>;
    // room_id names the partition folder even when it is not a file column.
    for (const column of [...this.fileColumns, { name: "room_id", type: "VARCHAR" }]) {
      const value = values[column.name];
      if (value === undefined || value === null) continue;
      const fits =
        column.type === "VARCHAR"
          ? typeof value === "string"
          : column.type === "DOUBLE"
            ? typeof value === "number" && Number.isFinite(value)
            : column.type === "INTEGER"
              ? Number.isInteger(value) && (value as number) >= -(2 ** 31) && (value as number) < 2 ** 31
              : Number.isSafeInteger(value);
      if (!fits) return `column ${column.name} (${column.type}) cannot hold ${JSON.stringify(value)}`;
    }
    return undefined;
  }

  /** Puts the batch's valid rows into the connection's temporary table, tagged with their partition prefix. */
  private async loadBatch(byPrefix: ReadonlyMap<string, readonly TelemetryRecord[]>): Promise<void> {
    const { duck } = this.options;
    if (!this.tableReady) {
      const columns = this.fileColumns.map((c) => `${c.name} ${c.type}`).join(", ");
      await duck.run(`CREATE OR REPLACE TEMP TABLE firehose_batch (lake_prefix VARCHAR, ${columns})`);
      this.tableReady = true;
    }
    await duck.run("DELETE FROM firehose_batch");
    const appender = await duck.createAppender("firehose_batch", "main", "temp");
    for (const [prefix, rows] of byPrefix) {
      for (const row of rows) {
        appender.appendVarchar(prefix);
        const values = row as unknown as Record<string, unknown>;
        for (const column of this.fileColumns) {
          const value = values[column.name];
          if (value === undefined || value === null) appender.appendNull();
          else if (column.type === "VARCHAR") appender.appendVarchar(value as string);
          else if (column.type === "BIGINT") appender.appendBigInt(BigInt(value as number));
          else if (column.type === "INTEGER") appender.appendInteger(value as number);
          else appender.appendDouble(value as number);
        }
        appender.endRow();
      }
    }
    appender.closeSync();
  }

  private async copyPartition(prefix: string, file: string): Promise<void> {
    const columns = this.fileColumns.map((c) => c.name).join(", ");
    // Prefixes come from validated room IDs and dates; quotes are doubled all the same.
    await this.options.duck.run(
      `COPY (SELECT ${columns} FROM firehose_batch WHERE lake_prefix = ${sqlString(prefix)}) TO ${sqlString(file)} (FORMAT PARQUET, COMPRESSION SNAPPY)`,
    );
  }
}

function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

function stagingDir(stateDir: string): string {
  return path.join(stateDir, "staging");
}

/** `yyyy-MM-dd-HH-mm-ss` in UTC, as in Firehose object names. */
export function firehoseTimestamp(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 19).replace(/[T:]/g, "-");
}

/** Fills a Firehose error prefix's expressions: `!{firehose:error-output-type}` and `!{timestamp:yyyy-MM-dd}`. */
export function expandErrorPrefix(prefix: string, errorType: string, nowMs: number): string {
  const expanded = prefix
    .replace("!{firehose:error-output-type}", errorType)
    .replace("!{timestamp:yyyy-MM-dd}", utcDate(nowMs));
  if (expanded.includes("!{"))
    throw new Error(
      `the local Firehose cannot expand "${prefix}": only !{firehose:error-output-type} and !{timestamp:yyyy-MM-dd} are supported`,
    );
  return expanded;
}

function fsyncFile(file: string): void {
  const fd = fs.openSync(file, "r+");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** The lake checkpoint in `stateDir` (an empty lake when there is none). */
export function readLakeCheckpoint(stateDir: string): LakeCheckpoint {
  const file = path.join(stateDir, CHECKPOINT_FILE);
  if (!fs.existsSync(file)) return { durableThroughLsn: 0, simulatedNowMs: 0 };
  const value = JSON.parse(fs.readFileSync(file, "utf8")) as LakeCheckpoint;
  if (!Number.isSafeInteger(value.durableThroughLsn) || value.durableThroughLsn < 0) {
    throw new Error(
      `${file} is not a lake checkpoint (durableThroughLsn ${JSON.stringify(value.durableThroughLsn)})`,
    );
  }
  return value;
}

function writeCheckpoint(stateDir: string, checkpoint: LakeCheckpoint): void {
  writeFileDurably(path.join(stateDir, CHECKPOINT_FILE), Buffer.from(`${JSON.stringify(checkpoint)}\n`));
}

/** Moves staged files into the lake; a rename done before a crash is skipped. */
function finishRenames(renames: readonly (readonly [string, string])[]): void {
  const dirs = new Set<string>();
  for (const [staged, final] of renames) {
    if (fs.existsSync(staged)) {
      fs.mkdirSync(path.dirname(final), { recursive: true });
      fs.renameSync(staged, final);
    } else if (!fs.existsSync(final)) {
      throw new Error(
        `the lake checkpoint names ${final}, but neither it nor its staged copy ${staged} exists; the lake is damaged`,
      );
    }
    dirs.add(path.dirname(final));
  }
  for (const dir of dirs) fsyncDirectory(dir);
}
