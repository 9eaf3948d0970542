/**
 * Start-up of the ingest log: reads every segment back and says exactly what it recovered and what it could not.
 *
 * - Every readable frame is recovered, also after damage (the scan resyncs on the next valid frame).
 * - Damaged bytes are copied to the quarantine folder (`<segment>@<offset>.bin`) and reported with file, offset
 *   and the acknowledged LSNs they held; the segment itself is left as it is (it is deleted once the lake has
 *   everything after it, like any other).
 * - Only an incomplete last frame at the end of the last segment (a write that crashed before its fsync, so
 *   never acknowledged) is dropped silently, and cut off.
 * - Missing segments are found from the manifest (segments created and not yet released) and from the lake
 *   checkpoint's LSN range (every LSN after the checkpoint must be in a segment or in a range skipped before).
 * - The next LSN follows every LSN that may have been handed out: after a loss of unknown extent at the end,
 *   it starts past the manifest's reservation, so no LSN is ever used twice.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { type FrameEntry, scanSegment } from "./log-frames";
import { writeFileDurably } from "./object-store";

const SEGMENT_NAME = /^(\d{16})\.log$/;
const MANIFEST_FILE = "manifest.json";

/** What the log durably promises to hold (see `durable-log.ts`). */
export interface LogManifest {
  readonly version: 1;
  readonly segments: readonly { readonly firstLsn: number; readonly lastLsn?: number }[];
  /** No LSN at or below this has been handed out. */
  readonly reservedThrough: number;
  /** LSN ranges never handed out, or whose loss was already reported (`[from, to]`, inclusive). */
  readonly skipped: readonly (readonly [number, number])[];
  /** Damaged regions already reported, `<segment file>@<offset>`: not reported as new losses again. */
  readonly reportedDamage: readonly string[];
}

/** A region of a segment the scan could not read. */
export interface DamageFinding {
  readonly file: string;
  readonly offset: number;
  readonly length: number;
  readonly quarantinedAs: string;
  /** Acknowledged LSNs (after the lake checkpoint) it held: `[from, to]`, `to` null when unknown. */
  readonly lostLsns: readonly [number, number | null] | null;
  /** Reported by an earlier start-up already. */
  readonly reportedBefore: boolean;
}

export interface LogRecoveryReport {
  readonly segmentsRead: number;
  /** Entries after the checkpoint, replayed into the pipeline. */
  readonly recovered: number;
  /** Of those, entries read past a damaged region. */
  readonly recoveredAfterDamage: number;
  /** Bytes of an incomplete last write cut off the last segment (never acknowledged). */
  readonly tornTailBytes: number;
  readonly damaged: readonly DamageFinding[];
  /** LSN ranges after the checkpoint that no segment holds. */
  readonly missing: readonly {
    readonly fromLsn: number;
    readonly toLsn: number | null;
    readonly why: string;
  }[];
  /** Acknowledged entries that could not be recovered (a lower bound when `exact` is false). */
  readonly lost: { readonly entries: number; readonly exact: boolean };
  /** One line per loss, naming the file and offset, for the start-up log and the run summary. */
  readonly problems: readonly string[];
}

interface RecoveredSegment {
  readonly firstLsn: number;
  readonly file: string;
  lastLsn?: number;
}

export interface RecoveredLog {
  readonly segments: RecoveredSegment[];
  readonly manifest: LogManifest;
  readonly nextLsn: number;
  readonly replay: FrameEntry[];
  readonly report: LogRecoveryReport;
}

export function readManifest(dir: string): LogManifest | undefined {
  const file = path.join(dir, MANIFEST_FILE);
  if (!fs.existsSync(file)) return undefined;
  return JSON.parse(fs.readFileSync(file, "utf8")) as LogManifest;
}

export function writeManifest(dir: string, manifest: LogManifest): void {
  writeFileDurably(path.join(dir, MANIFEST_FILE), Buffer.from(`${JSON.stringify(manifest)}\n`));
}

const name = (firstLsn: number) => `${String(firstLsn).padStart(16, "0")}.log`;
const range = (from: number, to: number | null) =>
  to === null ? `LSN ${from} and after` : from === to ? `LSN ${from}` : `LSNs ${from}-${to}`;

