/**
 * From an MQTT message to the lake, as IoT Core's rules engine and Firehose do it, with one local addition that
 * makes acknowledgements honest: the message is written to the fsync'ed ingest log before it is routed, and the
 * broker acknowledges only after that. Routing is the generated rule SQL (telemetry or quarantine); the
 * result goes into the local Firehose buffer, tagged with its log sequence number.
 */
import type { TopicRules, RuleOutcome, QuarantineRecord } from "../rule/topic-rules";
import { RuleRoutingError } from "../rule/topic-rules";
import { topicMatchesFilter } from "../rule/iot-sql";
import { TOPIC_SEGMENT } from "../../components/telemetry/topics";
import type { DurableLog, LogEntry, LoggedMessage } from "./durable-log";
import type { FirehoseWriter } from "./firehose-writer";

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
  };

  constructor(
    private readonly log: DurableLog,
    private readonly rules: TopicRules,
    private readonly writer: FirehoseWriter,
  ) {
    writer.onDelivery = (delivery) => {
      log.requestRotation();
      log.releaseThrough(delivery.throughLsn);
    };
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
    this.log.append(message, (error, lsn) => {
      if (error) {
        this.counters.logFailures++;
        done(error);
        return;
      }
      this.counters.received++;
      this.route({ ...message, lsn });
      done(null);
    });
  }

  /** Re-ingests entries of the log that were not in the lake yet (start-up after a crash). */
  replay(entries: readonly LogEntry[]): void {
    for (const entry of entries) {
      this.counters.replayed++;
      this.counters.received++;
      this.route(entry);
    }
  }

  private route(entry: LogEntry): void {
    let outcome: RuleOutcome;
    try {
      outcome = this.rules.route(entry);
    } catch (err) {
      if (!(err instanceof RuleRoutingError)) throw err;
      this.counters.routingErrors++;
      outcome = { kind: "quarantine", record: routingErrorRecord(entry, err.message) };
    }
    if (outcome.kind === "telemetry") {
      this.counters.accepted++;
      this.writer.add(entry.lsn, outcome);
    } else if (outcome.kind === "quarantine") {
      this.counters.quarantined++;
      this.counters.recentQuarantine.push({ reason: outcome.record.reason, topic: outcome.record.topic });
      if (this.counters.recentQuarantine.length > RECENT_QUARANTINE) this.counters.recentQuarantine.shift();
      this.writer.add(entry.lsn, outcome);
    } else {
      // Logged because it matched the filter, yet neither rule read it: cannot happen with one filter.
      this.counters.ignored++;
    }
  }
}

/** A quarantine record for a message the generated rules failed to route, so it is kept with the reason. */
function routingErrorRecord(entry: LogEntry, reason: string): QuarantineRecord {
  const segments = entry.topic.split("/");
  return {
    topic: entry.topic,
    room_id: segments[TOPIC_SEGMENT.room - 1] ?? "",
    device_id: segments[TOPIC_SEGMENT.thing - 1] ?? "",
    received_at: entry.receivedAt,
    reason: `rule routing error: ${reason}`,
    payload_base64: entry.payload.toString("base64"),
  };
}
