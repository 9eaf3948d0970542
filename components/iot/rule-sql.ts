/**
 * The topic rules' SQL, derived from the telemetry schema. Pure: `aws.iot.TopicRule.sql` in the cloud, and the
 * local backend's rule evaluator runs the very same text on each MQTT message.
 *
 * Both rules share one expression, the *quarantine reason*: a CASE that yields the first problem of a message
 * (`'<field>: <problem>'`, worded like `validatePayload` in the schema) or `'valid'`. The telemetry rule takes
 * messages whose reason is `'valid'`, the quarantine rule every other one, so each message goes to exactly one of
 * them and nothing is dropped silently.
 *
 * A payload that is not JSON needs a rule of its own: IoT Core does not evaluate a statement that refers to JSON
 * names on such a payload ("The SQL statement and templates must not refer to JSON names other than *", Working
 * with binary payloads), so both rules above skip it. The *not-JSON rule* refers to none: it selects only
 * functions and takes a message whose payload, decoded, is a string rather than a JSON document, with the reason
 * {@link NOT_JSON_REASON}; the quarantine rule leaves those to it.
 *
 * ## The IoT SQL subset used (what a local evaluator must implement), SQL version 2016-03-23
 * - `SELECT <expr> AS <name>, ... FROM '<topic filter>' WHERE <expr>`; the filter uses MQTT `+` only.
 * - Bare identifiers name top-level fields of the JSON payload; a missing field is `Undefined` (omitted from the
 *   output object), JSON `null` is `Null`. A payload that is not JSON has every field `Undefined`.
 * - Literals: integers and decimals (`-40`, `4102444800000`), strings in single quotes, `true`.
 * - `topic(n)`: the n-th `/`-separated segment of the topic, 1-based; `topic()`: the whole topic.
 * - `timestamp()`: the time IoT Core received the message, epoch milliseconds.
 * - `encode(*, 'base64')`: the raw payload bytes, base64-encoded.
 * - `decode(x, 'base64')`: the bytes of a base64 string; a JSON document when they are one, else the string.
 * - `isUndefined(x)`, `isNull(x)`: always `true` or `false`, for any argument. IoT SQL has no `isNumber` or
 *   `isString` (the functions page lists only these two `is` functions): {@link isNumberSql} and
 *   {@link isStringSql} build those tests from `cast`, `concat` and `CASE`.
 * - `cast(x AS Decimal)`: a number as it is, a string that reads as a decimal number (`'12'`, `'-1.2E3'`) as that
 *   number, `true`/`false` as 1/0; anything else `Undefined`.
 * - `floor(x)`: largest integer not above a number, or a string that reads as one; `Undefined` otherwise.
 * - `concat(a, b, ...)`: with an array among them, one array of all of them; else, with a string among them, the
 *   text of each joined (numbers and Booleans as text, objects as JSON); `Undefined` if one is Null or
 *   `Undefined`. `concat(a)` is `a` unmodified.
 * - `=`, `<>`: `Undefined` when either side is; `=` of mismatched types is `false`, `<>` `true`. `<`, `>`: both
 *   sides converted to numbers, so a decimal string compares as its number; `Undefined` when one does not convert.
 *   Every comparison here is guarded by a type test, so a string never passes for a number.
 * - `AND`, `OR`, `NOT`: Boolean on Booleans (and the strings "true"/"false"); `Undefined` when an operand is
 *   anything else (no short-circuit).
 *   Precedence, tightest first: function calls, comparisons, `NOT`, `AND`, `OR`; parentheses group.
 * - `CASE v WHEN t1 THEN r1 ... ELSE e END` (the simple form, the only one IoT SQL has): the first `ti` equal to
 *   `v` wins. Here `v` is always `true`, so a WHEN whose condition is `false` or `Undefined` simply does not match;
 *   every condition is written so that it is `true` exactly when its problem is present.
 * - `WHERE` keeps a message only when the condition is `true`.
 * - A statement that refers to a JSON name is not evaluated on a payload that is not JSON: no output.
 */
import { telemetryTopicFilter, TOPIC_SEGMENT } from "../telemetry/topics";
import { PAYLOAD_FIELDS, TELEMETRY_FIELDS, TelemetryField } from "../telemetry/schema";
import { LAKE_ZONES } from "../lake/layout";

/** Rule SQL version: the current one (numbers like 10.0 become Int 10, which the lake's double columns accept). */
export const RULE_SQL_VERSION = "2016-03-23";

