/**
 * The ways in and out besides MQTT, locally, when the stack opts in (`ingestStream: kinesis`, `httpApi`,
 * `pollers`): the same handler modules the cloud runs, configured through the same environment contracts the
 * components set (`ingestEnvironment`, `pollerEnvironment`, `realtimeConsumerEnvironment`, ...), with real AWS SDK
 * clients answered in-process:
 *
 * - Kinesis and Firehose: the durable ingest log (`stream-clients.ts`), so a reading posted over HTTPS or polled
 *   is acknowledged once it is fsync'ed, then routed to the lake writer (and the consumer) like an MQTT one;
 * - DynamoDB: the real-time table and the pollers' de-duplication table (`local/aws/dynamodb.ts`);
 * - Secrets Manager: `<data dir>/secrets.json` (`local/aws/secrets-manager.ts`).
 *
 *   open: tables -> consumer tapping the ingest stream (before the log replays)   start: HTTPS API -> pollers
 *   stop: pollers (polls in flight finish) -> API   drain (after the lake flush): consumer   close: tables saved
 */
import * as path from "node:path";
import type { PlatformConfig } from "../../components/config";
import { ingestEnvironment } from "../../components/api/routes";
import {
  deliveryEnvironment,
  HTTPS_SOURCE,
  pollerSource,
  type DeliveryTargets,
} from "../../components/ingest/delivery-targets";
import { pollerEnvironment } from "../../components/pollers/poller-settings";
import {
  LATEST_SORT_KEY,
  REALTIME_ENV,
  realtimeConsumerEnvironment,
} from "../../components/streaming/realtime-layout";
import { createIngestHandler, ingestSettingsFromEnv } from "../../functions/https-ingest/handler";
import { createLatestStateHandler, latestStateSettingsFromEnv } from "../../functions/latest-state/handler";
import { consumerSettingsFromEnv, createConsumerHandler } from "../../functions/realtime-consumer/handler";
import {
  createPollHandler,
  pollSettingsFromEnv,
  type PollHandler,
} from "../../functions/rest-poller/handler";
import { LocalDynamoDb } from "../aws/dynamodb";
import { createLocalSecretsClient } from "../aws/secrets-manager";
import {
  createLocalFirehoseClient,
  createLocalKinesisClient,
  type LocalRecordSink,
} from "../aws/stream-clients";
import type { IngestPipeline } from "../lake/ingest-pipeline";
import type { LocalPki } from "../pki";
import { ensureApiToken, LocalHttpApi, apiTokenFile, type ApiHandler, type ApiStats } from "./https-api";
import { fetchTrusting } from "./local-fetch";
import { LocalPollers, type PollerStats } from "./local-pollers";
import { LocalStreamConsumer, readConsumerCheckpoint, type ConsumerStats } from "./stream-consumer";

/** The names the local resources answer to (the handlers find them through their environment). */
export function localResourceNames(deployment: string) {
  return {
    stream: `${deployment}-ingest`,
    streamArn: `arn:aws:kinesis:local:000000000000:stream/${deployment}-ingest`,
    telemetry: `${deployment}-telemetry`,
    quarantine: `${deployment}-quarantine`,
    realtimeTable: `${deployment}-realtime`,
    dedupTable: `${deployment}-poller-dedup`,
  } as const;
}

/** Where the local tables (and the consumer's position and dead letters) live. */
export const tablesDir = (dataDir: string): string => path.join(dataDir, "dynamodb");

/**
 * The LSN the ingest log must replay from: the lake's checkpoint, or the consumer's when the ingest stream is on
 * and the consumer was behind the lake when the last run ended.
 */
export function replayFromLsn(config: PlatformConfig, dataDir: string, lakeThroughLsn: number): number {
  if (!config.ingestStream) return lakeThroughLsn;
  return Math.min(lakeThroughLsn, readConsumerCheckpoint(tablesDir(dataDir)) ?? lakeThroughLsn);
}

