import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  devicesOnlineAt,
  onlineWindows,
  parseLoadProfile,
  profileEndMs,
  profileMaxRampPerSecond,
  profilePeak,
} from "../../../components/telemetry/load-profile";
import { main } from "../../../devices/cli";
import { NO_ANOMALIES } from "../../../devices/model/anomalies";
import { SimulatedSensor } from "../../../devices/model/simulated-sensor";
import { WindowedSource } from "../../../devices/model/windowed-source";
import { inShard } from "../../../devices/shard";
import type { FleetSummary } from "../../../devices/summary";
import { startPlainBroker, type PlainBroker } from "./helpers/plain-broker";
import { captureStreams } from "./helpers/streams";
import { TelemetryReceiver } from "./helpers/receiver";

describe("devices: load profiles", () => {
  const ramp = parseLoadProfile("0s:0, 10s:100, 20s:100, 30s:0");

  it("parses points, interpolates linearly between them and knows its peak, length and steepest climb", () => {
    expect(ramp.text).to.equal("0s:0,10s:100,20s:100,30s:0");
    expect(
      [0, 2_500, 10_000, 15_000, 25_000, 30_000, 31_000].map((t) => devicesOnlineAt(ramp, t)),
    ).to.deep.equal([0, 25, 100, 100, 50, 0, 0]);
    expect(profilePeak(ramp)).to.equal(100);
    expect(profileEndMs(ramp)).to.equal(30_000);
    expect(profileMaxRampPerSecond(parseLoadProfile("0s:0,5m:10000,20m:10000,25m:0"))).to.be.closeTo(
      33.33,
      0.01,
    );
  });

  it("refuses profiles that cannot run, saying how to fix them", () => {
    const cases: [string, string][] = [
      [
        "0s:0",
        'a load profile is at least two time:devices points separated by commas, e.g. "0s:0,5m:10000,20m:10000,25m:0" (got "0s:0")',
      ],
      [
        "0s:0,10:5",
        'load profile point 2 "10:5" must be time:devices with a unit on the time, e.g. 5m:10000 (in "0s:0,5m:10000,20m:10000,25m:0" style)',
      ],
      [
        "0s:0,1m:5,1m:9",
        'load profile times must increase: "1m:9" is not after "1m:5" (use a short ramp, e.g. 10s, for a step)',
      ],
      ["0s:0,1m:0", 'a load profile needs at least one point with devices online (got "0s:0,1m:0")'],
    ];
    for (const [text, message] of cases) expect(() => parseLoadProfile(text), text).to.throw(message);
  });

  it("gives each rank the windows where the profile reaches it, so the ranks online always number the profile's count", () => {
    expect(onlineWindows(ramp, 0)).to.deep.equal([{ startMs: 100, endMs: 29_900 }]);
    expect(onlineWindows(ramp, 99)).to.deep.equal([{ startMs: 10_000, endMs: 20_000 }]);
    expect(onlineWindows(ramp, 100)).to.deep.equal([]);
    const twoPeaks = parseLoadProfile("0s:0,10s:40,20s:10,30s:40,40s:0");
    expect(onlineWindows(twoPeaks, 20)).to.deep.equal([
      { startMs: 5_250, endMs: 16_333 },
      { startMs: 23_667, endMs: 34_750 },
    ]);
    for (const profile of [ramp, twoPeaks]) {
      const windows = Array.from({ length: profilePeak(profile) }, (_, rank) => onlineWindows(profile, rank));
      for (let t = 0; t < profileEndMs(profile); t += 737) {
        const online = windows.filter((list) => list.some((w) => t >= w.startMs && t < w.endMs)).length;
        // Window edges are rounded to the millisecond: off by one at most, at a crossing.
        expect(Math.abs(online - devicesOnlineAt(profile, t)), `t=${t}`).to.be.at.most(1);
      }
    }
  });

  it("a windowed sensor skips the samples outside its windows and keeps seq contiguous", () => {
    const sensor = new SimulatedSensor({
      seed: "w",
      deviceId: "sensors-dev-lab-001",
      roomId: "lab",
      startTs: 0,
      intervalMs: 1_000,
      anomalies: NO_ANOMALIES,
      limits: { endTs: 20_000 },
    });
    const source = new WindowedSource(sensor, [
      { start: 2_000, end: 5_000 },
      { start: 12_000, end: 14_000 },
    ]);
    const taken: [number, number][] = [];
    while (source.nextTs() !== undefined) {
      const sample = source.take();
      taken.push([sample.ts, sample.payload!.seq]);
    }
    const phase = taken[0]![0] - 2_000;
    expect(taken).to.deep.equal([
      [2_000 + phase, 0],
      [3_000 + phase, 1],
      [4_000 + phase, 2],
      [12_000 + phase, 3],
      [13_000 + phase, 4],
    ]);
  });
});

