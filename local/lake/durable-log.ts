/**
 * The broker's write-ahead log: every message the rules read is appended here and fsync'ed before the broker
 * acknowledges it (QoS 1 PUBACK), so a `kill -9` loses nothing that was acknowledged. Messages are replayed at
 * start-up from the last lake checkpoint on.
 *
 * - Appends are group-committed: all appends that arrive while one `write + fdatasync` is in flight share
 *   the next one, so a thousand devices cost a few fsyncs per millisecond, not a thousand.
 * - Every entry gets a log sequence number (LSN), increasing across runs and never reused.
 * - The log is a series of segment files `<first LSN>.log` (frames: `log-frames.ts`); the lake writer asks for
 *   a new segment when it commits a flush, and segments whose entries are all in the lake are deleted.
 * - A manifest (`manifest.json`, written durably whenever a segment is created or deleted) lists the segments
 *   that must exist, and reserves LSNs in blocks, so a deleted or unreadable segment is noticed and its LSNs
 *   are not handed out again.
 * - Start-up (`log-recovery.ts`) recovers every readable frame, copies damaged bytes aside and reports exactly
 *   what it could not recover.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { encodeFrame, type FrameEntry } from "./log-frames";
import { recoverLog, type LogManifest, type LogRecoveryReport, writeManifest } from "./log-recovery";
import { fsyncDirectory } from "./object-store";

/** A message as it reached the broker. */
export interface LoggedMessage {
  readonly topic: string;
  readonly payload: Buffer;
  /** `timestamp()` of the rule: simulated receive time, epoch ms. */
  readonly receivedAt: number;
}

export type LogEntry = FrameEntry;
export type { LogRecoveryReport } from "./log-recovery";

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

/** LSNs reserved per manifest write: a run that outlives a block writes the manifest once more. */
export const LSN_RESERVATION_BLOCK = 1_000_000;

/** Counters for the summary, the dashboard and the benchmark. */
export interface DurableLogStats {
  appends: number;
  fsyncs: number;
  bytes: number;
  /** Segment rotations postponed because a file could not be created (e.g. EMFILE); retried on the next write. */
  rotationsDeferred: number;
}

export class DurableLog {
  readonly stats: DurableLogStats = { appends: 0, fsyncs: 0, bytes: 0, rotationsDeferred: 0 };
  private readonly closedSegments: Segment[];
  private active: Segment;
  private fd: number;
  private nextLsn: number;
  private manifest: LogManifest;
  private pending: PendingAppend[] = [];
  private writing = false;
  private rotateRequested = false;
  private closed = false;
  private idle: (() => void)[] = [];

  private constructor(
    readonly dir: string,
    closedSegments: Segment[],
    manifest: LogManifest,
    nextLsn: number,
  ) {
    this.closedSegments = closedSegments;
    this.nextLsn = nextLsn;
    this.active = this.createSegment(nextLsn);
    this.fd = fs.openSync(this.active.file, "a");
    fsyncDirectory(dir);
    this.manifest = manifest;
    this.saveManifest(nextLsn + LSN_RESERVATION_BLOCK - 1);
  }

  /**
   * Opens the log in `dir`, recovering every entry after `afterLsn` (the lake's checkpoint), and starts a new
   * segment for this run's appends. Damaged bytes are copied to `quarantineDir`.
   */
  static open(
    dir: string,
    afterLsn: number,
    quarantineDir: string = path.join(path.dirname(dir), "damaged"),
  ): { log: DurableLog; replay: LogEntry[]; report: LogRecoveryReport } {
    fs.mkdirSync(dir, { recursive: true });
    const recovered = recoverLog(dir, afterLsn, quarantineDir);
    const closed = recovered.segments.map((s) => ({ ...s }));
    const log = new DurableLog(dir, closed, recovered.manifest, recovered.nextLsn);
    return { log, replay: recovered.replay, report: recovered.report };
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
    this.pending.push({ frame: encodeFrame({ ...message, lsn }), lsn, done });
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
    if (deleted > 0) this.trySaveManifest();
    return deleted;
  }

  /** Segment files on disk (for the dashboard and tests). */
  segmentCount(): number {
    return this.closedSegments.length + 1;
  }

  /**
   * Waits for in-flight appends, then closes the file. The manifest then records the last LSN, so a segment
   * deleted after a clean stop is known to have held nothing beyond it.
   */
  async close(): Promise<void> {
    if (this.writing) await new Promise<void>((resolve) => this.idle.push(resolve));
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.fd);
    this.active.lastLsn = this.nextLsn - 1;
    this.trySaveManifest();
  }

  private createSegment(firstLsn: number): Segment {
    return { firstLsn, file: path.join(this.dir, `${String(firstLsn).padStart(16, "0")}.log`) };
  }

  /** Lists the live segments and the LSN reservation: what start-up expects to find. */
  private saveManifest(reservedThrough = this.manifest.reservedThrough): void {
    const manifest: LogManifest = {
      ...this.manifest,
      reservedThrough,
      segments: [...this.closedSegments, this.active].map((s) => ({
        firstLsn: s.firstLsn,
        ...(s.lastLsn === undefined ? {} : { lastLsn: s.lastLsn }),
      })),
    };
    writeManifest(this.dir, manifest);
    // Only what is on disk counts (a reservation above all).
    this.manifest = manifest;
  }

  /** Outside the append path a failed manifest write is retried at the next change (it only lists). */
  private trySaveManifest(): void {
    try {
      this.saveManifest();
    } catch (err) {
      process.emitWarning(`ingest log manifest not updated: ${(err as Error).message}`);
    }
  }

  /**
   * Moves appends to a new segment. Out of descriptors (EMFILE) or any other failure to create it and list it,
   * appends stay in the current segment and the rotation is tried again at the next write.
   */
  private rotate(firstLsn: number): void {
    const previous = { segment: this.active, fd: this.fd };
    const next = this.createSegment(firstLsn);
    let fd: number | undefined;
    try {
      fd = fs.openSync(next.file, "a");
      previous.segment.lastLsn = firstLsn - 1;
      this.closedSegments.push(previous.segment);
      this.active = next;
      fsyncDirectory(this.dir);
      // Written before anything is appended to the new segment, so no acknowledged entry is in a segment the
      // manifest does not list.
      this.saveManifest();
    } catch (err) {
      if (this.active === next) {
        this.closedSegments.pop();
        previous.segment.lastLsn = undefined;
        this.active = previous.segment;
      }
      if (fd !== undefined) {
        fs.closeSync(fd);
        fs.rmSync(next.file, { force: true });
      }
      this.stats.rotationsDeferred++;
      process.emitWarning(`ingest log rotation deferred: ${(err as Error).message}`);
      return;
    }
    this.fd = fd;
    fs.closeSync(previous.fd);
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
    if (this.rotateRequested) this.rotate(batch[0]!.lsn);
    const last = batch[batch.length - 1]!.lsn;
    if (last > this.manifest.reservedThrough) {
      try {
        this.saveManifest(last + LSN_RESERVATION_BLOCK);
      } catch (err) {
        // Nothing is acknowledged beyond the reservation. These appends fail (their publishers get no PUBACK and
        // resend); their LSNs are simply never used. The log stays open and tries again with the next batch.
        const failure = new Error(`ingest log could not reserve LSNs: ${(err as Error).message}`, {
          cause: err,
        });
        for (const p of batch) p.done(failure, p.lsn);
        this.writeBatch();
        return;
      }
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
