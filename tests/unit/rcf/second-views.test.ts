// The detector's second views (local/rcf/second-views.ts) and the sequence model under one of them
// (local/rcf/context-model.ts): a noisy series that goes quiet is a fault the forest over single readings does
// not see, and each view does.
import { expect } from "chai";
import { SERIES_ALERT_POLICY, AnomalyDetector } from "../../../local/rcf/detector";
import { ContextModel } from "../../../local/rcf/context-model";
import { BlockView, CALENDAR_MIN_PERIODS, CalendarView, SequenceView } from "../../../local/rcf/second-views";
import { AlertStream, rangeTolerance } from "../../../components/ml/alert-policy";

/** Deterministic noise in [-0.5, 0.5). */
function noiseSource(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) >>> 0;
    return state / 2 ** 32 - 0.5;
  };
}

/** Level 10 with noise of spread 1, which drops a hundredfold from `quietFrom` on (not one repeated value). */
function goesQuiet(rows: number, quietFrom: number, seed: number): number[] {
  const noise = noiseSource(seed);
  return Array.from(
    { length: rows },
    (_, i) => 10 + (i >= quietFrom ? 0.01 : 1) * (noise() + noise() + noise()),
  );
}

/** Readings (index and kind) the detector pages on. */
function alerts(values: readonly number[], options: ConstructorParameters<typeof AnomalyDetector>[0]) {
  const detector = new AnomalyDetector({ warmup: 750, ...options });
  const paged: { at: number; kind: string | undefined }[] = [];
  values.forEach((value, at) => {
    const result = detector.process(value);
    if (result.alert) paged.push({ at, kind: result.kind });
  });
  return paged;
}

const QUIET_FROM = 3000;
const SEEDS = [1, 2, 3, 7];

describe("rcf: the detector's second views", function () {
  this.timeout(60_000);

  it("page on a noisy series that goes quiet, which the forest alone never does", () => {
    for (const seed of SEEDS) {
      const values = goesQuiet(4000, QUIET_FROM, seed);
      const inQuiet = (paged: ReturnType<typeof alerts>) => paged.filter(({ at }) => at >= QUIET_FROM);
      const forestOnly = alerts(values, { blockReadings: 0, sequenceView: false });
      expect(inQuiet(forestOnly), `seed ${seed}, forest only`).to.deep.equal([]);
      // Each view alone sees it within 32 readings (two blocks), and both together.
      for (const views of [{ sequenceView: false }, { blockReadings: 0 }, {}]) {
        const quiet = inQuiet(alerts(values, views));
        expect(quiet, `seed ${seed}, ${JSON.stringify(views)}`).to.have.length.greaterThan(0);
        expect(quiet[0]!.at).to.be.below(QUIET_FROM + 32);
        expect(quiet[0]!.kind).to.equal("score");
      }
    }
  });

  it("stay off for several columns, and reject an impossible block size naming it", () => {
    const twoColumns = new AnomalyDetector({ dimensions: 2, warmup: 100, numberOfTrees: 10 });
    for (let i = 0; i < 300; i++) twoColumns.process([i % 7, i % 5]);
    expect(twoColumns.count).to.equal(300);
    expect(() => new AnomalyDetector({ blockReadings: 1 })).to.throw(
      RangeError,
      /blockReadings must be 0 \(off\)/,
    );
    expect(() => new AnomalyDetector({ blockReadings: 2.5 })).to.throw(RangeError, /blockReadings/);
    expect(() => new BlockView(1, 750, { ...SERIES_ALERT_POLICY }, 42)).to.throw(RangeError, /at least 2/);
  });

  it("block view: a block's tail falls when its spread collapses, and holds until the next block", () => {
    const policy = { ...SERIES_ALERT_POLICY, learning: 375 };
    const view = new BlockView(16, 750, policy, 42);
    const values = goesQuiet(4000, QUIET_FROM, 5);
    let before = 1;
    let after = 1;
    const heldTails: (number | undefined)[] = [];
    values.forEach((value, i) => {
      view.add(value);
      const tail = view.tail ?? 1;
      if (i < QUIET_FROM) before = Math.min(before, tail);
      else if (i < QUIET_FROM + 64) after = Math.min(after, tail);
      if (i >= 2000 && i < 2016) heldTails.push(view.tail);
    });
    expect(after).to.be.below(1e-5);
    expect(before).to.be.above(after * 1e3);
    // Readings inside one block (2000 to 2015; the block ends at 2015) see the previous block's tail.
    expect(new Set(heldTails.slice(0, 15)).size).to.equal(1);
  });

  it("sequence view: a noisy series that turns into a repeating pattern of its own values is improbable", () => {
    const view = new SequenceView(375, { ...SERIES_ALERT_POLICY, learning: 375 });
    const noise = noiseSource(11);
    let normal = 1;
    let patterned = 1;
    for (let i = 0; i < 4000; i++) {
      // The same values as before (0..9), in a fixed order from reading 3000 on.
      const value = i < 3000 ? Math.floor((noise() + 0.5) * 10) : i % 10;
      view.learn(value);
      if (i < 375) continue;
      const tail = view.judge(i) ?? 1;
      if (i < 3000) normal = Math.min(normal, tail);
      else patterned = Math.min(patterned, tail);
    }
    // Noise's most predictable stretch stays near 1e-2; the pattern goes below 1e-4 as the model learns it.
    expect(patterned).to.be.below(1e-4);
    expect(normal).to.be.above(patterned * 50);
  });
});

