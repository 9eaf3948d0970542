/**
 * The local backend: every part of the pipeline on one machine, wired as the cloud wires it, started and
 * stopped in order.
 *
 *   start: config -> data dir lock -> PKI -> ingest log + lake checkpoint (replay) -> DuckDB -> rules ->
 *          historical database (PGlite over pglite-socket) + landing CSV -> state machines -> broker ->
 *          fleet file -> dashboard -> first ETL (when no model is in service) -> schedules -> fleet
 *   stop:  schedules -> fleet (drained) -> lake flush -> scoring caught up -> final ETL (+ training) ->
 *          summary -> close everything
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { parsePlatformConfig, type PlatformConfig } from "../components/config";
import { readStackFile } from "../components/stack-files";
import { buildDevicePolicyDocument } from "../components/iot/iot-policy";
import { DUCKDB_COMPAT_MACROS } from "../components/etl/transforms";
import { fleetDevices, type DeviceIdentity } from "../components/telemetry/fleet";
import { MODEL_KEYS, SCORING_KEYS, type ScoringWatermark } from "../components/ml/ml-layout";
import { LAKE_ZONES } from "../components/lake/layout";
import { Fleet } from "../devices/fleet";
import type { FleetSummary } from "../devices/summary";
import { DEFAULT_BACKOFF } from "../devices/runtime/backoff";
import { MqttJsTransport } from "../devices/transports/mqttjs";
import { LocalBroker } from "./broker/broker";
import { connectionLimits, fileDescriptorLimit } from "./broker/connection-limits";
import { LocalClock } from "./clock";
import { DashboardServer } from "./dashboard/server";
import { LocalPipelines, LOCAL_ACCOUNT } from "./state-machines";
import { DurableLog, type LogRecoveryReport } from "./lake/durable-log";
import { describeRecovery } from "./lake/log-recovery";
import { LocalIngestSources, replayFromLsn } from "./streaming/ingest-sources";
import { FirehoseWriter, readLakeCheckpoint, type Delivery } from "./lake/firehose-writer";
import { IngestPipeline } from "./lake/ingest-pipeline";
import { LocalObjectStore } from "./lake/object-store";
import { lockDataDir, readClockFile, saveClockFile } from "./data-dir";
import type { LocalOptions } from "./options";
import {
  databasePasswordFile,
  ensureDatabasePassword,
  ensureLocalPki,
  localFleetFile,
  saveLocalFleetFile,
  type LocalPki,
} from "./pki";
import { TopicRules } from "./rule/topic-rules";
import { CompressedSchedules } from "./schedules";
import { HistoricalDatabase } from "./sources/historical-db";
import { seedSources } from "./sources/seed";
import { buildRunSummary, type RunSummary } from "./summary";

/** Everything a running backend holds, for the dashboard and the summary. */
export interface BackendParts {
  readonly options: LocalOptions;
  readonly config: PlatformConfig;
  readonly dataDir: string;
  readonly clock: LocalClock;
  readonly devices: readonly DeviceIdentity[];
  readonly pki: LocalPki;
  readonly store: LocalObjectStore;
  readonly log: DurableLog;
  /** What start-up recovered from the ingest log, and what it could not. */
  readonly logRecovery: LogRecoveryReport;
  readonly writer: FirehoseWriter;
  readonly ingest: IngestPipeline;
  readonly rules: TopicRules;
  /** HTTPS ingestion, pollers and the real-time consumer, when the stack turns them on. */
  readonly sources: LocalIngestSources | undefined;
  readonly broker: LocalBroker;
  readonly pipelines: LocalPipelines;
  readonly history: HistoricalDatabase;
  readonly mqttPort: number;
  readonly fleetFile: string;
  readonly labelsFile: string;
  /** Lake objects this run delivered (`<bucket role>/<key>`). */
  readonly delivered: string[];
  fleet: Fleet | undefined;
  dashboardUrl: string | undefined;
  readonly wallStart: number;
}

export type Logger = (line: string) => void;

