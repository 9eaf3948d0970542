/**
 * From an MQTT message to the lake, as IoT Core's rules engine and Firehose do it, with one local addition that
 * makes acknowledgements honest: the message is written to the fsync'ed ingest log before it is routed, and the
 * broker acknowledges only after that. Routing is the generated rule SQL (telemetry or quarantine); the
 * result goes into the local Firehose buffer, tagged with its log sequence number.
 *
 * The other sources (the HTTPS API, the REST pollers) put records into the local Kinesis stream or a local
 * delivery stream ({@link IngestPipeline.ingestDirect}); those are logged the same way, under a `$local/` topic
 * no MQTT client may publish to, and counted per source. With the ingest stream on, every valid reading also
 * reaches the real-time consumer ({@link StreamTap}); the log keeps an entry until both the lake and the
 * consumer have it.
 */
import type { TopicRules, RuleOutcome, QuarantineRecord } from "../rule/topic-rules";
import { RuleRoutingError } from "../rule/topic-rules";
import { topicMatchesFilter } from "../rule/iot-sql";
import { TOPIC_SEGMENT } from "../../components/telemetry/topics";
import type { TelemetryRecord } from "../../components/telemetry/schema";
import type { DurableLog, LogEntry, LoggedMessage } from "./durable-log";
import type { FirehoseWriter } from "./firehose-writer";

/** Where a source that is not IoT Core puts a record: the ingest stream, or a delivery stream. */
export type DirectTarget = "stream" | "telemetry" | "quarantine";

/** The log's topic for records put directly: `$` topics are the broker's, so no device can publish one. */
const DIRECT_TOPIC = /^\$local\/(stream|telemetry|quarantine)\/(.+)$/;
export const directTopic = (target: DirectTarget, source: string): string => `$local/${target}/${source}`;

/** Source label of readings that came through the broker. */
export const MQTT_SOURCE = "mqtt";

/** The real-time consumer's view of the ingest stream. */
export interface StreamTap {
  /** An entry routed (in LSN order); `record` when it is a valid reading on the stream. */
  add(lsn: number, record: TelemetryRecord | undefined): void;
  /** LSN through which the consumer's results are durable (saved first if needed): the log keeps what follows. */
  checkpoint(): number;
}

export interface SourceCounters {
  received: number;
  accepted: number;
  quarantined: number;
}

export interface IngestCounters {
  /** Messages on the rules' topic that were logged (and acknowledged). */
  received: number;
  /** Readings the telemetry rule accepted. */
  accepted: number;
  /** Messages the quarantine rule took. */
  quarantined: number;
  /** Of those, messages neither or both rules took (a bug in the generated SQL; quarantined, never dropped). */
  routingErrors: number;
  /** Messages on other topics (diagnostics, command responses): not for the rules, as in the cloud. */
  ignored: number;
  /** Messages replayed from the ingest log at start-up. */
  replayed: number;
  /** Appends the log could not make durable (the publisher got no acknowledgement). */
  logFailures: number;
  /** Reasons of the last few quarantined messages, newest last. */
  recentQuarantine: { reason: string; topic: string }[];
  /** The same counts per source (`mqtt`, `https/readings`, `poller/<name>`). */
  bySource: Record<string, SourceCounters>;
}

const RECENT_QUARANTINE = 20;

export class IngestPipeline {
  readonly counters: IngestCounters = {
    received: 0,
    accepted: 0,
    quarantined: 0,
    routingErrors: 0,
    ignored: 0,
    replayed: 0,
    logFailures: 0,
    recentQuarantine: [],
    bySource: {},
  };
  private lakeThroughLsn = 0;
  private tap: StreamTap | undefined;
  /** Receive times of the messages on their way to the lake (see {@link oldestUndeliveredArrivalMs}). */
  private readonly inFlight = new ArrivalsInFlight();

  constructor(
    private readonly log: DurableLog,
    private readonly rules: TopicRules,
    private readonly writer: FirehoseWriter,
  ) {
    writer.onDelivery = (delivery) => {
      log.requestRotation();
      this.lakeThroughLsn = delivery.throughLsn;
      this.inFlight.deliveredThrough(delivery.throughLsn);
      this.releaseLog();
    };
  }

  /** Sends valid readings to the real-time consumer too (`ingestStream: kinesis`), from now on. */
  tapStream(tap: StreamTap): void {
    this.tap = tap;
  }

