import { expect } from "chai";
import { backoffDelayMs, DEFAULT_BACKOFF } from "../../../devices/runtime/backoff";
import { SimClock } from "../../../devices/runtime/clock";
import { Deque } from "../../../devices/runtime/deque";
import { LatencyHistogram } from "../../../devices/runtime/histogram";
import { RateLimiter } from "../../../devices/runtime/rate-limiter";
import { SampleScheduler, type ScheduledTask } from "../../../devices/runtime/scheduler";
import { inShard, parseShard, WHOLE_FLEET } from "../../../devices/shard";
import { fleetDevices } from "../../../components/telemetry/fleet";
import { formatDuration, parseDurationMs } from "../../../components/telemetry/durations";
import {
  NO_ANOMALIES,
  parseAnomalySpec,
  type AnomalyConfig,
  type AnomalyLabel,
} from "../../../devices/model/anomalies";
import { SimulatedSensor } from "../../../devices/model/simulated-sensor";
import { DeviceRunner } from "../../../devices/runtime/device";
import { FleetStats } from "../../../devices/runtime/stats";
import {
  PublishError,
  type DeviceConnection,
  type PublishCallback,
} from "../../../devices/transports/transport";

/** A connection whose state and publish outcomes the test controls. */
class ScriptedConnection implements DeviceConnection {
  connected = false;
  readonly sent: { payload: string; done: PublishCallback }[] = [];
  /** Outcome applied synchronously to each publish; `undefined` leaves it in flight. */
  outcome: PublishError | "ack" | undefined = undefined;
  start(): void {}
  publish(_topic: string, payload: string, _qos: 0 | 1, done: PublishCallback): void {
    this.sent.push({ payload, done });
    if (this.outcome === "ack") done(undefined);
    else if (this.outcome) done(this.outcome);
  }
  subscribe(): Promise<void> {
    return Promise.resolve();
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
}

function runnerWith(
  queueSize: number,
  maxInFlight: number,
  anomalies: AnomalyConfig = NO_ANOMALIES,
  onLabel: (label: AnomalyLabel) => void = () => undefined,
): { runner: DeviceRunner; connection: ScriptedConnection; stats: FleetStats } {
  const stats = new FleetStats();
  const runner = new DeviceRunner({
    deviceId: "d-1",
    topic: "dt/x/r/d-1/telemetry",
    qos: 1,
    queueSize,
    maxInFlight,
    stats,
    onLabel,
  });
  const connection = new ScriptedConnection();
  runner.connect(connection);
  const source = new SimulatedSensor({
    seed: "s",
    deviceId: "d-1",
    roomId: "r",
    startTs: 0,
    intervalMs: 1000,
    anomalies,
    limits: {},
  });
  runner.begin(source, new SimClock(0, 1, 0));
  return { runner, connection, stats };
}

const seqOf = (payload: string): number => (JSON.parse(payload) as { seq: number }).seq;

describe("devices: runtime building blocks", () => {
  it("schedules samples in due order across tasks, each task until it is exhausted", async () => {
    const scheduler = new SampleScheduler();
    const order: string[] = [];
    const start = performance.now();
    const task = (name: string, first: number, step: number, count: number): ScheduledTask => {
      let n = 0;
      return {
        run: () => {
          order.push(`${name}${n}`);
          n++;
          return n < count ? start + first + n * step : undefined;
        },
      };
    };
    scheduler.add(task("a", 0, 30, 3), start);
    scheduler.add(task("b", 10, 30, 2), start + 10);
    await scheduler.run();
    expect(order).to.deep.equal(["a0", "b0", "a1", "b1", "a2"]);
    expect(scheduler.taken).to.equal(5);
    expect(performance.now() - start).to.be.at.least(59);
  });

  it("catches up in order when behind schedule, and reports the lag", async () => {
    const scheduler = new SampleScheduler();
    const seen: number[] = [];
    const past = performance.now() - 1_000;
    let i = 0;
    scheduler.add({ run: () => (seen.push(i++), i < 600 ? past + i : undefined) }, past);
    await scheduler.run();
    expect(seen).to.have.length(600);
    expect(scheduler.maxLagMs).to.be.greaterThan(990);
  });

  it("maps simulated time to wall time at the configured speed", () => {
    const clock = new SimClock(Date.UTC(2025, 0, 1), 3_600, 1_000);
    expect(clock.wallAt(Date.UTC(2025, 0, 1, 1))).to.equal(2_000);
    expect(clock.simNow(1_500)).to.equal(Date.UTC(2025, 0, 1, 0, 30));
    expect(() => new SimClock(0, 0)).to.throw("speed must be positive (got 0)");
  });

  it("rate-limits connection attempts fleet-wide, in arrival order", async () => {
    const limiter = new RateLimiter(100, 5);
    const started = performance.now();
    const times: number[] = [];
    await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        limiter.acquire().then(() => (times[i] = performance.now() - started)),
      ),
    );
    // 5 at once (the burst), then 20 more at 100/s: about 200 ms.
    expect(times.slice(0, 5).every((t) => t < 30)).to.equal(true);
    expect(times[24]).to.be.within(180, 400);
    expect([...times].sort((a, b) => a - b)).to.deep.equal(times);
  });

