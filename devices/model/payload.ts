/** Turns model values into a schema payload: rounded like a real sensor's firmware would, clamped to the schema. */
import { telemetryField, type TelemetryPayload } from "../../components/telemetry/schema";
import { clamp, type BaseReading } from "./sensor-model";

const TEMPERATURE = telemetryField("temperature_c");
const HUMIDITY = telemetryField("humidity_pct");
const BATTERY = telemetryField("battery_pct");

/** Builds the payload of one reading; `temperatureC` may differ from the base reading (an injected anomaly). */
export function buildPayload(
  deviceId: string,
  roomId: string,
  ts: number,
  seq: number,
  temperatureC: number,
  base: BaseReading,
): TelemetryPayload {
  return {
    device_id: deviceId,
    room_id: roomId,
    ts,
    seq,
    temperature_c: roundTo(clamp(temperatureC, TEMPERATURE.min ?? -Infinity, TEMPERATURE.max ?? Infinity), 2),
    humidity_pct: roundTo(clamp(base.humidityPct, HUMIDITY.min ?? 0, HUMIDITY.max ?? 100), 1),
    battery_pct: roundTo(clamp(base.batteryPct, BATTERY.min ?? 0, BATTERY.max ?? 100), 1),
    rssi_dbm: base.rssiDbm,
    status: base.status,
  };
}

export function roundTo(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/**
 * The payload as JSON, byte for byte what `JSON.stringify(payload)` gives for a payload from
 * {@link buildPayload} (same key order; numbers format the same way), written out directly because it runs
 * once per reading: at 10,000 devices the generic serializer is a measurable share of the CPU. IDs need no
 * escaping: the topic layout restricts them to `[A-Za-z0-9_-]`.
 */
export function payloadJson(p: TelemetryPayload): string {
  let json = `{"device_id":"${p.device_id}","room_id":"${p.room_id}","ts":${p.ts},"seq":${p.seq},"temperature_c":${p.temperature_c}`;
  if (p.humidity_pct !== undefined) json += `,"humidity_pct":${p.humidity_pct}`;
  if (p.battery_pct !== undefined) json += `,"battery_pct":${p.battery_pct}`;
  if (p.rssi_dbm !== undefined) json += `,"rssi_dbm":${p.rssi_dbm}`;
  if (p.status !== undefined) json += `,"status":"${p.status}"`;
  return `${json}}`;
}
