/**
 * The ingest log's frame format and the scan that reads a segment back, damaged or not. Pure (bytes in, entries
 * and findings out); `durable-log.ts` does the files.
 *
 * A frame is a 24-byte header and a body:
 *
 *   0  magic       u32 LE  "SAL1"; a resync looks for it
 *   4  body bytes  u32 LE
 *   8  LSN         f64 LE  (an integer below 2^53)
 *  16  body CRC    u32 LE  CRC-32 of the body
 *  20  header CRC  u32 LE  CRC-32 of bytes 0..19, so a damaged length is never trusted
 *  24  body        receivedAt f64 LE | topic bytes u16 LE | topic (UTF-8) | payload (the bytes as published)
 *
 * The scan reads frame after frame. A frame that fails its checks starts a damaged region, which ends at the
 * next offset where a whole valid frame starts (found by looking for the magic): every entry after the damage is
 * recovered. Only an incomplete last frame of the last segment (a write that crashed before its fsync returned,
 * hence was never acknowledged) counts as a torn tail; anything else unreadable is damage.
 *
 * Segments written before this format (`[length u32][crc32 u32][JSON]` frames) are still read, so a data
 * directory from an older version replays what it holds.
 */
import { crc32 } from "node:zlib";

/** "SAL1" read as a little-endian u32. */
export const FRAME_MAGIC = 0x314c4153;
export const FRAME_HEADER_BYTES = 24;
/** Largest body the scan believes: a PUBLISH is at most 128 KB of payload and 256 bytes of topic at IoT Core. */
export const MAX_FRAME_BODY_BYTES = 1024 * 1024;
const BODY_FIXED_BYTES = 10;
const LEGACY_HEADER_BYTES = 8;

/** A message as the log keeps it. */
export interface FrameEntry {
  readonly lsn: number;
  readonly topic: string;
  readonly payload: Buffer;
  /** `timestamp()` of the rule: simulated receive time, epoch ms. */
  readonly receivedAt: number;
}

/** Unreadable bytes between two readable frames (or before the end of the segment). */
export interface DamagedRegion {
  readonly offset: number;
  readonly length: number;
  /** LSN of the last readable frame before the region (0: none in this segment). */
  readonly afterLsn: number;
  /** LSN of the first readable frame after it (`undefined`: none in this segment). */
  readonly beforeLsn: number | undefined;
}

export interface SegmentScan {
  readonly entries: FrameEntry[];
  readonly damaged: DamagedRegion[];
  /** Offset where an incomplete last frame starts (only in the last segment), or `undefined`. */
  readonly tornTailAt: number | undefined;
  /** Whether the segment uses the format before checksummed headers. */
  readonly legacy: boolean;
}

/** Encodes one entry as a frame. */
export function encodeFrame(entry: FrameEntry): Buffer {
  const topicBytes = Buffer.byteLength(entry.topic, "utf8");
  const bodyLength = BODY_FIXED_BYTES + topicBytes + entry.payload.length;
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + bodyLength);
  const body = FRAME_HEADER_BYTES;
  frame.writeDoubleLE(entry.receivedAt, body);
  frame.writeUInt16LE(topicBytes, body + 8);
  frame.write(entry.topic, body + BODY_FIXED_BYTES, "utf8");
  entry.payload.copy(frame, body + BODY_FIXED_BYTES + topicBytes);
  frame.writeUInt32LE(FRAME_MAGIC, 0);
  frame.writeUInt32LE(bodyLength, 4);
  frame.writeDoubleLE(entry.lsn, 8);
  frame.writeUInt32LE(crc32(frame.subarray(body)), 16);
  frame.writeUInt32LE(crc32(frame.subarray(0, 20)), 20);
  return frame;
}

type FrameCheck =
  | { readonly kind: "ok"; readonly entry: FrameEntry; readonly end: number }
  /** The bytes that are there match a frame, but the file ends before the frame does. */
  | { readonly kind: "incomplete" }
  | { readonly kind: "bad" };

