/**
 * The fleet runner: the library behind `npm run fleet` (the local backend and the benchmark use it directly).
 *
 * A run has four phases:
 * 1. ramp-up: every device connects (devices without a certificate provision themselves by claim first),
 *    paced by a fleet-wide token bucket; it ends when every device has connected or failed its first attempt
 *    (failed ones keep retrying with backoff);
 * 2. sampling: the simulated clock starts; one scheduler takes each device's samples when due and each device
 *    publishes them (QoS 1 with a bounded offline queue);
 * 3. drain: after the last sample (or on stop), wait until every reading is acknowledged, up to a timeout;
 * 4. disconnect and summary. Anything not acknowledged by then is counted as failed.
 *
 * With a load profile there is no ramp-up phase: the simulated clock starts at once, and each device connects
 * when the profile brings it online and disconnects (after its readings are acknowledged) when the profile
 * takes it offline, sampling only in between ({@link ProfileTimeline}).
 */
import type { LoadProfile } from "../components/telemetry/load-profile";
import { dataTopic } from "../components/telemetry/topics";
import type { FleetProvisioning } from "../components/telemetry/fleet-file";
import { LabelWriter } from "./labels";
import type { AnomalyConfig, AnomalyLabel } from "./model/anomalies";
import { ReplaySensor, type RecordedPoint } from "./model/replay";
import { roomClimate, type RoomClimate } from "./model/sensor-model";
import { SimulatedSensor } from "./model/simulated-sensor";
import type { ReadingSource } from "./model/source";
import { WindowedSource } from "./model/windowed-source";
import { provisionByClaim, type ProvisionedCredentials } from "./provisioning";
import type { BackoffPolicy } from "./runtime/backoff";
import { SimClock } from "./runtime/clock";
import { DeviceRunner } from "./runtime/device";
import { ProfileTimeline, windowsOf } from "./runtime/profile-timeline";
import { RateLimiter } from "./runtime/rate-limiter";
import { SampleScheduler } from "./runtime/scheduler";
import { FleetStats } from "./runtime/stats";
import { buildSummary, type FleetSummary } from "./summary";
import type {
  ClientCertificate,
  ConnectionOptions,
  MqttProtocol,
  Qos,
  Transport,
} from "./transports/transport";

/** One device to run. */
export interface FleetDevicePlan {
  readonly thingName: string;
  readonly roomId: string;
  /**
   * Its own certificate for mutual TLS. @default - none: provision by claim when
   * {@link FleetRunConfig.provisioning} is set, else connect without a client certificate (plain MQTT)
   */
  readonly credentials?: ClientCertificate;
  /**
   * Position in the whole fleet (before sharding): under a load profile, the device of rank k is online while
   * the profile asks for more than k devices. @default - its position in {@link FleetRunConfig.devices}
   */
  readonly rank?: number;
}

/** Everything a run needs, already validated (the CLI builds it in `plan.ts`). */
export interface FleetRunConfig {
  readonly transport: Transport;
  readonly devices: readonly FleetDevicePlan[];
  /** `<app>-<stack>`: the topics' `<app>` segment. */
  readonly deployment: string;
  readonly protocol: MqttProtocol;
  readonly qos: Qos;
  readonly seed: string;
  /** Sampling interval per device, simulated ms. */
  readonly intervalMs: number;
  /** Simulated duration. @default - until stopped or `count` is reached */
  readonly durationMs?: number;
  /** Readings per device. @default - until stopped or `durationMs` is reached */
  readonly count?: number;
  /** Simulated ms per wall ms. */
  readonly speed: number;
  /** Simulated time of the start, ms since epoch. @default - the wall clock when sampling starts */
  readonly startTs?: number;
  readonly anomalies: AnomalyConfig;
  /** A device driven by a recorded series instead of the model. */
  readonly replay?: { readonly deviceId: string; readonly points: readonly RecordedPoint[] };
  /** Labels file path. @default - labels are counted, not written */
  readonly labelsPath?: string;
  /** Connection attempts per second, fleet-wide. */
  readonly connectRate: number;
  /** Offline queue per device, readings. */
  readonly queueSize: number;
  /** Unacknowledged readings per device. */
  readonly maxInFlight: number;
  readonly drainTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly keepaliveSeconds: number;
  readonly backoff: BackoffPolicy;
  readonly provisioning?: FleetProvisioning;
  /** Called with each device's credentials once provisioned (to save them). */
  readonly onProvisioned?: (device: FleetDevicePlan, credentials: ProvisionedCredentials) => void;
  /** Shown in the summary, e.g. `2/4`. */
  readonly shardLabel?: string;
  /**
   * Devices online over time; the run ends with the profile. Not with `replay`.
   * @default - every device online for the whole run, after a ramp-up phase
   */
  readonly profile?: LoadProfile;
}

