/**
 * The broker's write-ahead log: every message the rules read is appended here and fsync'ed before the broker
 * acknowledges it (QoS 1 PUBACK), so a `kill -9` loses nothing that was acknowledged. Messages are replayed at
 * start-up from the last lake checkpoint on.
 *
 * - Appends are group-committed: all appends that arrive while one `write + fdatasync` is in flight share
 *   the next one, so a thousand devices cost a few fsyncs per millisecond, not a thousand.
 * - Every entry gets a log sequence number (LSN), consecutive from 1 across runs.
 * - The log is a series of segment files `<first LSN>.log`; the lake writer asks for a new segment when it
 *   commits a flush, and segments whose entries are all in the lake are deleted.
 * - A frame is `[length u32][crc32 u32][JSON]`. A torn frame at the end of the last segment (a crash during
 *   a write that was never acknowledged) is cut off; a bad frame anywhere else is corruption and stops start-up.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { crc32 } from "node:zlib";
import { fsyncDirectory } from "./object-store";

/** A message as it reached the broker. */
export interface LoggedMessage {
  readonly topic: string;
  readonly payload: Buffer;
  /** `timestamp()` of the rule: simulated receive time, epoch ms. */
  readonly receivedAt: number;
}

export interface LogEntry extends LoggedMessage {
  readonly lsn: number;
}

/** Called once the entry is durable (or could not be made durable). */
export type AppendCallback = (error: Error | null, lsn: number) => void;

interface Segment {
  readonly firstLsn: number;
  readonly file: string;
  /** Last LSN it holds, once closed. */
  lastLsn?: number;
}

interface PendingAppend {
  readonly frame: Buffer;
  readonly lsn: number;
  readonly done: AppendCallback;
}

const HEADER_BYTES = 8;
const SEGMENT_NAME = /^(\d{16})\.log$/;

export class LogCorruptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LogCorruptionError";
  }
}

/** Counters for the summary, the dashboard and the benchmark. */
export interface DurableLogStats {
  appends: number;
  fsyncs: number;
  bytes: number;
}

export class DurableLog {
  readonly stats: DurableLogStats = { appends: 0, fsyncs: 0, bytes: 0 };
  private readonly closedSegments: Segment[];
  private active: Segment;
  private fd: number;
  private nextLsn: number;
  private pending: PendingAppend[] = [];
  private writing = false;
  private rotateRequested = false;
  private closed = false;
  private idle: (() => void)[] = [];

  private constructor(
    readonly dir: string,
    closedSegments: Segment[],
    nextLsn: number,
  ) {
    this.closedSegments = closedSegments;
    this.nextLsn = nextLsn;
    this.active = this.createSegment(nextLsn);
    this.fd = fs.openSync(this.active.file, "a");
    fsyncDirectory(dir);
  }

  /**
   * Opens the log in `dir`, replaying every entry after `afterLsn` (the lake's checkpoint), and starts a new
   * segment for this run's appends.
   */
  static open(dir: string, afterLsn: number): { log: DurableLog; replay: LogEntry[] } {
    fs.mkdirSync(dir, { recursive: true });
    const files = fs
      .readdirSync(dir)
      .map((name) => ({ name, match: SEGMENT_NAME.exec(name) }))
      .filter((f) => f.match)
      .map((f) => ({ firstLsn: Number(f.match![1]), file: path.join(dir, f.name) }))
      .sort((a, b) => a.firstLsn - b.firstLsn);
    const segments: Segment[] = [];
    const replay: LogEntry[] = [];
    let lastLsn = afterLsn;
    files.forEach((segment, i) => {
      const isLast = i === files.length - 1;
      const entries = readSegment(segment.file, isLast);
      for (const entry of entries) {
        if (entry.lsn <= lastLsn && entry.lsn > afterLsn)
          throw new LogCorruptionError(`${segment.file}: LSN ${entry.lsn} is not after ${lastLsn}`);
        if (entry.lsn > afterLsn) replay.push(entry);
        lastLsn = Math.max(lastLsn, entry.lsn);
      }
      // An empty segment (a run that appended nothing to it) holds nothing to replay; its name may be reused.
      if (entries.length === 0) fs.rmSync(segment.file, { force: true });
      else segments.push({ ...segment, lastLsn: entries[entries.length - 1]!.lsn });
    });
    return { log: new DurableLog(dir, segments, lastLsn + 1), replay };
  }

  /** LSN the next append gets. */
  get nextSequence(): number {
    return this.nextLsn;
  }