/** The quarantine reason of a message that has no problem. */
export const VALID_REASON = "valid";

/** The quarantine reason of a payload that is not JSON (computed by the not-JSON rule, locally and in the cloud). */
export const NOT_JSON_REASON = "payload: not JSON";

/**
 * True exactly when the payload is not a JSON document (or is a bare JSON string): `decode` returns a JSON
 * document as such and anything else as a string. Refers to no JSON name, so IoT Core evaluates it on any payload.
 */
export const NOT_JSON_CONDITION = isStringSql("decode(encode(*, 'base64'), 'base64')");

/**
 * `true` when a condition is `true`, `false` when it is `false` or `Undefined`: `NOT` of `Undefined` is
 * `Undefined`, so a type test under `NOT` must never be `Undefined`.
 */
function definite(condition: string): string {
  return `CASE isUndefined(${condition}) WHEN true THEN false ELSE ${condition} END`;
}

/**
 * IoT SQL's test for a number (it has no `isNumber`): `cast(x AS Decimal) = x` is `true` for a number; for a
 * decimal string the cast is a number and the types differ, for a Boolean the cast is 1 or 0, and anything else
 * casts to `Undefined`; {@link definite} makes those `false`.
 */
export function isNumberSql(x: string): string {
  return definite(`cast(${x} AS Decimal) = ${x}`);
}

/**
 * IoT SQL's test for a string (it has no `isString`): `concat(x, '') = x`. concat of a string and '' is that
 * string; a number or Boolean becomes its text and an object its JSON (a string, so `=` of mismatched types is
 * `false`), an array gives an array with one more item, Null and Undefined give `Undefined`. Not
 * `cast(x AS String) = x`: the cast table's row for a String argument reads "Other string values = Undefined".
 */
export function isStringSql(x: string): string {
  return definite(`concat(${x}, '') = ${x}`);
}

/** Fields the topic rule takes from the topic, by topic segment: the IoT policy pins both to the device. */
const TOPIC_FIELD_SEGMENTS: Readonly<Record<string, number>> = {
  device_id: TOPIC_SEGMENT.thing,
  room_id: TOPIC_SEGMENT.room,
};

/** Fields the topic rule adds on receipt. */
const RULE_FIELD_EXPRESSIONS: Readonly<Record<string, string>> = {
  received_at: "timestamp()",
};

/**
 * What a check tests, as data: the SQL condition is rendered from it ({@link checkConditionSql}) and the HTTPS and
 * poller handlers evaluate the very same tests in TypeScript (`components/ingest/reading-validation.ts`), so the
 * two cannot drift. Each test is `true` exactly when its problem is present, with IoT SQL's semantics: a missing
 * field is `Undefined`, JSON `null` is `Null`, and a comparison of a non-number is never `true`.
 */
export type CheckTest =
  /** `isUndefined(f) OR isNull(f)` */
  | { readonly kind: "absent" }
  /** present and `NOT isStringSql(f)` */
  | { readonly kind: "not-string" }
  /** `isStringSql(f)` and unequal to every allowed value */
  | { readonly kind: "not-allowed"; readonly allowed: readonly string[] }
  /** present and `NOT isNumberSql(f)` */
  | { readonly kind: "not-number" }
  /** `isNumberSql(f) AND floor(f) <> f` */
  | { readonly kind: "not-integer" }
  /** `isNumberSql(f) AND f < bound` */
  | { readonly kind: "below"; readonly bound: number }
  /** `isNumberSql(f) AND f > bound` */
  | { readonly kind: "above"; readonly bound: number }
  /** `isNull(f)` (an identity field sent as null does not match the topic) */
  | { readonly kind: "null" }
  /** `isStringSql(f) AND f <> topic(segment)` */
  | { readonly kind: "differs-from-topic"; readonly segment: number };

/** One problem check: `condition` is true exactly when the problem is present. */
export interface TelemetryCheck {
  readonly field: string;
  /** The reason text, e.g. `temperature_c: above 125` (`<topic(n)>` stands for a topic segment). */
  readonly reason: string;
  /** What is tested, as data (the handlers evaluate this). */
  readonly test: CheckTest;
  /** The IoT SQL condition, rendered from {@link test}. */
  readonly condition: string;
  /** SQL computing the reason when it is not a constant. @default - the reason as a string literal */
  readonly reasonSql?: string;
}

const literal = (value: string | number) =>
  typeof value === "number" ? String(value) : `'${value.replace(/'/g, "''")}'`;
