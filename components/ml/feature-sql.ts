/**
 * The feature SQL: `sql/features.sql` rendered for one model's feature settings. The training SQL (curate job,
 * Glue and DuckDB) and the scoring input query (Athena and DuckDB) both embed this same text, so training and
 * scoring vectors come from one definition in both backends. Pure apart from reading the SQL file beside it.
 */
import * as fs from "fs";
import * as path from "path";

/** Feature sets: what one reading contributes to a vector. */
export const FEATURE_SETS = {
  /** Deviation from the device's own recent baseline, and the step from its previous reading. */
  deviation: ["deviation_c", "step_c"],
  /** The raw temperature (the platform's first model; sensitive to the hour and to each sensor's level). */
  temperature: ["temperature_c"],
} as const;
export type FeatureSetName = keyof typeof FEATURE_SETS;
export type FeatureColumn = (typeof FEATURE_SETS)[FeatureSetName][number];

/** How readings become vectors: part of the model settings document. */
export interface FeatureSettings {
  readonly set: FeatureSetName;
  /** Per-reading feature columns, in vector order. */
  readonly columns: readonly FeatureColumn[];
  /** Readings of the device's own past that make its baseline (`deviation` set). */
  readonly baselineReadings: number;
  /** Consecutive readings of one device per vector (1 = no shingling). */
  readonly shingleSize: number;
}

/** Limits of the settings (the SQL's window frames are literal integers). */
export const FEATURE_LIMITS = { baselineReadings: { min: 2, max: 10_000 }, shingleSize: { min: 1, max: 64 } };

/** The default feature settings: deviation and step, a 30-reading baseline, no shingling. */
export const DEFAULT_FEATURE_BASELINE = 30;

/** Validated feature settings for a set. */
export function featureSettings(
  set: FeatureSetName,
  baselineReadings: number,
  shingleSize: number,
): FeatureSettings {
  if (!(set in FEATURE_SETS))
    throw new Error(`feature set must be one of ${Object.keys(FEATURE_SETS).join(", ")} (got ${set})`);
  for (const [name, value] of [
    ["baselineReadings", baselineReadings],
    ["shingleSize", shingleSize],
  ] as const) {
    const { min, max } = FEATURE_LIMITS[name];
    if (!Number.isInteger(value) || value < min || value > max)
      throw new Error(`${name} must be a whole number from ${min} to ${max} (got ${value})`);
  }
  return { set, columns: [...FEATURE_SETS[set]], baselineReadings, shingleSize };
}

/** The vector's columns, oldest reading first: `<feature>_lag<k>` for the earlier readings, then `<feature>`. */
export function vectorColumns(features: Pick<FeatureSettings, "columns" | "shingleSize">): string[] {
  const names: string[] = [];
  for (let lag = features.shingleSize - 1; lag >= 1; lag--)
    for (const column of features.columns) names.push(`${column}_lag${lag}`);
  names.push(...features.columns);
  return names;
}

/** The SQL file's text as stored, tokens unfilled. */
export function readFeatureTemplate(): string {
  return fs.readFileSync(path.join(__dirname, "sql", "features.sql"), "utf8");
}

/**
 * The feature rows of `input` (a view name, or a parenthesized query) as one SELECT: the `carry` columns
 * (which must include room_id, device_id, ts and temperature_c) followed by the vector's columns. A device's
 * series is its readings in one room: historical rows without a sensor ID share the device `historical` across
 * rooms. Whole-line comments of the file are left out (the callers' files document where the text comes from).
 */
export function renderFeatureRows(
  features: FeatureSettings,
  input: string,
  carry: readonly string[],
): string {
  for (const required of ["room_id", "device_id", "ts", "temperature_c"])
    if (!carry.includes(required))
      throw new Error(`feature rows must carry ${required} (got ${carry.join(", ")})`);
  const vector: string[] = [];
  for (let lag = features.shingleSize - 1; lag >= 1; lag--)
    for (const column of features.columns)
      vector.push(
        `LAG(${column}, ${lag}) OVER (PARTITION BY room_id, device_id ORDER BY ts) AS ${column}_lag${lag}`,
      );
  // Carried columns that are also features (temperature_c in the raw set) are selected once, as carried.
  vector.push(...features.columns.filter((c) => !carry.includes(c)));
  const tokens: Record<string, string> = {
    carry: carry.join(", "),
    vector: vector.map((v) => `,\n  ${v}`).join(""),
    baseline: String(features.baselineReadings),
    input,
  };
  return readFeatureTemplate()
    .split("\n")
    .filter((line) => !/^\s*--/.test(line))
    .join("\n")
    .trim()
    .replace(/\{\{([a-z_]+)\}\}/g, (match, key: string) => {
      const value = tokens[key];
      if (value === undefined) throw new Error(`features.sql: unknown token ${match}`);
      return value;
    });
}

/** The condition that keeps complete vectors only (the oldest reading's first feature exists). */
export function completeVectorCondition(features: FeatureSettings): string {
  return `${vectorColumns(features)[0]} IS NOT NULL`;
}

/** The features a model gets unless its settings say otherwise. */
export const DEFAULT_FEATURES: FeatureSettings = Object.freeze(
  featureSettings("deviation", DEFAULT_FEATURE_BASELINE, 1),
);

/** Whether a model trained with `trained` features can score vectors built with `wanted` (absent: an old model). */
export function sameFeatures(trained: FeatureSettings | undefined, wanted: FeatureSettings): boolean {
  return (
    trained !== undefined &&
    trained.set === wanted.set &&
    trained.baselineReadings === wanted.baselineReadings &&
    trained.shingleSize === wanted.shingleSize &&
    trained.columns.join() === wanted.columns.join()
  );
}
