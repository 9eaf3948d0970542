/**
 * The historical sources on first use of a data directory, as the stack seeds them: the demo database's table
 * and history (the seed function's own generator), and the landing zone's CSV files overlapping its oldest half day.
 * Both persist in the data directory, so later runs find them.
 */
import type { PlatformConfig } from "../../components/config";
import { demoHistoryRequest } from "../../components/sources/demo-history";
import type { DeviceIdentity } from "../../components/telemetry/fleet";
import { generateHistory } from "../../functions/history-seed/history";
import { requestedHistory, requestedWindow } from "../../functions/history-seed/seed";
import type { LocalObjectStore } from "../lake/object-store";
import type { HistoricalDatabase } from "./historical-db";
import { writeLandingCsv } from "./landing";

/** Days of the landing CSV on first use, and how much of them overlaps the database's oldest day. */
const LANDING_CSV = { days: 1, overlapDays: 0.5 } as const;
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
  // The demo database's seed function, as the stack runs it: the table's DDL, then the stack's request if the
  // table is empty, sampled like this run's fleet (its --seed and --interval).
  const request = demoHistoryRequest(config, { seed, intervalSeconds: intervalMs / 1000 });
  const seeded = await history.seed(() => requestedHistory(request, startMs, devices));
  if (seeded.inserted > 0) {
    log(
      `historical database: seeded ${seeded.inserted} readings (${request.days} days of ${devices.length} sensors) into ${seeded.table}`,
    );
  }
  if (store.list(store.bucketNames.raw, config.lake.historicalPrefix).length === 0) {
    // The files overlap the database's oldest day: curation keeps one copy of each reading.
    // On the database's sampling grid, so the readings both hold are the same readings.
    const database = requestedWindow(request, startMs);
    const from = database.fromMs - (LANDING_CSV.days - LANDING_CSV.overlapDays) * DAY_MS;
    const readings = generateHistory(devices, request.seed, {
      fromMs: from,
      toMs: from + LANDING_CSV.days * DAY_MS,
      intervalMs: database.intervalMs,
    });
    const keys = writeLandingCsv(store, config.lake.historicalPrefix, readings);
    log(
      `landing zone: ${keys.length} historical CSV files (${readings.length} readings) under ${config.lake.historicalPrefix}`,
    );
  }
}
