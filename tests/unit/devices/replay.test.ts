import { expect } from "chai";
import { join } from "node:path";
import { validatePayload } from "../../../components/telemetry/schema";
import { loadRecordedSeries, parseRecordedSeries, ReplaySensor } from "../../../devices/model/replay";

const NAB = join(__dirname, "../../../data/nab/data/realKnownCause/machine_temperature_system_failure.csv");
const START = Date.UTC(2025, 0, 6);

describe("devices: replay of a recorded series", () => {
  const { points, skippedLines } = loadRecordedSeries(NAB);

  it("reads the NAB machine-temperature file: timestamps as UTC, values as recorded, the repeated hour skipped", () => {
    // 22,695 rows, of which the second copy of 2014-01-07 02:00-02:55 (12 rows) goes back in time.
    expect(skippedLines).to.deep.equal(Array.from({ length: 12 }, (_, i) => 10151 + i));
    expect(points).to.have.length(22_695 - 12);
    expect(points[0]).to.deep.equal({ ts: Date.UTC(2013, 11, 2, 21, 15), value: 73.96732207 });
    expect(points[points.length - 1]).to.deep.equal({
      ts: Date.UTC(2014, 1, 19, 15, 25),
      value: 96.90386085,
    });
  });

  it("publishes the recorded values at the recorded cadence, shifted to the run's start", () => {
    const replay = new ReplaySensor({
      seed: "r",
      deviceId: "sensors-dev-lab-001",
      roomId: "lab",
      points,
      startTs: START,
      limits: { count: 100 },
    });
    expect(replay.shiftMs).to.equal(START - Date.UTC(2013, 11, 2, 21, 15));
    const payloads = [];
    while (replay.nextTs() !== undefined) payloads.push(replay.take().payload);
    expect(payloads).to.have.length(100);
    payloads.forEach((p, i) => {
      const point = points[i] as { ts: number; value: number };
      expect(p?.ts).to.equal(point.ts + replay.shiftMs);
      expect(p?.temperature_c).to.equal(Math.round(point.value * 100) / 100);
      expect(p?.seq).to.equal(i);
      expect(validatePayload(p, { deviceId: "sensors-dev-lab-001", roomId: "lab" })).to.deep.equal([]);
    });
    // NAB's first failure window, mapped with the shift, lands on the replayed readings' clock.
    const windowStart = Date.parse("2013-12-10T06:25:00Z") + replay.shiftMs;
    expect(new Date(windowStart).toISOString()).to.equal("2025-01-13T09:10:00.000Z");
  });

  it("stops at the end of the data or of the run, whichever comes first", () => {
    const byTime = new ReplaySensor({
      seed: "r",
      deviceId: "d",
      roomId: "lab",
      points,
      startTs: START,
      limits: { endTs: START + 3_600_000 },
    });
    let count = 0;
    while (byTime.nextTs() !== undefined) {
      byTime.take();
      count++;
    }
    expect(count).to.equal(12);
    const short = parseRecordedSeries(
      "timestamp,value\n2024-01-01 00:00:00,20\n2024-01-01 00:05:00,21\n",
    ).points;
    const all = new ReplaySensor({
      seed: "r",
      deviceId: "d",
      roomId: "lab",
      points: short,
      startTs: START,
      limits: {},
    });
    all.take();
    all.take();
    expect(all.nextTs()).to.equal(undefined);
  });

  it("accepts ISO and epoch-millisecond timestamps, with or without a header", () => {
    expect(parseRecordedSeries("2024-01-01T00:00:00Z,20.5\n1704067500000,21").points).to.deep.equal([
      { ts: Date.UTC(2024, 0, 1), value: 20.5 },
      { ts: Date.UTC(2024, 0, 1, 0, 5), value: 21 },
    ]);
  });

  it("skips rows that go back in time and keeps the others on their recorded time", () => {
    expect(
      parseRecordedSeries("t,v\n2024-01-01 00:05:00,20\n2024-01-01 00:00:00,21\n2024-01-01 00:10:00,22"),
    ).to.deep.equal({
      points: [
        { ts: Date.UTC(2024, 0, 1, 0, 5), value: 20 },
        { ts: Date.UTC(2024, 0, 1, 0, 10), value: 22 },
      ],
      skippedLines: [3],
    });
  });

  it("rejects bad rows with the line number and the fix", () => {
    expect(() => parseRecordedSeries("2024-01-01 00:00:00,warm", "x.csv")).to.throw(
      'x.csv line 1: "warm" is not a number',
    );
    expect(() => parseRecordedSeries("2024-01-01 00:00:00,200", "x.csv")).to.throw(
      "x.csv line 1: 200 is outside the sensor range -40..125 °C of the telemetry schema",
    );
    expect(() => parseRecordedSeries("time,temperature\n2024-01-01 00:00:00,20\ntoday,21", "x.csv")).to.throw(
      'x.csv line 3: "today" is not a timestamp (use ISO 8601 or epoch ms)',
    );
    expect(() => parseRecordedSeries("timestamp,value\n", "x.csv")).to.throw("x.csv has no data rows");
    expect(() => loadRecordedSeries("/nonexistent.csv")).to.throw(
      /^--replay \/nonexistent.csv: cannot read the file \(ENOENT/,
    );
  });
});
