// The anomaly scoring function against aws-sdk-client-mock: an in-memory S3 with conditional writes, a fake
// endpoint that scores what it is sent, and SNS. Covers batching under the payload limit, throttling retries,
// the watermark's idempotency (twice scores nothing twice, a failed run is retried on the same window) and
// batch mode.
import { expect } from "chai";
import { AwsClientStub, mockClient } from "aws-sdk-client-mock";
import { InvokeEndpointCommand, SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import {
  AnomalyScoring,
  parseScores,
  SUMMARY_DEVICE_LIST_BYTES,
  summaryMessage,
} from "../../../functions/anomaly-scoring/scoring";
import {
  type ScoringSettings,
  WatermarkMovedError,
} from "../../../functions/anomaly-scoring/scoring-contract";
import { dispatch, scoringSettingsFromEnv } from "../../../functions/anomaly-scoring/handler";
import { MODEL_KEYS, ModelPointer, SCORING_KEYS, ScoringWatermark } from "../../../components/ml/ml-layout";
import type { PipelineMetricValues } from "../../../components/operations/pipeline-metrics";
import { S3Store } from "./scoring-s3-store";
import {
  ARTIFACTS,
  athenaCsv,
  CURATED,
  DAY,
  fakeEndpointScores,
  fakeScore,
  HOUR,
  MODEL,
  NOW,
  QUERY_PARAMETERS,
  type Reading,
  RESULTS,
  SINCE,
  windowReadings,
} from "./scoring-fixture";

describe("anomaly scoring function", () => {
  let s3: S3Store;
  let runtime: AwsClientStub<SageMakerRuntimeClient>;
  let sns: AwsClientStub<SNSClient>;
  let now: number;
  let sleeps: number[];
  let scoring: AnomalyScoring;
  /** What the function published as pipeline metrics, in order. */
  let published: PipelineMetricValues[];

  const settings = (overrides: Partial<ScoringSettings> = {}): ScoringSettings => ({
    deployment: "sensors-dev",
    curatedBucket: CURATED,
    artifactsBucket: ARTIFACTS,
    alertTopicArn: "arn:aws:sns:eu-west-1:111122223333:sensors-dev-anomalies",
    endpointName: "sensors-dev-rcf",
    model: MODEL,
    ingestDelayMs: 5 * 60_000,
    maxWindowMs: 2 * DAY,
    ...overrides,
  });

  const build = (overrides: Partial<ScoringSettings> = {}) => {
    const runtimeClient = new SageMakerRuntimeClient({ region: "eu-west-1" });
    const snsClient = new SNSClient({ region: "eu-west-1" });
    runtime = mockClient(runtimeClient);
    sns = mockClient(snsClient);
    runtime.on(InvokeEndpointCommand).callsFake((input: { Body: Uint8Array }) => ({
      Body: Buffer.from(fakeEndpointScores(Buffer.from(input.Body).toString("utf8"))),
    }));
    sns.on(PublishCommand).resolves({ MessageId: "m-1" });
    scoring = new AnomalyScoring(settings(overrides), {
      s3: s3.client,
      sns: snsClient,
      runtime: runtimeClient,
      now: () => now,
      retry: { sleep: async (ms) => void sleeps.push(ms), random: () => 1 },
      metrics: { publish: (values) => void published.push(values) },
    });
  };

  const pointer: ModelPointer = {
    runId: "20240601t030000-abc123",
    modelName: "sensors-dev-rcf-20240601t030000-abc123",
    trainingJobName: "sensors-dev-rcf-20240601t030000-abc123",
    modelDataUrl: "s3://artifacts-bkt/models/runs/20240601t030000-abc123/output/model.tar.gz",
    threshold: 1,
    mean: 0.4,
    sigma: 0.2,
    z: 3,
    trainingVectors: 5000,
    featureDim: 4,
    shingleSize: 2,
    features: MODEL.features,
    promotedAt: "2024-06-01T03:30:00.000Z",
  };

  beforeEach(() => {
    s3 = new S3Store();
    now = NOW;
    sleeps = [];
    published = [];
    s3.put(ARTIFACTS, MODEL_KEYS.current, JSON.stringify(pointer));
    build();
  });

  const runWindow = async (readings: Reading[] = windowReadings()) => {
    const plan = await scoring.plan(QUERY_PARAMETERS);
    expect(plan.skip, plan.reason).to.equal(false);
    s3.put(RESULTS, `athena/${plan.windowId}.csv`, athenaCsv(readings));
    return { plan, outcome: await scoring.score(plan, `s3://${RESULTS}/athena/${plan.windowId}.csv`) };
  };

  it("skips until a model has been trained, and when the model's features no longer match the settings", async () => {
    s3.objects.delete(`${ARTIFACTS}/${MODEL_KEYS.current}`);
    expect((await scoring.plan(QUERY_PARAMETERS)).reason).to.equal(
      "no model has been trained yet; the training state machine writes models/current.json",
    );
    for (const stale of [
      { ...pointer, features: { ...MODEL.features, baselineReadings: 60 } },
      { ...pointer, features: undefined, featureDim: 1, shingleSize: 1 }, // a model from before features
    ]) {
      s3.put(ARTIFACTS, MODEL_KEYS.current, JSON.stringify(stale));
      const plan = await scoring.plan(QUERY_PARAMETERS);
      expect(plan.skip).to.equal(true);
      expect(plan.reason).to.include(
        `the model in service (run ${pointer.runId}) was trained on other features`,
      );
      expect(plan.reason).to.include("scoring resumes after the next training run");
    }
    expect(s3.keys(CURATED)).to.deep.equal([]);
  });

  it("plans the first window from one day back to now minus the ingest delay, pinned in the watermark", async () => {
    const plan = await scoring.plan(QUERY_PARAMETERS);
    expect(plan).to.include({ skip: false, sinceMs: SINCE, untilMs: NOW - 5 * 60_000, attempt: 1 });
    expect(plan.model).to.deep.equal({
      name: pointer.modelName,
      version: pointer.runId,
      threshold: 1,
      mean: 0.4,
      sigma: 0.2,
    });
    // from_day covers the 6 hours of context and one day of lateness; to_day one day past the window.
    expect(QUERY_PARAMETERS).to.deep.equal([
      "from_day",
      "to_day",
      "context_since_ms",
      "until_ms",
      "since_ms",
    ]);
    expect(plan.athenaParameters).to.deep.equal([
      "'2024-05-30'",
      "'2024-06-02'",
      String(SINCE - 6 * HOUR),
      String(NOW - 5 * 60_000),
      String(SINCE),
    ]);
    expect(plan.transformJobName).to.equal(`sensors-dev-score-${plan.windowId}-a1`).and.have.length.below(64);
    const watermark = s3.json<ScoringWatermark>(CURATED, SCORING_KEYS.watermark)!;
    expect(watermark.pending).to.deep.equal({ sinceMs: SINCE, untilMs: NOW - 5 * 60_000, attempt: 1 });
  });

  it("caps a backlog at maxWindowMs per run", async () => {
    build({ maxWindowMs: 6 * HOUR });
    const plan = await scoring.plan(QUERY_PARAMETERS);
    expect(plan.untilMs! - plan.sinceMs!).to.equal(6 * HOUR);
  });

  it("scores new readings with context, writes anomalies per room and day, alerts once per incident", async () => {
    const { plan, outcome } = await runWindow();
    // A vector needs a baseline for each of its 2 readings: a's seq 3..10 (8); b's 42..45, whose first
    // baselines come from the context reading before the window (4).
    expect(outcome.vectors).to.equal(12);
    expect(outcome).to.include({ anomalies: 2, incidents: 1, alerts: 1, scoredThroughMs: NOW - 5 * 60_000 });
    const key = `anomalies/room_id=lab/dt=2024-05-31/${plan.windowId}.json`;
    expect(outcome.anomalyObjects).to.deep.equal([key]);
    const records = s3
      .text(CURATED, key)!
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.map((r) => r.seq)).to.deep.equal([5, 6]);
    expect(records[0]).to.deep.include({
      device_id: "a",
      temperature_c: 35,
      score: 5,
      threshold: 1,
      kind: "score",
      model_version: pointer.runId,
      scored_at: NOW,
    });
    // The policy judges the mean of the last 3 scores, (0.5 + 0.5 + 5) / 3 = 2: 8 sigma above the prior's 0.4, a
    // tail probability of 6e-16, just short of Numenta's scale's top (1 at 1e-10 and below, on ln(p + 1e-10)).
    expect(records[0]!.anomaly_score).to.be.closeTo(1, 1e-6).and.below(1);
    expect(Object.keys(records[0]!)).to.deep.equal([
      "device_id",
      "ts",
      "seq",
      "temperature_c",
      "score",
      "threshold",
      "kind",
      "anomaly_score",
      "model_version",
      "scored_at",
    ]);
    // The second reading of the incident is recorded, its anomaly score capped (the incident already paged).
    expect(records[1]!.anomaly_score).to.equal(0.3);

    const alerts = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(alerts).to.have.length(1);
    expect(alerts[0]!.Subject).to.equal("[sensors-dev] Anomaly in lab: a");
    expect(alerts[0]!.Message).to.include("Anomalous readings:      2");

    const watermark = s3.json<ScoringWatermark>(CURATED, SCORING_KEYS.watermark)!;
    expect(watermark.pending).to.equal(undefined);
    expect(watermark.scoredThroughMs).to.equal(NOW - 5 * 60_000);
    // Each device's alert stream travels to the next window: a is in an open incident, b is not.
    expect(Object.keys(watermark.streams!).sort()).to.deep.equal(["a", "b"]);
    expect(watermark.streamsModel).to.equal(pointer.runId);
    expect(watermark.streams!.a!.state.incident).to.include({
      openedAt: SINCE + HOUR + 4 * 60_000,
      anomalies: 2,
    });
    expect(watermark.streams!.b!.state.incident).to.equal(null);
    expect(watermark.streams!.a!.lastTs).to.equal(SINCE + HOUR + 9 * 60_000);
  });

  it("running twice scores nothing twice", async () => {
    const { plan } = await runWindow();
    const invocations = runtime.commandCalls(InvokeEndpointCommand).length;

    // Same time: nothing new to plan.
    expect((await scoring.plan(QUERY_PARAMETERS)).reason).to.equal(
      `nothing new: scored through ${new Date(NOW - 5 * 60_000).toISOString()}`,
    );
    // The finished plan replayed (e.g. a duplicate Lambda invocation): refused before any alert.
    let error: unknown;
    try {
      await scoring.score(plan, `s3://${RESULTS}/athena/${plan.windowId}.csv`);
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(WatermarkMovedError);
    expect(sns.commandCalls(PublishCommand)).to.have.length(1);
    expect(runtime.commandCalls(InvokeEndpointCommand).length).to.equal(invocations);

    // An hour later the query returns the old readings again (overlapping context): none is scored again.
    now = NOW + HOUR;
    const second = await runWindow();
    expect(second.plan.sinceMs).to.equal(NOW - 5 * 60_000);
    expect(second.outcome.vectors).to.equal(0);
    expect(second.outcome.anomalies).to.equal(0);
    expect(runtime.commandCalls(InvokeEndpointCommand).length).to.equal(invocations);
    expect(s3.keys(CURATED, "anomalies/")).to.have.length(1);
  });

  it("retries a failed run on exactly the same window, rewriting the same objects", async () => {
    sns.on(PublishCommand).rejectsOnce(
      Object.assign(new Error("not authorized"), {
        name: "AuthorizationErrorException",
        $metadata: { httpStatusCode: 403 },
      }),
    );
    const plan = await scoring.plan(QUERY_PARAMETERS);
    s3.put(RESULTS, "athena/q1.csv", athenaCsv(windowReadings()));
    let failed = false;
    await scoring.score(plan, `s3://${RESULTS}/athena/q1.csv`).catch(() => (failed = true));
    expect(failed).to.equal(true);
    expect(s3.keys(CURATED, "anomalies/")).to.have.length(1); // written before the alert failed

    now = NOW + 10 * 60_000; // later, but the pending window wins
    const retry = await scoring.plan(QUERY_PARAMETERS);
    expect(retry).to.include({
      windowId: plan.windowId,
      sinceMs: plan.sinceMs,
      untilMs: plan.untilMs,
      attempt: 2,
    });
    expect(retry.transformJobName).to.match(/-a2$/);
    const outcome = await scoring.score(retry, `s3://${RESULTS}/athena/q1.csv`);
    expect(outcome.anomalies).to.equal(2);
    expect(s3.keys(CURATED, "anomalies/")).to.have.length(1);
    expect(s3.text(CURATED, outcome.anomalyObjects[0]!)!.trim().split("\n")).to.have.length(2);
  });

  it("does not alert again for an incident that continues into the next window", async () => {
    await runWindow();
    now = NOW + HOUR;
    const late = NOW - 5 * 60_000 + 60_000;
    const continuing: Reading[] = [
      ...windowReadings().filter((r) => r.device === "a"), // context from the last window
      { device: "a", room: "lab", seq: 20, ts: SINCE + HOUR + 10 * 60_000, temperature: 36, received: late },
      {
        device: "a",
        room: "lab",
        seq: 21,
        ts: SINCE + HOUR + 11 * 60_000,
        temperature: 21,
        received: late + 1000,
      },
    ];
    const { outcome } = await runWindow(continuing);
    expect(outcome).to.include({ anomalies: 2, incidents: 0, alerts: 0 });
    expect(sns.commandCalls(PublishCommand)).to.have.length(1);
  });

  it("splits requests under the payload limit and keeps scores in row order", async () => {
    build({ maxRequestBytes: 64 });
    const { outcome } = await runWindow();
    const bodies = runtime
      .commandCalls(InvokeEndpointCommand)
      .map((c) => Buffer.from(c.args[0].input.Body as Uint8Array).toString("utf8"));
    expect(bodies.length).to.be.greaterThan(1);
    for (const body of bodies) expect(Buffer.byteLength(body) + 1).to.be.at.most(64);
    expect(bodies.join("\n").split("\n")).to.have.length(12);
    expect(runtime.commandCalls(InvokeEndpointCommand)[0]!.args[0].input).to.include({
      EndpointName: "sensors-dev-rcf",
      ContentType: "text/csv",
      Accept: "application/json",
    });
    expect(outcome.anomalies).to.equal(2);
  });

  it("retries throttled requests with growing backoff, and gives up on other errors", async () => {
    const throttled = () =>
      Object.assign(new Error("Rate exceeded"), {
        name: "ThrottlingException",
        $metadata: { httpStatusCode: 400 },
      });
    runtime
      .on(InvokeEndpointCommand)
      .rejectsOnce(throttled())
      .rejectsOnce(throttled())
      .callsFake((input: { Body: Uint8Array }) => ({
        Body: Buffer.from(fakeEndpointScores(Buffer.from(input.Body).toString("utf8"))),
      }));
    const { outcome } = await runWindow();
    expect(outcome.anomalies).to.equal(2);
    expect(runtime.commandCalls(InvokeEndpointCommand)).to.have.length(3);
    expect(sleeps).to.deep.equal([200, 400]);

    s3 = new S3Store();
    s3.put(ARTIFACTS, MODEL_KEYS.current, JSON.stringify(pointer));
    build();
    runtime.on(InvokeEndpointCommand).rejects(
      Object.assign(new Error("bad input"), {
        name: "ValidationError",
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const plan = await scoring.plan(QUERY_PARAMETERS);
    s3.put(RESULTS, "athena/q.csv", athenaCsv(windowReadings()));
    let message = "";
    await scoring.score(plan, `s3://${RESULTS}/athena/q.csv`).catch((err: Error) => (message = err.message));
    expect(message).to.equal("bad input");
    expect(runtime.commandCalls(InvokeEndpointCommand)).to.have.length(1);
    expect(s3.json<ScoringWatermark>(CURATED, SCORING_KEYS.watermark)!.pending).to.not.equal(undefined);
  });

  it("batch mode: writes the transform input and row keys, then reads the transform's JSON Lines scores back", async () => {
    build({ endpointName: undefined });
    const plan = await scoring.plan(QUERY_PARAMETERS);
    s3.put(RESULTS, "athena/q.csv", athenaCsv(windowReadings()));
    const batch = await scoring.prepareBatch(plan, `s3://${RESULTS}/athena/q.csv`);
    expect(batch).to.deep.equal({
      rows: 12,
      inputUri: `s3://${CURATED}/${SCORING_KEYS.batchInput(plan.windowId!)}`,
      outputUri: `s3://${CURATED}/${SCORING_KEYS.batchOutputPrefix(plan.windowId!)}`,
      preparedAtMs: NOW,
    });
    const input = s3.text(CURATED, SCORING_KEYS.batchInput(plan.windowId!))!;
    expect(input.split("\n")[0]).to.equal("0,0,0,0"); // a: seq 2 and 3 (deviation, step), no header, no label
    // What batch transform writes with SplitType Line, AssembleWith Line, Accept application/jsonlines.
    const out = input
      .trim()
      .split("\n")
      .map((row) => JSON.stringify({ score: fakeScore(row) }))
      .join("\n");
    s3.put(CURATED, `${SCORING_KEYS.batchOutputPrefix(plan.windowId!)}features.csv.out`, out);
    const outcome = await scoring.collectBatch(plan, batch);
    expect(outcome).to.include({ vectors: 12, anomalies: 2, alerts: 1 });
    expect(s3.keys(CURATED, SCORING_KEYS.batchPrefix(plan.windowId!))).to.deep.equal([]); // finished windows leave nothing behind
    expect(runtime.commandCalls(InvokeEndpointCommand)).to.have.length(0);
  });

  it("batch mode: an empty window advances the watermark without a transform", async () => {
    build({ endpointName: undefined });
    const plan = await scoring.plan(QUERY_PARAMETERS);
    s3.put(RESULTS, "athena/empty.csv", athenaCsv([]));
    const batch = await scoring.prepareBatch(plan, `s3://${RESULTS}/athena/empty.csv`);
    expect(batch.rows).to.equal(0);
    const outcome = await scoring.collectBatch(plan, batch);
    expect(outcome.vectors).to.equal(0);
    expect(s3.json<ScoringWatermark>(CURATED, SCORING_KEYS.watermark)!.scoredThroughMs).to.equal(
      plan.untilMs,
    );
  });

  it("publishes its pipeline metrics: the model's age when planning, each finished window's counts and lag", async () => {
    build();
    const plan = await scoring.plan(QUERY_PARAMETERS);
    const modelAge = (NOW - Date.parse(pointer.promotedAt)) / 1000;
    expect(published).to.deep.equal([{ modelAge }]);
    s3.put(RESULTS, "athena/q.csv", athenaCsv(windowReadings()));
    now = NOW + 2 * 60_000;
    const outcome = await scoring.score(plan, `s3://${RESULTS}/athena/q.csv`);
    expect(outcome).to.include({ vectors: 12, anomalies: 2 });
    expect(published[1]).to.deep.equal({
      readingsScored: 12,
      anomaliesDetected: 2,
      anomalyIncidents: outcome.incidents,
      anomalyAlertsSent: outcome.alerts,
      // The window ends one ingest delay (5 min) before planning; it finished 2 minutes later.
      scoringLag: 7 * 60,
    });
  });

  it("publishes the lag when there is nothing new to score, so a scoring that keeps skipping shows", async () => {
    const watermark = {
      scoredThroughMs: NOW - 5 * 60_000,
      lastWindowId: "w",
      lastAnomalyTs: {},
      updatedAt: "",
    };
    s3.put(CURATED, SCORING_KEYS.watermark, JSON.stringify(watermark));
    build();
    expect((await scoring.plan(QUERY_PARAMETERS)).reason).to.match(/^nothing new/);
    expect(published.at(-1)).to.deep.equal({ scoringLag: 5 * 60 });
  });

  it("publishes the growing lag while the model in service does not fit the settings", async () => {
    s3.put(
      CURATED,
      SCORING_KEYS.watermark,
      JSON.stringify({
        scoredThroughMs: NOW - 3 * HOUR,
        lastWindowId: "w",
        lastAnomalyTs: {},
        updatedAt: "",
      }),
    );
    s3.put(ARTIFACTS, MODEL_KEYS.current, JSON.stringify({ ...pointer, featureDim: 1, shingleSize: 1 }));
    build();
    const plan = await scoring.plan(QUERY_PARAMETERS);
    expect(plan.skip).to.equal(true);
    expect(published.at(-1)).to.deep.equal({ scoringLag: 3 * 3600 });
  });

  it("batch mode: publishes how long the transform took, from its input written to its scores collected", async () => {
    build({ endpointName: undefined });
    const plan = await scoring.plan(QUERY_PARAMETERS);
    s3.put(RESULTS, "athena/q.csv", athenaCsv(windowReadings()));
    const batch = await scoring.prepareBatch(plan, `s3://${RESULTS}/athena/q.csv`);
    const input = s3.text(CURATED, SCORING_KEYS.batchInput(plan.windowId!))!;
    const out = input
      .trim()
      .split("\n")
      .map(() => JSON.stringify({ score: 0.5 }))
      .join("\n");
    s3.put(CURATED, `${SCORING_KEYS.batchOutputPrefix(plan.windowId!)}features.csv.out`, out);
    now = NOW + 9 * 60_000;
    await scoring.collectBatch(plan, batch);
    expect(published).to.deep.include({ batchTransformSeconds: 9 * 60 });
  });

  it("reads both response forms of the Random Cut Forest", () => {
    expect(parseScores('{"scores":[{"score":0.02},{"score":1.5e-1}]}')).to.deep.equal([0.02, 0.15]);
    expect(parseScores('{"score": 0.02}\n{"score": 3}\n')).to.deep.equal([0.02, 3]);
    expect(() => parseScores('{"score": NaN}')).to.throw(
      "the model returned a score that is not a number: NaN",
    );
  });

  it("handler: reads its settings from the environment and rejects unknown actions", async () => {
    const env = {
      DEPLOYMENT: "sensors-dev",
      CURATED_BUCKET: CURATED,
      ARTIFACTS_BUCKET: ARTIFACTS,
      ALERT_TOPIC_ARN: "arn:aws:sns:eu-west-1:111122223333:t",
      MODEL_SETTINGS: JSON.stringify(MODEL),
      INGEST_DELAY_SECONDS: "360",
    };
    expect(scoringSettingsFromEnv(env)).to.deep.include({
      ingestDelayMs: 360_000,
      maxWindowMs: 6 * HOUR,
      endpointName: undefined,
      model: MODEL,
    });
    expect(() => scoringSettingsFromEnv({ ...env, CURATED_BUCKET: "" })).to.throw(
      "environment variable CURATED_BUCKET is not set",
    );
    expect(() => scoringSettingsFromEnv({ ...env, MODEL_SETTINGS: "{}" })).to.throw(
      "MODEL_SETTINGS must be the JSON of buildModelSettings",
    );
    let message = "";
    await dispatch(scoring, { action: "explode" } as never).catch((err: Error) => (message = err.message));
    expect(message).to.equal(
      'unknown scoring action "explode"; expected plan, score, prepareBatch or collectBatch',
    );
  });

  it("keeps the summary alert under SNS's message limit: each device once, then how many more", function () {
    expect(summaryMessage(3, "w1", ["a", "b", "a"])).to.equal(
      "3 more incidents in window w1, on devices: a, b",
    );
    const many = Array.from({ length: 20_000 }, (_, i) => `sensors-prod-building-${i}`);
    const message = summaryMessage(20_000, "w2", many);
    expect(Buffer.byteLength(message)).to.be.below(262_144);
    expect(Buffer.byteLength(message)).to.be.above(SUMMARY_DEVICE_LIST_BYTES - 100);
    expect(message).to.match(/ and \d+ more \(every anomaly is in the lake\)$/);
  });
});
