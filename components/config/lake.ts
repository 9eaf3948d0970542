/** The data lake: retention, storage-class transitions, the catalog database, the historical landing prefix. */
import type { ConfigReader } from "./reader";
import type { PlatformConfig } from "./types";

const ATHENA_NAME = /^[a-z0-9_]{1,255}$/;

/** Reads the lake's settings; the catalog database defaults to `<app>_<stack>`. Problems go to `r`. */
export function readLakeConfig(r: ConfigReader, app: string, stack: string): PlatformConfig["lake"] {
  const rawRetentionDays = r.integer("rawRetentionDays", 1, 36500, 30);
  const curatedRetentionDays = r.integer("curatedRetentionDays", 1, 36500, 90);
  const iaDays = r.integer("infrequentAccessAfterDays", 0, 36500, 30);
  if (iaDays !== 0 && iaDays < 30) {
    r.problem(
      "infrequentAccessAfterDays",
      "must be 0 (off) or at least 30 (S3 keeps objects in Standard for 30 days before Standard-IA)",
      "set it to 0 or to 30 or more",
    );
  }
  const glacierDays = r.integer("glacierAfterDays", 0, 36500, 180);
  if (glacierDays !== 0 && iaDays !== 0 && glacierDays < iaDays + 30) {
    r.problem(
      "glacierAfterDays",
      `must be at least 30 days after infrequentAccessAfterDays (${iaDays}) (S3 bills Standard-IA for 30 days minimum)`,
      `set it to ${iaDays + 30} or more, or to 0`,
    );
  }
  for (const [key, days] of [
    ["infrequentAccessAfterDays", iaDays],
    ["glacierAfterDays", glacierDays],
  ] as const) {
    if (days !== 0 && days >= Math.min(rawRetentionDays, curatedRetentionDays)) {
      r.problem(
        key,
        `must be less than the retention of the data it moves (rawRetentionDays ${rawRetentionDays}, curatedRetentionDays ${curatedRetentionDays})`,
        "lower it or raise the retention, or set it to 0",
      );
    }
  }
  const noncurrentVersionDays = r.integer("noncurrentVersionDays", 1, 36500, 7);
  const catalogRaw = r.string("catalogDatabase");
  const catalogDatabase = catalogRaw === "" ? `${app}_${stack}`.replace(/-/g, "_") : catalogRaw;
  if (catalogRaw !== "" && !ATHENA_NAME.test(catalogRaw)) {
    r.problem(
      "catalogDatabase",
      catalogRaw.includes("-")
        ? "must not contain '-' (Athena cannot query databases whose names contain hyphens)"
        : "must be lowercase letters, digits and '_' (an Athena-safe name)",
      `set it to ${JSON.stringify(catalogRaw.toLowerCase().replace(/[^a-z0-9_]/g, "_"))}`,
    );
  }
  const historicalPrefix = r.string("historicalPrefix", {
    pattern: /^([A-Za-z0-9_.-]+\/)+$/,
    describe: "an S3 prefix of folders ending in '/'",
    example: "landing/historical/",
  });
  return {
    rawRetentionDays,
    curatedRetentionDays,
    infrequentAccessAfterDays: iaDays === 0 ? undefined : iaDays,
    glacierAfterDays: glacierDays === 0 ? undefined : glacierDays,
    noncurrentVersionDays,
    catalogDatabase,
    historicalPrefix,
  };
}
