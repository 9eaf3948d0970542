// Pure builders of the anomaly model: settings, threshold, feature vectors, CSV, anomaly records. No mocks.
import { expect } from "chai";
import {
  buildModelSettings,
  sageMakerHyperParameters,
  samplesPerTreeFor,
  scoreThreshold,
} from "../../../components/ml/model-settings";
import {
  batchRows,
  csvRow,
  featureVectors,
  FeatureReading,
  parseScoringRows,
} from "../../../components/ml/features";
import { featureSettings, vectorColumns } from "../../../components/ml/feature-sql";
import { parseCsvRows } from "../../../components/ml/csv";
import { incidentAlert } from "../../../components/ml/incidents";
import { anomalyObjectKey, toJsonLines } from "../../../components/ml/anomaly-record";
import { MODEL_KEYS, runId, sageMakerNamePrefix, windowId } from "../../../components/ml/ml-layout";
import { PLATFORM_ALERT_POLICY } from "../../../components/ml/alert-policy";
import { parsePlatformConfig } from "../../../components/config";
import { readStackFile } from "../../../components/stack-files";

describe("model settings", () => {
  it("builds dev's and prod's settings from their stack files", () => {
    const dev = buildModelSettings(parsePlatformConfig(readStackFile("dev")).anomaly);
    expect(dev).to.deep.equal({
      algorithm: "randomcutforest",
      // num_samples_per_tree from the default expected anomaly rate, 0.002: 1 / 0.002.
      hyperparameters: { num_trees: 50, num_samples_per_tree: 500, feature_dim: 2 },
      features: {
        set: "deviation",
        columns: ["deviation_c", "step_c"],
        baselineReadings: 30,
        shingleSize: 1,
      },
      scope: "fleet",
      rules: { stuckReadings: 12 },
      threshold: { rule: "mean_plus_z_sigma", z: 3, use: "floor" },
      alertPolicy: PLATFORM_ALERT_POLICY,
      contentTypes: { training: "text/csv;label_size=0", inference: "text/csv", accept: "application/json" },
    });
    const prod = buildModelSettings(parsePlatformConfig(readStackFile("prod")).anomaly);
    expect(prod.hyperparameters.num_trees).to.equal(100);
    expect(prod.hyperparameters.feature_dim).to.equal(8); // 2 features x shingle 4
    expect(sageMakerHyperParameters(prod)).to.deep.equal({
      num_trees: "100",
      num_samples_per_tree: String(prod.hyperparameters.num_samples_per_tree),
      feature_dim: "8",
    });
    expect(JSON.parse(JSON.stringify(prod))).to.deep.equal(prod); // plain JSON, nothing lost in the Lambda environment
  });

  it("takes the feature set, baseline, rules, scope and tail probability from the config", () => {
    const raw = buildModelSettings({
      numTrees: 50,
      shingleSize: 3,
      z: 3,
      features: "temperature",
      baselineReadings: 60,
      stuckReadings: 0,
      dropoutReadings: 5,
      modelScope: "room",
      tailProbability: 1e-4,
      scoreAveraging: 5,
      samplesPerTree: 256,
    });
    expect(raw.features).to.deep.equal({
      set: "temperature",
      columns: ["temperature_c"],
      baselineReadings: 60,
      shingleSize: 3,
    });
    expect(raw.hyperparameters).to.deep.equal({ num_trees: 50, num_samples_per_tree: 256, feature_dim: 3 });
    expect([raw.scope, raw.rules.stuckReadings, raw.alertPolicy.dropoutReadings]).to.deep.equal([
      "room",
      0,
      5,
    ]);
    expect(raw.alertPolicy.tailProbability).to.equal(1e-4);
    expect(raw.alertPolicy.averaging).to.equal(5);
    expect(vectorColumns(buildModelSettings({ numTrees: 50, shingleSize: 2, z: 3 }).features)).to.deep.equal([
      "deviation_c_lag1",
      "step_c_lag1",
      "deviation_c",
      "step_c",
    ]);
  });

  it("sizes num_samples_per_tree from the expected anomaly rate (1 / rate, within SageMaker's range)", () => {
    expect(samplesPerTreeFor(0.002)).to.equal(500);
    expect(samplesPerTreeFor(0.01)).to.equal(100);
    expect(samplesPerTreeFor(0.2)).to.equal(64); // a tree needs more than a handful of points
    expect(samplesPerTreeFor(0.0001)).to.equal(2048); // SageMaker's largest
    expect(
      buildModelSettings({ numTrees: 50, shingleSize: 1, z: 3, expectedAnomalyRate: 0.004 }).hyperparameters
        .num_samples_per_tree,
    ).to.equal(250);
    expect(() => samplesPerTreeFor(0)).to.throw("expected anomaly rate must be between 0 and 1 (got 0)");
  });

  it("rejects values outside SageMaker's ranges, naming each", () => {
    expect(() => buildModelSettings({ numTrees: 20, samplesPerTree: 4096, shingleSize: 1, z: 0 })).to.throw(
      "invalid Random Cut Forest settings: num_trees must be a whole number from 50 to 1000, SageMaker's range (got 20); num_samples_per_tree must be a whole number from 1 to 2048, SageMaker's range (got 4096); threshold z must be a positive number (got 0)",
    );
    expect(() => buildModelSettings({ numTrees: 50, samplesPerTree: 256, shingleSize: 0, z: 3 })).to.throw(
      "shingleSize must be a whole number from 1 to 64 (got 0)",
    );
    expect(() => buildModelSettings({ numTrees: 50, shingleSize: 1, z: 3, stuckReadings: 1 })).to.throw(
      "stuck readings must be 0 (off) or a whole number of at least 2 (got 1)",
    );
  });

  it("computes mean + z sigma with the population sigma", () => {
    const t = scoreThreshold([2, 4, 4, 4, 5, 5, 7, 9], 3);
    expect(t).to.deep.equal({ count: 8, mean: 5, sigma: 2, z: 3, threshold: 11 });
    expect(() => scoreThreshold([], 3)).to.throw("cannot compute a threshold from zero training scores");
    expect(() => scoreThreshold([1, Number.NaN], 3)).to.throw(
      "training score #2 is not a finite number (got NaN)",
    );
    expect(() => scoreThreshold(new Float64Array([1, 2]), 0)).to.throw(
      "threshold z must be a positive number (got 0)",
    );
  });

  it("is the rule the local Random Cut Forest exports (one definition for both backends)", async () => {
    const rcf = await import("../../../local/rcf");
    expect(rcf.scoreThreshold).to.equal(scoreThreshold);
  });
});