  /**
   * Appends a message; `done` runs once it is on disk (fdatasync). Callback style: this is the broker's hot path.
   * @returns the entry's LSN
   */
  append(message: LoggedMessage, done: AppendCallback): number {
    if (this.closed) {
      done(new Error("the ingest log is closed"), 0);
      return 0;
    }
    const lsn = this.nextLsn++;
    const json = Buffer.from(
      JSON.stringify({
        lsn,
        topic: message.topic,
        receivedAt: message.receivedAt,
        payload: message.payload.toString("base64"),
      }),
      "utf8",
    );
    const frame = Buffer.allocUnsafe(HEADER_BYTES + json.length);
    frame.writeUInt32LE(json.length, 0);
    frame.writeUInt32LE(crc32(json), 4);
    json.copy(frame, HEADER_BYTES);
    this.pending.push({ frame, lsn, done });
    this.stats.appends++;
    if (!this.writing) {
      this.writing = true;
      // Let the other packets of this socket read reach append() first, so they share the fsync.
      setImmediate(() => this.writeBatch());
    }
    return lsn;
  }

  /** Starts a new segment before the next write, so the current one can be deleted once its entries are in the lake. */
  requestRotation(): void {
    this.rotateRequested = true;
  }

  /** Deletes closed segments whose every entry is at or below `lsn` (durable in the lake). */
  releaseThrough(lsn: number): number {
    let deleted = 0;
    while (this.closedSegments.length > 0 && (this.closedSegments[0]!.lastLsn ?? Infinity) <= lsn) {
      fs.rmSync(this.closedSegments.shift()!.file, { force: true });
      deleted++;
    }
    return deleted;
  }

  /** Segment files on disk (for the dashboard and tests). */
  segmentCount(): number {
    return this.closedSegments.length + 1;
  }

  /** Waits for in-flight appends, then closes the file. */
  async close(): Promise<void> {
    if (this.writing) await new Promise<void>((resolve) => this.idle.push(resolve));
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.fd);
  }

  private createSegment(firstLsn: number): Segment {
    return { firstLsn, file: path.join(this.dir, `${String(firstLsn).padStart(16, "0")}.log`) };
  }

  private rotate(firstLsn: number): void {
    fs.closeSync(this.fd);
    this.active.lastLsn = firstLsn - 1;
    this.closedSegments.push(this.active);
    this.active = this.createSegment(firstLsn);
    this.fd = fs.openSync(this.active.file, "a");
    fsyncDirectory(this.dir);
    this.rotateRequested = false;
  }

  private writeBatch(): void {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) {
      this.writing = false;
      for (const resolve of this.idle.splice(0)) resolve();
      return;
    }
    try {
      if (this.rotateRequested) this.rotate(batch[0]!.lsn);
    } catch (err) {
      this.failBatch(batch, err as Error);
      return;
    }
    const bytes = batch.length === 1 ? batch[0]!.frame : Buffer.concat(batch.map((p) => p.frame));
    fs.write(this.fd, bytes, 0, bytes.length, null, (writeError) => {
      if (writeError) return this.failBatch(batch, writeError);
      fs.fdatasync(this.fd, (syncError) => {
        if (syncError) return this.failBatch(batch, syncError);
        this.stats.fsyncs++;
        this.stats.bytes += bytes.length;
        for (const p of batch) p.done(null, p.lsn);
        this.writeBatch();
      });
    });
  }

  private failBatch(batch: readonly PendingAppend[], error: Error): void {
    // A log that cannot write must not acknowledge anything again: close it and fail every waiting append.
    this.closed = true;
    const failure = new Error(`ingest log write failed: ${error.message}`, { cause: error });
    for (const p of [...batch, ...this.pending.splice(0)]) p.done(failure, p.lsn);
    this.writing = false;
    for (const resolve of this.idle.splice(0)) resolve();
  }
}

/** Reads a segment's frames. A torn or corrupt tail is cut off in the last segment and is an error elsewhere. */
function readSegment(file: string, isLast: boolean): LogEntry[] {
  const bytes = fs.readFileSync(file);
  const entries: LogEntry[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const problem = frameProblem(bytes, offset);
    if (problem) {
      if (!isLast)
        throw new LogCorruptionError(
          `${file}: ${problem} at byte ${offset}; the ingest log is corrupt (move it away to start without it)`,
        );
      // The tail of the last segment: a write that crashed before its fsync returned, so never acknowledged.
      fs.truncateSync(file, offset);
      break;
    }
    const length = bytes.readUInt32LE(offset);
    const record = JSON.parse(
      bytes.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + length).toString("utf8"),
    ) as {
      lsn: number;
      topic: string;
      receivedAt: number;
      payload: string;
    };
    entries.push({
      lsn: record.lsn,
      topic: record.topic,
      receivedAt: record.receivedAt,
      payload: Buffer.from(record.payload, "base64"),
    });
    offset += HEADER_BYTES + length;
  }
  return entries;
}

function frameProblem(bytes: Buffer, offset: number): string | undefined {
  if (offset + HEADER_BYTES > bytes.length) return "a truncated frame header";
  const length = bytes.readUInt32LE(offset);
  if (offset + HEADER_BYTES + length > bytes.length) return "a truncated frame";
  const body = bytes.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + length);
  if (crc32(body) !== bytes.readUInt32LE(offset + 4)) return "a frame whose checksum does not match";
  return undefined;
}