describe("devices: a fleet following a load profile", function () {
  let broker: PlainBroker;
  const receiver = new TelemetryReceiver();
  let dir: string;
  before(async () => {
    broker = await startPlainBroker(receiver);
    dir = mkdtempSync(join(tmpdir(), "profile-"));
  });
  after(async () => {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("connects devices as the profile climbs, keeps each one's readings inside its windows, and writes the summary under --out", async () => {
    const profile = "0s:0,4s:8,8s:8,12s:0";
    const start = Date.UTC(2025, 0, 6, 8);
    const streams = captureStreams();
    const args = [
      "--target",
      `mqtt://127.0.0.1:${broker.port}`,
      "--protocol",
      "3.1.1",
      "--interval",
      "500ms",
    ];
    const code = await main(
      [...args, "--speed", "10", "--profile", profile, "--start", new Date(start).toISOString()].concat([
        "--out",
        dir,
        "--run",
        "ramp",
        "--json",
        "--quiet",
      ]),
      streams,
    );
    const summary = JSON.parse(streams.out()) as FleetSummary;
    expect(code, JSON.stringify({ ...summary, lastSeq: undefined, ackLatencyHistogram: undefined })).to.equal(
      0,
    );
    expect(summary.profile).to.deep.equal({ spec: profile, peakDevices: 8, endMs: 12_000 });
    expect(summary.devices).to.equal(8);
    expect(summary.published).to.equal(receiver.distinct).and.to.be.greaterThan(40);
    expect(receiver.gaps(summary.lastSeq)).to.deep.equal([]);
    // Rank k is online from (k + 1) / 8 of the way up the ramp until as far down: its readings say so.
    const parsed = parseLoadProfile(profile);
    for (const reading of receiver.payloads.values()) {
      const rank = Number(reading.device_id.slice(-3)) - 1 + (reading.room_id === "office" ? 4 : 0);
      const windows = onlineWindows(parsed, rank);
      const t = reading.ts - start;
      expect(
        windows.some((w) => t >= w.startMs && t < w.endMs),
        `${reading.device_id} at ${t}`,
      ).to.equal(true);
    }
    // Devices the profile keeps online longer publish more.
    expect(summary.lastSeq["sensors-dev-lab-001"]).to.be.greaterThan(summary.lastSeq["sensors-dev-lab-004"]!);
    const written = JSON.parse(readFileSync(join(dir, "ramp", "shard-1-of-1.summary.json"), "utf8"));
    expect(written.published).to.equal(summary.published);
    expect(written.ackLatencyHistogram.count).to.equal(summary.acknowledged);
  });

  it("n shards of a profile run disjoint devices whose ranks cover the profile", () => {
    const names = Array.from({ length: 300 }, (_, i) => `sensors-dev-lab-${String(i + 1).padStart(3, "0")}`);
    const shares = [1, 2, 3].map((index) => names.filter((n) => inShard(n, { index, count: 3 })).length);
    expect(shares.reduce((a, b) => a + b)).to.equal(300);
    for (const share of shares) expect(share).to.be.within(70, 130);
  });
});