  /** Deletes log segments that both the lake and the consumer (if any) are past. */
  releaseLog(): void {
    this.log.releaseThrough(Math.min(this.lakeThroughLsn, this.tap?.checkpoint() ?? Infinity));
  }

  /**
   * The receive time (simulated) of the oldest message taken but not yet in the lake: waiting for the log,
   * routed into the Firehose buffer, or in a delivery being written; undefined when everything taken is in the
   * lake. The cloud's scoring assumes Firehose delivers within its ingest delay (buffer + 5 minutes); locally a
   * stall of one wall second is ten simulated minutes at x600, so the local scoring clock waits for this
   * instead (local/state-machines.ts), else a reading that lands after its window was scored is never scored.
   */
  oldestUndeliveredArrivalMs(): number | undefined {
    return this.inFlight.oldest();
  }

  /** Whether a topic is one the rules read (only those are logged and ingested). */
  wants(topic: string): boolean {
    return topicMatchesFilter(this.rules.topicFilter, topic);
  }

  /**
   * Ingests one message; `done` runs once it is durable (then acknowledge it) or with the reason it is not.
   * Messages on other topics are counted and acknowledged at once: nothing reads them into the lake.
   */
  ingest(message: LoggedMessage, done: (error: Error | null) => void): void {
    if (!this.wants(message.topic)) {
      this.counters.ignored++;
      done(null);
      return;
    }
    const arrival = this.inFlight.taken(message.receivedAt);
    this.log.append(message, (error, lsn) => {
      if (error) {
        this.inFlight.dropped(arrival);
        this.counters.logFailures++;
        done(error);
        return;
      }
      this.inFlight.logged(arrival, lsn);
      this.route({ ...message, lsn });
      done(null);
    });
  }

  /**
   * Takes a record a source put into the local stream or a local delivery stream (the HTTPS API's and the
   * pollers' clients, `local/aws/stream-clients.ts`); `done` runs once it is durable, with its LSN.
   */
  ingestDirect(
    target: DirectTarget,
    source: string,
    payload: Buffer,
    receivedAt: number,
    done: (error: Error | null, lsn: number) => void,
  ): void {
    const arrival = this.inFlight.taken(receivedAt);
    this.log.append({ topic: directTopic(target, source), payload, receivedAt }, (error, lsn) => {
      if (error) {
        this.inFlight.dropped(arrival);
        this.counters.logFailures++;
        done(error, lsn);
        return;
      }
      this.inFlight.logged(arrival, lsn);
      this.route({ topic: directTopic(target, source), payload, receivedAt, lsn });
      done(null, lsn);
    });
  }

  /**
   * Re-ingests entries of the log that were not in the lake yet (start-up after a crash); entries at or below
   * `lakeThroughLsn` are in the lake already and go to the real-time consumer only (it was behind the lake).
   */
  replay(entries: readonly LogEntry[], lakeThroughLsn = 0): void {
    this.lakeThroughLsn = lakeThroughLsn;
    for (const entry of entries) {
      if (entry.lsn <= lakeThroughLsn) {
        const outcome = this.outcome(entry).outcome;
        this.tap?.add(entry.lsn, outcome.kind === "telemetry" ? outcome.record : undefined);
        continue;
      }
      this.counters.replayed++;
      this.inFlight.logged(this.inFlight.taken(entry.receivedAt), entry.lsn);
      this.route(entry);
    }
  }

  private outcome(entry: LogEntry): { outcome: RuleOutcome; source: string; onStream: boolean } {
    const direct = DIRECT_TOPIC.exec(entry.topic);
    try {
      if (direct) {
        const target = direct[1] as DirectTarget;
        return { outcome: directOutcome(target, entry), source: direct[2]!, onStream: target === "stream" };
      }
      return { outcome: this.rules.route(entry), source: MQTT_SOURCE, onStream: true };
    } catch (err) {
      if (!(err instanceof RuleRoutingError)) throw err;
      this.counters.routingErrors++;
      const outcome = { kind: "quarantine", record: routingErrorRecord(entry, err.message) } as const;
      return { outcome, source: direct?.[2] ?? MQTT_SOURCE, onStream: false };
    }
  }