describe("rcf: ContextModel", () => {
  it("finds a repeating sequence predictable and noise not", () => {
    const repeating = new ContextModel({ calibration: 100 });
    const noisy = new ContextModel({ calibration: 100 });
    const noise = noiseSource(3);
    let repeatingBits = 0;
    let noisyBits = 0;
    for (let i = 0; i < 2000; i++) {
      const r = repeating.process([1, 5, 9, 5][i % 4]!);
      const n = noisy.process(noise());
      if (i >= 1000) {
        repeatingBits += r;
        noisyBits += n;
      }
    }
    // 12 equal-frequency levels: noise costs about log2(12) = 3.6 bits a reading; the pattern far less.
    expect(noisyBits / 1000).to.be.above(3);
    expect(repeatingBits / 1000).to.be.below(1);
  });

  it("scores 0 while it calibrates, and gives values beyond the calibrated range their own symbols", () => {
    const model = new ContextModel({ calibration: 10, levels: 4 });
    for (let i = 0; i < 10; i++) expect(model.process(i)).to.equal(0);
    expect(model.calibrated).to.equal(true);
    expect(model.symbolOf(-1)).to.equal(0);
    expect(model.symbolOf(100)).to.equal(5);
    expect(model.symbolOf(0)).to.equal(1);
    expect(model.symbolOf(9)).to.equal(4);
    expect(model.process(1000)).to.be.above(0);
  });

  it("keeps at most maxContexts contexts however long the stream", () => {
    const model = new ContextModel({ calibration: 50, maxContexts: 40 });
    const noise = noiseSource(9);
    for (let i = 0; i < 20_000; i++) model.process(noise());
    expect(model.contextCount).to.be.at.most(40);
  });

  it("rejects impossible options, naming the option", () => {
    expect(() => new ContextModel({ levels: 1 })).to.throw(
      RangeError,
      /levels must be a whole number of at least 2/,
    );
    expect(() => new ContextModel({ concentration: 0 })).to.throw(RangeError, /concentration/);
    expect(() => new ContextModel({ countLimit: 1 })).to.throw(RangeError, /countLimit/);
    expect(() => new ContextModel({ levels: 1000, order: 20 })).to.throw(RangeError, /too many/);
  });
});

/**
 * 5-minute readings from 2024-01-01 UTC: a daily cycle (peak at 14:00) with noise, its cycle gone on day
 * `flatDay`; or, with `flipFrom` (a reading index at 08:00), the cycle's peak moved to 02:00 from then on, which
 * keeps every value, slope and block as ordinary as before (the two cycles cross at 08:00: no jump).
 */
function dailyCycle(
  days: number,
  flatDay: number,
  seed: number,
  flipFrom = Infinity,
): { times: number[]; values: number[] } {
  const noise = noiseSource(seed);
  const start = Date.UTC(2024, 0, 1);
  const times: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < days * 288; i++) {
    const time = start + i * 300_000;
    const hour = (time / 3_600_000) % 24;
    const day = Math.floor(i / 288);
    const cycle =
      day === flatDay ? 0 : (i >= flipFrom ? -10 : 10) * Math.cos(((hour - 14) / 24) * 2 * Math.PI);
    times.push(time);
    values.push(20 + cycle + noise());
  }
  return { times, values };
}

