/**
 * Replay: one device publishes a recorded temperature series (e.g. the NAB machine-temperature file in
 * `data/nab/`) instead of the model's. The series keeps its own cadence; its timestamps are shifted
 * so that the first row falls at the run's start (recorded data is often older than the schema's earliest
 * plausible time, 2020). Diagnostics (humidity, battery, signal) still come from the device's model.
 */
import { readFileSync } from "node:fs";
import { telemetryField } from "../../components/telemetry/schema";
import type { AnomalyLabel } from "./anomalies";
import { buildPayload } from "./payload";
import { roomClimate, SensorModel, sensorProfile } from "./sensor-model";
import type { ReadingSource, Sample, SourceLimits } from "./source";

/** One recorded value. */
export interface RecordedPoint {
  /** Recorded time, ms since epoch (UTC). */
  readonly ts: number;
  readonly value: number;
}

const TEMPERATURE = telemetryField("temperature_c");

/** A parsed recording. */
export interface RecordedSeries {
  /** Rows in file order, timestamps strictly increasing. */
  readonly points: RecordedPoint[];
  /**
   * Line numbers of rows skipped because their timestamp was not after the previous row's (a clock set back in
   * the recording, e.g. NAB's machine-temperature file repeats the hour 02:00-02:55 on 2014-01-07). Skipping
   * keeps every other row on its recorded time, so labels given in recorded time still line up.
   */
  readonly skippedLines: number[];
}

/**
 * Parses a `timestamp,value` CSV (a header line is optional). Timestamps are ISO 8601, `YYYY-MM-DD HH:MM:SS`
 * (read as UTC, NAB's convention) or epoch milliseconds. Errors name the file and line.
 */
export function parseRecordedSeries(csv: string, source = "replay CSV"): RecordedSeries {
  const points: RecordedPoint[] = [];
  const skippedLines: number[] = [];
  const lines = csv.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === "") continue;
    const cells = line.split(",").map((c) => c.trim());
    if (cells.length < 2)
      throw new Error(`${source} line ${i + 1}: expected "timestamp,value" (got "${line}")`);
    const [timeText, valueText] = cells as [string, string];
    const value = Number(valueText);
    const ts = parseTimestamp(timeText);
    if (points.length === 0 && ts === undefined && !Number.isFinite(value)) continue; // header row
    if (ts === undefined) {
      throw new Error(`${source} line ${i + 1}: "${timeText}" is not a timestamp (use ISO 8601 or epoch ms)`);
    }
    if (valueText === "" || !Number.isFinite(value)) {
      throw new Error(`${source} line ${i + 1}: "${valueText}" is not a number`);
    }
    if (value < (TEMPERATURE.min ?? -Infinity) || value > (TEMPERATURE.max ?? Infinity)) {
      throw new Error(
        `${source} line ${i + 1}: ${value} is outside the sensor range ${TEMPERATURE.min}..${TEMPERATURE.max} °C of the telemetry schema`,
      );
    }
    const previous = points[points.length - 1];
    if (previous && ts <= previous.ts) {
      skippedLines.push(i + 1);
      continue;
    }
    points.push({ ts, value });
  }
  if (points.length === 0) throw new Error(`${source} has no data rows`);
  return { points, skippedLines };
}

function parseTimestamp(text: string): number | undefined {
  if (/^\d{10,}$/.test(text)) return Number(text);
  // "2013-12-02 21:15:00" has no zone: read it as UTC rather than in the machine's local time zone.
  const iso = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text)
    ? `${text.replace(" ", "T")}Z`
    : text;
  if (!/^\d{4}-\d{2}-\d{2}/.test(iso)) return undefined;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Reads and parses a replay file; errors name the path. */
export function loadRecordedSeries(path: string): RecordedSeries {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new Error(`--replay ${path}: cannot read the file (${(err as Error).message})`, { cause: err });
  }
  return parseRecordedSeries(text, `--replay ${path}`);
}

export interface ReplaySensorOptions {
  readonly seed: string;
  readonly deviceId: string;
  readonly roomId: string;
  readonly points: readonly RecordedPoint[];
  /** Where the first row lands in simulated time (ms since epoch). */
  readonly startTs: number;
  readonly limits: SourceLimits;
}

/** A device driven by a recorded series. No anomalies are injected: the recording carries its own. */
export class ReplaySensor implements ReadingSource {
  readonly deviceId: string;
  readonly roomId: string;
  /** Added to every recorded time to get the published `ts` (map recorded labels with it). */
  readonly shiftMs: number;
  private readonly model: SensorModel;
  private index = 0;
  private closed = false;

  constructor(private readonly options: ReplaySensorOptions) {
    this.deviceId = options.deviceId;
    this.roomId = options.roomId;
    const first = options.points[0];
    if (!first) throw new Error("replay series is empty");
    this.shiftMs = options.startTs - first.ts;
    this.model = new SensorModel(
      options.seed,
      options.deviceId,
      roomClimate(options.seed, options.roomId),
      sensorProfile(options.seed, options.deviceId),
      options.startTs,
    );
  }

  nextTs(): number | undefined {
    const point = this.options.points[this.index];
    if (this.closed || !point) return undefined;
    const { count, endTs } = this.options.limits;
    if (count !== undefined && this.index >= count) return undefined;
    const ts = point.ts + this.shiftMs;
    if (endTs !== undefined && ts >= endTs) return undefined;
    return ts;
  }

  take(): Sample {
    const ts = this.nextTs();
    const point = this.options.points[this.index];
    if (ts === undefined || !point) throw new Error(`replay for ${this.deviceId} has no more rows`);
    const seq = this.index++;
    const base = this.model.sample(ts);
    return {
      ts,
      payload: buildPayload(this.deviceId, this.roomId, ts, seq, point.value, base),
      finished: undefined,
    };
  }

  close(): AnomalyLabel | undefined {
    this.closed = true;
    return undefined;
  }
}
