/**
 * The telemetry stream's dynamic-partitioning JQ query, run by the real `jq` (Debian package `jq`, 1.6 like
 * Firehose's JQ-1.6 engine), gives the same partition keys as `telemetryObjectPrefix`, which the local lake
 * writer uses. Needs: apt-get install -y jq.
 */
import { expect } from "chai";
import { execFileSync } from "child_process";
import { TELEMETRY_PARTITION_JQ, telemetryObjectPrefix } from "../../components/ingest/firehose-settings";
import { EARLIEST_READING_MS, LATEST_READING_MS } from "../../components/telemetry/schema";

describe("telemetry partitioning: the JQ query against jq", function () {
  it("extracts room_id and the reading's UTC date exactly as the local lake writer computes them", function () {
    const version = execFileSync("jq", ["--version"], { encoding: "utf8", timeout: 30_000 }).trim();
    expect(version, "Firehose runs JQ 1.6").to.match(/^jq-1\.[67]/);

    // Day boundaries (last and first millisecond of a day), leap days, the schema's bounds, and a spread between.
    const instants = [
      EARLIEST_READING_MS,
      LATEST_READING_MS,
      Date.UTC(2024, 1, 29, 23, 59, 59, 999),
      Date.UTC(2024, 2, 1, 0, 0, 0, 0),
      Date.UTC(2025, 11, 31, 23, 59, 59, 999),
      Date.UTC(2026, 0, 1, 0, 0, 0, 1),
    ];
    for (let i = 0; i < 200; i++)
      instants.push(
        EARLIEST_READING_MS + Math.floor(((LATEST_READING_MS - EARLIEST_READING_MS) / 200) * i) + i * 7919,
      );
    const records = instants.map((ts, i) => ({
      device_id: `sensors-dev-lab-${i}`,
      room_id: i % 2 ? "lab" : "cold_store",
      ts,
      seq: i,
      temperature_c: 20,
    }));

    // One record per line, as the topic rule's newline separator delivers them.
    const output = execFileSync("jq", ["-c", TELEMETRY_PARTITION_JQ], {
      input: records.map((r) => JSON.stringify(r)).join("\n"),
      encoding: "utf8",
      timeout: 30_000,
    });
    const keys = output
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { room_id: string; dt: string });

    expect(keys).to.have.length(records.length);
    keys.forEach((k, i) => {
      const record = records[i]!;
      expect(`telemetry/room_id=${k.room_id}/dt=${k.dt}/`, String(record.ts)).to.equal(
        telemetryObjectPrefix({ ...record, received_at: record.ts }),
      );
    });
  });
});