export class LocalBackend {
  private dashboard: DashboardServer | undefined;
  private schedules: CompressedSchedules | undefined;
  private fleetRun: Promise<FleetSummary> | undefined;
  /** Settles when the fleet has started (or will not: stopped while waiting for `--fleet-start`). */
  private fleetStarted: Promise<void> = Promise.resolve();
  /** Ends the wait for `--fleet-start` early (the backend is stopping). */
  private cancelFleetWait: (() => void) | undefined;
  private stopping: Promise<RunSummary> | undefined;
  private clockTimer: NodeJS.Timeout | undefined;

  private constructor(
    readonly parts: BackendParts,
    private readonly duckdb: DuckDBInstance,
    private readonly logLine: Logger,
    private readonly release: () => void,
  ) {}

  /** @param adjust changes the stack's validated configuration before anything starts (in-process callers). */
  static async start(
    options: LocalOptions,
    log: Logger,
    adjust: (config: PlatformConfig) => PlatformConfig = (c) => c,
  ): Promise<LocalBackend> {
    const wallStart = performance.now();
    // The stack files are the template's, beside local/ (not wherever npm start was run from).
    const stackFile = readStackFile(options.stack, path.resolve(__dirname, ".."));
    for (const warning of stackFile.warnings) log(`warning: ${warning}`);
    const config = adjust(parsePlatformConfig(stackFile));
    const dataDir = path.resolve(options.dataDir);
    fs.mkdirSync(dataDir, { recursive: true });
    const release = lockDataDir(dataDir);
    // What is open so far, closed in reverse if start-up fails half-way (an in-process caller must not leak).
    const opened: (() => Promise<void> | void)[] = [];
    try {
      const count = options.devices ?? config.fleet.devices.length;
      const perRoom = Math.ceil(count / config.fleet.rooms.length);
      const devices =
        count === 0 ? [] : fleetDevices(config.deployment, config.fleet.rooms, perRoom).slice(0, count);
      // The built-in fleet's sockets live in this process too: both ends count against its descriptors.
      const limits = connectionLimits(fileDescriptorLimit(), options.fleet ? devices.length : 0);
      const pki = await ensureLocalPki(dataDir, devices);
      log(
        `PKI: ${devices.length} device certificates in ${path.join(dataDir, "pki")} (${pki.issued} issued now)`,
      );

      // Durable state first: what the lake holds, then the log entries after it, then the clock.
      const ingestDir = path.join(dataDir, "ingest");
      const checkpoint = readLakeCheckpoint(ingestDir);
      const lakeThrough = checkpoint.durableThroughLsn;
      const ingestLog = DurableLog.open(
        path.join(ingestDir, "log"),
        replayFromLsn(config, dataDir, lakeThrough),
      );
      opened.push(() => ingestLog.log.close());
      const resumeFrom = ingestLog.replay.reduce(
        (max, e) => Math.max(max, e.receivedAt),
        Math.max(checkpoint.simulatedNowMs, readClockFile(dataDir)),
      );
      const clock = new LocalClock(options.speed, resumeFrom, options.startMs);
      const now = () => clock.now();

      const duckdb = await DuckDBInstance.create(":memory:");
      opened.push(() => duckdb.closeSync());
      const setup = await duckdb.connect();
      for (const macro of DUCKDB_COMPAT_MACROS) await setup.run(macro);
      setup.closeSync();

      const store = new LocalObjectStore(path.join(dataDir, "lake"), config.deployment, now);
      const writer = FirehoseWriter.open({
        store,
        duck: await duckdb.connect(),
        stateDir: ingestDir,
        deployment: config.deployment,
        rooms: config.fleet.rooms,
        bufferSeconds: config.firehose.bufferSeconds,
        bufferMiB: config.firehose.bufferMiB,
        dynamicPartitioning: config.firehose.dynamicPartitioning,
        speed: options.speed,
        now,
      });
      const rules = new TopicRules(config.deployment);
      const ingest = new IngestPipeline(ingestLog.log, rules, writer);
      const delivered: string[] = [];
      const onDelivery = writer.onDelivery;
      writer.onDelivery = (delivery: Delivery) => {
        onDelivery?.(delivery);
        delivered.push(...delivery.objects);
      };
      // The other sources before the replay: the real-time consumer reads the replayed stream records too.
      const sources = LocalIngestSources.open({
        config,
        dataDir,
        pki,
        ingest,
        lakeThroughLsn: lakeThrough,
        speed: options.speed,
        now,
        log,
      });
      opened.push(() => sources?.close());
      ingest.replay(ingestLog.replay, lakeThrough);
      for (const line of describeRecovery(ingestLog.report)) log(line);

      const history = await HistoricalDatabase.open(path.join(dataDir, "pglite"));
      opened.push(() => history.close());
      await seedSources(
        history,
        store,
        config,
        devices.length > 0 ? devices : config.fleet.devices,
        options.seed,
        clock.startMs,
        options.intervalMs,
        log,
      );
      const jdbc = {
        host: "127.0.0.1",
        username: config.database.existing?.username ?? "glue_reader",
        password: ensureDatabasePassword(dataDir),
      };
      const jdbcPort = await history.serve(jdbc);
      log(
        `historical database: PGlite on postgres://${jdbc.username}@127.0.0.1:${jdbcPort} (SCRAM-SHA-256, password in ${databasePasswordFile(dataDir)})`,
      );

      const pipelines = await LocalPipelines.create({
        config,
        store,
        duckdb,
        dataDir,
        speed: options.speed,
        now,
        oldestUndeliveredArrivalMs: () => ingest.oldestUndeliveredArrivalMs(),
        jdbc: { ...jdbc, port: jdbcPort },
        log,
      });
      const scope = { region: config.region, accountId: LOCAL_ACCOUNT };
      const broker = new LocalBroker({
        pki,
        policy: buildDevicePolicyDocument({ deployment: config.deployment, ...scope }),
        scope,
        ingest,
        now,
        port: options.mqttPort,
        connectionLimits: limits,
        log,
      });
      opened.push(() => broker.close());
      const mqttPort = await broker.start();
      const fleetFile = path.join(dataDir, "fleet.json");
      saveLocalFleetFile(fleetFile, localFleetFile(pki, config.deployment, mqttPort));
      log(
        `broker: mqtts://127.0.0.1:${mqttPort} (MQTT 3.1.1, client certificates, IoT policy ${config.deployment}); fleet file ${fleetFile}`,
      );

      const runDir = path.join(dataDir, "runs", new Date(clock.startMs).toISOString().replace(/[:.]/g, "-"));
      fs.mkdirSync(runDir, { recursive: true });
      const parts: BackendParts = {
        options,
        config,
        dataDir,
        clock,
        devices,
        pki,
        store,
        log: ingestLog.log,
        logRecovery: ingestLog.report,
        writer,
        ingest,
        rules,
        sources,
        broker,
        pipelines,
        history,
        mqttPort,
        fleetFile,
        labelsFile: path.join(runDir, "labels.jsonl"),
        delivered,
        fleet: undefined,
        dashboardUrl: undefined,
        wallStart,
      };
      const backend = new LocalBackend(parts, duckdb, log, release);
      opened.splice(0);
      try {
        await backend.begin();
      } catch (err) {
        await backend.close().catch(() => undefined);
        throw err;
      }
      return backend;
    } catch (err) {
      for (const close of opened.reverse()) await Promise.resolve(close()).catch(() => undefined);
      release();
      throw err;
    }
  }

