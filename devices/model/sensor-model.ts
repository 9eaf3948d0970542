/**
 * The physics of one simulated temperature sensor, with no anomalies: room air temperature from an HVAC
 * schedule (day setpoint, night setback), solar gain in the afternoon and thermostat cycling; the sensor's
 * calibration offset, slow drift and noise; and diagnostics (humidity, a draining battery, radio signal).
 *
 * Rooms share their climate (sensors in one room are correlated, as in a real building); each sensor adds its
 * own offset, drift and noise. Time of day is taken in UTC so a run is identical on every machine.
 * Pure: all randomness comes from seeded {@link Prng} streams.
 */
import { Prng } from "../prng";
import type { DeviceStatus } from "../../components/telemetry/schema";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Climate of one room, shared by its sensors. */
export interface RoomClimate {
  /** Occupied-hours HVAC setpoint, °C. */
  readonly daySetpointC: number;
  /** How far the setpoint drops outside occupied hours, °C. */
  readonly nightSetbackC: number;
  /** Occupied hours (UTC), start inclusive, end exclusive. */
  readonly occupiedFromHour: number;
  readonly occupiedToHour: number;
  /** Peak afternoon warming from sun and occupants, °C. */
  readonly solarGainC: number;
  /** Half the peak-to-peak swing of the thermostat's on/off cycle, °C. */
  readonly hvacSwingC: number;
  /** Period of the thermostat's cycle, ms. */
  readonly hvacPeriodMs: number;
  /** Phase of the thermostat's cycle, ms. */
  readonly hvacPhaseMs: number;
  /** Relative humidity at the day setpoint, %RH. */
  readonly baseHumidityPct: number;
}

/** Individual characteristics of one sensor. */
export interface SensorProfile {
  /** Calibration error of this unit, °C. */
  readonly offsetC: number;
  /** Standard deviation of the measurement noise, °C. */
  readonly noiseSdC: number;
  /** Random-walk intensity of the slow drift, °C per √hour. */
  readonly driftSdPerSqrtHourC: number;
  /** Mean reversion of the drift per hour (drift is an Ornstein-Uhlenbeck process, so it stays bounded). */
  readonly driftReversionPerHour: number;
  /** Battery charge when the simulation starts, %. */
  readonly batteryStartPct: number;
  /** Battery drain, % per simulated day. */
  readonly batteryDrainPctPerDay: number;
  /** Mean received signal strength, dBm (depends on distance to the gateway). */
  readonly rssiMeanDbm: number;
  /** Standard deviation of the signal strength, dB. */
  readonly rssiSdDb: number;
}

/** One noise-free-of-anomalies reading, before rounding for the payload. */
export interface BaseReading {
  readonly temperatureC: number;
  readonly humidityPct: number;
  readonly batteryPct: number;
  readonly rssiDbm: number;
  readonly status: DeviceStatus;
}

/** Draws a room's climate from the run seed: the same room ID under the same seed is the same room. */
export function roomClimate(seed: string, roomId: string): RoomClimate {
  const prng = new Prng(seed, `room/${roomId}`);
  return {
    daySetpointC: prng.uniform(20, 23),
    nightSetbackC: prng.uniform(1.5, 3.5),
    occupiedFromHour: prng.int(5, 7),
    occupiedToHour: prng.int(18, 21),
    solarGainC: prng.uniform(0.3, 1.8),
    hvacSwingC: prng.uniform(0.1, 0.35),
    hvacPeriodMs: prng.uniform(15, 40) * 60_000,
    hvacPhaseMs: prng.uniform(0, 40) * 60_000,
    baseHumidityPct: prng.uniform(38, 52),
  };
}

/** Draws a sensor's characteristics from the run seed and its thing name. */
export function sensorProfile(seed: string, thingName: string): SensorProfile {
  const prng = new Prng(seed, `profile/${thingName}`);
  return {
    offsetC: prng.normal(0, 0.3),
    noiseSdC: prng.uniform(0.03, 0.12),
    driftSdPerSqrtHourC: prng.uniform(0.01, 0.05),
    driftReversionPerHour: 1 / 48,
    batteryStartPct: prng.uniform(55, 100),
    batteryDrainPctPerDay: prng.uniform(0.05, 0.4),
    rssiMeanDbm: prng.uniform(-85, -45),
    rssiSdDb: prng.uniform(1, 4),
  };
}

