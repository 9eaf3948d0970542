import { expect } from "chai";
import {
  bufferingProblems,
  firehoseErrorPrefix,
  quarantineFirehosePrefix,
  quarantineObjectPrefix,
  TELEMETRY_PARTITION_JQ,
  telemetryFirehosePrefix,
  telemetryObjectPrefix,
  telemetryPartitionKeys,
  utcDate,
} from "../../../components/ingest/firehose-settings";
import {
  telemetryLocationTemplate,
  telemetryTableDefinition,
} from "../../../components/ingest/telemetry-table";
import { staticFolder } from "../../../components/ingest/delivery-stream";
import { EARLIEST_READING_MS, glueColumns } from "../../../components/telemetry/schema";

const reading = {
  room_id: "lab",
  ts: Date.UTC(2025, 2, 9, 23, 59, 59, 999),
  received_at: Date.UTC(2025, 2, 10, 0, 0, 1, 0),
};

/** What Firehose does with a prefix: substitute the partition keys and the arrival time (UTC). */
function firehoseKey(prefix: string, keys: Record<string, string>, arrivalMs: number): string {
  return prefix
    .replace(/!\{partitionKeyFromQuery:([a-z_]+)\}/g, (_, k: string) => keys[k]!)
    .replace(/!\{timestamp:yyyy-MM-dd\}/g, utcDate(arrivalMs));
}