const present = (f: string) => `NOT isUndefined(${f}) AND NOT isNull(${f})`;

/** The topic segment (1-based) a topic-origin field is taken from. */
export function topicSegment(field: TelemetryField): number {
  const segment = TOPIC_FIELD_SEGMENTS[field.name];
  if (segment === undefined) {
    throw new Error(
      `schema field "${field.name}" comes from the topic, but rule-sql.ts does not know which segment; add it to TOPIC_FIELD_SEGMENTS`,
    );
  }
  return segment;
}

/** The IoT SQL condition of a test on field `f`. */
export function checkConditionSql(f: string, test: CheckTest): string {
  switch (test.kind) {
    case "absent":
      return `isUndefined(${f}) OR isNull(${f})`;
    case "not-string":
      return `${present(f)} AND NOT ${isStringSql(f)}`;
    case "not-allowed":
      return `${isStringSql(f)} AND ${test.allowed.map((v) => `${f} <> ${literal(v)}`).join(" AND ")}`;
    case "not-number":
      return `${present(f)} AND NOT ${isNumberSql(f)}`;
    case "not-integer":
      return `${isNumberSql(f)} AND floor(${f}) <> ${f}`;
    case "below":
      return `${isNumberSql(f)} AND ${f} < ${literal(test.bound)}`;
    case "above":
      return `${isNumberSql(f)} AND ${f} > ${literal(test.bound)}`;
    case "null":
      return `isNull(${f})`;
    case "differs-from-topic":
      return `${isStringSql(f)} AND ${f} <> topic(${test.segment})`;
  }
}

function checksFor(field: TelemetryField): TelemetryCheck[] {
  const f = field.name;
  const check = (problem: string, test: CheckTest): TelemetryCheck => ({
    field: f,
    reason: `${f}: ${problem}`,
    test,
    condition: checkConditionSql(f, test),
  });
  const checks: TelemetryCheck[] = [];
  // Topic fields are optional in the payload (messages may describe themselves); their agreement with the
  // topic is checked after every other field, see topicMatchChecks.
  if (field.required && field.origin === "payload") checks.push(check("missing", { kind: "absent" }));
  if (field.type === "string") {
    checks.push(check("not a string", { kind: "not-string" }));
    if (field.allowed)
      checks.push(
        check(`not one of ${field.allowed.join("|")}`, { kind: "not-allowed", allowed: field.allowed }),
      );
    return checks;
  }
  checks.push(check("not a number", { kind: "not-number" }));
  if (field.type === "bigint" || field.type === "int")
    checks.push(check("not an integer", { kind: "not-integer" }));
  if (field.min !== undefined) checks.push(check(`below ${field.min}`, { kind: "below", bound: field.min }));
  if (field.max !== undefined) checks.push(check(`above ${field.max}`, { kind: "above", bound: field.max }));
  return checks;
}

