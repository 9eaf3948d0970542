// Thresholding and alerting: running statistics, the batch (training-step) rule, grades, incident suppression, and
// the detector on synthetic series with known incidents (one alert per incident, none during warm-up).
import { expect } from "chai";
import { AnomalyDetector, alertsFromScores } from "../../../local/rcf/detector";
import { Xoshiro128 } from "../../../local/rcf/random";
import {
  Deviation,
  IncidentTracker,
  StreamingThreshold,
  batchStatistics,
  batchThreshold,
  gradeOf,
} from "../../../local/rcf/threshold";

function gaussian(random: Xoshiro128): number {
  return Math.sqrt(-2 * Math.log(random.nextDouble())) * Math.cos(2 * Math.PI * random.nextDouble());
}

function alertIndexes(detector: AnomalyDetector, values: ArrayLike<number>): number[] {
  const alerts: number[] = [];
  for (let i = 0; i < values.length; i++) if (detector.process(values[i]).alert) alerts.push(i);
  return alerts;
}

describe("rcf: thresholds", () => {
  it("Deviation without discount is the exact population mean and standard deviation", () => {
    const deviation = new Deviation(0);
    for (const value of [2, 4, 4, 4, 5, 5, 7, 9]) deviation.update(value);
    expect(deviation.count).to.equal(8);
    expect(deviation.mean).to.be.closeTo(5, 1e-12);
    expect(deviation.deviation).to.be.closeTo(2, 1e-12);
  });

  it("Deviation with a discount forgets old values", () => {
    const deviation = new Deviation(0.01);
    for (let i = 0; i < 2000; i++) deviation.update(0);
    for (let i = 0; i < 2000; i++) deviation.update(10);
    expect(deviation.mean).to.be.closeTo(10, 0.01); // (1 - 0.01)^2000 ~ 2e-9 of the zeros remain
    expect(() => new Deviation(1)).to.throw(/discount/);
  });

  it("batchThreshold is mean + z sigma of the training scores (z = 3 by default)", () => {
    const scores = [1, 2, 3, 4, 5];
    const sigma = Math.sqrt(2);
    expect(batchThreshold(scores)).to.be.closeTo(3 + 3 * sigma, 1e-12);
    expect(batchThreshold(scores, 2)).to.be.closeTo(3 + 2 * sigma, 1e-12);
    expect(batchStatistics([1, Number.NaN, 3])).to.deep.include({ mean: 2, deviation: 1, count: 2 });
    expect(() => batchThreshold([])).to.throw(/no finite score/);
    expect(() => batchThreshold([1], 0)).to.throw(/z must be a positive/);
  });

  it("grades 0 at the threshold, 1 at twice the z distance (reference primary grade)", () => {
    expect(gradeOf(1.3, 1, 0.1, 3)).to.be.closeTo(0, 1e-12);
    expect(gradeOf(1.45, 1, 0.1, 3)).to.be.closeTo(0.5, 1e-12);
    expect(gradeOf(1.6, 1, 0.1, 3)).to.equal(1);
    expect(gradeOf(5, 1, 0.1, 3)).to.equal(1);
    expect(gradeOf(0.5, 1, 0.1, 3)).to.equal(0);
  });

  it("StreamingThreshold is infinite during the warm-up, then mean + z sigma", () => {
    const threshold = new StreamingThreshold({ warmup: 4, zFactor: 2 });
    for (const score of [1, 1, 3]) {
      expect(threshold.threshold).to.equal(Infinity);
      threshold.update(score);
    }
    threshold.update(3);
    expect(threshold.isReady).to.equal(true);
    expect(threshold.threshold).to.be.closeTo(2 + 2 * 1, 1e-12);
  });

  it("IncidentTracker alerts once per confirmed incident and re-arms only after the score settles", () => {
    const tracker = new IncidentTracker({ confirmations: 2, confirmationWindow: 3, settlePoints: 3 });
    // "1" = score 2 against threshold 1, "0" = score 0.5.
    const feed = (flags: string) =>
      Array.from(flags, (flag) => (tracker.observe(flag === "1" ? 2 : 0.5, 1) ? "A" : ".")).join("");
    // A lone exceedance is not confirmed; 2 of 3 opens the incident; exceedances inside it are suppressed.
    expect(feed("01001011011")).to.equal("......A....");
    expect(tracker.inIncident).to.equal(true);
    // Three quiet readings close it; the next confirmed exceedance alerts again.
    expect(feed("000")).to.equal("...");
    expect(tracker.inIncident).to.equal(false);
    expect(feed("0110")).to.equal("..A.");
    expect(tracker.alertCount).to.equal(2);
    const immediate = new IncidentTracker({ confirmations: 1, confirmationWindow: 1, settlePoints: 2 });
    expect(
      Array.from("1101", (flag) => (immediate.observe(flag === "1" ? 2 : 0, 1) ? "A" : ".")).join(""),
    ).to.equal("A...");
    expect(() => new IncidentTracker({ confirmations: 4, confirmationWindow: 3 })).to.throw(/confirmations/);
    expect(() => new IncidentTracker({ escalationFactor: 1 })).to.throw(/escalationFactor/);
  });

  it("IncidentTracker escalates only when an open incident gets markedly worse", () => {
    const tracker = new IncidentTracker({ settlePoints: 100, escalationFactor: 1.5 });
    const scores = [2, 2, 2.5, 2.9, 3.2, 1, 1, 5, 5, 5, 6, 9.9, 10];
    const alerts = scores.flatMap((score, i) => (tracker.observe(score, 1.5) ? [i] : []));
    // Opens at index 1 (2 of 3 above); creeping up from 2 to 3.2 does not page; after two quiet readings, 5 at
    // index 7 is not confirmed yet (1 of 3), at index 8 it is and 5 >= 1.5 x 3.2 pages; the peak is then 6, so 9.9
    // (>= 9) pages again and 10 does not.
    expect(alerts).to.deep.equal([1, 8, 11]);
  });

  it("alerts once for a spike burst and once for a level shift, never during the warm-up", () => {
    const random = new Xoshiro128(21);
    const values = Float64Array.from({ length: 6000 }, (_, i) => {
      let value = 50 + 10 * Math.sin((2 * Math.PI * i) / 288) + gaussian(random);
      if (i >= 3000 && i < 3010) value += 40; // burst of 10 readings far above the range
      if (i >= 4500) value += 60; // lasting level shift
      return value;
    });
    const detector = new AnomalyDetector({ numberOfTrees: 50, sampleSize: 256 });
    const results = Array.from(values, (value) => detector.process(value));
    const alerts = results.flatMap((result, i) => (result.alert ? [i] : []));
    // No alert before the forest (64 points) and the threshold (256 scores) are warmed up.
    expect(results.slice(0, 64 + 255).every((result) => !result.alert && !result.ready)).to.equal(true);
    const burstAlerts = alerts.filter((i) => i >= 3000 && i < 3100);
    const shiftAlerts = alerts.filter((i) => i >= 4500 && i < 4700);
    expect(burstAlerts, `alerts: ${alerts.join(",")}`).to.have.length(1);
    expect(burstAlerts[0]).to.be.within(3000, 3003);
    expect(shiftAlerts, `alerts: ${alerts.join(",")}`).to.have.length(1);
    expect(shiftAlerts[0]).to.be.within(4500, 4503);
    // The burst readings are far above the threshold with a high grade.
    expect(results[3001].grade).to.be.greaterThan(0.5);
    // Few pages overall: the ordinary noise of 6000 readings does not page more than a handful of times.
    expect(alerts.length).to.be.at.most(8);
  });

  it("batch mode uses a fixed threshold from training scores", () => {
    const random = new Xoshiro128(22);
    const training = Float64Array.from({ length: 3000 }, () => 10 + gaussian(random));
    const trainer = new AnomalyDetector({ numberOfTrees: 30, sampleSize: 128 });
    const trainingScores = Array.from(training, (value) => trainer.process(value).score).slice(200);
    const statistics = batchStatistics(trainingScores);
    const detector = new AnomalyDetector({ numberOfTrees: 30, sampleSize: 128, batch: statistics });
    const stream = Float64Array.from({ length: 1000 }, (_, i) =>
      i >= 600 && i < 605 ? 30 : 10 + gaussian(random),
    );
    const results = Array.from(stream, (value) => detector.process(value));
    expect(results[500].threshold).to.be.closeTo(statistics.mean + 3 * statistics.deviation, 1e-12);
    const alerts = results.flatMap((result, i) => (result.alert ? [i] : []));
    expect(alerts.filter((i) => i >= 600 && i < 700)).to.deep.equal([601]);
    // Same rule on precomputed scores.
    const scores = results.map((result) => result.score);
    const replay = alertsFromScores(scores, statistics.threshold, { settlePoints: 32 }, 32);
    expect(replay[601]).to.equal(1);
  });

  it("settles: a second incident after a quiet period alerts again", () => {
    const random = new Xoshiro128(23);
    const values = Float64Array.from({ length: 5000 }, (_, i) =>
      (i >= 2000 && i < 2005) || (i >= 3500 && i < 3505) ? 40 : 10 + gaussian(random),
    );
    const alerts = alertIndexes(new AnomalyDetector({ numberOfTrees: 40 }), values);
    expect(alerts.filter((i) => i >= 2000 && i < 2100)).to.have.length(1);
    expect(alerts.filter((i) => i >= 3500 && i < 3600)).to.have.length(1);
  });
});
