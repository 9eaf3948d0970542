/**
 * The local IoT rules engine: the three topic rules the cloud deploys (telemetry into the lake, every other JSON
 * message into quarantine, and payloads that are not JSON into quarantine too), built from the very SQL text
 * `components/iot/rule-sql.ts` generates and evaluated on every message. Parsing happens at start-up, so a rule outside the supported subset stops the backend before any
 * message is accepted.
 */
import {
  buildNotJsonRuleSql,
  buildQuarantineRuleSql,
  buildTelemetryRuleSql,
  QUARANTINE_FIELDS,
} from "../../components/iot/rule-sql";
import type { TelemetryRecord } from "../../components/telemetry/schema";
import { compileStatement, CompiledRule, decodeMessage, RuleMessage } from "./evaluate";
import { IotSqlError, parseIotSql, topicMatchesFilter } from "./iot-sql";
import type { QuarantineRecord } from "../../components/ingest/reading-validation";

/** A rejected message as the quarantine rule outputs it (see `QUARANTINE_FIELDS`). */
export type { QuarantineRecord };

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
  readonly notJson: string;
}

/** A rule set whose rules did not split a message between them: a bug in the generated SQL. */
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
  private readonly notJson: CompiledRule;

  /**
   * @param deployment `<app>-<stack>`: the rules read `dt/<deployment>/+/+/telemetry`
   * @throws Error naming the rule when its SQL is outside the supported subset
   */
  constructor(
    deployment: string,
    texts: TopicRuleTexts = {
      telemetry: buildTelemetryRuleSql({ deployment }),
      quarantine: buildQuarantineRuleSql({ deployment }),
      notJson: buildNotJsonRuleSql({ deployment }),
    },
  ) {
    this.sql = texts;
    this.telemetry = compileNamed("telemetry", texts.telemetry);
    this.quarantine = compileNamed("quarantine", texts.quarantine);
    this.notJson = compileNamed("not-JSON", texts.notJson);
    for (const [name, rule] of [
      ["quarantine", this.quarantine],
      ["not-JSON", this.notJson],
    ] as const) {
      if (rule.from !== this.telemetry.from)
        throw new Error(
          `the telemetry rule reads '${this.telemetry.from}' but the ${name} rule reads '${rule.from}': every message must meet all of them`,
        );
    }
  }

  /** The topic filter both rules read. */
  get topicFilter(): string {
    return this.telemetry.from;
  }

  /**
   * Runs the rules on one message. A message on the rules' topic goes to exactly one of them; if more than one
   * or none take it, the generated SQL is wrong and a {@link RuleRoutingError} says so (the caller quarantines
   * the message with that reason rather than dropping it).
   */
  route(message: RuleMessage): RuleOutcome {
    const decoded = decodeMessage(message);
    const valid = this.telemetry.run(decoded);
    const rejected = this.quarantine.run(decoded);
    const notJson = this.notJson.run(decoded);
    const takers = (valid ? 1 : 0) + (rejected ? 1 : 0) + (notJson ? 1 : 0);
    if (takers === 1 && valid) return { kind: "telemetry", record: valid as unknown as TelemetryRecord };
    if (takers === 1) return { kind: "quarantine", record: checkQuarantine((rejected ?? notJson)!) };
    if (takers === 0) {
      // Outside the filter: not for these rules. Inside it: a message every rule refused.
      if (!topicMatchesFilter(this.topicFilter, message.topic)) return { kind: "ignored" };
      throw new RuleRoutingError(`no topic rule took a message on ${message.topic}`);
    }
    throw new RuleRoutingError(`${takers} topic rules took one message on ${message.topic}`);
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