  it("backs off exponentially with jitter between the floor and a growing ceiling", () => {
    expect(backoffDelayMs(DEFAULT_BACKOFF, 0, () => 0)).to.equal(2_000);
    expect(backoffDelayMs(DEFAULT_BACKOFF, 0, () => 0.999_999)).to.equal(3_999);
    expect(backoffDelayMs(DEFAULT_BACKOFF, 2, () => 0.5)).to.equal(9_000);
    expect(backoffDelayMs(DEFAULT_BACKOFF, 20, () => 0.999_999)).to.be.within(29_999, 30_000);
  });

  it("keeps latency percentiles within about 2% in fixed memory", () => {
    const histogram = new LatencyHistogram();
    for (let ms = 1; ms <= 1_000; ms++) histogram.record(ms);
    const p = histogram.percentiles();
    expect(p.count).to.equal(1_000);
    expect(p.p50).to.be.within(500, 511);
    expect(p.p99).to.be.within(990, 1_000);
    expect(p.max).to.equal(1_000);
    expect(p.mean).to.equal(500.5);
    expect(new LatencyHistogram().percentiles().p99).to.equal(0);
  });

  it("queues readings first-in first-out and puts a retry back at the front", () => {
    const deque = new Deque<number>(2);
    for (let i = 0; i < 10; i++) deque.push(i);
    expect(deque.shift()).to.equal(0);
    deque.unshift(-1);
    const out: number[] = [];
    while (deque.length > 0) out.push(deque.shift() as number);
    expect(out).to.deep.equal([-1, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(deque.shift()).to.equal(undefined);
  });

  it("splits a fleet into disjoint shards that together cover it, by thing name", () => {
    const names = fleetDevices("sensors-dev", ["lab", "office", "hall"], 400).map((d) => d.thingName);
    const shards = [1, 2, 3, 4].map((index) => names.filter((n) => inShard(n, { index, count: 4 })));
    expect(shards.flat().sort()).to.deep.equal([...names].sort());
    for (const shard of shards) expect(shard.length).to.be.within(240, 360);
    expect(names.every((n) => inShard(n, WHOLE_FLEET))).to.equal(true);
    expect(parseShard("2/4")).to.deep.equal({ index: 2, count: 4 });
    expect(() => parseShard("0/4")).to.throw(
      '--shard must be i/n with 1 <= i <= n, e.g. 2/4 for the second of four parts (got "0/4")',
    );
    expect(() => parseShard("5/4")).to.throw(/got "5\/4"/);
  });

  it("a device queues readings while offline, drops the oldest when full, and sends the rest in order on connect", () => {
    const { runner, connection, stats } = runnerWith(3, 10);
    for (let i = 0; i < 5; i++) runner.run();
    expect([stats.dropped, stats.queued, connection.sent.length]).to.deep.equal([2, 3, 0]);
    connection.connected = true;
    connection.outcome = "ack";
    runner.connected();
    expect(connection.sent.map((s) => seqOf(s.payload))).to.deep.equal([2, 3, 4]);
    expect([stats.published, stats.acknowledged, stats.queued, runner.lastSeq]).to.deep.equal([3, 3, 0, 4]);
  });

  it("injects each fault once across lost connections and labels every one: only labelled readings differ from the clean run", () => {
    const labels: AnomalyLabel[] = [];
    const faulty = runnerWith(10_000, 10, parseAnomalySpec("3%,spike,level_shift,noise_burst"), (l) =>
      labels.push(l),
    );
    const clean = runnerWith(10_000, 10);
    for (const { runner, connection } of [faulty, clean]) {
      connection.outcome = "ack";
      for (let i = 0; i < 600; i++) {
        // The connection drops for 10 samples in every 50: readings queue meanwhile and go on reconnect.
        connection.connected = i % 50 < 40;
        if (i % 50 === 40) runner.disconnected("keepalive timeout");
        if (i % 50 === 0) runner.connected();
        runner.run();
      }
      connection.connected = true;
      runner.connected();
      runner.endSamples();
    }
    const bySeq = (sent: ScriptedConnection["sent"]) =>
      new Map(
        sent.map((s) => [seqOf(s.payload), JSON.parse(s.payload) as { ts: number; temperature_c: number }]),
      );
    const faultyReadings = bySeq(faulty.connection.sent);
    const cleanReadings = bySeq(clean.connection.sent);
    expect(faultyReadings.size).to.equal(600);
    const labelled = (ts: number) => labels.filter((l) => ts >= l.start && ts <= l.end).length;
    for (const [seq, reading] of faultyReadings) {
      const windows = labelled(reading.ts);
      expect(windows, `seq ${seq} in overlapping labels`).to.be.at.most(1);
      if (reading.temperature_c !== cleanReadings.get(seq)!.temperature_c)
        expect(windows, `seq ${seq} changed by no label`).to.equal(1);
    }
    expect(labels.length).to.be.at.least(5);
    expect(new Set(labels.map((l) => l.start)).size).to.equal(labels.length);
  });

  it("keeps at most max-in-flight readings unacknowledged", () => {
    const { runner, connection, stats } = runnerWith(100, 2);
    connection.connected = true;
    runner.connected();
    for (let i = 0; i < 5; i++) runner.run();
    expect([connection.sent.length, stats.inFlight, stats.queued]).to.deep.equal([2, 2, 3]);
    connection.sent[0]?.done(undefined);
    expect([connection.sent.length, stats.inFlight, stats.queued, stats.acknowledged]).to.deep.equal([
      3, 2, 2, 1,
    ]);
  });

  it("re-queues a reading whose connection failed (even synchronously) and counts a broker refusal as rejected", () => {
    const { runner, connection, stats } = runnerWith(100, 10);
    connection.connected = true;
    runner.connected();
    connection.outcome = new PublishError("client disconnecting", true);
    runner.run();
    runner.run();
    // One attempt, then the device backs off instead of spinning on a client that fails every publish.
    expect([connection.sent.length, stats.queued, stats.published]).to.deep.equal([1, 2, 1]);
    connection.outcome = "ack";
    runner.connected();
    expect(connection.sent.map((s) => seqOf(s.payload))).to.deep.equal([0, 0, 1]);
    expect([stats.resent, stats.acknowledged, stats.published]).to.deep.equal([1, 2, 2]);
    connection.outcome = new PublishError("Publish error: Not authorized", false);
    runner.run();
    expect([stats.rejected, stats.queued, connection.sent.length]).to.deep.equal([1, 0, 4]);
    void runner.disconnect(0);
  });

  it("parses durations only with a unit", () => {
    expect(parseDurationMs("250ms")).to.equal(250);
    expect(parseDurationMs("1.5s")).to.equal(1_500);
    expect(parseDurationMs("5m")).to.equal(300_000);
    expect(parseDurationMs("2h")).to.equal(7_200_000);
    expect(parseDurationMs("1d")).to.equal(86_400_000);
    expect(parseDurationMs("5")).to.equal(undefined);
    expect(formatDuration(90_000)).to.equal("1.5m");
  });
});
