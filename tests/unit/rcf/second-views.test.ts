// The detector's second views (local/rcf/second-views.ts) and the sequence model under one of them
// (local/rcf/context-model.ts): a noisy series that goes quiet is a fault the forest over single readings does
// not see, and each view does.
import { expect } from "chai";
import { SERIES_ALERT_POLICY, AnomalyDetector } from "../../../local/rcf/detector";
import { ContextModel } from "../../../local/rcf/context-model";
import { BlockView, SequenceView } from "../../../local/rcf/second-views";

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
