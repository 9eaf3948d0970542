// RandomCutForest: determinism by seed, score behaviour, shingling, options, and bounded memory over a long stream.
import { expect } from "chai";
import { RandomCutForest, resolveForestOptions } from "../../../local/rcf/forest";
import { Xoshiro128 } from "../../../local/rcf/random";
import { fromSageMakerHyperparameters, toSageMakerHyperparameters } from "../../../local/rcf/settings";

function gaussian(random: Xoshiro128): number {
  return Math.sqrt(-2 * Math.log(random.nextDouble())) * Math.cos(2 * Math.PI * random.nextDouble());
}

function sensorSeries(length: number, seed: number): Float64Array {
  const random = new Xoshiro128(seed);
  return Float64Array.from(
    { length },
    (_, i) => 20 + 5 * Math.sin((2 * Math.PI * i) / 288) + gaussian(random),
  );
}

function scoreAll(forest: RandomCutForest, values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values, (value) => forest.process(value));
}

describe("rcf: RandomCutForest", () => {
  it("uses the reference's defaults", () => {
    const forest = new RandomCutForest();
    expect(forest.options).to.deep.equal({
      numberOfTrees: 50,
      sampleSize: 256,
      timeDecay: 1 / 2560,
      outputAfter: 64,
      shingleSize: 1,
      dimensions: 1,
      randomSeed: 42,
      initialAcceptFraction: 0.125,
    });
  });

  it("gives the same scores for the same seed and different scores for another seed", () => {
    const values = sensorSeries(3000, 1);
    const options = { numberOfTrees: 20, sampleSize: 64, randomSeed: 1234 };
    const first = scoreAll(new RandomCutForest(options), values);
    const second = scoreAll(new RandomCutForest(options), values);
    const other = scoreAll(new RandomCutForest({ ...options, randomSeed: 1235 }), values);
    expect(Array.from(second)).to.deep.equal(Array.from(first));
    let differing = 0;
    for (let i = 0; i < values.length; i++) if (other[i] !== first[i]) differing++;
    expect(differing).to.be.greaterThan(values.length * 0.9);
  });

  it("reports 0 until outputAfter points are learned, then scores around 1 with outliers far above", () => {
    const forest = new RandomCutForest({ numberOfTrees: 30, sampleSize: 128 });
    const values = sensorSeries(4000, 2);
    const scores = scoreAll(forest, values);
    expect(Array.from(scores.subarray(0, 32))).to.deep.equal(new Array(32).fill(0));
    expect(scores[32]).to.be.greaterThan(0);
    const steady = scores.subarray(1000);
    const mean = steady.reduce((sum, score) => sum + score, 0) / steady.length;
    expect(mean).to.be.within(0.5, 1.5);
    const outlier = forest.getAnomalyScore(1000);
    expect(outlier).to.be.greaterThan(3 * mean);
    // Scores are bounded by log2(sampleSize + 1): a point separated at the root scores at most that.
    expect(outlier).to.be.at.most(Math.log2(129) + 1e-9);
  });

  it("getAnomalyScore does not learn; process = getAnomalyScore then update", () => {
    const values = sensorSeries(1500, 3);
    const a = new RandomCutForest({ numberOfTrees: 10, sampleSize: 64 });
    const b = new RandomCutForest({ numberOfTrees: 10, sampleSize: 64 });
    for (const value of values) {
      const viaProcess = a.process(value);
      const first = b.getAnomalyScore(value);
      expect(b.getAnomalyScore(value)).to.equal(first);
      b.update(value);
      expect(viaProcess).to.equal(first);
    }
    expect(a.totalUpdates).to.equal(values.length);
  });

  it("shingles readings: a shape change scores high although every value is ordinary", () => {
    // A square wave alternating every 4 readings; then the pattern breaks (a value repeated out of phase).
    const pattern = (i: number) => (Math.floor(i / 4) % 2 === 0 ? 0 : 10);
    const shingled = new RandomCutForest({ numberOfTrees: 30, sampleSize: 128, shingleSize: 4 });
    const flat = new RandomCutForest({ numberOfTrees: 30, sampleSize: 128 });
    for (let i = 0; i < 3000; i++) {
      shingled.process(pattern(i));
      flat.process(pattern(i));
    }
    // The wave continues with 0, 0, 0, 0, 10, ...; instead it flips every reading: 0, 10, 0, 10. Each value is
    // ordinary, but a shingle like [0, 10, 0, 10] never occurred.
    const normalScore = shingled.getAnomalyScore(0);
    const breakScores = [0, 10, 0, 10].map((value) => shingled.process(value));
    expect(Math.max(...breakScores)).to.be.greaterThan(2 * normalScore);
    expect(Math.max(...breakScores)).to.be.greaterThan(2);
    expect(flat.getAnomalyScore(10)).to.be.lessThan(1.5); // 10 is an ordinary value on its own
    expect(shingled.shingledDimensions).to.equal(4);
  });

  it("scores multi-dimensional readings and rejects readings of the wrong size", () => {
    const forest = new RandomCutForest({ numberOfTrees: 20, sampleSize: 64, dimensions: 2 });
    const random = new Xoshiro128(5);
    for (let i = 0; i < 2000; i++) {
      const x = gaussian(random);
      forest.process([x, 2 * x + 0.1 * gaussian(random)]); // strongly correlated pair
    }
    const onTheLine = forest.getAnomalyScore([2, 4]);
    const offTheLine = forest.getAnomalyScore([2, -4]); // each value ordinary (2 sigma), the pair is not
    expect(offTheLine).to.be.greaterThan(1.5 * onTheLine);
    expect(offTheLine).to.be.greaterThan(2);
    expect(() => forest.process([1])).to.throw(/2 value\(s\) per reading/);
    expect(() => forest.process(1)).to.throw(/2 value\(s\) per reading/);
    expect(() => forest.process([1, Number.NaN])).to.throw(/not a finite number/);
    expect(() => new RandomCutForest().process(Number.POSITIVE_INFINITY)).to.throw(/not a finite number/);
  });

  it("keeps memory bounded by trees x sample size over a long stream (200k points)", () => {
    const trees = 10;
    const sampleSize = 32;
    const forest = new RandomCutForest({ numberOfTrees: trees, sampleSize, timeDecay: 1 / 320 });
    const initial = forest.capacities();
    expect(initial.pointStoreCapacity).to.equal(trees * sampleSize + 1);
    const random = new Xoshiro128(6);
    let maxPointsInUse = 0;
    for (let i = 0; i < 200_000; i++) {
      // A drifting series, so that new points keep entering and old ones leaving the samples.
      forest.process(i / 1000 + gaussian(random));
      if (i % 10_000 === 0) maxPointsInUse = Math.max(maxPointsInUse, forest.capacities().pointsInUse);
    }
    const final = forest.capacities();
    expect(final.pointStoreCapacity).to.equal(initial.pointStoreCapacity);
    expect(final.internalNodesPerTree).to.equal(sampleSize - 1);
    expect(final.leavesPerTree).to.equal(sampleSize);
    expect(final.typedArrayBytes).to.equal(initial.typedArrayBytes);
    expect(final.maxTreeMass).to.equal(sampleSize);
    expect(maxPointsInUse).to.be.at.most(trees * sampleSize);
    expect(final.pointsInUse).to.be.at.most(trees * sampleSize);
    for (const tree of forest.getTrees()) expect(tree.validate()).to.deep.equal([]);
    for (const sampler of forest.getSamplers()) expect(sampler.isHeap()).to.equal(true);
  });

  it("stays exact when sampler weights are rebased on a long, fast-decaying stream", () => {
    // timeDecay x updates far beyond the rebase offset (200): exp() would overflow without rebasing.
    const forest = new RandomCutForest({ numberOfTrees: 4, sampleSize: 16, timeDecay: 0.5 });
    for (let i = 0; i < 5000; i++) forest.process(i % 7);
    for (const tree of forest.getTrees()) expect(tree.validate()).to.deep.equal([]);
    expect(Number.isFinite(forest.getAnomalyScore(3))).to.equal(true);
    expect(forest.capacities().maxTreeMass).to.equal(16);
  });

  it("validates options with messages naming the option", () => {
    expect(() => resolveForestOptions({ numberOfTrees: 0 })).to.throw(/numberOfTrees/);
    expect(() => resolveForestOptions({ sampleSize: 2.5 })).to.throw(/sampleSize/);
    expect(() => resolveForestOptions({ timeDecay: -1 })).to.throw(/timeDecay/);
    expect(() => resolveForestOptions({ shingleSize: 0 })).to.throw(/shingleSize/);
    expect(() => resolveForestOptions({ randomSeed: Number.NaN })).to.throw(/randomSeed/);
  });

  it("maps SageMaker hyperparameters (strings included) to forest options and back", () => {
    const options = fromSageMakerHyperparameters({
      num_trees: "100",
      num_samples_per_tree: "512",
      feature_dim: "8",
      shingle_size: 4,
    });
    expect(options).to.deep.equal({ numberOfTrees: 100, sampleSize: 512, dimensions: 2, shingleSize: 4 });
    expect(fromSageMakerHyperparameters({ feature_dim: 1 })).to.deep.include({
      numberOfTrees: 100,
      sampleSize: 256,
    });
    expect(fromSageMakerHyperparameters({ feature_dim: 1 }, { timeDecay: 0 }).timeDecay).to.equal(0);
    expect(() => fromSageMakerHyperparameters({ feature_dim: "6", shingle_size: "4" })).to.throw(/multiple/);
    expect(() => fromSageMakerHyperparameters({ feature_dim: "x" })).to.throw(/feature_dim/);
    expect(toSageMakerHyperparameters(options)).to.deep.equal({
      num_trees: "100",
      num_samples_per_tree: "512",
      feature_dim: "8",
    });
    expect(new RandomCutForest(options).shingledDimensions).to.equal(8);
  });
});