describe("rcf: the calendar view", function () {
  this.timeout(60_000);
  const policy = { ...SERIES_ALERT_POLICY, learning: 375 };

  it("stays silent for its first days, then is surest where a day's cycle is missing", () => {
    const { times, values } = dailyCycle(10, 8, 3);
    const view = new CalendarView(policy);
    const tails: (number | undefined)[] = values.map((v, i) => view.process(i, times[i]!, v));
    const firstSpoken = tails.findIndex((t) => t !== undefined);
    expect(firstSpoken, "silent for the first days").to.be.at.least(CALENDAR_MIN_PERIODS * 288);
    const smallest = (from: number, to: number) => Math.min(...tails.slice(from, to).map((t) => t ?? 1));
    // The flat day (day 8): a midday reading far below its hour's profile, while every value stays in range.
    expect(smallest(8 * 288, 9 * 288)).to.be.below(1e-5);
    // Ordinary days after it has learned: nothing near the bar.
    expect(smallest(4 * 288, 8 * 288)).to.be.above(1e-4);
    expect(view.tail).to.equal(tails.at(-1));
  });

  it("never speaks for a series without a daily cycle, nor for readings without a time", () => {
    const noise = noiseSource(9);
    const view = new CalendarView(policy);
    const start = Date.UTC(2024, 0, 1);
    for (let i = 0; i < 10 * 288; i++)
      expect(view.process(i, start + i * 300_000, 20 + 3 * noise()), `reading ${i}`).to.equal(undefined);
    const timeless = new CalendarView(policy);
    const { values } = dailyCycle(6, -1, 4);
    values.forEach((v, i) => expect(timeless.process(i, NaN, v)).to.equal(undefined));
    expect(() => new CalendarView(policy, 3_600_000, 7_200_000)).to.throw(RangeError, /at least one bucket/);
  });

  it("hands the detector its tail: a cycle whose peak slid six hours later is improbable only with it", () => {
    // Days 0-8 peak at 14:00; during day 9 the peak slides smoothly to 20:00 (no jump, no kink), then stays.
    // Every shingle, block and sequence afterwards is an ordinary piece of a daily cycle: only the clock says
    // that it comes six hours late.
    const noise = noiseSource(5);
    const start = Date.UTC(2024, 0, 1);
    const times: number[] = [];
    const values: number[] = [];
    for (let i = 0; i < 12 * 288; i++) {
      const hours = i / 12;
      const lag = Math.min(6, Math.max(0, ((hours - 9 * 24) / 24) * 6));
      times.push(start + i * 300_000);
      values.push(20 + 10 * Math.cos(((hours - 14 - lag) / 24) * 2 * Math.PI) + noise());
    }
    const smallestTail = (calendarView: boolean) => {
      const detector = new AnomalyDetector({ warmup: 750, calendarView });
      expect(detector.views.calendarView).to.equal(calendarView);
      let smallest = 1;
      values.forEach((v, i) => {
        const { tailProbability } = detector.process(v, times[i]!);
        if (i >= 10 * 288) smallest = Math.min(smallest, tailProbability);
      });
      return smallest;
    };
    const withView = smallestTail(true);
    const without = smallestTail(false);
    expect(withView).to.be.below(1e-4);
    expect(without).to.be.above(1e-3);
  });
});

describe("alert policy: the range rule's warm-up", function () {
  it("widens the tolerance while few readings are seen, fading to spatialTolerance", () => {
    const settings = { ...SERIES_ALERT_POLICY, spatialTolerance: 0.05, rangeWarmup: 1500 };
    expect(rangeTolerance(settings, 1500)).to.be.closeTo(0.1, 1e-12);
    expect(rangeTolerance(settings, 150_000)).to.be.closeTo(0.0505, 1e-12);
    expect(rangeTolerance({ ...settings, rangeWarmup: undefined }, 10)).to.equal(0.05);
    expect(rangeTolerance({ ...settings, spatialTolerance: undefined }, 10)).to.equal(undefined);
  });

  it("does not page on a value 8% beyond an early range, and does once the range is old", () => {
    const pages = (rangeWarmup: number | undefined, seen: number) => {
      const stream = new AlertStream({ ...SERIES_ALERT_POLICY, learning: 2, rangeWarmup });
      // A steady score, so the stream is ready and only the range can speak.
      for (let i = 0; i < seen; i++) stream.observe({ at: i, score: 1, value: i % 2 === 0 ? 0 : 10 });
      return stream.observe({ at: seen, score: 1, value: 10.8 }).kind;
    };
    expect(pages(undefined, 1000)).to.equal("range");
    expect(pages(1500, 1000)).to.equal(undefined); // tolerance 0.05 x (1 + 1500/1000) = 12.5%
    expect(pages(1500, 100_000)).to.equal("range"); // 5.1%
    expect(() => new AlertStream({ ...SERIES_ALERT_POLICY, rangeWarmup: -1 })).to.throw(
      RangeError,
      /rangeWarmup must be 0 or more/,
    );
  });
});
