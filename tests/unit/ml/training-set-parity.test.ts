// Training and scoring vectors come from one SQL text: the curate job's training set (components/etl/sql/
// training.sql, run by Glue's Spark SQL and by DuckDB locally) and the scoring input query (components/analytics/
// sql/scoring_input.sql, run by Athena and by DuckDB locally) both embed components/ml/sql/features.sql. Here
// both run in DuckDB on the same readings and must give the same vectors for the same readings; and the
// TypeScript mirror the ad-hoc scoring URL uses must give them too.
import { expect } from "chai";
import { DuckDBInstance } from "@duckdb/node-api";
import { renderEtlSql } from "../../../components/etl/transforms";
import { positionalParameters } from "../../../components/analytics/sql-dialect";
import { renderQuery } from "../../../components/analytics/queries";
import { buildModelSettings } from "../../../components/ml/model-settings";
import { featureVectors, FeatureReading } from "../../../components/ml/features";
import { renderFeatureRows, vectorColumns } from "../../../components/ml/feature-sql";

const T0 = Date.UTC(2026, 0, 5, 10);

describe("feature parity (training SQL, scoring SQL and the TypeScript mirror)", function () {
  this.timeout(30_000);
  const readings: FeatureReading[] = [];
  // Two rooms, three devices, 40 readings each (longer than the baseline), inserted out of order.
  const devices = [
    ["lab", "lab-1"],
    ["lab", "lab-2"],
    ["office", "office-1"],
  ] as const;
  devices.forEach(([room, device], d) => {
    const order = Array.from({ length: 40 }, (_, i) => (i * 17) % 40);
    for (const i of order)
      readings.push({
        device_id: device,
        room_id: room,
        ts: T0 + i * 60_000,
        seq: i,
        received_at: T0 + i * 60_000 + 500,
        temperature_c: 20 + d + Math.sin(i * (d + 1)) + (i === 25 ? 6 : 0),
      });
  });

  for (const [set, shingleSize] of [
    ["deviation", 1],
    ["deviation", 3],
    ["temperature", 2],
  ] as const) {
    it(`gives identical ${set} vectors with shingle size ${shingleSize}`, async () => {
      const model = buildModelSettings({
        numTrees: 50,
        samplesPerTree: 8,
        shingleSize,
        z: 3,
        features: set,
        baselineReadings: 10,
      });
      const db = await DuckDBInstance.create(":memory:");
      const connection = await db.connect();
      await connection.run(
        "CREATE TABLE curated_readings (room_id VARCHAR, device_id VARCHAR, ts BIGINT, temperature_c DOUBLE)",
      );
      await connection.run(
        "CREATE TABLE telemetry (device_id VARCHAR, room_id VARCHAR, dt VARCHAR, ts BIGINT, seq BIGINT, temperature_c DOUBLE, received_at BIGINT)",
      );
      const text = (v: string) => `'${v}'`;
      await connection.run(
        `INSERT INTO curated_readings VALUES ${readings.map((r) => `(${text(r.room_id)}, ${text(r.device_id)}, ${r.ts}, ${r.temperature_c})`).join(", ")}`,
      );
      await connection.run(
        `INSERT INTO telemetry VALUES ${readings.map((r) => `(${text(r.device_id)}, ${text(r.room_id)}, '2026-01-05', ${r.ts}, ${r.seq}, ${r.temperature_c}, ${r.received_at})`).join(", ")}`,
      );
      // A repeated delivery: scoring must count it once, as curation does.
      const again = readings[5]!;
      await connection.run("INSERT INTO telemetry VALUES (?, ?, '2026-01-05', ?, ?, ?, ?)", [
        again.device_id,
        again.room_id,
        again.ts,
        again.seq,
        again.temperature_c,
        again.received_at + 9_000,
      ]);

      const training = renderEtlSql("training", { features: model.features });
      const trainingRows = (await connection.runAndReadAll(training))
        .getRows()
        .map((row) => `${String(row[0])}|${row.slice(1).map(Number).join(",")}`)
        .sort();

      const scoring = renderQuery("scoring_input", "duckdb", model);
      const values = {
        from_day: "2026-01-01",
        to_day: "2026-01-09",
        context_since_ms: 0,
        since_ms: 0,
        until_ms: T0 + 86_400_000,
      };
      const scoringRows = (
        await connection.runAndReadAll(scoring.text, positionalParameters(scoring, values))
      ).getRowObjectsJS();
      connection.closeSync();
      db.closeSync();
      const columns = vectorColumns(model.features);
      const fromScoring = scoringRows
        .filter((row) => row[columns[0]!] !== null)
        .map((row) => `${String(row.room_id)}|${columns.map((c) => Number(row[c])).join(",")}`)
        .sort();
      const perDevice = 40 - shingleSize + 1 - (set === "deviation" ? 1 : 0);
      expect(trainingRows).to.have.length(3 * perDevice);
      expect(fromScoring).to.deep.equal(trainingRows);
      expect(scoringRows).to.have.length(3 * 40); // every reading once, complete vector or not

      const fromMirror = featureVectors(readings, model.features)
        .map((v) => `${v.reading.room_id}|${v.values.join(",")}`)
        .sort();
      expect(fromMirror).to.have.length(trainingRows.length);
      fromMirror.forEach((row, i) => {
        const [room, vector] = row.split("|");
        const [expectedRoom, expectedVector] = trainingRows[i]!.split("|");
        expect(room).to.equal(expectedRoom);
        vector!
          .split(",")
          .forEach((v, k) => expect(Number(v)).to.be.closeTo(Number(expectedVector!.split(",")[k]), 1e-9));
      });
    });
  }

  it("embeds the same feature text in the training set and in the scoring query", () => {
    const model = buildModelSettings({ numTrees: 50, shingleSize: 2, z: 3 });
    const body = (sql: string) => sql.slice(sql.indexOf("  SELECT", sql.indexOf("FROM (")));
    const training = renderEtlSql("training", { features: model.features });
    const scoring = renderQuery("scoring_input", "athena", model).text;
    const trainingFeatures = renderFeatureRows(model.features, "curated_readings", [
      "room_id",
      "device_id",
      "ts",
      "temperature_c",
    ]);
    expect(training).to.include(trainingFeatures);
    // Same window expressions, only the input relation and the carried columns differ.
    const windows = (sql: string) => sql.match(/OVER \([^)]*\)/g);
    expect(windows(scoring)!.slice(1, 1 + windows(trainingFeatures)!.length)).to.deep.equal(
      windows(trainingFeatures),
    );
    expect(body(trainingFeatures)).to.include("ROWS BETWEEN 30 PRECEDING AND 1 PRECEDING");
  });
});