export type FleetPhase = "ramp-up" | "sampling" | "draining" | "disconnecting" | "done";

export class Fleet {
  readonly stats = new FleetStats();
  phase: FleetPhase = "ramp-up";
  /** Resolves with the ramp-up time in ms once every device has connected or failed its first attempt. */
  readonly rampedUp: Promise<number>;
  /** The simulated clock, once sampling has started. */
  clock: SimClock | undefined;
  private resolveRampedUp: ((ms: number) => void) | undefined;
  private readonly runners: DeviceRunner[];
  private readonly scheduler = new SampleScheduler();
  private readonly limiter: RateLimiter;
  private readonly labels: LabelWriter | undefined;
  private stopRequested: (() => void) | undefined;
  private readonly stopSignal: Promise<void>;
  private abortRequested: (() => void) | undefined;
  private readonly abortSignal: Promise<void>;
  private stoppedBy: "completed" | "stopped" = "completed";
  private replayShiftMs: number | undefined;
  private timeline: ProfileTimeline | undefined;
  /** Each device's certificate once known (given, or obtained by claim), for reconnecting after a pause. */
  private readonly credentials: (ClientCertificate | undefined)[];

  constructor(private readonly config: FleetRunConfig) {
    this.rampedUp = new Promise((resolve) => (this.resolveRampedUp = resolve));
    this.stopSignal = new Promise((resolve) => (this.stopRequested = resolve));
    this.abortSignal = new Promise((resolve) => (this.abortRequested = resolve));
    this.limiter = new RateLimiter(config.connectRate);
    this.labels = config.labelsPath ? new LabelWriter(config.labelsPath) : undefined;
    this.stats.devices = config.devices.length;
    this.credentials = config.devices.map((d) => d.credentials);
    this.runners = config.devices.map(
      (device) =>
        new DeviceRunner({
          deviceId: device.thingName,
          topic: dataTopic(config.deployment, device.roomId, device.thingName),
          qos: config.qos,
          queueSize: config.queueSize,
          maxInFlight: config.maxInFlight,
          stats: this.stats,
          onLabel: (label) => this.recordLabel(label),
        }),
    );
  }

  /** Whether {@link stop} was called. */
  get stopping(): boolean {
    return this.stoppedBy === "stopped";
  }

  /** Stops sampling, then drains and disconnects; {@link run} resolves with the summary. */
  stop(): void {
    this.stoppedBy = "stopped";
    this.stopRequested?.();
  }

  /** Like {@link stop}, without waiting for in-flight readings (a second Ctrl-C). */
  abort(): void {
    this.stop();
    this.abortRequested?.();
  }

  async run(): Promise<FleetSummary> {
    const wallStart = performance.now();
    if (!this.config.profile) {
      const settled = Promise.all(
        this.config.devices.map((device, i) => this.startDevice(i, device, this.runners[i] as DeviceRunner)),
      );
      await Promise.race([settled, this.stopSignal]);
    }
    const rampUpMs = performance.now() - wallStart;
    this.resolveRampedUp?.(rampUpMs);

    const samplingStart = performance.now();
    if (this.stoppedBy === "completed") {
      this.phase = "sampling";
      const clock = new SimClock(this.config.startTs ?? Date.now(), this.config.speed);
      this.clock = clock;
      if (this.config.profile) this.startTimeline(this.config.profile, clock);
      this.scheduleSamples(clock);
      await Promise.race([this.scheduler.run(), this.stopSignal]);
      this.scheduler.stop();
      this.timeline?.stop();
    }
    const samplingMs = performance.now() - samplingStart;
    for (const runner of this.runners) runner.endSamples();

    this.phase = "draining";
    await Promise.race([this.drained(), this.abortSignal]);
    this.phase = "disconnecting";
    this.limiter.releaseAll();
    await Promise.all(this.runners.map((runner) => runner.disconnect(2_000)));
    let unsent = 0;
    let unacknowledged = 0;
    for (const runner of this.runners) {
      const left = runner.abandonPending();
      unsent += left.unsent;
      unacknowledged += left.unacknowledged;
    }
    await this.labels?.close();
    this.phase = "done";
    return buildSummary({
      config: this.config,
      stats: this.stats,
      stoppedBy: this.stoppedBy,
      clock: this.clock,
      rampUpMs,
      samplingMs,
      wallMs: performance.now() - wallStart,
      unsent,
      unacknowledged,
      maxScheduleLagMs: this.scheduler.maxLagMs,
      replayShiftMs: this.replayShiftMs,
      labelsPath: this.labels?.path,
      lastSeq: this.runners.map((r) => [r.deviceId, r.lastSeq] as const),
    });
  }

