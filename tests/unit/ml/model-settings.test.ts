// Pure builders of the anomaly model: settings, threshold, feature vectors, CSV, incidents. No mocks.
import { expect } from "chai";
import {
  buildModelSettings,
  sageMakerHyperParameters,
  scoreThreshold,
} from "../../../components/ml/model-settings";
import {
  batchRows,
  csvRow,
  featureVectors,
  FeatureReading,
  parseReadingsCsv,
} from "../../../components/ml/features";
import { parseCsvRows } from "../../../components/ml/csv";
import {
  groupIncidents,
  incidentAlert,
  latestAnomalyTimes,
  ScoredAnomaly,
} from "../../../components/ml/incidents";
import { anomalyObjectKey, toJsonLines } from "../../../components/ml/anomaly-record";
import { MODEL_KEYS, runId, sageMakerNamePrefix, windowId } from "../../../components/ml/ml-layout";
import { parsePlatformConfig } from "../../../components/config";
import { readStackFile } from "../../../components/stack-files";

describe("model settings", () => {
  it("builds dev's and prod's settings from their stack files", () => {
    const dev = buildModelSettings(parsePlatformConfig(readStackFile("dev")).anomaly);
    expect(dev).to.deep.equal({
      algorithm: "randomcutforest",
      hyperparameters: { num_trees: 50, num_samples_per_tree: 512, feature_dim: 1 },
      features: { columns: ["temperature_c"], shingleSize: 1 },
      threshold: { rule: "mean_plus_z_sigma", z: 3 },
      contentTypes: { training: "text/csv;label_size=0", inference: "text/csv", accept: "application/json" },
    });
    const prod = buildModelSettings(parsePlatformConfig(readStackFile("prod")).anomaly);
    expect(prod.hyperparameters).to.deep.equal({ num_trees: 100, num_samples_per_tree: 512, feature_dim: 4 });
    expect(sageMakerHyperParameters(prod)).to.deep.equal({
      num_trees: "100",
      num_samples_per_tree: "512",
      feature_dim: "4",
    });
    expect(JSON.parse(JSON.stringify(prod))).to.deep.equal(prod); // plain JSON, nothing lost in the Lambda environment
  });

  it("rejects values outside SageMaker's ranges, naming each", () => {
    expect(() => buildModelSettings({ numTrees: 20, samplesPerTree: 4096, shingleSize: 1, z: 0 })).to.throw(
      "invalid Random Cut Forest settings: num_trees must be a whole number from 50 to 1000, SageMaker's range (got 20); num_samples_per_tree must be a whole number from 1 to 2048, SageMaker's range (got 4096); threshold z must be a positive number (got 0)",
    );
    expect(() => buildModelSettings({ numTrees: 50, samplesPerTree: 256, shingleSize: 0, z: 3 })).to.throw(
      "shingle size must be a whole number of at least 1 (got 0)",
    );
  });

  it("computes mean + z sigma with the population sigma", () => {
    const t = scoreThreshold([2, 4, 4, 4, 5, 5, 7, 9], 3);
    expect(t).to.deep.equal({ count: 8, mean: 5, sigma: 2, z: 3, threshold: 11 });
    expect(() => scoreThreshold([], 3)).to.throw("cannot compute a threshold from zero training scores");
    expect(() => scoreThreshold([1, Number.NaN], 3)).to.throw(
      "training score #2 is not a finite number (got NaN)",
    );
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
  const settings = (shingleSize: number) =>
    buildModelSettings({ numTrees: 50, samplesPerTree: 8, shingleSize, z: 3 });

  it("shingles per device in time order, drops duplicate deliveries, keeps only owned vectors", () => {
    const readings = [
      r("b", 1, 10, 5),
      r("a", 2, 20, 2),
      r("a", 1, 10, 1),
      r("a", 2, 20, 2),
      r("a", 3, 30, 3),
      r("b", 2, 20, 6),
    ];
    const vectors = featureVectors(readings, settings(2));
    expect(vectors.map((v) => [v.reading.device_id, v.reading.seq, ...v.values])).to.deep.equal([
      ["a", 2, 1, 2],
      ["a", 3, 2, 3],
      ["b", 2, 5, 6],
    ]);
    const owned = featureVectors(readings, settings(2), (x) => x.ts > 20);
    expect(owned.map((v) => v.values)).to.deep.equal([[2, 3]]);
    expect(featureVectors(readings, settings(1))).to.have.length(5);
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

  it("parses Athena's quoted CSV and a headered curate CSV, skipping rows without a temperature", () => {
    const athena =
      '"device_id","room_id","ts","seq","temperature_c","received_at"\n"a","lab","10","1","20.5","12"\n"a","lab","20","2","","22"\n';
    expect(parseReadingsCsv(athena, "q.csv")).to.deep.equal([
      { device_id: "a", room_id: "lab", ts: 10, seq: 1, temperature_c: 20.5, received_at: 12 },
    ]);
    expect(
      parseReadingsCsv("device_id,ts,seq,temperature_c\nx,5,1,3\n", "t.csv", { room_id: "office" }),
    ).to.deep.equal([{ device_id: "x", room_id: "office", ts: 5, seq: 1, temperature_c: 3, received_at: 5 }]);
    expect(() =>
      parseReadingsCsv("device_id,ts,seq,temperature_c,room_id\nx,five,1,3,r\n", "t.csv"),
    ).to.throw('t.csv: row 2 column ts is not a number (got "five")');
    expect(parseCsvRows('a,"b,""c""\nd",e\r\n\n1,2,3')).to.deep.equal([
      ["a", 'b,"c"\nd', "e"],
      ["1", "2", "3"],
    ]);
  });
});

describe("incidents and anomaly records", () => {
  const anomaly = (device: string, ts: number, score = 3): ScoredAnomaly => ({
    reading: { device_id: device, room_id: "lab", ts, seq: ts, temperature_c: 30 + score, received_at: ts },
    score,
    threshold: 2,
  });
  const MIN = 60_000;

  it("groups a device's anomalies closer than the gap into one incident and splits at a longer pause", () => {
    const incidents = groupIncidents(
      [anomaly("a", 0), anomaly("a", 5 * MIN, 9), anomaly("a", 40 * MIN), anomaly("b", MIN)],
      {},
      15 * MIN,
    );
    expect(
      incidents.map((i) => [i.device_id, i.startTs, i.endTs, i.anomalies, i.peakScore, i.continued]),
    ).to.deep.equal([
      ["a", 0, 5 * MIN, 2, 9, false],
      ["a", 40 * MIN, 40 * MIN, 1, 3, false],
      ["b", MIN, MIN, 1, 3, false],
    ]);
  });

  it("marks an incident that continues from the previous window", () => {
    const incidents = groupIncidents([anomaly("a", 20 * MIN)], { a: 10 * MIN }, 15 * MIN);
    expect(incidents[0]!.continued).to.equal(true);
    expect(groupIncidents([anomaly("a", 30 * MIN)], { a: 10 * MIN }, 15 * MIN)[0]!.continued).to.equal(false);
    expect(
      latestAnomalyTimes([anomaly("a", 30 * MIN), anomaly("b", MIN)], { a: 10 * MIN, c: 5 }),
    ).to.deep.equal({ a: 30 * MIN, b: MIN, c: 5 });
  });

  it("writes alerts with a bounded subject", () => {
    const [incident] = groupIncidents([anomaly("lab-01", Date.UTC(2024, 0, 1))]);
    const alert = incidentAlert(incident!, "sensors-dev");
    expect(alert.subject).to.equal("[sensors-dev] Anomaly in lab: lab-01");
    expect(alert.message).to.include("First anomalous reading: 2024-01-01T00:00:00.000Z");
    expect(incidentAlert({ ...incident!, device_id: "x".repeat(200) }, "d").subject).to.have.length(100);
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
          model_version: "v",
          scored_at: 6,
        },
      ]),
    ).to.equal(
      '{"device_id":"a","ts":1,"seq":2,"temperature_c":3,"score":4,"threshold":5,"model_version":"v","scored_at":6}\n',
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

describe("threshold parity with the local Random Cut Forest", () => {
  it("computes the same mean, sigma and threshold as local/rcf's batchStatistics", async () => {
    const { batchStatistics } = await import("../../../local/rcf/threshold");
    const scores = Array.from({ length: 1000 }, (_, i) => Math.abs(Math.sin(i * 12.9898) * 43758.5453) % 3);
    const mine = scoreThreshold(scores, 3);
    const local = batchStatistics(scores, 3);
    expect(mine.mean).to.be.closeTo(local.mean, 1e-12);
    expect(mine.sigma).to.be.closeTo(local.deviation, 1e-12);
    expect(mine.threshold).to.be.closeTo(local.threshold, 1e-12);
  });
});