/**
 * Room air temperature at time `ts` (ms since epoch), without any sensor error: the HVAC setpoint (smoothed
 * between day and night over about an hour), afternoon solar gain while occupied, and the thermostat's
 * triangle-wave cycle around the setpoint.
 */
export function roomTemperatureC(climate: RoomClimate, ts: number): number {
  const hour = (((ts % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS;
  // Logistic ramps (about an hour wide) at both ends of the occupied period: HVAC does not jump.
  const morning = logistic((hour - climate.occupiedFromHour) * 4);
  const evening = logistic((climate.occupiedToHour - hour) * 4);
  const occupied = morning * evening;
  const setpoint = climate.daySetpointC - climate.nightSetbackC * (1 - occupied);
  const solar = climate.solarGainC * Math.max(0, Math.sin((Math.PI * (hour - 9)) / 9)) * occupied;
  const cycle =
    (((ts + climate.hvacPhaseMs) % climate.hvacPeriodMs) + climate.hvacPeriodMs) % climate.hvacPeriodMs;
  const triangle = 4 * Math.abs(cycle / climate.hvacPeriodMs - 0.5) - 1;
  return setpoint + solar + climate.hvacSwingC * triangle;
}

function logistic(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** A sensor's base signal, sample by sample. Stateful (drift), so samples must be taken in time order. */
export class SensorModel {
  private readonly prng: Prng;
  private driftC = 0;
  private lastTs: number | undefined;
  private readonly firstTs: number;

  constructor(
    seed: string,
    thingName: string,
    private readonly climate: RoomClimate,
    private readonly profile: SensorProfile,
    /** Time of the first sample: the battery drains from here. */
    firstTs: number,
  ) {
    this.prng = new Prng(seed, `signal/${thingName}`);
    this.firstTs = firstTs;
  }

  /** The reading at `ts`; `ts` must not go backwards. */
  sample(ts: number): BaseReading {
    const { profile, prng } = this;
    const dtHours = this.lastTs === undefined ? 0 : Math.max(0, ts - this.lastTs) / HOUR_MS;
    this.lastTs = ts;
    if (dtHours > 0) {
      this.driftC =
        this.driftC * Math.exp(-profile.driftReversionPerHour * dtHours) +
        prng.normal(0, profile.driftSdPerSqrtHourC * Math.sqrt(dtHours));
    }
    const room = roomTemperatureC(this.climate, ts);
    const temperatureC = room + profile.offsetC + this.driftC + prng.normal(0, profile.noiseSdC);
    // Warmer air holds more water, so relative humidity falls as the room warms.
    const humidityPct = clamp(
      this.climate.baseHumidityPct - 2.2 * (room - this.climate.daySetpointC) + prng.normal(0, 0.6),
      0,
      100,
    );
    const elapsedDays = Math.max(0, ts - this.firstTs) / DAY_MS;
    const batteryPct = clamp(profile.batteryStartPct - profile.batteryDrainPctPerDay * elapsedDays, 0, 100);
    const rssiDbm = clamp(Math.round(prng.normal(profile.rssiMeanDbm, profile.rssiSdDb)), -130, 0);
    return { temperatureC, humidityPct, batteryPct, rssiDbm, status: deviceStatus(batteryPct, rssiDbm) };
  }
}

/** What the sensor reports about its own health: a flat battery faults it, a weak one or a bad link degrades it. */
export function deviceStatus(batteryPct: number, rssiDbm: number): DeviceStatus {
  if (batteryPct < 5) return "fault";
  if (batteryPct < 20 || rssiDbm < -95) return "degraded";
  return "ok";
}

export function clamp(value: number, min: number, max: number): number {
  return value < min ? min : value > max ? max : value;
}