  private async begin(): Promise<void> {
    const { parts } = this;
    const { options, config, pipelines, store } = parts;
    if (options.dashboard) {
      this.dashboard = new DashboardServer(parts);
      parts.dashboardUrl = await this.dashboard.start(options.port);
      this.logLine(`dashboard: ${parts.dashboardUrl}`);
    }
    // On a lake without live readings, scoring starts at this run instead of looking back a day of empty windows.
    if (
      !store.etag(store.bucketNames.curated, SCORING_KEYS.watermark) &&
      store.list(store.bucketNames.raw, LAKE_ZONES.telemetry.prefix).length === 0
    ) {
      const watermark: ScoringWatermark = {
        scoredThroughMs: parts.clock.startMs - 1,
        lastWindowId: "",
        updatedAt: new Date(parts.clock.now()).toISOString(),
      };
      store.put(store.bucketNames.curated, SCORING_KEYS.watermark, `${JSON.stringify(watermark, null, 2)}\n`);
    }
    const endpoint = pipelines.endpoint;
    if (endpoint.status === "serving" && endpoint.created)
      this.logLine(
        `anomaly endpoint ${endpoint.endpointName}: created on the promoted model (run ${endpoint.promoted!.runId})`,
      );
    else if (endpoint.awaitingEndpointName)
      this.logLine(
        `anomaly endpoint ${endpoint.awaitingEndpointName}: awaits the first promoted model; scoring runs in batch transforms until a start after it`,
      );
    // A model must exist before anomalies can be scored: a first ETL (which starts training) if none does.
    if (!store.etag(store.bucketNames.artifacts, MODEL_KEYS.current)) {
      this.logLine("no model in service yet: starting the ETL now (imports history, curates, trains)");
      pipelines.startEtl({});
    }
    this.schedules = new CompressedSchedules(
      [
        {
          name: "etl",
          expression: config.etl.schedule,
          run: () => void this.scheduled("ETL", () => pipelines.startEtl({})),
        },
        {
          name: "training",
          expression: config.anomaly.trainingSchedule,
          run: () => void this.scheduled("training", () => pipelines.sfn.start(pipelines.arns.training, {})),
        },
        {
          name: "scoring",
          expression: config.anomaly.scoringSchedule,
          run: () => void this.scheduled("scoring", () => pipelines.sfn.start(pipelines.arns.scoring, {})),
        },
      ],
      options.speed,
    );
    this.schedules.start();
    for (const line of (await parts.sources?.start(options.apiPort)) ?? []) this.logLine(line);
    // Simulated time reached, saved now and then: the next run continues after it (scoring watermarks,
    // job runs and object times all live in simulated time).
    this.clockTimer = setInterval(() => saveClockFile(parts.dataDir, parts.clock.now()), 5_000);
    this.clockTimer.unref();
    const every = Object.entries(this.schedules.intervals).map(
      ([name, ms]) => `${name} every ${Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)}s` : "never"}`,
    );
    this.logLine(`schedules (compressed x${options.speed}): ${every.join(", ")}`);
    if (options.fleet && parts.devices.length > 0)
      this.fleetStarted = this.startFleetAt(options.fleetStartMs);
  }

  /** Starts the fleet at `atMs` of simulated time (`--fleet-start`), or now when that is past or not given. */
  private async startFleetAt(atMs: number | undefined): Promise<void> {
    const { clock } = this.parts;
    if (atMs !== undefined) {
      const waitMs = clock.wallMs(atMs - clock.now());
      if (waitMs > 0) {
        this.logLine(`fleet: starts at ${new Date(atMs).toISOString()} (--fleet-start)`);
        // Wait again for any remainder: a timer rounds its delay to whole wall milliseconds and may fire a
        // fraction early, which at x600 is simulated time before --fleet-start.
        while (!this.stopping && clock.now() < atMs) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, Math.max(1, Math.ceil(clock.wallMs(atMs - clock.now()))));
            this.cancelFleetWait = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
        this.cancelFleetWait = undefined;
      } else {
        this.logLine(
          `fleet: start-up reached ${new Date(clock.now()).toISOString()}, after --fleet-start ${new Date(atMs).toISOString()}: the fleet starts now`,
        );
      }
    }
    if (!this.stopping) this.startFleet();
  }

  private async scheduled(
    what: string,
    start: () => { done: Promise<void>; status: string; error?: string; cause?: string } | undefined,
  ): Promise<void> {
    const execution = start();
    if (!execution) {
      this.logLine(`${what}: previous execution still running, this run skipped`);
      return;
    }
    await execution.done;
    if (execution.status !== "SUCCEEDED")
      this.logLine(
        `${what} execution ${execution.status}: ${execution.error ?? ""} ${execution.cause ?? ""}`,
      );
  }

  private startFleet(): void {
    const { parts } = this;
    const { options, pki, clock } = parts;
    const fleet = new Fleet({
      transport: new MqttJsTransport(`mqtts://127.0.0.1:${parts.mqttPort}`, pki.ca.certificatePem),
      devices: parts.devices.map((d) => {
        const cert = pki.devices.get(d.thingName)!;
        return {
          thingName: d.thingName,
          roomId: d.roomId,
          credentials: { certificatePem: cert.certificatePem, privateKeyPem: cert.privateKeyPem },
        };
      }),
      deployment: parts.config.deployment,
      protocol: "3.1.1",
      qos: 1,
      seed: options.seed,
      intervalMs: options.intervalMs,
      durationMs: options.durationMs === undefined ? undefined : options.durationMs * options.speed,
      speed: options.speed,
      startTs: clock.now(),
      anomalies: options.anomalies,
      labelsPath: parts.labelsFile,
      connectRate: 500,
      queueSize: 10_000,
      maxInFlight: 20,
      drainTimeoutMs: 30_000,
      connectTimeoutMs: 10_000,
      keepaliveSeconds: 60,
      backoff: DEFAULT_BACKOFF,
    });
    parts.fleet = fleet;
    this.fleetRun = fleet.run();
    void fleet.rampedUp.then((ms) =>
      this.logLine(
        `fleet: ${fleet.stats.everConnected}/${parts.devices.length} devices connected in ${Math.round(ms)} ms`,
      ),
    );
  }

  /** Resolves when the fleet has published for `--duration` (or never, without a duration). */
  async untilDone(): Promise<void> {
    const { durationMs } = this.parts.options;
    if (durationMs === undefined) return new Promise<void>(() => undefined);
    await this.fleetStarted;
    if (this.fleetRun) {
      await this.fleetRun;
      return;
    }
    await new Promise<void>((resolve) => setTimeout(resolve, durationMs));
  }

  /** Stops in order and returns the summary; a second call returns the same promise. */
  stop(): Promise<RunSummary> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  /** Abandons in-flight work (a second Ctrl-C): stop the fleet without waiting for acknowledgements. */
  abort(): void {
    this.parts.fleet?.abort();
  }

  private async shutdown(): Promise<RunSummary> {
    const { parts } = this;
    const { pipelines, writer } = parts;
    this.schedules?.stop();
    this.cancelFleetWait?.();
    await this.fleetStarted;
    let fleetSummary: FleetSummary | undefined;
    if (parts.fleet && this.fleetRun) {
      parts.fleet.stop();
      fleetSummary = await this.fleetRun;
      this.logLine(`fleet: ${fleetSummary.published} published, ${fleetSummary.acknowledged} acknowledged`);
    }
    await parts.sources?.stopInputs();
    // Every acknowledged reading into the lake (and the real-time tables), then the pipelines over the data.
    await writer.flush();
    await parts.sources?.drain();
    await pipelines.drain(60_000);
    const scoring = await pipelines.scoreUntilCaughtUp(true);
    this.logLine(`scoring: ${scoring.length} window(s), last ${scoring.at(-1)?.status ?? "none"}`);
    const etl = await pipelines.sfn.run(pipelines.arns.etl, {});
    this.logLine(`final ETL execution ${etl.status}${etl.error ? `: ${etl.error} ${etl.cause ?? ""}` : ""}`);
    await pipelines.drain(60_000);
    const summary = await buildRunSummary(parts, { fleet: fleetSummary, finalEtl: etl, scoring });
    await this.close();
    return summary;
  }

  private async close(): Promise<void> {
    const { parts } = this;
    clearInterval(this.clockTimer);
    await this.dashboard?.close();
    await parts.broker.close();
    await parts.sources?.stopInputs();
    await parts.sources?.drain();
    parts.sources?.close();
    await parts.writer.close();
    await parts.log.close();
    parts.pipelines.close();
    await parts.history.close();
    this.duckdb.closeSync();
    saveClockFile(parts.dataDir, parts.clock.now());
    this.release();
  }
}
