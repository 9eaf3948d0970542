/**
 * Historical readings: what the seed function loads into the demo database (in AWS, and PGlite locally) and
 * the local backend writes as landing CSV. Taken from the fleet simulator's own sensor model
 * (`devices/model/simulated-sensor.ts`) with the same seed as the live fleet, so history and live readings
 * of a room come from the same climate and the model trained on history fits the live data. No anomalies are
 * injected into history: it is what the forest learns "normal" from.
 */
import type { DeviceIdentity } from "../../components/telemetry/fleet";
import { NO_ANOMALIES } from "../../devices/model/anomalies";
import { SimulatedSensor } from "../../devices/model/simulated-sensor";

/** One historical reading, in the canonical historical shape (see `components/etl/transforms.ts`). */
export interface HistoricalReading {
  readonly device_id: string;
  readonly room_id: string;
  /** Epoch ms, UTC. */
  readonly ts: number;
  readonly temperature_c: number;
  readonly humidity_pct: number | undefined;
}

export interface HistoryWindow {
  readonly fromMs: number;
  readonly toMs: number;
  /** Sampling interval of the history (ms). */
  readonly intervalMs: number;
}

/** Readings of every device between `fromMs` (inclusive) and `toMs` (exclusive), device by device. */
export function generateHistory(
  devices: readonly DeviceIdentity[],
  seed: string,
  window: HistoryWindow,
): HistoricalReading[] {
  const readings: HistoricalReading[] = [];
  for (const device of devices) {
    const sensor = new SimulatedSensor({
      seed,
      deviceId: device.thingName,
      roomId: device.roomId,
      startTs: window.fromMs,
      intervalMs: window.intervalMs,
      anomalies: NO_ANOMALIES,
      limits: { endTs: window.toMs },
    });
    while (sensor.nextTs() !== undefined) {
      const sample = sensor.take();
      if (!sample.payload) continue;
      readings.push({
        device_id: device.thingName,
        room_id: device.roomId,
        ts: sample.payload.ts,
        temperature_c: sample.payload.temperature_c,
        humidity_pct: sample.payload.humidity_pct,
      });
    }
  }
  return readings;
}

/** `2024-05-01 13:45:00.000`: the UTC text both the CSV landing files and the database's TIMESTAMP take. */
export function utcTimestampText(epochMs: number): string {
  return new Date(epochMs).toISOString().replace("T", " ").replace("Z", "");
}
