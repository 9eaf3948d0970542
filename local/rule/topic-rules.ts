/**
 * The local IoT rules engine: the two topic rules the cloud deploys (telemetry into the lake, everything else
 * into quarantine), built from the very SQL text `components/iot/rule-sql.ts` generates and evaluated on every
 * message. Parsing happens at start-up, so a rule outside the supported subset stops the backend before any
 * message is accepted.
 */
import {
  buildQuarantineRuleSql,
  buildTelemetryRuleSql,
  QUARANTINE_FIELDS,
} from "../../components/iot/rule-sql";
import type { TelemetryRecord } from "../../components/telemetry/schema";
import { compileStatement, CompiledRule, decodeMessage, RuleMessage } from "./evaluate";
import { IotSqlError, parseIotSql, topicMatchesFilter } from "./iot-sql";

/** A rejected message as the quarantine rule outputs it (see `QUARANTINE_FIELDS`). */
export interface QuarantineRecord {
  readonly topic: string;
  readonly room_id: string;
  readonly device_id: string;
  readonly received_at: number;
  readonly reason: string;
  readonly payload_base64: string;
}

/** Where a message went. */
export type RuleOutcome =
  | { readonly kind: "telemetry"; readonly record: TelemetryRecord }
  | { readonly kind: "quarantine"; readonly record: QuarantineRecord }
  /** The topic matches neither rule's filter (e.g. diagnostics): IoT Core ingests nothing, and neither do we. */
  | { readonly kind: "ignored" };

/** The rules' SQL text, for logs and the dashboard. */
export interface TopicRuleTexts {
  readonly telemetry: string;
  readonly quarantine: string;
}

/** A rule set whose two rules did not split a message between them: a bug in the generated SQL. */
export class RuleRoutingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RuleRoutingError";
  }
}

export class TopicRules {
  readonly sql: TopicRuleTexts;
  private readonly telemetry: CompiledRule;
  private readonly quarantine: CompiledRule;

  /**
   * @param deployment `<app>-<stack>`: the rules read `dt/<deployment>/+/+/telemetry`
   * @throws Error naming the rule when its SQL is outside the supported subset
   */
  constructor(
    deployment: string,
    texts: TopicRuleTexts = {
      telemetry: buildTelemetryRuleSql({ deployment }),
      quarantine: buildQuarantineRuleSql({ deployment }),
    },
  ) {
    this.sql = texts;
    this.telemetry = compileNamed("telemetry", texts.telemetry);
    this.quarantine = compileNamed("quarantine", texts.quarantine);
    if (this.telemetry.from !== this.quarantine.from) {
      throw new Error(
        `the telemetry rule reads '${this.telemetry.from}' but the quarantine rule reads '${this.quarantine.from}': every message must meet both`,
      );
    }
  }

  /** The topic filter both rules read. */
  get topicFilter(): string {
    return this.telemetry.from;
  }

  /**
   * Runs both rules on one message. A message on the rules' topic goes to exactly one of them; if both or
   * neither take it, the generated SQL is wrong and a {@link RuleRoutingError} says so (the caller
   * quarantines the message with that reason rather than dropping it).
   */
  route(message: RuleMessage): RuleOutcome {
    const decoded = decodeMessage(message);
    const valid = this.telemetry.run(decoded);
    const rejected = this.quarantine.run(decoded);
    if (valid && !rejected) return { kind: "telemetry", record: valid as unknown as TelemetryRecord };
    if (rejected && !valid) return { kind: "quarantine", record: checkQuarantine(rejected) };
    if (!valid && !rejected) {
      // Outside the filter: not for these rules. Inside it: a message both rules refused.
      if (!topicMatchesFilter(this.topicFilter, message.topic)) return { kind: "ignored" };
      throw new RuleRoutingError(
        `neither the telemetry nor the quarantine rule took a message on ${message.topic}`,
      );
    }
    throw new RuleRoutingError(
      `both the telemetry and the quarantine rule took a message on ${message.topic}`,
    );
  }
}

function compileNamed(name: string, sql: string): CompiledRule {
  try {
    return compileStatement(parseIotSql(sql));
  } catch (err) {
    if (err instanceof IotSqlError)
      throw new Error(`the ${name} topic rule cannot run locally: ${err.message}`, { cause: err });
    throw err;
  }
}

function checkQuarantine(output: Record<string, unknown>): QuarantineRecord {
  for (const field of QUARANTINE_FIELDS) {
    if (typeof output[field] !== (field === "received_at" ? "number" : "string")) {
      throw new RuleRoutingError(
        `the quarantine rule's output lacks ${field} (got ${JSON.stringify(output[field])})`,
      );
    }
  }
  return output as unknown as QuarantineRecord;
}
