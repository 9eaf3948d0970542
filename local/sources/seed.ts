/**
 * The historical sources on first use of a data directory, as the stack seeds them: the demo database's table
 * and history (the seed function's own generator), and the landing zone's CSV files overlapping its oldest half day.
 * Both persist in the data directory, so later runs find them.
 */
import type { PlatformConfig } from "../../components/config";
import { DEMO_HISTORY } from "../../components/sources/demo-history";
import type { DeviceIdentity } from "../../components/telemetry/fleet";
import { generateHistory } from "../../functions/history-seed/history";
import type { LocalObjectStore } from "../lake/object-store";
import type { HistoricalDatabase } from "./historical-db";
import { writeLandingCsv } from "./landing";

/**
 * Days of history seeded into the database (the stack's DEMO_HISTORY) and the landing CSV on first use, at this
 * run's own sampling interval (`--interval`), for the reason DEMO_HISTORY gives.
 */
const HISTORY_DAYS = { database: DEMO_HISTORY.days, csv: 1, csvOverlap: 0.5 } as const;
const DAY_MS = 86_400_000;

/** Seeds the historical database and the landing CSV on first use (both persist in the data dir). */
export async function seedSources(
  history: HistoricalDatabase,
  store: LocalObjectStore,
  config: PlatformConfig,
  devices: readonly DeviceIdentity[],
  seed: string,
  startMs: number,
  intervalMs: number,
  log: (line: string) => void,
): Promise<void> {
  // The demo database's seed function, as the stack runs it: the table's DDL, then history if it is empty.
  const seeded = await history.seed(() =>
    generateHistory(devices, seed, {
      fromMs: startMs - HISTORY_DAYS.database * DAY_MS,
      toMs: startMs,
      intervalMs,
    }),
  );
  if (seeded.inserted > 0) {
    log(
      `historical database: seeded ${seeded.inserted} readings (${HISTORY_DAYS.database} days of ${devices.length} sensors) into ${seeded.table}`,
    );
  }
  if (store.list(store.bucketNames.raw, config.lake.historicalPrefix).length === 0) {
    // The files overlap the database's oldest day: curation keeps one copy of each reading.
    const from = startMs - (HISTORY_DAYS.database + HISTORY_DAYS.csv - HISTORY_DAYS.csvOverlap) * DAY_MS;
    const readings = generateHistory(devices, seed, {
      fromMs: from,
      toMs: from + HISTORY_DAYS.csv * DAY_MS,
      intervalMs,
    });
    const keys = writeLandingCsv(store, config.lake.historicalPrefix, readings);
    log(
      `landing zone: ${keys.length} historical CSV files (${readings.length} readings) under ${config.lake.historicalPrefix}`,
    );
  }
}