  private connectionOptions(device: FleetDevicePlan): ConnectionOptions {
    const { config } = this;
    return {
      clientId: device.thingName,
      protocol: config.protocol,
      backoff: config.backoff,
      beforeConnect: () => this.limiter.acquire(),
      connectTimeoutMs: config.connectTimeoutMs,
      keepaliveSeconds: config.keepaliveSeconds,
    };
  }

  private async startDevice(index: number, device: FleetDevicePlan, runner: DeviceRunner): Promise<void> {
    const { config } = this;
    const connectionOptions = this.connectionOptions(device);
    let credentials = device.credentials;
    if (!credentials && config.provisioning) {
      try {
        const provisioned = await provisionByClaim({
          transport: config.transport,
          connection: connectionOptions,
          provisioning: config.provisioning,
          device,
          timeoutMs: Math.max(30_000, config.connectTimeoutMs * 3),
        });
        this.stats.provisioned++;
        config.onProvisioned?.(device, provisioned);
        credentials = provisioned;
        this.credentials[index] = provisioned;
      } catch (err) {
        this.stats.provisioningFailures++;
        this.stats.noteError("provisioning", `${device.thingName}: ${(err as Error).message}`);
        runner.abandon();
        return;
      }
    }
    runner.connect(config.transport.connection({ ...connectionOptions, credentials }, runner));
    await runner.firstAttempt;
  }

  /** Connects and disconnects devices as the load profile brings them online and takes them offline. */
  private startTimeline(profile: LoadProfile, clock: SimClock): void {
    const started = new Set<number>();
    this.timeline = new ProfileTimeline(
      this.config.devices.map((device, i) => windowsOf(profile, device.rank ?? i, clock)),
      (i, online) => {
        const device = this.config.devices[i] as FleetDevicePlan;
        const runner = this.runners[i] as DeviceRunner;
        if (!online) return runner.park();
        if (!started.has(i)) {
          started.add(i);
          void this.startDevice(i, device, runner);
          return;
        }
        runner.resume(() =>
          this.config.transport.connection(
            { ...this.connectionOptions(device), credentials: this.credentials[i] },
            runner,
          ),
        );
      },
    );
    this.timeline.start();
  }

  private scheduleSamples(clock: SimClock): void {
    const { config } = this;
    const climates = new Map<string, RoomClimate>();
    const endTs = config.durationMs === undefined ? undefined : clock.simStartMs + config.durationMs;
    const limits = { count: config.count, endTs };
    this.config.devices.forEach((device, i) => {
      const runner = this.runners[i] as DeviceRunner;
      if (runner.abandoned) return;
      let source: ReadingSource;
      if (config.replay && config.replay.deviceId === device.thingName) {
        const replay = new ReplaySensor({
          seed: config.seed,
          deviceId: device.thingName,
          roomId: device.roomId,
          points: config.replay.points,
          startTs: clock.simStartMs,
          limits,
        });
        this.replayShiftMs = replay.shiftMs;
        source = replay;
      } else {
        let climate = climates.get(device.roomId);
        if (!climate) {
          climate = roomClimate(config.seed, device.roomId);
          climates.set(device.roomId, climate);
        }
        const sensor = new SimulatedSensor({
          seed: config.seed,
          deviceId: device.thingName,
          roomId: device.roomId,
          startTs: clock.simStartMs,
          intervalMs: config.intervalMs,
          anomalies: config.anomalies,
          limits,
          climate,
        });
        source = config.profile
          ? new WindowedSource(
              sensor,
              (this.timeline as ProfileTimeline).windows[i]!.map((w) => ({
                start: w.simStart,
                end: w.simEnd,
              })),
            )
          : sensor;
      }
      const due = runner.begin(source, clock);
      if (due !== undefined) this.scheduler.add(runner, due);
    });
  }

  /** Resolves when no device has a reading queued or in flight, or after the drain timeout. */
  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const deadline = performance.now() + this.config.drainTimeoutMs;
      const check = (): void => {
        if (this.stats.queued + this.stats.inFlight === 0 || performance.now() >= deadline) resolve();
        else setTimeout(check, 20);
      };
      check();
    });
  }

  private recordLabel(label: AnomalyLabel): void {
    this.stats.anomalies[label.kind]++;
    this.labels?.write(label);
  }
}
