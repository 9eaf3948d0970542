// Time-decayed reservoir sampler: heap order, fixed capacity, and, above all, the same sampling law as the
// reference's per-point rule (weight = -lambda x i + log(-log u), keep the smallest), which our skip-ahead scheduling
// must reproduce in distribution.
import { expect } from "chai";
import { Xoshiro128 } from "../../../local/rcf/random";
import { CompactSampler } from "../../../local/rcf/sampler";

/** Runs a sampler over `length` points and returns the sequence indexes it keeps. */
function sampleWith(sampler: CompactSampler, length: number, timeDecay: number): number[] {
  const kept = new Map<number, number>(); // reference -> sequence
  let nextReference = 0;
  for (let sequence = 0; sequence < length; sequence++) {
    if (sequence < sampler.nextAcceptance) continue;
    const offset = timeDecay * sequence;
    if (!sampler.acceptPoint(sequence, Math.exp(offset), offset)) continue;
    if (sampler.evicted >= 0) kept.delete(sampler.evicted);
    const reference = nextReference++;
    kept.set(reference, sequence);
    sampler.addPoint(reference);
  }
  return [...kept.values()];
}

/** The reference rule, point by point: keep the `capacity` smallest weights. */
function naiveSample(capacity: number, length: number, timeDecay: number, random: Xoshiro128): number[] {
  const weights: { sequence: number; weight: number }[] = [];
  for (let sequence = 0; sequence < length; sequence++) {
    const weight = -timeDecay * sequence + Math.log(-Math.log(random.nextDouble()));
    if (weights.length < capacity) {
      weights.push({ sequence, weight });
      continue;
    }
    let max = 0;
    for (let i = 1; i < weights.length; i++) if (weights[i].weight > weights[max].weight) max = i;
    if (weight < weights[max].weight) weights[max] = { sequence, weight };
  }
  return weights.map((entry) => entry.sequence);
}

describe("rcf: CompactSampler", () => {
  it("never exceeds its capacity and keeps a max-heap of weights", () => {
    const sampler = new CompactSampler(32, new Xoshiro128(1), 0.01);
    const kept = sampleWith(sampler, 5000, 0.01);
    expect(sampler.size).to.equal(32);
    expect(kept).to.have.length(32);
    expect(sampler.isHeap()).to.equal(true);
  });

  it("draws the same sample law as the per-point reference rule (skip-ahead is exact in distribution)", () => {
    const capacity = 8;
    const length = 200;
    const trials = 3000;
    for (const timeDecay of [0, 0.02]) {
      const ours = new Float64Array(length);
      const reference = new Float64Array(length);
      const naiveRandom = new Xoshiro128(99);
      for (let trial = 0; trial < trials; trial++) {
        // initialAcceptFraction 1 = the classical reservoir start (first `capacity` points admitted), as in the naive rule.
        const sampler = new CompactSampler(capacity, new Xoshiro128(trial, 5), timeDecay, 1);
        for (const sequence of sampleWith(sampler, length, timeDecay)) ours[sequence]++;
        for (const sequence of naiveSample(capacity, length, timeDecay, naiveRandom)) reference[sequence]++;
      }
      // Compare inclusion probabilities over 10 age buckets of 20 points.
      for (let bucket = 0; bucket < 10; bucket++) {
        let a = 0;
        let b = 0;
        for (let i = bucket * 20; i < (bucket + 1) * 20; i++) {
          a += ours[i] / trials;
          b += reference[i] / trials;
        }
        expect(a, `lambda ${timeDecay}, bucket ${bucket}`).to.be.closeTo(b, 0.05 + 0.05 * b);
      }
      if (timeDecay === 0) {
        // Uniform reservoir: every point is kept with probability capacity / length = 0.04.
        const late = ours.subarray(100).reduce((sum, count) => sum + count, 0) / trials;
        expect(late).to.be.closeTo(capacity / 2, 0.25);
      }
    }
  });

  it("favours recent points when time decay is on", () => {
    const sampler = new CompactSampler(64, new Xoshiro128(3), 1 / 640);
    const kept = sampleWith(sampler, 20000, 1 / 640);
    const meanAge = kept.reduce((sum, sequence) => sum + (20000 - sequence), 0) / kept.length;
    // Weights decay like exp(-lambda x age): the sample covers roughly the last 1/lambda = 640 points.
    expect(meanAge).to.be.greaterThan(100).and.lessThan(1500);
  });

  it("rebases weights without changing which point is evicted next", () => {
    const sampler = new CompactSampler(16, new Xoshiro128(4), 0.01);
    sampleWith(sampler, 300, 0.01);
    const before = Array.from(sampler.references);
    const maxReference = sampler.references[0];
    sampler.rebase(2.5);
    expect(Array.from(sampler.references)).to.deep.equal(before);
    expect(sampler.references[0]).to.equal(maxReference);
    expect(sampler.isHeap()).to.equal(true);
  });

  it("rejects invalid settings with a message naming them", () => {
    expect(() => new CompactSampler(0, new Xoshiro128(1), 0)).to.throw(/capacity/);
    expect(() => new CompactSampler(4, new Xoshiro128(1), -1)).to.throw(/timeDecay/);
    expect(() => new CompactSampler(4, new Xoshiro128(1), 0, 0)).to.throw(/initialAcceptFraction/);
  });
});
