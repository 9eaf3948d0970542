// NAB evaluation on the real machine-temperature series: our scorer must reproduce the published Random Cut Forest
// run's score from its own file, our scores must rank the points like the published ones (Spearman >= 0.9 with the
// same settings), and our alert column, with the CLI's defaults, must beat the published run's NAB score.
import { expect } from "chai";
import { existsSync } from "node:fs";
import * as path from "node:path";
import { readNumericColumn, readSeriesCsv } from "../../../local/rcf/csv";
import { AnomalyDetector } from "../../../local/rcf/detector";
import { CLI_SHINGLE_SIZE } from "../../../local/rcf/cli-run";
import { RandomCutForest } from "../../../local/rcf/forest";
import {
  NAB_RANDOM_CUT_FOREST_STANDARD_THRESHOLD,
  detectionsAtThreshold,
  findNabWindows,
  loadNabWindows,
  nabProbationaryPeriod,
  nabNormalizedScore,
  nabScaledSigmoid,
  nabOptimalThreshold,
  nabScore,
  nabSweepFile,
  type NabWindow,
} from "../../../local/rcf/nab";
import { averageRanks, spearman } from "../../../local/rcf/stats";

/** NAB's machine-temperature extract, kept in the repository under data/nab (MIT, see its LICENSE.txt). */
const NAB = path.resolve(__dirname, "../../../data/nab");
const KEY = "realKnownCause/machine_temperature_system_failure.csv";
const DATA_FILE = path.join(NAB, "data", KEY);
const RESULTS_FILE = path.join(
  NAB,
  "results/randomCutForest/realKnownCause/randomCutForest_machine_temperature_system_failure.csv",
);
const WINDOWS_FILE = path.join(NAB, "labels/combined_windows.json");
/** NAB's published standard-profile score of the randomCutForest run on this file (results/.../standard_scores.csv). */
const PUBLISHED_SCORE = -2.1185689822;

function requireNabData(): void {
  for (const file of [DATA_FILE, RESULTS_FILE, WINDOWS_FILE]) {
    if (!existsSync(file)) throw new Error(`NAB test data missing from the repository: ${file}`);
  }
}

