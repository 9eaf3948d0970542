import { expect } from "chai";
import { validatePayload, type TelemetryPayload } from "../../../components/telemetry/schema";
import { NO_ANOMALIES } from "../../../devices/model/anomalies";
import { roomClimate, roomTemperatureC, deviceStatus } from "../../../devices/model/sensor-model";
import {
  samplingPhaseMs,
  SimulatedSensor,
  type SimulatedSensorOptions,
} from "../../../devices/model/simulated-sensor";
import type { ReadingSource } from "../../../devices/model/source";
import { fnv1a32, Prng } from "../../../devices/prng";

const START = Date.UTC(2025, 0, 6); // a Monday, 00:00 UTC
const HOUR = 3_600_000;

function sensor(overrides: Partial<SimulatedSensorOptions> = {}): SimulatedSensor {
  return new SimulatedSensor({
    seed: "model-test",
    deviceId: "sensors-test-lab-001",
    roomId: "lab",
    startTs: START,
    intervalMs: 60_000,
    anomalies: NO_ANOMALIES,
    limits: { count: 1440 },
    ...overrides,
  });
}

function drain(source: ReadingSource): TelemetryPayload[] {
  const out: TelemetryPayload[] = [];
  while (source.nextTs() !== undefined) {
    const sample = source.take();
    if (sample.payload) out.push(sample.payload);
  }
  return out;
}

describe("devices: seeded PRNG", () => {
  it("repeats the same sequence for the same seed and scope, and differs across scopes and seeds", () => {
    const draw = (seed: string, scope: string): number[] => {
      const prng = new Prng(seed, scope);
      return Array.from({ length: 5 }, () => prng.nextUint32());
    };
    expect(draw("1", "a")).to.deep.equal(draw("1", "a"));
    expect(draw("1", "a")).to.not.deep.equal(draw("1", "b"));
    expect(draw("1", "a")).to.not.deep.equal(draw("2", "a"));
  });

  it("draws uniform values in [0, 1) and normal values with the requested mean and deviation", () => {
    const prng = new Prng("stats", "x");
    const uniform = Array.from({ length: 20_000 }, () => prng.next());
    expect(Math.min(...uniform)).to.be.at.least(0);
    expect(Math.max(...uniform)).to.be.below(1);
    expect(mean(uniform)).to.be.closeTo(0.5, 0.01);
    const normal = Array.from({ length: 20_000 }, () => prng.normal(10, 2));
    expect(mean(normal)).to.be.closeTo(10, 0.05);
    expect(sd(normal)).to.be.closeTo(2, 0.05);
    const ints = new Set(Array.from({ length: 1_000 }, () => prng.int(3, 5)));
    expect([...ints].sort()).to.deep.equal([3, 4, 5]);
  });

  it("hashes strings with FNV-1a (reference values)", () => {
    expect(fnv1a32("")).to.equal(0x811c9dc5);
    expect(fnv1a32("a")).to.equal(0xe40c292c);
    expect(fnv1a32("foobar")).to.equal(0xbf9cf968);
  });
});

describe("devices: sensor model", () => {
  it("gives the same readings for the same seed and different ones for another seed", () => {
    const a = drain(sensor());
    expect(a).to.have.length(1440);
    expect(drain(sensor())).to.deep.equal(a);
    const other = drain(sensor({ seed: "another" }));
    expect(other.map((p) => p.temperature_c)).to.not.deep.equal(a.map((p) => p.temperature_c));
  });

  it("produces readings the telemetry schema accepts, with seq +1 per reading and ts on the schedule", () => {
    const readings = drain(sensor());
    const phase = samplingPhaseMs("model-test", "sensors-test-lab-001", 60_000);
    readings.forEach((p, i) => {
      expect(validatePayload(p, { deviceId: "sensors-test-lab-001", roomId: "lab" })).to.deep.equal([]);
      expect(p.seq).to.equal(i);
      expect(p.ts).to.equal(START + phase + i * 60_000);
    });
    expect(phase).to.be.within(0, 59_999);
  });

  it("has a daily cycle: warmer in the occupied afternoon than at night, within a plausible room range", () => {
    const readings = drain(sensor({ limits: { count: 1440 } }));
    const hourOf = (p: TelemetryPayload): number => new Date(p.ts).getUTCHours();
    const night = readings.filter((p) => hourOf(p) >= 1 && hourOf(p) < 4).map((p) => p.temperature_c);
    const afternoon = readings.filter((p) => hourOf(p) >= 13 && hourOf(p) < 16).map((p) => p.temperature_c);
    expect(mean(afternoon) - mean(night)).to.be.greaterThan(1);
    for (const p of readings) expect(p.temperature_c).to.be.within(14, 28);
  });

  it("shares a room's climate between its sensors and keeps each sensor's own offset and noise", () => {
    const a = drain(sensor({ deviceId: "sensors-test-lab-001" }));
    const b = drain(sensor({ deviceId: "sensors-test-lab-002" }));
    const diffs = a.map((p, i) => p.temperature_c - (b[i] as TelemetryPayload).temperature_c);
    // Same room: the difference is offset + drift + noise, far smaller than the daily swing each one shows.
    expect(sd(diffs)).to.be.lessThan(0.6);
    expect(diffs.some((d) => d !== 0)).to.equal(true);
    const climate = roomClimate("model-test", "lab");
    expect(roomTemperatureC(climate, START + 14 * HOUR)).to.be.greaterThan(
      roomTemperatureC(climate, START + 3 * HOUR),
    );
  });

  it("drains the battery over simulated days and reports status from battery and signal", () => {
    const week = drain(sensor({ intervalMs: HOUR, limits: { count: 24 * 30 } }));
    const first = week[0] as TelemetryPayload;
    const last = week[week.length - 1] as TelemetryPayload;
    expect(last.battery_pct).to.be.lessThan(first.battery_pct as number);
    expect(deviceStatus(50, -60)).to.equal("ok");
    expect(deviceStatus(15, -60)).to.equal("degraded");
    expect(deviceStatus(50, -100)).to.equal("degraded");
    expect(deviceStatus(3, -60)).to.equal("fault");
  });

  it("stops at the count or the end time, whichever comes first", () => {
    expect(drain(sensor({ limits: { count: 7 } }))).to.have.length(7);
    // The phase is under one interval, so exactly ten samples fall in the first ten minutes.
    const byTime = drain(sensor({ limits: { count: 1000, endTs: START + 10 * 60_000 } }));
    expect(byTime).to.have.length(10);
    expect(byTime.every((p) => p.ts < START + 10 * 60_000)).to.equal(true);
  });
});

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function sd(values: number[]): number {
  const m = mean(values);
  return Math.sqrt(values.reduce((a, b) => a + (b - m) ** 2, 0) / values.length);
}