describe("feature vectors", () => {
  const r = (
    device: string,
    seq: number,
    ts: number,
    temperature_c: number,
    received_at = ts,
  ): FeatureReading => ({ device_id: device, room_id: "lab", seq, ts, temperature_c, received_at });

  it("computes deviation from the device's baseline and the step, shingled per device, repeats once", () => {
    const readings = [
      r("b", 1, 10, 5),
      r("a", 2, 20, 2),
      r("a", 1, 10, 1),
      r("a", 2, 20, 2), // a repeated delivery
      r("a", 3, 30, 4),
      r("a", 4, 40, 4),
      r("b", 2, 20, 6),
    ];
    const deviation = (shingle: number) => featureSettings("deviation", 2, shingle);
    const vectors = featureVectors(readings, deviation(1));
    // a: 2 - mean(1) = 1, step 1; 4 - mean(1, 2) = 2.5, step 2; 4 - mean(2, 4) = 1, step 0. b: 6 - 5.
    expect(vectors.map((v) => [v.reading.device_id, v.reading.seq, ...v.values])).to.deep.equal([
      ["a", 2, 1, 1],
      ["a", 3, 2.5, 2],
      ["a", 4, 1, 0],
      ["b", 2, 1, 1],
    ]);
    expect(featureVectors(readings, deviation(2)).map((v) => v.values)).to.deep.equal([
      [1, 1, 2.5, 2],
      [2.5, 2, 1, 0],
    ]);
    expect(featureVectors(readings, featureSettings("temperature", 2, 2)).map((v) => v.values)).to.deep.equal(
      [
        [1, 2],
        [2, 4],
        [4, 4],
        [5, 6],
      ],
    );
  });

  it("batches rows under a byte limit and a row limit, and refuses a row larger than the limit", () => {
    const rows = ["1,2", "3,4", "5,6", "7,8"];
    expect(batchRows(rows, 8)).to.deep.equal([
      ["1,2", "3,4"],
      ["5,6", "7,8"],
    ]);
    expect(batchRows(rows, 1000, 3)).to.deep.equal([["1,2", "3,4", "5,6"], ["7,8"]]);
    expect(() => batchRows(["123456789"], 8)).to.throw(
      "one feature row is 10 bytes, more than the request limit of 8",
    );
    expect(csvRow([1.5, -2, 1e-7])).to.equal("1.5,-2,1e-7");
  });

  it("parses the scoring input's quoted CSV: vectors, incomplete vectors and the rules' columns", () => {
    const model = { features: featureSettings("deviation", 30, 1) };
    const header =
      '"device_id","room_id","ts","seq","temperature_c","received_at","deviation_c","step_c","missing_readings","stuck"';
    const athena = `${header}\n"a","lab","10","1","20.5","12","","","0","0"\n"a","lab","20","2","21","22","0.5","0.5","4","1"\n`;
    expect(parseScoringRows(athena, "q.csv", model)).to.deep.equal([
      {
        reading: { device_id: "a", room_id: "lab", ts: 10, seq: 1, temperature_c: 20.5, received_at: 12 },
        vector: null,
        missing: 0,
        stuck: false,
      },
      {
        reading: { device_id: "a", room_id: "lab", ts: 20, seq: 2, temperature_c: 21, received_at: 22 },
        vector: [0.5, 0.5],
        missing: 4,
        stuck: true,
      },
    ]);
    expect(() =>
      parseScoringRows(`${header}\n"a","lab","five","1","3","4","","","0","0"\n`, "t.csv", model),
    ).to.throw('t.csv: row 2 column ts is not a number (got "five")');
    expect(() => parseScoringRows('"device_id","ts"\n"a","1"\n', "t.csv", model)).to.throw(
      "t.csv: CSV header lacks columns room_id, seq",
    );
    expect(parseCsvRows('a,"b,""c""\nd",e\r\n\n1,2,3')).to.deep.equal([
      ["a", 'b,"c"\nd', "e"],
      ["1", "2", "3"],
    ]);
  });
});