describe("Firehose settings", function () {
  describe("telemetry key layout", function () {
    it("partitions by room and the reading's UTC date, from ts (not the arrival time)", function () {
      expect(telemetryObjectPrefix(reading)).to.equal("telemetry/room_id=lab/dt=2025-03-09/");
      expect(telemetryFirehosePrefix(true)).to.equal(
        "telemetry/room_id=!{partitionKeyFromQuery:room_id}/dt=!{partitionKeyFromQuery:dt}/",
      );
    });

    it("without dynamic partitioning, dates by arrival and keeps the room inside the files", function () {
      expect(telemetryObjectPrefix(reading, false)).to.equal("telemetry/dt=2025-03-10/");
      expect(telemetryFirehosePrefix(false)).to.equal("telemetry/dt=!{timestamp:yyyy-MM-dd}/");
      expect(telemetryPartitionKeys(false)).to.deep.equal(["dt"]);
    });

    it("the cloud prefix and the local function give the same key for the same reading", function () {
      for (const dynamic of [true, false]) {
        const keys = { room_id: reading.room_id, dt: utcDate(reading.ts) };
        expect(firehoseKey(telemetryFirehosePrefix(dynamic), keys, reading.received_at)).to.equal(
          telemetryObjectPrefix(reading, dynamic),
        );
      }
    });

    it("Athena's location template resolves to the same key (partition projection finds what Firehose wrote)", function () {
      for (const dynamic of [true, false]) {
        const template = telemetryLocationTemplate("raw-bucket", dynamic);
        const dt = dynamic ? utcDate(reading.ts) : utcDate(reading.received_at);
        const resolved = template.replace("${room_id}", reading.room_id).replace("${dt}", dt);
        expect(resolved).to.equal(`s3://raw-bucket/${telemetryObjectPrefix(reading, dynamic)}`);
      }
    });

    it("extracts the partition keys with one JQ 1.6 query (checked against jq in tests/system)", function () {
      expect(TELEMETRY_PARTITION_JQ).to.equal(
        '{room_id: .room_id, dt: (.ts / 1000 | floor | strftime("%Y-%m-%d"))}',
      );
    });

    it("refuses to date a reading without a usable time", function () {
      expect(() => telemetryObjectPrefix({ ...reading, ts: Number.NaN })).to.throw(
        "cannot derive a date partition from NaN",
      );
    });
  });

  describe("quarantine and error prefixes", function () {
    it("dates quarantined messages by arrival, in the quarantine zone", function () {
      expect(quarantineFirehosePrefix()).to.equal("quarantine/dt=!{timestamp:yyyy-MM-dd}/");
      expect(quarantineObjectPrefix(reading.received_at)).to.equal("quarantine/dt=2025-03-10/");
      expect(firehoseKey(quarantineFirehosePrefix(), {}, reading.received_at)).to.equal(
        quarantineObjectPrefix(reading.received_at),
      );
    });

    it("separates failed records by stream and error type", function () {
      expect(firehoseErrorPrefix("telemetry")).to.equal(
        "errors/firehose/telemetry/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/",
      );
      expect(() => firehoseErrorPrefix("Bad Label")).to.throw(
        'stream label "Bad Label" must be lowercase letters, digits or "-"',
      );
    });

    it("grants each stream the folders before its first expression", function () {
      expect(staticFolder(telemetryFirehosePrefix(true))).to.equal("telemetry/");
      expect(staticFolder(firehoseErrorPrefix("quarantine"))).to.equal("errors/firehose/quarantine/");
      expect(staticFolder("plain/prefix/")).to.equal("plain/prefix/");
    });
  });

  describe("buffering", function () {
    it("accepts the configured ranges and needs 64 MiB for Parquet or dynamic partitioning", function () {
      expect(
        bufferingProblems({ bufferSeconds: 60, bufferMiB: 64 }, { parquet: true, dynamicPartitioning: true }),
      ).to.deep.equal([]);
      expect(
        bufferingProblems({ bufferSeconds: 0, bufferMiB: 1 }, { parquet: false, dynamicPartitioning: false }),
      ).to.deep.equal([]);
      expect(
        bufferingProblems(
          { bufferSeconds: 901, bufferMiB: 32 },
          { parquet: true, dynamicPartitioning: false },
        ),
      ).to.deep.equal([
        "bufferSeconds must be an integer from 0 to 900 (got 901)",
        "bufferMiB must be an integer from 64 to 128 (Firehose needs at least 64 MiB for Parquet conversion and dynamic partitioning) (got 32)",
      ]);
      expect(
        bufferingProblems({ bufferSeconds: 0, bufferMiB: 64 }, { parquet: true, dynamicPartitioning: true }),
      ).to.deep.equal([
        "bufferSeconds must be at least 60 with dynamic partitioning (Firehose has no zero buffering for it) (got 0)",
      ]);
      expect(
        bufferingProblems({ bufferSeconds: 0, bufferMiB: 64 }, { parquet: true, dynamicPartitioning: false }),
      ).to.deep.equal([]);
    });
  });

  describe("telemetry table", function () {
    const table = telemetryTableDefinition({
      bucketName: "raw-bucket",
      rooms: ["lab", "office"],
      dynamicPartitioning: true,
    });

    it("has every schema column except the partition keys, in schema order, with types and units", function () {
      expect(table.storageDescriptor.columns).to.deep.equal(
        glueColumns().filter((c) => c.name !== "room_id"),
      );
      expect(table.storageDescriptor.columns.find((c) => c.name === "temperature_c")).to.deep.equal({
        name: "temperature_c",
        type: "double",
        comment: "Air temperature [°C]",
      });
      expect(table.partitionKeys.map((k) => `${k.name}:${k.type}`)).to.deep.equal([
        "room_id:string",
        "dt:string",
      ]);
    });

    it("is Parquet at the telemetry prefix of the raw bucket", function () {
      expect(table).to.deep.include({ name: "telemetry", tableType: "EXTERNAL_TABLE" });
      expect(table.storageDescriptor).to.deep.include({
        location: "s3://raw-bucket/telemetry/",
        inputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
        outputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
      });
      expect(table.storageDescriptor.serDeInfo.serializationLibrary).to.equal(
        "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
      );
    });

    it("projects its partitions: rooms as an enum, dates from the earliest valid reading until tomorrow", function () {
      expect(table.parameters).to.deep.include({
        "projection.enabled": "true",
        "projection.room_id.type": "enum",
        "projection.room_id.values": "lab,office",
        "projection.dt.type": "date",
        "projection.dt.format": "yyyy-MM-dd",
        "projection.dt.range": `${utcDate(EARLIEST_READING_MS)},NOW+1DAYS`,
        "projection.dt.interval": "1",
        "projection.dt.interval.unit": "DAYS",
        "storage.location.template": "s3://raw-bucket/telemetry/room_id=${room_id}/dt=${dt}/",
        classification: "parquet",
      });
      expect(table.parameters["projection.dt.range"]).to.equal("2020-01-01,NOW+1DAYS");
    });

    it("without dynamic partitioning keeps room_id as a column and projects dates only", function () {
      const flat = telemetryTableDefinition({
        bucketName: "raw-bucket",
        rooms: ["lab"],
        dynamicPartitioning: false,
      });
      expect(flat.storageDescriptor.columns.map((c) => c.name)).to.include("room_id");
      expect(flat.partitionKeys.map((k) => k.name)).to.deep.equal(["dt"]);
      expect(Object.keys(flat.parameters).filter((k) => k.startsWith("projection.room_id"))).to.deep.equal(
        [],
      );
    });

    it("refuses a fleet without rooms", function () {
      expect(() =>
        telemetryTableDefinition({ bucketName: "b", rooms: [], dynamicPartitioning: true }),
      ).to.throw("telemetry table needs at least one room");
    });
  });
});
