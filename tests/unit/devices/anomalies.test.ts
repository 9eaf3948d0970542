import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TelemetryPayload } from "../../../components/telemetry/schema";
import { LabelWriter, readLabels, LABEL_COLUMNS } from "../../../devices/labels";
import {
  ANOMALY_COOLDOWN_SAMPLES,
  ANOMALY_KINDS,
  NO_ANOMALIES,
  parseAnomalySpec,
  type AnomalyConfig,
  type AnomalyLabel,
} from "../../../devices/model/anomalies";
import { SimulatedSensor } from "../../../devices/model/simulated-sensor";

const START = Date.UTC(2025, 0, 6);
const DEVICE = "sensors-test-office-004";

function sensor(anomalies: AnomalyConfig, limits: { count?: number }): SimulatedSensor {
  return new SimulatedSensor({
    seed: "anomaly-test",
    deviceId: DEVICE,
    roomId: "office",
    startTs: START,
    intervalMs: 30_000,
    anomalies,
    limits,
  });
}

function run(
  anomalies: AnomalyConfig,
  count: number,
): { payloads: TelemetryPayload[]; labels: AnomalyLabel[] } {
  const running = sensor(anomalies, { count });
  const payloads: TelemetryPayload[] = [];
  const labels: AnomalyLabel[] = [];
  while (running.nextTs() !== undefined) {
    const sample = running.take();
    if (sample.payload) payloads.push(sample.payload);
    if (sample.finished) labels.push(sample.finished);
  }
  const last = running.close();
  if (last) labels.push(last);
  return { payloads, labels };
}