describe("incident alerts and anomaly records", () => {
  it("writes alerts naming what was found, with a bounded subject", () => {
    const incident = {
      device_id: "lab-01",
      room_id: "lab",
      startTs: Date.UTC(2024, 0, 1),
      endTs: Date.UTC(2024, 0, 1, 0, 5),
      anomalies: 4,
      kinds: ["stuck", "score"] as const,
      peakScore: 3.2,
      peakTemperature: 21.5,
      threshold: 2,
    };
    const alert = incidentAlert({ ...incident, kinds: [...incident.kinds] }, "sensors-dev");
    expect(alert.subject).to.equal("[sensors-dev] Stuck value in lab: lab-01");
    expect(alert.message).to.include("Sensor lab-01 in room lab: stuck value, anomaly.");
    expect(alert.message).to.include("First anomalous reading: 2024-01-01T00:00:00.000Z");
    expect(
      incidentAlert({ ...incident, kinds: ["score"], device_id: "x".repeat(200) }, "d").subject,
    ).to.have.length(100);
  });

  it("keys anomaly objects by room, day and window, and names runs within SageMaker's limits", () => {
    expect(anomalyObjectKey("lab", "2024-06-01", windowId(1_717_200_000_000, 1_717_203_600_000))).to.equal(
      "anomalies/room_id=lab/dt=2024-06-01/wlwvcjk00-lwveops0.json",
    );
    expect(() => anomalyObjectKey("lab/../x", "2024-06-01", "w")).to.throw(
      'room_id "lab/../x" is not a valid room ID',
    );
    expect(
      toJsonLines([
        {
          device_id: "a",
          ts: 1,
          seq: 2,
          temperature_c: 3,
          score: 4,
          threshold: 5,
          kind: "score",
          anomaly_score: 0.6,
          model_version: "v",
          scored_at: 6,
        },
      ]),
    ).to.equal(
      '{"device_id":"a","ts":1,"seq":2,"temperature_c":3,"score":4,"threshold":5,"kind":"score","anomaly_score":0.6,"model_version":"v","scored_at":6}\n',
    );
    const run = runId(new Date("2024-06-01T03:00:00Z"), "9F1C2D3E-4B5A-6C7D-8E9F-0A1B2C3D4E5F");
    expect(run).to.equal("20240601t030000-2c3d4e5f");
    expect(MODEL_KEYS.threshold(run)).to.equal("models/runs/20240601t030000-2c3d4e5f/threshold.json");
    expect(() => MODEL_KEYS.runPrefix("../x")).to.throw(
      'run ID "../x" must look like 20240131t020000-abc123',
    );
    const longest = `${sageMakerNamePrefix("abcdefghijklmnop-abcdefghijklmnopqrst")}-rcf-${run}-scores`;
    expect(longest.length).to.be.at.most(63);
  });
});
