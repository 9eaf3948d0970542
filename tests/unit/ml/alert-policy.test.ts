// The alert policy (components/ml/alert-policy.ts), pure: tail probabilities, incidents, the floor, the rules
// and learning. The parity of the cloud scoring function with the streaming detector is alert-parity.test.ts.
import { expect } from "chai";
import {
  AlertStream,
  gaussianTail,
  logLikelihoodScore,
  PLATFORM_ALERT_POLICY,
  SUPPRESSED_ANOMALY_SCORE,
  validateAlertPolicy,
  type AlertPolicySettings,
  type PolicyObservation,
} from "../../../components/ml/alert-policy";

const PRIOR = { mean: 1, sigma: 0.2 };
/** The platform's policy judging each score alone, so that the score sequences below read as they are judged. */
const EACH_SCORE: AlertPolicySettings = { ...PLATFORM_ALERT_POLICY, averaging: 1 };

/** Feeds observations and returns the verdicts. */
function feed(stream: AlertStream, observations: PolicyObservation[]) {
  return observations.map((o) => stream.observe(o));
}
const scores = (values: number[], from = 0): PolicyObservation[] =>
  values.map((score, i) => ({ at: from + i, score }));

describe("alert policy", () => {
  it("uses Numenta's scale: anomaly score 0.5 at tail probability 1e-5, Gaussian tails", () => {
    expect(gaussianTail(0)).to.be.closeTo(0.5, 1e-7);
    expect(gaussianTail(1.959964)).to.be.closeTo(0.025, 1e-6);
    expect(gaussianTail(4.264891)).to.be.closeTo(1e-5, 1e-8);
    expect(logLikelihoodScore(1e-5)).to.be.closeTo(0.5, 1e-4);
    expect(logLikelihoodScore(1)).to.equal(0);
    expect(logLikelihoodScore(1e-30)).to.equal(1);
  });

  it("alerts once when a score is improbable for the stream, and again only after the incident settles", () => {
    const stream = new AlertStream({ ...EACH_SCORE, settle: 3 }, PRIOR);
    const normal = feed(stream, scores([1, 1.1, 0.9, 1]));
    expect(normal.every((v) => v.ready && !v.anomalous && !v.alert)).to.equal(true);
    // 2.0 is 5 sigma above the prior: tail probability below 1e-5.
    const incident = feed(stream, scores([2, 2.1, 1, 1, 2.1, 1, 1, 1, 2], 4));
    expect(
      incident.map((v) => (v.alert ? "A" : v.anomalous ? "a" : v.inIncident ? "." : "-")).join(""),
    ).to.equal("Aa..a..-A");
    expect(incident[0]!.kind).to.equal("score");
    expect(incident[0]!.anomalyScore).to.be.greaterThan(0.5);
    // Readings the open incident absorbs are capped below the alert level.
    expect(incident[1]!.anomalyScore).to.equal(SUPPRESSED_ANOMALY_SCORE);
  });

  it("judges first and learns normal readings only: a persisting fault keeps alerting", () => {
    const stream = new AlertStream({ ...EACH_SCORE, settle: 1, horizon: 10 }, PRIOR);
    feed(stream, scores([3]));
    const before = stream.state;
    expect(before.mean).to.equal(1); // the anomalous 3 was not learned
    const persisting = feed(stream, scores(Array<number>(50).fill(3), 1));
    expect(persisting.every((v) => v.anomalous)).to.equal(true);
    // A model that keeps learning (the CLI's streaming forest) learns them: the bar moves.
    const learning = new AlertStream({ ...EACH_SCORE, horizon: 10, learnAnomalous: true }, PRIOR);
    const verdicts = feed(learning, scores(Array<number>(50).fill(3)));
    expect(verdicts.at(-1)!.anomalous).to.equal(false);
  });

  it("never calls a score at or below the floor anomalous, however improbable (the training threshold)", () => {
    const quiet = { mean: 0.5, sigma: 0.01 };
    const floored = new AlertStream(EACH_SCORE, quiet, 1.5);
    expect(floored.observe({ at: 0, score: 1.4 }).anomalous).to.equal(false);
    expect(floored.observe({ at: 1, score: 1.6 }).anomalous).to.equal(true);
    const unfloored = new AlertStream(EACH_SCORE, quiet);
    expect(unfloored.observe({ at: 0, score: 1.4 }).anomalous).to.equal(true);
  });

  it("reports stuck values and dropouts as kinds of their own, paging again for a new kind of fault", () => {
    const stream = new AlertStream({ ...EACH_SCORE, dropoutReadings: 3 }, PRIOR);
    const verdicts = feed(stream, [
      { at: 0, score: 1 },
      { at: 1, score: 1, missing: 2 }, // below the dropout threshold
      { at: 2, score: 1, missing: 5 },
      { at: 3, score: 1, stuck: true },
      { at: 4, stuck: true }, // no vector: the rules still apply
      { at: 5, score: 5 },
      { at: 6, score: 1, missing: 4 },
    ]);
    expect(verdicts.map((v) => v.kind ?? "-")).to.deep.equal([
      "-",
      "-",
      "dropout",
      "stuck",
      "stuck",
      "score",
      "dropout",
    ]);
    expect(verdicts.map((v) => v.alert)).to.deep.equal([false, false, true, true, false, true, false]);
    const off = new AlertStream({ ...EACH_SCORE, dropoutReadings: 0 }, PRIOR);
    expect(off.observe({ at: 0, score: 1, missing: 100 }).anomalous).to.equal(false);
  });

  it("judges the platform's scores over 3 readings: one reading in a noisy sensor's score tail does not alert, a fault does", () => {
    // A fleet model's prior and floor, and a sensor noisier than the fleet (bench:detection, seed 2): its
    // ordinary noise scored up to 2.47 for one reading; the injected faults 6-9.
    const prior = { mean: 0.71, sigma: 0.22 };
    const floor = 1.36;
    const ordinary = [0.7, 0.75, 0.68, 0.72];
    const noiseTail = [...ordinary, 2.47, 0.7, 0.74, 0.69];
    const judged = (settings: AlertPolicySettings, values: number[]) =>
      feed(new AlertStream(settings, prior, floor), scores(values)).map((v) =>
        v.alert ? "A" : v.anomalous ? "a" : "-",
      );
    expect(PLATFORM_ALERT_POLICY.averaging).to.equal(3);
    expect(judged(PLATFORM_ALERT_POLICY, noiseTail).join("")).to.equal("--------");
    // Each score alone, the same reading pages.
    expect(judged(EACH_SCORE, noiseTail).join("")).to.equal("----A---");
    // A one-reading spike still pages at once; the readings after it are not anomalous on its score alone
    // (the floor applies to each reading's own score).
    expect(judged(PLATFORM_ALERT_POLICY, [...ordinary, 8.3, 0.7, 0.72, 0.7]).join("")).to.equal("----A---");
    // A level shift pages at its first reading and stays anomalous while it lasts.
    expect(judged(PLATFORM_ALERT_POLICY, [...ordinary, 6.1, 4.6, 4.4, 4.3, 0.7, 0.7]).join("")).to.equal(
      "----Aaaa--",
    );
  });

  it("escalates inside an incident when a score reaches 1.5 times the incident's peak", () => {
    const stream = new AlertStream(EACH_SCORE, PRIOR);
    // The peak grows with the incident (3.5, 4.4, 4.6): 7 is 1.5 x 4.6 = 6.9 or more.
    const verdicts = feed(stream, scores([3, 3.5, 4.4, 4.6, 7]));
    expect(verdicts.map((v) => v.alert)).to.deep.equal([true, false, false, false, true]);
  });

  it("cools down after a score's incident: only a more improbable score pages until the cool-down ends", () => {
    const settings: AlertPolicySettings = { ...EACH_SCORE, settle: 2, cooldown: 6 };
    const stream = new AlertStream(settings, PRIOR);
    // Opened by 2.0 (5 sigma), closed by two normal readings; then 1.9 (4.5 sigma, anomalous) is silent, being
    // less improbable than the 2.0 that paged, 2.4 (7 sigma) pages, and after the cool-down 1.9 pages.
    const verdicts = feed(stream, scores([2, 1, 1, 1.9, 1, 1, 2.4, 1, 1, 1, 1, 1, 1, 1, 1, 1.9]));
    expect(
      verdicts.map((v) => (v.alert ? "A" : v.anomalous ? "a" : v.inIncident ? "." : "-")).join(""),
    ).to.equal("A.-a-" + "-A.-" + "------A");
    const silent = verdicts[3]!;
    expect([silent.kind, silent.anomalyScore]).to.deep.equal(["score", SUPPRESSED_ANOMALY_SCORE]);
    expect(JSON.parse(JSON.stringify(stream.state))).to.deep.equal(stream.state);
    // Another kind of fault is not held back, and without the setting nothing is.
    const mixed = new AlertStream(settings, PRIOR);
    feed(mixed, scores([2, 1, 1]));
    expect(mixed.observe({ at: 3, score: 1, stuck: true }).alert).to.equal(true);
    const off = new AlertStream({ ...settings, cooldown: undefined }, PRIOR);
    expect(feed(off, scores([2, 1, 1, 2])).map((v) => v.alert)).to.deep.equal([true, false, false, true]);
    expect(() => validateAlertPolicy({ ...settings, cooldown: 1.5 })).to.throw(
      "alert policy: cooldown must be 0 (off) or a whole number of readings (got 1.5)",
    );
  });

  it("learns its distribution first when it has no prior, and flags values beyond the range seen", () => {
    const settings: AlertPolicySettings = { ...EACH_SCORE, learning: 20, spatialTolerance: 0.1 };
    const stream = new AlertStream(settings);
    const learning = feed(
      stream,
      Array.from({ length: 20 }, (_, i) => ({ at: i, score: 1 + (i % 3) / 10, value: 10 + (i % 5) })),
    );
    expect(learning.every((v) => !v.ready && !v.anomalous && v.anomalyScore === 0)).to.equal(true);
    expect(stream.state.mean).to.be.closeTo(1.095, 1e-9);
    // Range 10-14, tolerance 10% of it: 14.3 is inside (and widens the range to 10-14.3), 14.8 beyond.
    expect(stream.observe({ at: 20, score: 1, value: 14.3 }).anomalous).to.equal(false);
    const beyond = stream.observe({ at: 21, score: 1, value: 14.8 });
    expect([beyond.kind, beyond.alert, beyond.anomalyScore]).to.deep.equal(["range", true, 1]);
  });

  it("takes another view's tail when it is smaller than the score's, once ready", () => {
    const stream = new AlertStream({ ...EACH_SCORE, learning: 3 });
    // While learning, another view's tail is not used.
    const learning = feed(
      stream,
      [0, 1, 2].map((at) => ({ at, score: 1, otherViewTail: 1e-9 })),
    );
    expect(learning.every((v) => !v.anomalous)).to.equal(true);
    // An ordinary score with an improbable other view: anomalous, kind score, the other view's tail.
    const seen = stream.observe({ at: 3, score: 1, otherViewTail: 1e-9 });
    expect([seen.kind, seen.alert, seen.tailProbability]).to.deep.equal(["score", true, 1e-9]);
    // A probable other view does not hide an improbable score.
    const other = new AlertStream(EACH_SCORE, PRIOR);
    const improbable = other.observe({ at: 0, score: 3, otherViewTail: 0.5 });
    expect(improbable.tailProbability).to.be.below(1e-5);
  });

  it("rejects impossible settings, naming the setting", () => {
    expect(() => validateAlertPolicy({ ...PLATFORM_ALERT_POLICY, tailProbability: 0.7 })).to.throw(
      "alert policy: tailProbability must be between 0 and 0.5 (got 0.7)",
    );
    expect(() => validateAlertPolicy({ ...PLATFORM_ALERT_POLICY, averaging: 0 })).to.throw(
      "alert policy: averaging must be a whole number of at least 1 (got 0)",
    );
    expect(() => new AlertStream(PLATFORM_ALERT_POLICY, { mean: NaN, sigma: 1 })).to.throw(
      "alert policy: prior must have a finite mean and sigma",
    );
  });

  it("keeps its whole state as plain JSON (the cloud carries it between scoring windows)", () => {
    const stream = new AlertStream({ ...PLATFORM_ALERT_POLICY, averaging: 3 }, PRIOR);
    feed(stream, scores([1, 2, 6, 1]));
    const state = stream.state;
    expect(JSON.parse(JSON.stringify(state))).to.deep.equal(state);
    expect(state.recent).to.deep.equal([6, 1]);
    expect(state.incident).to.include({ openedAt: 2, anomalies: 2 });
  });
});