/** Reads the log in `dir` back; `afterLsn` is the lake checkpoint (entries up to it are in the lake). */
export function recoverLog(dir: string, afterLsn: number, quarantineDir: string): RecoveredLog {
  const previous = readManifest(dir);
  const files = fs
    .readdirSync(dir)
    .map((f) => SEGMENT_NAME.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ firstLsn: Number(m[1]), file: path.join(dir, m[0]) }))
    .sort((a, b) => a.firstLsn - b.firstLsn);
  const listed = new Map((previous?.segments ?? []).map((s) => [s.firstLsn, s.lastLsn]));
  const skipped = (previous?.skipped ?? [])
    .filter(([, to]) => to > afterLsn)
    .map(([a, b]) => [a, b] as [number, number]);
  const reportedDamage = new Set(previous?.reportedDamage ?? []);
  const isSkipped = (lsn: number) => skipped.some(([from, to]) => lsn >= from && lsn <= to);

  const replay: FrameEntry[] = [];
  const damaged: DamageFinding[] = [];
  const missing: { fromLsn: number; toLsn: number | null; why: string }[] = [];
  const segments: RecoveredSegment[] = [];
  let recoveredAfterDamage = 0;
  let tornTailBytes = 0;
  let highest = Math.max(
    afterLsn,
    (previous?.segments ?? []).reduce((m, s) => Math.max(m, s.lastLsn ?? s.firstLsn - 1), 0),
  );
  /** Set when LSNs after the highest one read may have been handed out (a loss of unknown extent at the end). */
  let tailUnknown = false;

  // Segments the manifest lists that are gone: their entries after the checkpoint are lost.
  for (const [firstLsn, lastLsn] of listed) {
    if (files.some((f) => f.firstLsn === firstLsn)) continue;
    if (lastLsn !== undefined && lastLsn <= afterLsn) continue; // released after its last delivery
    const from = Math.max(firstLsn, afterLsn + 1);
    missing.push({ fromLsn: from, toLsn: lastLsn ?? null, why: `segment ${name(firstLsn)} is missing` });
    if (lastLsn === undefined) tailUnknown = true;
  }

  files.forEach((segment, i) => {
    const isLast = i === files.length - 1;
    const bytes = fs.readFileSync(segment.file);
    const scan = scanSegment(bytes, isLast);
    const knownLast = listed.get(segment.firstLsn);
    const nextFirst = files[i + 1]?.firstLsn;
    for (const region of scan.damaged) {
      const key = `${path.basename(segment.file)}@${region.offset}`;
      const quarantinedAs = path.join(quarantineDir, `${key}.bin`);
      if (!fs.existsSync(quarantinedAs))
        writeFileDurably(quarantinedAs, bytes.subarray(region.offset, region.offset + region.length));
      // The LSNs the region held: between the readable frames around it, else up to the segment's end.
      const before = region.beforeLsn ?? (knownLast !== undefined ? knownLast + 1 : nextFirst);
      const from = Math.max(region.afterLsn === 0 ? segment.firstLsn : region.afterLsn + 1, afterLsn + 1);
      const to = before === undefined ? null : before - 1;
      const reportedBefore = reportedDamage.has(key);
      if (to === null && !reportedBefore) tailUnknown = true;
      damaged.push({
        file: segment.file,
        offset: region.offset,
        length: region.length,
        quarantinedAs,
        lostLsns: to !== null && to < from ? null : [from, to],
        reportedBefore,
      });
      reportedDamage.add(key);
    }
    if (scan.tornTailAt !== undefined) {
      tornTailBytes += bytes.length - scan.tornTailAt;
      fs.truncateSync(segment.file, scan.tornTailAt);
    }
    const damageFrom = scan.damaged[0]?.afterLsn;
    for (const entry of scan.entries) {
      highest = Math.max(highest, entry.lsn);
      if (entry.lsn <= afterLsn) continue;
      replay.push(entry);
      if (damageFrom !== undefined && entry.lsn > damageFrom) recoveredAfterDamage++;
    }
    const lastLsn = Math.max(knownLast ?? 0, scan.entries.at(-1)?.lsn ?? 0, segment.firstLsn - 1);
    // Empty (a run that appended nothing), or all in the lake already (damaged bytes are copied aside).
    if (lastLsn <= afterLsn || (scan.entries.length === 0 && scan.damaged.length === 0)) {
      fs.rmSync(segment.file, { force: true });
      return;
    }
    segments.push({ ...segment, lastLsn });
  });

  // The checkpoint's LSN range: every LSN after it must be in a segment, or skipped on purpose before.
  let expect = afterLsn + 1;
  for (const segment of segments) {
    const gapFrom = expect;
    const gapTo = segment.firstLsn - 1;
    if (
      gapTo >= gapFrom &&
      !missing.some((m) => m.fromLsn <= gapFrom && (m.toLsn === null || m.toLsn >= gapTo))
    ) {
      const unskipped = countUnskipped(gapFrom, gapTo, isSkipped);
      if (unskipped > 0)
        missing.push({
          fromLsn: gapFrom,
          toLsn: gapTo,
          why: `no segment holds them, though the lake checkpoint is at LSN ${afterLsn}`,
        });
    }
    expect = Math.max(expect, (segment.lastLsn ?? segment.firstLsn - 1) + 1);
  }

  const fresh = damaged.filter((d) => !d.reportedBefore);
  const lostEntries =
    fresh.reduce(
      (n, d) =>
        n +
        (d.lostLsns && d.lostLsns[1] !== null ? countUnskipped(d.lostLsns[0], d.lostLsns[1], isSkipped) : 0),
      0,
    ) +
    missing.reduce((n, m) => n + (m.toLsn === null ? 0 : countUnskipped(m.fromLsn, m.toLsn, isSkipped)), 0);
  const exact = !tailUnknown;
  const problems = [
    ...fresh
      .filter((d) => d.lostLsns !== null)
      .map(
        (d) =>
          `${d.file} bytes ${d.offset}-${d.offset + d.length - 1} are damaged (copied to ${d.quarantinedAs}): ` +
          `${range(d.lostLsns![0], d.lostLsns![1])} (acknowledged, not in the lake yet) could not be recovered`,
      ),
    ...missing.map(
      (m) => `${range(m.fromLsn, m.toLsn)} (acknowledged, not in the lake yet) are lost: ${m.why}`,
    ),
  ];

  let nextLsn = highest + 1;
  if (tailUnknown && previous) {
    // LSNs up to the reservation may have been handed out to entries that are gone: start after them.
    const resumeAt = Math.max(nextLsn, previous.reservedThrough + 1);
    if (resumeAt > nextLsn) skipped.push([nextLsn, resumeAt - 1]);
    nextLsn = resumeAt;
  }
  // Reported losses are skipped from now on: the next start-up does not count them again.
  for (const m of missing) skipped.push([m.fromLsn, m.toLsn ?? nextLsn - 1]);
  const live = new Set(segments.map((s) => path.basename(s.file)));
  const manifest: LogManifest = {
    version: 1,
    segments: [],
    reservedThrough: Math.max(previous?.reservedThrough ?? 0, nextLsn - 1),
    skipped: mergeRanges(skipped),
    reportedDamage: [...reportedDamage].filter((key) => live.has(key.slice(0, key.indexOf("@")))),
  };
  return {
    segments,
    manifest,
    nextLsn,
    replay,
    report: {
      segmentsRead: files.length,
      recovered: replay.length,
      recoveredAfterDamage,
      tornTailBytes,
      damaged,
      missing,
      lost: { entries: lostEntries, exact },
      problems,
    },
  };
}

