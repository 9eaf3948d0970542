/**
 * The rule tests run the generated SQL through the local backend's IoT SQL engine (`local/rule/`), the same
 * evaluator `npm start` applies to every message, so the subset the rules use is implemented exactly once.
 */
import { parseIotSql } from "../../../local/rule/iot-sql";
import { compileStatement, decodeMessage, type CompiledRule } from "../../../local/rule/evaluate";
import type { SelectItem } from "../../../local/rule/iot-sql";

/** A compiled rule with its parsed SELECT list (what the rule tests inspect). */
export interface ParsedRule extends CompiledRule {
  readonly select: readonly SelectItem[];
}

export interface Message {
  readonly topic: string;
  /** Raw payload bytes as published. */
  readonly payload: string;
  /** timestamp() value. */
  readonly receivedAt: number;
}

/** Parses and compiles a rule; SQL outside the supported subset throws. */
export function parseRule(sql: string): ParsedRule {
  const statement = parseIotSql(sql);
  return { ...compileStatement(statement), select: statement.select };
}

/** Runs a rule on a message: the output object when the rule matches, `undefined` when it does not. */
export function runRule(rule: ParsedRule, msg: Message): Record<string, unknown> | undefined {
  return rule.run(
    decodeMessage({
      topic: msg.topic,
      payload: Buffer.from(msg.payload, "utf8"),
      receivedAt: msg.receivedAt,
    }),
  );
}
