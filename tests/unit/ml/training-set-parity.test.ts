// The training set the curate job writes (components/etl/sql/training.sql, run here in DuckDB as the local
// backend runs it) and the vectors the scoring function builds (featureVectors) must be the same vectors for
// the same readings, or the model is trained on one shape and scored on another.
import { expect } from "chai";
import { DuckDBInstance } from "@duckdb/node-api";
import { renderEtlSql } from "../../../components/etl/transforms";
import { buildModelSettings } from "../../../components/ml/model-settings";
import { csvRow, featureVectors, FeatureReading } from "../../../components/ml/features";

describe("training set parity (curate job SQL vs scoring features)", () => {
  for (const shingleSize of [1, 3]) {
    it(`builds identical vectors with shingle size ${shingleSize}`, async () => {
      const readings: FeatureReading[] = [];
      // Two rooms, three devices, readings inserted out of order.
      const devices = [
        ["lab", "lab-1"],
        ["lab", "lab-2"],
        ["office", "office-1"],
      ] as const;
      devices.forEach(([room, device], d) => {
        for (const i of [4, 0, 3, 1, 2, 5])
          readings.push({
            device_id: device,
            room_id: room,
            ts: 1_700_000_000_000 + i * 60_000,
            seq: i,
            received_at: 0,
            temperature_c: 20 + d + i / 10,
          });
      });
      const db = await DuckDBInstance.create(":memory:");
      const connection = await db.connect();
      await connection.run(
        "CREATE TABLE curated_readings (room_id VARCHAR, device_id VARCHAR, ts BIGINT, temperature_c DOUBLE)",
      );
      for (const r of readings)
        await connection.run("INSERT INTO curated_readings VALUES (?, ?, ?, ?)", [
          r.room_id,
          r.device_id,
          r.ts,
          r.temperature_c,
        ]);
      const result = await connection.runAndReadAll(renderEtlSql("training", { shingleSize }));
      const fromSql = result
        .getRows()
        .map((row) => `${String(row[0])}|${csvRow(row.slice(1).map(Number))}`)
        .sort();
      connection.closeSync();
      db.closeSync();

      const model = buildModelSettings({ numTrees: 50, samplesPerTree: 4, shingleSize, z: 3 });
      const fromFeatures = featureVectors(readings, model)
        .map((v) => `${v.reading.room_id}|${csvRow(v.values)}`)
        .sort();
      expect(fromSql).to.have.length(3 * (6 - shingleSize + 1));
      expect(fromFeatures).to.deep.equal(fromSql);
    });
  }
});