function countUnskipped(from: number, to: number, isSkipped: (lsn: number) => boolean): number {
  let n = 0;
  for (let lsn = from; lsn <= to; lsn++) if (!isSkipped(lsn)) n++;
  return n;
}

function mergeRanges(ranges: readonly (readonly [number, number])[]): [number, number][] {
  const sorted = [...ranges].filter(([a, b]) => b >= a).sort((x, y) => x[0] - y[0]);
  const merged: [number, number][] = [];
  for (const [from, to] of sorted) {
    const last = merged.at(-1);
    if (last && from <= last[1] + 1) last[1] = Math.max(last[1], to);
    else merged.push([from, to]);
  }
  return merged;
}

/** Start-up lines about the ingest log: what was replayed, and every loss with its file and offset. */
export function describeRecovery(report: LogRecoveryReport): string[] {
  const lines: string[] = [];
  if (report.recovered > 0)
    lines.push(
      `ingest log: replayed ${report.recovered} acknowledged messages that were not in the lake yet` +
        (report.recoveredAfterDamage > 0
          ? ` (${report.recoveredAfterDamage} of them read past damaged bytes)`
          : ""),
    );
  for (const problem of report.problems) lines.push(`ingest log: LOST ${problem}`);
  if (report.problems.length > 0)
    lines.push(
      `ingest log: ${report.lost.exact ? "" : "at least "}${report.lost.entries} acknowledged readings could not be recovered; this run's summary will not be ok`,
    );
  return lines;
}