  private route(entry: LogEntry): void {
    const { outcome, source, onStream } = this.outcome(entry);
    const counts = (this.counters.bySource[source] ??= { received: 0, accepted: 0, quarantined: 0 });
    this.counters.received++;
    counts.received++;
    if (outcome.kind === "telemetry") {
      this.counters.accepted++;
      counts.accepted++;
      this.writer.add(entry.lsn, outcome);
    } else if (outcome.kind === "quarantine") {
      this.counters.quarantined++;
      counts.quarantined++;
      this.counters.recentQuarantine.push({ reason: outcome.record.reason, topic: outcome.record.topic });
      if (this.counters.recentQuarantine.length > RECENT_QUARANTINE) this.counters.recentQuarantine.shift();
      this.writer.add(entry.lsn, outcome);
    } else {
      // Logged because it matched the filter, yet neither rule read it: cannot happen with one filter.
      this.counters.ignored++;
      this.inFlight.deliveredThrough(entry.lsn, entry.lsn);
    }
    this.tap?.add(entry.lsn, onStream && outcome.kind === "telemetry" ? outcome.record : undefined);
  }
}

/**
 * A record the HTTPS or poller function put, as Firehose (or the stream) holds it: a validated reading, or a
 * quarantine record. Anything else is kept in quarantine with the reason, never dropped.
 */
function directOutcome(target: DirectTarget, entry: LogEntry): RuleOutcome {
  let value: unknown;
  try {
    value = JSON.parse(entry.payload.toString("utf8"));
  } catch {
    throw new RuleRoutingError(`a record put into the local ${target} is not JSON`);
  }
  const record = value as Record<string, unknown> | null;
  if (target === "quarantine") {
    if (typeof record?.reason !== "string" || typeof record.payload_base64 !== "string")
      throw new RuleRoutingError(
        "a record put into the local quarantine stream lacks reason or payload_base64",
      );
    return { kind: "quarantine", record: record as unknown as QuarantineRecord };
  }
  if (
    typeof record?.device_id !== "string" ||
    typeof record.room_id !== "string" ||
    typeof record.ts !== "number"
  )
    throw new RuleRoutingError(`a record put into the local ${target} is not a validated reading`);
  return { kind: "telemetry", record: record as unknown as TelemetryRecord };
}

/** A quarantine record for a message the generated rules failed to route, so it is kept with the reason. */
function routingErrorRecord(entry: LogEntry, reason: string): QuarantineRecord {
  // A direct record's topic names its source, not a room and a device.
  const segments = DIRECT_TOPIC.test(entry.topic) ? [] : entry.topic.split("/");
  return {
    topic: entry.topic,
    room_id: segments[TOPIC_SEGMENT.room - 1] ?? "",
    device_id: segments[TOPIC_SEGMENT.thing - 1] ?? "",
    received_at: entry.receivedAt,
    reason: `rule routing error: ${reason}`,
    payload_base64: entry.payload.toString("base64"),
  };
}

/**
 * Receive times of messages between the broker and the lake. A message is taken, then logged (it gets its LSN;
 * appends complete in LSN order), then delivered when a lake delivery commits through its LSN.
 */
class ArrivalsInFlight {
  private nextToken = 0;
  /** Taken, not logged yet: token -> receive time. */
  private readonly unlogged = new Map<number, number>();
  /** Logged, not in the lake yet, in LSN order. */
  private awaitingLake: { lsn: number; receivedAt: number }[] = [];

  taken(receivedAt: number): number {
    const token = this.nextToken++;
    this.unlogged.set(token, receivedAt);
    return token;
  }

  dropped(token: number): void {
    this.unlogged.delete(token);
  }

  logged(token: number, lsn: number): void {
    const receivedAt = this.unlogged.get(token);
    this.unlogged.delete(token);
    if (receivedAt !== undefined) this.awaitingLake.push({ lsn, receivedAt });
  }

  /** Removes the logged messages with an LSN in [from, through] (a delivery commits through its last LSN). */
  deliveredThrough(through: number, from = -Infinity): void {
    this.awaitingLake = this.awaitingLake.filter((m) => m.lsn < from || m.lsn > through);
  }

  oldest(): number | undefined {
    let oldest = Infinity;
    for (const receivedAt of this.unlogged.values()) oldest = Math.min(oldest, receivedAt);
    for (const m of this.awaitingLake) oldest = Math.min(oldest, m.receivedAt);
    return oldest === Infinity ? undefined : oldest;
  }
}