/** Checks the frame starting at `offset`. */
function checkFrame(bytes: Buffer, offset: number): FrameCheck {
  const available = bytes.length - offset;
  if (available < FRAME_HEADER_BYTES) {
    const magic = Buffer.alloc(4);
    magic.writeUInt32LE(FRAME_MAGIC, 0);
    const present = bytes.subarray(offset, offset + Math.min(4, available));
    return present.equals(magic.subarray(0, present.length)) ? { kind: "incomplete" } : { kind: "bad" };
  }
  if (bytes.readUInt32LE(offset) !== FRAME_MAGIC) return { kind: "bad" };
  if (crc32(bytes.subarray(offset, offset + 20)) !== bytes.readUInt32LE(offset + 20)) return { kind: "bad" };
  const bodyLength = bytes.readUInt32LE(offset + 4);
  const lsn = bytes.readDoubleLE(offset + 8);
  if (
    bodyLength < BODY_FIXED_BYTES ||
    bodyLength > MAX_FRAME_BODY_BYTES ||
    !Number.isSafeInteger(lsn) ||
    lsn < 1
  )
    return { kind: "bad" };
  const start = offset + FRAME_HEADER_BYTES;
  const end = start + bodyLength;
  if (end > bytes.length) return { kind: "incomplete" };
  if (crc32(bytes.subarray(start, end)) !== bytes.readUInt32LE(offset + 16)) return { kind: "bad" };
  const topicBytes = bytes.readUInt16LE(start + 8);
  if (BODY_FIXED_BYTES + topicBytes > bodyLength) return { kind: "bad" };
  const topicEnd = start + BODY_FIXED_BYTES + topicBytes;
  return {
    kind: "ok",
    end,
    entry: {
      lsn,
      receivedAt: bytes.readDoubleLE(start),
      topic: bytes.toString("utf8", start + BODY_FIXED_BYTES, topicEnd),
      // A copy: the segment's buffer is dropped after the scan.
      payload: Buffer.from(bytes.subarray(topicEnd, end)),
    },
  };
}

/** The next offset after `from` where a whole valid frame starts, or `undefined`. */
function resync(bytes: Buffer, from: number): number | undefined {
  const magic = Buffer.allocUnsafe(4);
  magic.writeUInt32LE(FRAME_MAGIC, 0);
  for (let at = bytes.indexOf(magic, from); at !== -1; at = bytes.indexOf(magic, at + 1)) {
    if (checkFrame(bytes, at).kind === "ok") return at;
  }
  return undefined;
}

/**
 * Reads every frame of a segment. `isLast`: the segment the previous run appended to last, the only one that
 * can end in a torn write.
 */
export function scanSegment(bytes: Buffer, isLast: boolean): SegmentScan {
  if (bytes.length >= 4 && bytes.readUInt32LE(0) !== FRAME_MAGIC && looksLegacy(bytes))
    return scanLegacySegment(bytes, isLast);
  const entries: FrameEntry[] = [];
  const damaged: DamagedRegion[] = [];
  let tornTailAt: number | undefined;
  let offset = 0;
  while (offset < bytes.length) {
    const check = checkFrame(bytes, offset);
    if (check.kind === "ok") {
      entries.push(check.entry);
      offset = check.end;
      continue;
    }
    const next = resync(bytes, offset + 1);
    if (next === undefined && isLast && (check.kind === "incomplete" || isZeroFilled(bytes, offset))) {
      // Nothing readable follows: the write that was under way when the process died (never acknowledged).
      tornTailAt = offset;
      break;
    }
    const end = next ?? bytes.length;
    damaged.push({
      offset,
      length: end - offset,
      afterLsn: entries.at(-1)?.lsn ?? 0,
      beforeLsn:
        next === undefined ? undefined : (checkFrame(bytes, next) as { entry: FrameEntry }).entry.lsn,
    });
    offset = end;
  }
  return { entries, damaged, tornTailAt, legacy: false };
}

/** A file system may extend a file with zeros that a crashed write never filled. */
function isZeroFilled(bytes: Buffer, from: number): boolean {
  for (let i = from; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

/** The old format starts with a plausible length and a JSON object. */
function looksLegacy(bytes: Buffer): boolean {
  return bytes.length > LEGACY_HEADER_BYTES && bytes[LEGACY_HEADER_BYTES] === 0x7b;
}

/** The previous format: `[length][crc32][JSON {lsn, topic, receivedAt, payload(base64)}]`, no resync marker. */
function scanLegacySegment(bytes: Buffer, isLast: boolean): SegmentScan {
  const entries: FrameEntry[] = [];
  const damaged: DamagedRegion[] = [];
  let tornTailAt: number | undefined;
  let offset = 0;
  while (offset < bytes.length) {
    const length = offset + LEGACY_HEADER_BYTES <= bytes.length ? bytes.readUInt32LE(offset) : Infinity;
    const end = offset + LEGACY_HEADER_BYTES + length;
    if (end > bytes.length && isLast) {
      tornTailAt = offset;
      break;
    }
    const body = end <= bytes.length ? bytes.subarray(offset + LEGACY_HEADER_BYTES, end) : undefined;
    if (!body || crc32(body) !== bytes.readUInt32LE(offset + 4)) {
      // Without a marker there is no next frame to find: the rest of the segment is lost.
      damaged.push({
        offset,
        length: bytes.length - offset,
        afterLsn: entries.at(-1)?.lsn ?? 0,
        beforeLsn: undefined,
      });
      break;
    }
    const record = JSON.parse(body.toString("utf8")) as {
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
    offset = end;
  }
  return { entries, damaged, tornTailAt, legacy: true };
}