describe("rcf: NAB scoring and fidelity on machine_temperature_system_failure", function () {
  this.timeout(60_000);
  let series: ReturnType<typeof readSeriesCsv>;
  let reference: { timestamps: string[]; values: Float64Array };
  let windows: NabWindow[];

  before(() => {
    requireNabData();
    series = readSeriesCsv(DATA_FILE);
    reference = readNumericColumn(RESULTS_FILE, "anomaly_score");
    const found = findNabWindows(loadNabWindows(WINDOWS_FILE), DATA_FILE);
    if (!found) throw new Error(`no windows for ${KEY} in ${WINDOWS_FILE}`);
    windows = found.windows;
  });

  it("implements NAB's scaled sigmoid and probationary period", () => {
    expect(nabScaledSigmoid(-1)).to.be.closeTo(0.98661, 1e-5);
    expect(nabScaledSigmoid(-0.5)).to.be.closeTo(0.84828, 1e-5);
    expect(nabScaledSigmoid(0)).to.equal(0);
    expect(nabScaledSigmoid(3.5)).to.equal(-1);
    expect(nabProbationaryPeriod(4032)).to.equal(604);
    expect(nabProbationaryPeriod(22695)).to.equal(750); // 15% capped at 0.15 x 5000 rows
  });

  it("scores toy cases as NAB does: early detection ~ +1, missed window -1, false positive -0.11", () => {
    const timestamps = Array.from({ length: 2000 }, (_, i) =>
      new Date(Date.UTC(2020, 0, 1, 0, 5 * i)).toISOString(),
    );
    const window: NabWindow = [timestamps[1000], timestamps[1099]];
    const detections = new Uint8Array(2000);
    expect(nabScore(timestamps, detections, [window]).score).to.equal(-1);
    detections[1000] = 1;
    expect(nabScore(timestamps, detections, [window]).score).to.be.closeTo(1, 1e-12);
    detections[1050] = 1; // later detections in the same window change nothing
    expect(nabScore(timestamps, detections, [window]).score).to.be.closeTo(1, 1e-12);
    detections[500] = 1; // false positive before any window
    expect(nabScore(timestamps, detections, [window]).score).to.be.closeTo(1 - 0.11, 1e-12);
    detections[100] = 1; // inside the probationary period (300 rows): ignored
    expect(nabScore(timestamps, detections, [window]).falsePositives).to.equal(1);
    const late = new Uint8Array(2000);
    late[1099] = 1; // last row of the window: position -1/100, worth almost nothing
    expect(nabScore(timestamps, late, [window]).score).to.be.closeTo(
      nabScaledSigmoid(-0.01) / nabScaledSigmoid(-1),
      1e-12,
    );
  });

  it("ignores a window that lies wholly in the probationary period, as NAB's sweeper does", () => {
    const timestamps = Array.from({ length: 2000 }, (_, i) =>
      new Date(Date.UTC(2020, 0, 1, 0, 5 * i)).toISOString(),
    );
    const early: NabWindow = [timestamps[100], timestamps[199]]; // probation is the first 300 rows
    const scored: NabWindow = [timestamps[1000], timestamps[1099]];
    const result = nabScore(timestamps, new Uint8Array(2000), [early, scored]);
    expect(result.windows.map((w) => w.start)).to.deep.equal([timestamps[1000]]);
    expect(result.score).to.equal(-1);
    const straddling: NabWindow = [timestamps[250], timestamps[349]];
    expect(nabScore(timestamps, new Uint8Array(2000), [straddling]).windows).to.have.length(1);
  });

  it("optimises one threshold over a corpus as NAB's sweeper does, agreeing with nabScore at that threshold", () => {
    const timestamps = Array.from({ length: 2000 }, (_, i) =>
      new Date(Date.UTC(2020, 0, 1, 0, 5 * i)).toISOString(),
    );
    const window: NabWindow = [timestamps[1000], timestamps[1099]];
    const scores = new Float64Array(2000).fill(0.1);
    scores[600] = 0.9; // a false positive above the window's detection: the threshold must stay above it
    scores[1010] = 0.7; // early in the window
    scores[1500] = 0.5; // another false positive, below the window's score
    const best = nabOptimalThreshold([nabSweepFile(timestamps, scores, [window])]);
    expect(best.threshold).to.equal(0.7);
    expect(best.score).to.be.closeTo(
      nabScore(timestamps, detectionsAtThreshold(scores, 0.7), [window]).score,
      1e-12,
    );
    expect(best.score).to.be.closeTo(nabScaledSigmoid(-0.9) / nabScaledSigmoid(-1) - 0.11, 1e-12);
    expect(best.normalized).to.be.closeTo(nabNormalizedScore(best.score, 1), 1e-12);
    // The published run's own column: the corpus optimum on one file is at least its score at NAB's threshold.
    const published = nabOptimalThreshold([nabSweepFile(reference.timestamps, reference.values, windows)]);
    const atNabThreshold = nabScore(
      reference.timestamps,
      detectionsAtThreshold(reference.values, published.threshold),
      windows,
    );
    expect(published.score).to.be.closeTo(atNabThreshold.score, 1e-9);
    expect(published.score).to.be.at.least(PUBLISHED_SCORE);
  });

  it("reproduces the published run's NAB score (-2.1186) from its anomaly_score column", () => {
    const detections = detectionsAtThreshold(reference.values, NAB_RANDOM_CUT_FOREST_STANDARD_THRESHOLD);
    const result = nabScore(reference.timestamps, detections, windows);
    console.log(
      `      published Random Cut Forest, NAB standard score recomputed: ${result.score.toFixed(4)}`,
    );
    expect(result.score).to.be.closeTo(PUBLISHED_SCORE, 1e-6);
    expect(result.detectedWindows).to.equal(1);
    expect(result.falsePositives).to.equal(0);
    // Same number as the sum of the file's own S(t)_standard column.
    const published = readNumericColumn(RESULTS_FILE, "S(t)_standard").values.reduce(
      (sum, value) => sum + value,
      0,
    );
    expect(result.score).to.be.closeTo(published, 1e-6);
  });

  it("ranks points like the published scores with the same settings (Spearman >= 0.9)", () => {
    // NAB's run: 100 trees, sample size 256, shingle 1, Kinesis timeDecay 100000 (lambda = 1e-5).
    const forest = new RandomCutForest({
      numberOfTrees: 100,
      sampleSize: 256,
      shingleSize: 1,
      timeDecay: 1 / 100000,
    });
    const started = performance.now();
    const scores = Float64Array.from(series.values, (value) => forest.process(value));
    const seconds = (performance.now() - started) / 1000;
    const rho = spearman(scores, reference.values);
    const afterWarmup = spearman(scores.subarray(256), reference.values.subarray(256));
    console.log(
      `      Spearman vs published (100 trees, 256, shingle 1): ${rho.toFixed(4)} all rows, ${afterWarmup.toFixed(4)} ` +
        `after both warm-ups; ${Math.round(series.length / seconds)} points/s`,
    );
    expect(rho).to.be.at.least(0.9);
    expect(afterWarmup).to.be.at.least(0.9);
  });

  it("with npm run rcf's defaults, the alert column beats the published run's NAB score", () => {
    // The CLI's defaults: 50 trees, 256 samples, shingle 4, the series alert policy, NAB's probationary warm-up.
    const detector = new AnomalyDetector({
      shingleSize: CLI_SHINGLE_SIZE,
      warmup: nabProbationaryPeriod(series.length),
    });
    const alerts = Uint8Array.from(series.values, (value) => (detector.process(value).alert ? 1 : 0));
    const result = nabScore(series.timestamps, alerts, windows);
    const normalized = nabNormalizedScore(result.score, windows.length);
    console.log(
      `      NAB standard score of the default alert column: ${result.score.toFixed(4)}, normalized ${normalized.toFixed(1)} ` +
        `(${result.detectedWindows}/4 windows, ${result.falsePositives} false positives, ${alerts.reduce((a, b) => a + b, 0)} alerts) ` +
        `vs published ${PUBLISHED_SCORE.toFixed(4)}, normalized ${nabNormalizedScore(PUBLISHED_SCORE, 4).toFixed(1)}`,
    );
    expect(result.score).to.be.greaterThan(PUBLISHED_SCORE);
    expect(nabNormalizedScore(PUBLISHED_SCORE, 4)).to.be.closeTo(23.5, 0.05);
    expect(nabNormalizedScore(-4, 4)).to.equal(0); // the null detector
    expect(nabNormalizedScore(4, 4)).to.equal(100); // the perfect one
    // One page per incident: a handful of alerts over 22,695 readings, not hundreds.
    expect(alerts.reduce((a, b) => a + b, 0)).to.be.lessThan(40);
  });

  it("computes Spearman with average ranks for ties (scipy convention)", () => {
    expect(Array.from(averageRanks([10, 20, 20, 30]))).to.deep.equal([1, 2.5, 2.5, 4]);
    expect(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])).to.be.closeTo(0.8207826816681233, 1e-12);
    expect(spearman([1, 2, 3], [3, 2, 1])).to.be.closeTo(-1, 1e-12);
  });

  it("finds a file's windows from its data path or its results file name", () => {
    const all = loadNabWindows(WINDOWS_FILE);
    expect(findNabWindows(all, DATA_FILE)?.key).to.equal(KEY);
    expect(findNabWindows(all, RESULTS_FILE)?.key).to.equal(KEY);
    expect(findNabWindows(all, "/tmp/other.csv")).to.equal(undefined);
    expect(findNabWindows(all, "/tmp/x.csv", KEY)?.windows).to.have.length(4);
  });
});