describe("devices: anomaly injection and labels", () => {
  const injected = run({ rate: 0.02, kinds: ANOMALY_KINDS }, 6_000);
  const clean = run(NO_ANOMALIES, 8_000);
  const cleanByTs = new Map(clean.payloads.map((p) => [p.ts, p]));
  const inWindow = (ts: number): AnomalyLabel | undefined =>
    injected.labels.find((l) => ts >= l.start && ts <= l.end);

  it("injects every kind, with windows that never overlap", () => {
    const kinds = new Set(injected.labels.map((l) => l.kind));
    expect([...kinds].sort()).to.deep.equal([...ANOMALY_KINDS].sort());
    const sorted = [...injected.labels].sort((a, b) => a.start - b.start);
    for (let i = 1; i < sorted.length; i++) {
      expect((sorted[i] as AnomalyLabel).start).to.be.greaterThan(
        (sorted[i - 1] as AnomalyLabel).end + ANOMALY_COOLDOWN_SAMPLES * 30_000 - 1,
      );
    }
  });

  it("leaves every reading outside a labelled window exactly as the clean run sends it (same seed)", () => {
    let outside = 0;
    for (const p of injected.payloads) {
      if (inWindow(p.ts)) continue;
      outside++;
      const { seq: _seq, ...rest } = cleanByTs.get(p.ts) as TelemetryPayload;
      const { seq: _seq2, ...actual } = p;
      expect(actual).to.deep.equal(rest);
    }
    expect(outside).to.be.greaterThan(2_000);
  });

  it("changes the readings inside each window the way its label says", () => {
    for (const label of injected.labels) {
      const window = injected.payloads.filter((p) => p.ts >= label.start && p.ts <= label.end);
      const base = clean.payloads.filter((p) => p.ts >= label.start && p.ts <= label.end);
      const diffs = window.map(
        (p) => p.temperature_c - (cleanByTs.get(p.ts) as TelemetryPayload).temperature_c,
      );
      const where = `${label.kind} at ${label.start}`;
      // Diagnostics are never touched: only the temperature carries the anomaly.
      for (const p of window) expect(p.humidity_pct, where).to.equal(cleanByTs.get(p.ts)?.humidity_pct);
      if (label.kind === "dropout") {
        expect(window, where).to.deep.equal([]);
        expect(base.length, where).to.equal(label.samples);
        expect([label.first_seq, label.last_seq, label.magnitude]).to.deep.equal([null, null, 0]);
        continue;
      }
      expect(window.length, where).to.equal(label.samples);
      expect(
        window.map((p) => p.seq),
        where,
      ).to.deep.equal(range(label.first_seq as number, label.last_seq as number));
      switch (label.kind) {
        case "spike":
          expect(label.samples).to.equal(1);
          expect(Math.abs(label.magnitude)).to.be.within(6, 15);
          expect(diffs[0], where).to.be.closeTo(label.magnitude, 0.011);
          break;
        case "level_shift":
          for (const d of diffs) expect(d, where).to.be.closeTo(label.magnitude, 0.011);
          break;
        case "drift":
          diffs.forEach((d, i) =>
            expect(d, where).to.be.closeTo((label.magnitude * (i + 1)) / label.samples, 0.011),
          );
          break;
        case "stuck":
          for (const p of window) expect(p.temperature_c, where).to.equal(label.magnitude);
          break;
        case "noise_burst": {
          const spread = Math.sqrt(diffs.reduce((a, d) => a + d * d, 0) / diffs.length);
          expect(spread, where).to.be.within(label.magnitude * 0.5, label.magnitude * 1.6);
          break;
        }
      }
    }
  });

  it("injects whole faults only in a run of known length: none cut by its end, every dropout followed by a reading", () => {
    expect(run({ rate: 1, kinds: ["level_shift"] }, 5).labels).to.deep.equal([]); // 20+ samples never fit in 5
    for (const count of [150, 400, 777]) {
      const { labels, payloads } = run({ rate: 0.05, kinds: ANOMALY_KINDS }, count);
      expect(labels.length, `${count} readings`).to.be.greaterThan(0);
      for (const label of labels) {
        expect(label.truncated, JSON.stringify(label)).to.equal(false);
        if (label.kind === "dropout")
          expect(
            payloads.some((p) => p.ts > label.end),
            JSON.stringify(label),
          ).to.equal(true);
      }
    }
  });

  it("labels an anomaly cut short by a run stopped early (no known end) as truncated", () => {
    const open = sensor({ rate: 1, kinds: ["level_shift"] }, {});
    for (let i = 0; i < 5; i++) open.take();
    expect(open.close()).to.include({
      kind: "level_shift",
      truncated: true,
      samples: 5,
      first_seq: 0,
      last_seq: 4,
    });
  });

  it("writes and reads labels back in both formats", async () => {
    const dir = mkdtempSync(join(tmpdir(), "labels-"));
    try {
      for (const name of ["labels.jsonl", "labels.csv"]) {
        const writer = new LabelWriter(join(dir, name));
        for (const label of injected.labels) writer.write(label);
        await writer.close();
        expect(readLabels(join(dir, name))).to.deep.equal(injected.labels);
      }
      const csv = readFileSync(join(dir, "labels.csv"), "utf8").split("\n");
      expect(csv[0]).to.equal(LABEL_COLUMNS.join(","));
      const jsonl = JSON.parse(
        readFileSync(join(dir, "labels.jsonl"), "utf8").split("\n")[0] as string,
      ) as object;
      expect(Object.keys(jsonl)).to.deep.equal([...LABEL_COLUMNS]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("devices: --anomalies", () => {
  it("parses a rate alone (every kind), a percentage with kinds, and none", () => {
    expect(parseAnomalySpec("0.01")).to.deep.equal({ rate: 0.01, kinds: [...ANOMALY_KINDS] });
    expect(parseAnomalySpec("2%,spike,level-shift")).to.deep.equal({
      rate: 0.02,
      kinds: ["spike", "level_shift"],
    });
    expect(parseAnomalySpec("none")).to.deep.equal(NO_ANOMALIES);
    expect(parseAnomalySpec("0")).to.deep.equal(NO_ANOMALIES);
  });

  it("rejects a bad rate or kind with the accepted forms", () => {
    const usage =
      "use <rate>[,<kind>...] with rate a probability per sample (0-1 or a percentage such as 1%) and kinds from spike, level_shift, drift, stuck, dropout, noise_burst";
    expect(() => parseAnomalySpec("1.5")).to.throw(
      `--anomalies rate must be from 0 to 1 (got "1.5"): ${usage}`,
    );
    expect(() => parseAnomalySpec("often")).to.throw(
      `--anomalies rate must be from 0 to 1 (got "often"): ${usage}`,
    );
    expect(() => parseAnomalySpec("0.1,spikes")).to.throw(
      `--anomalies has an unknown kind "spikes": ${usage}`,
    );
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