/** A topic field present in the payload (even as null) must equal its topic segment. */
function topicMatchChecks(field: TelemetryField): TelemetryCheck[] {
  const f = field.name;
  const segment = topicSegment(field);
  // The reason names the topic's value, computed in SQL: `device_id: does not match topic (sensors-dev-lab-001)`.
  const reason = `concat(${literal(`${f}: does not match topic (`)}, topic(${segment}), ')')`;
  const tests: CheckTest[] = [{ kind: "null" }, { kind: "differs-from-topic", segment }];
  return tests.map((test) => ({
    field: f,
    reason: `${f}: does not match topic (<topic(${segment})>)`,
    test,
    condition: checkConditionSql(f, test),
    reasonSql: reason,
  }));
}

/**
 * Every check, in the order `validatePayload` reports problems: each payload field in schema order, then the
 * agreement of the payload's identity fields with the topic. A JSON payload that is not an object has no fields,
 * so it is reported by its first missing required field (`ts: missing`); one that is not JSON at all goes to the
 * not-JSON rule.
 */
export function telemetryChecks(): TelemetryCheck[] {
  const fieldChecks = PAYLOAD_FIELDS.flatMap(checksFor);
  const identityChecks = PAYLOAD_FIELDS.filter((f) => f.origin === "topic").flatMap(topicMatchChecks);
  return [...fieldChecks, ...identityChecks];
}

/** The CASE expression giving a message's first problem, or `'valid'`. */
export function quarantineReasonExpression(): string {
  const whens = telemetryChecks().map((c) => `WHEN ${c.condition} THEN ${c.reasonSql ?? literal(c.reason)}`);
  return `CASE true ${whens.join(" ")} ELSE ${literal(VALID_REASON)} END`;
}

/** The SELECT item producing one lake column. */
function selectItem(field: TelemetryField): string {
  if (field.origin === "topic") return `topic(${topicSegment(field)}) AS ${field.name}`;
  if (field.origin === "rule") {
    const expression = RULE_FIELD_EXPRESSIONS[field.name];
    if (!expression)
      throw new Error(
        `schema field "${field.name}" is added by the rule, but rule-sql.ts has no expression for it; add it to RULE_FIELD_EXPRESSIONS`,
      );
    return `${expression} AS ${field.name}`;
  }
  return field.name;
}

export interface RuleSqlArgs {
  /** `<app>-<stack>`: the rules read `dt/<deployment>/+/+/telemetry`. */
  readonly deployment: string;
}

/**
 * Valid readings, one column per schema field in schema order: identity from the topic, measurements from the
 * payload, `received_at` from the rule. Extra payload fields are not forwarded.
 */
export function buildTelemetryRuleSql(args: RuleSqlArgs): string {
  const select = TELEMETRY_FIELDS.map(selectItem).join(", ");
  return `SELECT ${select} FROM '${telemetryTopicFilter(args.deployment)}' WHERE (${quarantineReasonExpression()}) = ${literal(VALID_REASON)}`;
}

/** Names of the fields a quarantine record carries, in order (the local lake writer writes the same). */
export const QUARANTINE_FIELDS = [
  "topic",
  "room_id",
  "device_id",
  "received_at",
  "reason",
  "payload_base64",
] as const;

/**
 * Every message the telemetry rule does not take: where it came from, when, why it was rejected, and the
 * original payload byte for byte (base64), so it can be inspected or replayed after a fix.
 */
export function buildQuarantineRuleSql(args: RuleSqlArgs): string {
  const reason = quarantineReasonExpression();
  const select = [
    "topic() AS topic",
    `topic(${TOPIC_SEGMENT.room}) AS room_id`,
    `topic(${TOPIC_SEGMENT.thing}) AS device_id`,
    "timestamp() AS received_at",
    `${reason} AS reason`,
    "encode(*, 'base64') AS payload_base64",
  ];
  return `SELECT ${select.join(", ")} FROM '${telemetryTopicFilter(args.deployment)}' WHERE (${reason}) <> ${literal(VALID_REASON)} AND NOT ${NOT_JSON_CONDITION}`;
}

/**
 * Messages whose payload is not JSON, into quarantine with the reason {@link NOT_JSON_REASON} and the original
 * bytes: the same fields as the quarantine rule, from functions only (a binary payload allows nothing else in the
 * SELECT; `concat` of one argument is that argument).
 */
export function buildNotJsonRuleSql(args: RuleSqlArgs): string {
  const select = [
    "topic() AS topic",
    `topic(${TOPIC_SEGMENT.room}) AS room_id`,
    `topic(${TOPIC_SEGMENT.thing}) AS device_id`,
    "timestamp() AS received_at",
    `concat(${literal(NOT_JSON_REASON)}) AS reason`,
    "encode(*, 'base64') AS payload_base64",
  ];
  return `SELECT ${select.join(", ")} FROM '${telemetryTopicFilter(args.deployment)}' WHERE ${NOT_JSON_CONDITION}`;
}

/** IoT rule names allow only letters, digits and "_": `sensors-dev` + `telemetry` gives `sensors_dev_telemetry`. */
export function topicRuleName(deployment: string, purpose: string): string {
  const name = `${deployment}_${purpose}`.replace(/-/g, "_");
  if (!/^[a-zA-Z0-9_]{1,128}$/.test(name)) {
    throw new Error(
      `topic rule name "${name}" must be 1-128 letters, digits or "_" (from deployment "${deployment}" and "${purpose}")`,
    );
  }
  return name;
}

/**
 * Object key of a rule's S3 error action (IoT substitution templates, evaluated per failed message):
 * `errors/iot-rule/<rule>/dt=<yyyy-MM-dd>/<uuid>.json`, by arrival date in UTC.
 */
export function ruleErrorObjectKey(ruleName: string): string {
  return `${ruleErrorPrefix(ruleName)}dt=\${parse_time("yyyy-MM-dd", timestamp(), "UTC")}/\${newuuid()}.json`;
}

/** Prefix under which a rule's error action writes. */
export function ruleErrorPrefix(ruleName: string): string {
  return `${LAKE_ZONES.ruleErrors.prefix}${ruleName}/`;
}
