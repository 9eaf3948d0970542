// Parity of the alert policy across backends: the same score stream goes (a) through the cloud scoring function
// (functions/anomaly-scoring, which the local backend runs unchanged), scored by a fake endpoint in many scoring
// windows with the policy's state carried in S3 between them, and (b) through AlertStream in one pass, as
// `npm run rcf` and local/rcf's AnomalyDetector apply it. Both must find the same anomalous readings and page
// on the same ones.
import { expect } from "chai";
import { mockClient } from "aws-sdk-client-mock";
import { InvokeEndpointCommand, SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { AnomalyScoring } from "../../../functions/anomaly-scoring/scoring";
import { buildModelSettings } from "../../../components/ml/model-settings";
import { MODEL_KEYS, ModelPointer, SCORING_KEYS } from "../../../components/ml/ml-layout";
import { renderQuery, scoringInputColumns } from "../../../components/analytics/queries";
import { AlertStream } from "../../../components/ml/alert-policy";
import { Xoshiro128 } from "../../../local/rcf/random";
import { S3Store } from "../functions/scoring-s3-store";

const MINUTE = 60_000;
const START = Date.UTC(2024, 5, 1);
const MODEL = buildModelSettings({ numTrees: 50, shingleSize: 1, z: 3 });
const PRIOR = { mean: 0.8, sigma: 0.25 };
const FLOOR = PRIOR.mean + 3 * PRIOR.sigma;

interface Row {
  device: string;
  ts: number;
  seq: number;
  /** The model's score; undefined = no vector yet. */
  score: number | undefined;
  stuck: boolean;
  missing: number;
}

/** Three devices, a reading a minute for 10 hours: ordinary scores, spikes, a slow rise, a stuck spell, a gap. */
function stream(): Row[] {
  const random = new Xoshiro128(11);
  const rows: Row[] = [];
  for (const [d, device] of ["lab-1", "lab-2", "office-1"].entries()) {
    let seq = 0;
    for (let i = 0; i < 600; i++) {
      if (d === 2 && i >= 300 && i < 310) continue; // office-1 goes silent for 10 minutes
      let score = 0.8 + 0.25 * (random.nextDouble() + random.nextDouble() - 1) * 2;
      if (i % 97 === 13 + d) score += 3 + random.nextDouble() * 4; // spikes
      if (d === 1 && i >= 400 && i < 460) score += (i - 400) / 20; // a fault that grows
      rows.push({
        device,
        ts: START + i * MINUTE,
        seq: seq++,
        score: i === 0 ? undefined : score,
        stuck: d === 0 && i >= 250 && i < 270,
        missing: d === 2 && i === 310 ? 10 : 0,
      });
    }
  }
  return rows;
}

/** The scoring input query's CSV for these rows: the score rides in the vector's first column. */
function athenaCsv(rows: Row[]): string {
  const header = scoringInputColumns(MODEL).map((c) => c.name);
  const lines = rows.map((r) => [
    r.device,
    r.device.split("-")[0],
    r.ts,
    r.seq,
    20,
    r.ts + 500,
    r.score === undefined ? "" : r.score,
    r.score === undefined ? "" : 0,
    r.missing,
    r.stuck ? 1 : 0,
  ]);
  return [header, ...lines].map((l) => l.map((v) => `"${String(v)}"`).join(",")).join("\n") + "\n";
}

describe("alert parity: the cloud scoring function and the streaming detector", function () {
  this.timeout(30_000);

  it("find the same anomalies and alert on the same readings, in 7 windows or in one pass", async () => {
    const rows = stream();

    // (b) One pass per device through AlertStream, as npm run rcf applies the policy.
    const streamed = { anomalies: new Set<string>(), alerts: new Set<string>() };
    for (const device of ["lab-1", "lab-2", "office-1"]) {
      const policy = new AlertStream(MODEL.alertPolicy, PRIOR, FLOOR);
      for (const r of rows.filter((x) => x.device === device)) {
        const verdict = policy.observe({
          at: r.ts,
          score: r.score,
          value: 20,
          stuck: r.stuck,
          missing: r.missing,
        });
        if (verdict.anomalous) streamed.anomalies.add(`${device}@${r.ts}`);
        if (verdict.alert) streamed.alerts.add(`${device}@${r.ts}`);
      }
    }

    // (a) The cloud function, window by window, scored by an endpoint that returns the score it is sent.
    const s3 = new S3Store();
    const pointer: ModelPointer = {
      runId: "20240601t000000-parity",
      modelName: "m",
      trainingJobName: "m",
      modelDataUrl: "s3://artifacts/models/m.tar.gz",
      threshold: FLOOR,
      mean: PRIOR.mean,
      sigma: PRIOR.sigma,
      z: 3,
      trainingVectors: 1000,
      featureDim: MODEL.hyperparameters.feature_dim,
      shingleSize: 1,
      features: MODEL.features,
      promotedAt: "2024-06-01T00:00:00.000Z",
    };
    s3.put("artifacts", MODEL_KEYS.current, JSON.stringify(pointer));
    s3.put(
      "curated",
      SCORING_KEYS.watermark,
      JSON.stringify({ scoredThroughMs: START - 1, lastWindowId: "", updatedAt: "" }),
    );
    const runtimeClient = new SageMakerRuntimeClient({ region: "eu-west-1" });
    const snsClient = new SNSClient({ region: "eu-west-1" });
    mockClient(runtimeClient)
      .on(InvokeEndpointCommand)
      .callsFake((input: { Body: Uint8Array }) => {
        const lines = Buffer.from(input.Body).toString("utf8").split("\n");
        return {
          Body: Buffer.from(
            JSON.stringify({ scores: lines.map((l) => ({ score: Number(l.split(",")[0]) })) }),
          ),
        };
      });
    const sns = mockClient(snsClient);
    sns.on(PublishCommand).resolves({});
    let now = START;
    const scoring = new AnomalyScoring(
      {
        deployment: "parity",
        curatedBucket: "curated",
        artifactsBucket: "artifacts",
        alertTopicArn: "arn:aws:sns:eu-west-1:111122223333:alerts",
        endpointName: "parity-rcf",
        model: MODEL,
        ingestDelayMs: 0,
        maxWindowMs: 90 * MINUTE,
        maxAlertsPerRun: 1000,
      },
      { s3: s3.client, sns: snsClient, runtime: runtimeClient, now: () => now },
    );
    const parameters = renderQuery("scoring_input", "athena", MODEL).parameters;
    let windows = 0;
    for (now = START + 90 * MINUTE; ; now += 90 * MINUTE) {
      const plan = await scoring.plan(parameters);
      // The query returns the window's readings plus earlier ones (context): the function keeps its own.
      const arrived = rows.filter((r) => r.ts + 500 <= plan.untilMs!);
      s3.put("results", `q${windows}.csv`, athenaCsv(arrived));
      await scoring.score(plan, `s3://results/q${windows}.csv`);
      windows++;
      if (plan.untilMs! >= START + 600 * MINUTE) break;
    }
    expect(windows).to.equal(7);
    // The platform judges the mean of a device's last scores, so each window starts from the scores the previous
    // one left in the stream state: parity here covers that carry too.
    expect(MODEL.alertPolicy.averaging).to.be.greaterThan(1);
    const cloud = { anomalies: new Set<string>(), alerts: new Set<string>() };
    for (const key of s3.keys("curated", "anomalies/"))
      for (const line of s3.text("curated", key)!.trim().split("\n")) {
        const record = JSON.parse(line) as { device_id: string; ts: number };
        cloud.anomalies.add(`${record.device_id}@${record.ts}`);
      }
    for (const call of sns.commandCalls(PublishCommand)) {
      const message = call.args[0].input.Message!;
      const device = /Sensor (\S+) in room/.exec(message)![1]!;
      const first = /First anomalous reading: (\S+)/.exec(message)![1]!;
      cloud.alerts.add(`${device}@${Date.parse(first)}`);
    }

    // Every kind showed up, and both paths agree reading for reading.
    expect(streamed.alerts.size).to.be.at.least(8);
    expect([...cloud.anomalies].sort()).to.deep.equal([...streamed.anomalies].sort());
    expect([...cloud.alerts].sort()).to.deep.equal([...streamed.alerts].sort());
    const kinds = new Set(
      s3
        .keys("curated", "anomalies/")
        .flatMap((key) => s3.text("curated", key)!.trim().split("\n"))
        .map((line) => (JSON.parse(line) as { kind: string }).kind),
    );
    expect([...kinds].sort()).to.deep.equal(["dropout", "score", "stuck"]);
  });
});