/** The sources' part of the run summary. */
export interface SourcesSummary {
  readonly stream: null | ({ readonly name: string; readonly devicesWithLatest: number } & ConsumerStats);
  readonly api: null | { readonly url: string; readonly responses: ApiStats; readonly tokenFile: string };
  readonly pollers: Readonly<Record<string, PollerStats>>;
}

export class LocalIngestSources {
  readonly names: ReturnType<typeof localResourceNames>;
  readonly dynamodb: LocalDynamoDb;
  readonly consumer: LocalStreamConsumer | undefined;
  readonly api: LocalHttpApi | undefined;
  readonly pollers: LocalPollers | undefined;
  /** The latest-state routes' handler (the dashboard serves them too), with the ingest stream on. */
  readonly latestState: ApiHandler | undefined;
  apiUrl: string | undefined;

  private constructor(
    config: PlatformConfig,
    private readonly dataDir: string,
    pki: LocalPki,
    ingest: IngestPipeline,
    lakeThroughLsn: number,
    speed: number,
    now: () => number,
    log: (line: string) => void,
  ) {
    const names = (this.names = localResourceNames(config.deployment));
    this.dynamodb = new LocalDynamoDb(tablesDir(dataDir), now);
    const sink: LocalRecordSink = {
      putRecords: (target, source, records) =>
        Promise.all(
          records.map(
            (data) =>
              new Promise<number | Error>((resolve) =>
                ingest.ingestDirect(target, source, data, now(), (error, lsn) => resolve(error ?? lsn)),
              ),
          ),
        ),
    };
    const stream = config.ingestStream;
    const targets: DeliveryTargets = {
      telemetry: stream
        ? { kind: "kinesis", streamName: names.stream }
        : { kind: "firehose", deliveryStreamName: names.telemetry },
      quarantineDeliveryStream: names.quarantine,
    };
    const delivery = (source: string) => ({
      ...(stream ? { kinesis: createLocalKinesisClient(sink, names.stream, source) } : {}),
      firehose: createLocalFirehoseClient(sink, names, source),
      // Backoff between delivery attempts runs on the compressed clock.
      sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms / speed)),
    });
    const rooms = config.fleet.rooms;

    if (stream) {
      this.dynamodb.createTable(names.realtimeTable);
      this.dynamodb.sweepExpired();
      const table = this.dynamodb.client();
      this.consumer = new LocalStreamConsumer({
        dir: tablesDir(dataDir),
        streamArn: names.streamArn,
        settings: stream.consumer,
        handler: createConsumerHandler(
          consumerSettingsFromEnv(
            realtimeConsumerEnvironment({
              tableName: names.realtimeTable,
              aggregateTtlDays: stream.aggregateTtlDays,
              latestTtlDays: stream.latestTtlDays,
            }),
          ),
          { dynamodb: table, log: (line) => log(`realtime consumer: ${line}`) },
        ),
        saveTables: () => this.dynamodb.save(),
        speed,
        now,
        startLsn: readConsumerCheckpoint(tablesDir(dataDir)) ?? lakeThroughLsn,
        onCheckpoint: () => ingest.releaseLog(),
      });
      ingest.tapStream(this.consumer);
      this.latestState = createLatestStateHandler(
        latestStateSettingsFromEnv({ [REALTIME_ENV.tableName]: names.realtimeTable }),
        { dynamodb: table, now },
      );
    }

    if (config.httpApi) {
      const settings = ingestSettingsFromEnv(
        ingestEnvironment({ rooms, maxBatchSize: config.httpApi.maxBatchSize, targets }),
      );
      this.api = new LocalHttpApi({
        settings: config.httpApi,
        pki,
        token: ensureApiToken(dataDir),
        handlers: {
          ingest: createIngestHandler(settings, delivery(HTTPS_SOURCE)),
          ...(this.latestState ? { "latest-state": this.latestState } : {}),
        },
        accessLog: path.join(dataDir, "api", "access.log"),
        now,
      });
    }

    if (config.pollers.length > 0) {
      this.dynamodb.createTable(names.dedupTable);
      const handlers = new Map<string, PollHandler>();
      const secrets = createLocalSecretsClient(dataDir);
      const dedup = this.dynamodb.client({ autoSave: true });
      const fetch = fetchTrusting(pki.ca.certificatePem);
      for (const poller of config.pollers) {
        const settings = pollSettingsFromEnv({
          ...pollerEnvironment({ poller, dedupTable: names.dedupTable, rooms }),
          ...deliveryEnvironment(targets),
        });
        handlers.set(
          poller.name,
          createPollHandler(settings, {
            ...delivery(pollerSource(poller.name)),
            dynamodb: dedup,
            secrets,
            fetch,
            now,
            // Each poll's INFO line would flood the console at a compressed schedule: warnings and errors only.
            log: (line) => {
              if (!line.includes('"level":"INFO"')) log(`poller ${poller.name}: ${line}`);
            },
          }),
        );
      }
      this.pollers = new LocalPollers({
        pollers: config.pollers,
        handlers,
        dir: path.join(dataDir, "pollers"),
        speed,
        now,
        log,
      });
    }
  }

  /** The sources the stack turns on (`undefined` when it turns on none), the consumer already tapping `ingest`. */
  static open(args: {
    readonly config: PlatformConfig;
    readonly dataDir: string;
    readonly pki: LocalPki;
    readonly ingest: IngestPipeline;
    readonly lakeThroughLsn: number;
    readonly speed: number;
    readonly now: () => number;
    readonly log: (line: string) => void;
  }): LocalIngestSources | undefined {
    const { config } = args;
    if (!config.ingestStream && !config.httpApi && config.pollers.length === 0) return undefined;
    return new LocalIngestSources(
      config,
      args.dataDir,
      args.pki,
      args.ingest,
      args.lakeThroughLsn,
      args.speed,
      args.now,
      args.log,
    );
  }

  /** Serves the API and starts the pollers; returns lines for the start-up log. */
  async start(apiPort: number): Promise<string[]> {
    const lines: string[] = [];
    if (this.consumer)
      lines.push(
        `ingest stream: ${this.names.stream} (the ingest log), real-time consumer into ${this.names.realtimeTable}`,
      );
    if (this.api) {
      this.apiUrl = await this.api.start(apiPort);
      lines.push(
        `HTTP API: ${this.apiUrl} (POST /readings${this.latestState ? ", GET /devices/{id}/latest, GET /rooms/{room}/summary" : ""}); Authorization: Bearer <${apiTokenFile(this.dataDir)}>`,
      );
    }
    if (this.pollers) {
      this.pollers.start();
      const every = Object.entries(this.pollers.intervals).map(
        ([name, ms]) => `${name} every ${(ms / 1000).toFixed(1)}s`,
      );
      lines.push(`pollers (compressed): ${every.join(", ")}`);
    }
    return lines;
  }

  /** No more input: the pollers finish their polls, the API closes. */
  async stopInputs(): Promise<void> {
    await this.pollers?.stop();
    await this.api?.close();
  }

  /** The consumer takes everything on the stream (after the lake flush) and saves its position. */
  async drain(): Promise<void> {
    await this.consumer?.close();
  }

  close(): void {
    this.dynamodb.save();
  }

  summary(): SourcesSummary {
    const latest = this.consumer
      ? this.dynamodb.items(this.names.realtimeTable).filter((i) => i.sk?.S === LATEST_SORT_KEY).length
      : 0;
    return {
      stream: this.consumer
        ? { name: this.names.stream, devicesWithLatest: latest, ...this.consumer.stats }
        : null,
      api:
        this.api && this.apiUrl
          ? { url: this.apiUrl, responses: { ...this.api.stats }, tokenFile: apiTokenFile(this.dataDir) }
          : null,
      pollers: this.pollers ? structuredClone(this.pollers.stats) : {},
    };
  }
}
