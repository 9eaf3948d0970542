/**
 * Evaluates parsed IoT SQL on messages with IoT Core's semantics (SQL version 2016-03-23), as documented in
 * `components/iot/rule-sql.ts`: a missing field is `Undefined` (and omitted from the output), JSON `null` is
 * `Null`, the operators follow the operators page's tables (`=` of mismatched types is `false` and `<>` `true`,
 * `<` and `>` compare numbers and decimal strings as numbers, `AND`/`OR`/`NOT` take Booleans and the strings
 * "true"/"false", anything else or an `Undefined` operand gives `Undefined`, with no short-circuit),
 * `CASE v WHEN t ...` takes the first `t` equal to `v`, and `WHERE` keeps a message only when it is `true`.
 *
 * Expressions are compiled once into closures: the rule runs on every message of the broker's hot path. Pure.
 */
import type { CastType, IotSqlNode, IotSqlStatement } from "./iot-sql";
import { topicMatchesFilter } from "./iot-sql";

/** IoT SQL's `Undefined`: not a value of JSON, so a symbol. */
export const UNDEFINED: unique symbol = Symbol("Undefined");
export type IotSqlValue = number | string | boolean | null | typeof UNDEFINED | object;

/** One MQTT message as the rules engine sees it. */
export interface RuleMessage {
  readonly topic: string;
  /** The payload bytes as published. */
  readonly payload: Buffer;
  /** `timestamp()`: when the broker received the message, epoch ms. */
  readonly receivedAt: number;
}

/** A message with its payload decoded once, shared by every rule that runs on it. */
export interface DecodedMessage extends RuleMessage {
  /** Whether the payload is JSON: a statement referring to JSON names is evaluated only then. */
  readonly json: boolean;
  /** Top-level fields of the payload; empty when the payload is not a JSON object. */
  readonly fields: Readonly<Record<string, unknown>>;
  /** The topic's `/`-separated segments. */
  readonly segments: readonly string[];
}

/** Decodes a payload: a JSON object gives its fields, anything else (not JSON, an array, a number) none. */
export function decodeMessage(message: RuleMessage): DecodedMessage {
  const parsed = parseJson(message.payload.toString("utf8"));
  const document = parsed.ok ? parsed.value : undefined;
  const fields =
    typeof document === "object" && document !== null && !Array.isArray(document)
      ? (document as Record<string, unknown>)
      : {};
  return { ...message, json: parsed.ok, fields, segments: message.topic.split("/") };
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

type Compiled = (message: DecodedMessage) => IotSqlValue;

/** A logical operand as the operators page reads it: a Boolean, or the string "true"/"false" in any case. */
function toBoolean(value: IotSqlValue): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (typeof value === "string") {
    const lower = value.toLowerCase();
    if (lower === "true" || lower === "false") return lower === "true";
  }
  return undefined;
}

/** Compiles an expression to a function of the message. */
export function compileExpression(node: IotSqlNode): Compiled {
  switch (node.kind) {
    case "literal": {
      const value = node.value;
      return () => value;
    }
    case "field": {
      const name = node.name;
      return (m) => (Object.hasOwn(m.fields, name) ? (m.fields[name] as IotSqlValue) : UNDEFINED);
    }
    case "star":
      // The parser only lets * into encode(*, ...), which never evaluates it.
      throw new Error("* cannot be evaluated on its own");
    case "cast": {
      const operand = compileExpression(node.operand);
      const type = node.type;
      return (m) => castValue(operand(m), type);
    }
    case "not": {
      const operand = compileExpression(node.operand);
      return (m) => {
        const value = toBoolean(operand(m));
        return value === undefined ? UNDEFINED : !value;
      };
    }
    case "logical": {
      const left = compileExpression(node.left);
      const right = compileExpression(node.right);
      const and = node.op === "AND";
      return (m) => {
        // Both sides are evaluated: IoT SQL does not short-circuit, and Undefined on either side wins.
        const l = toBoolean(left(m));
        const r = toBoolean(right(m));
        if (l === undefined || r === undefined) return UNDEFINED;
        return and ? l && r : l || r;
      };
    }
    case "compare": {
      const left = compileExpression(node.left);
      const right = compileExpression(node.right);
      const op = node.op;
      return (m) => compare(op, left(m), right(m));
    }
    case "case": {
      // `CASE isUndefined(x) WHEN true THEN false ELSE x END` (the rules' definite type tests): x once, not twice.
      const definite = definiteOperand(node);
      if (definite) {
        const operand = compileExpression(definite);
        return (m) => {
          const value = operand(m);
          return value === UNDEFINED ? false : value;
        };
      }
      const subject = compileExpression(node.subject);
      const whens = node.whens.map((w) => ({
        test: compileExpression(w.test),
        result: compileExpression(w.result),
      }));
      const otherwise = node.otherwise ? compileExpression(node.otherwise) : undefined;
      return (m) => {
        const value = subject(m);
        for (const when of whens) {
          if (compare("=", value, when.test(m)) === true) return when.result(m);
        }
        return otherwise ? otherwise(m) : UNDEFINED;
      };
    }
    case "call":
      return compileCall(node.name, node.args);
  }
}

/** x when a CASE is `CASE isUndefined(x) WHEN true THEN false ELSE x END`, which is x with Undefined as false. */
function definiteOperand(node: Extract<IotSqlNode, { kind: "case" }>): IotSqlNode | undefined {
  const [when, ...more] = node.whens;
  const subject = node.subject;
  if (
    more.length > 0 ||
    when === undefined ||
    node.otherwise === undefined ||
    subject.kind !== "call" ||
    subject.name !== "isUndefined" ||
    when.test.kind !== "literal" ||
    when.test.value !== true ||
    when.result.kind !== "literal" ||
    when.result.value !== false
  )
    return undefined;
  const operand = subject.args[0];
  return operand !== undefined && JSON.stringify(operand) === JSON.stringify(node.otherwise)
    ? operand
    : undefined;
}

function compare(op: "=" | "<>" | "<" | ">", l: IotSqlValue, r: IotSqlValue): IotSqlValue {
  if (l === UNDEFINED || r === UNDEFINED) return UNDEFINED;
  if (op === "<" || op === ">") {
    // "Both operands are converted to a Decimal, and then compared"; a string that does not convert: Undefined.
    const a = toDecimal(l);
    const b = toDecimal(r);
    if (typeof a !== "number" || typeof b !== "number") return UNDEFINED;
    return op === "<" ? a < b : a > b;
  }
  // "Mismatched Type | Mismatched Type | False" for =, True for <>; arrays and objects compare by content.
  const equal = sameValue(l, r);
  return op === "=" ? equal : !equal;
}

/** `=` of two defined values: same type and equal (arrays in order, objects by keys and values, in any order). */
function sameValue(l: unknown, r: unknown): boolean {
  if (l === null || r === null || typeof l !== "object" || typeof r !== "object") return l === r;
  if (Array.isArray(l) !== Array.isArray(r)) return false;
  if (Array.isArray(l) && Array.isArray(r))
    return l.length === r.length && l.every((item, i) => sameValue(item, r[i]));
  const a = l as Record<string, unknown>;
  const b = r as Record<string, unknown>;
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length &&
    keys.every((key) => Object.hasOwn(b, key) && sameValue(a[key], b[key]))
  );
}

/**
 * A string IoT SQL converts to a number: "the string is parsed only if it matches" this (the data types page's
 * conversion to Decimal), so `'12'` and `'-1.2E3'` convert and `' 12'`, `'0x1F'` and `'NaN'` do not.
 */
const DECIMAL_STRING = /^-?\d+(\.\d+)?(E-?\d+)?$/i;

/** A value converted to a number as IoT SQL's functions convert their arguments; Undefined when it cannot be. */
function toDecimal(value: IotSqlValue): IotSqlValue {
  if (typeof value === "number") return value;
  if (typeof value === "string" && DECIMAL_STRING.test(value)) return Number(value);
  return UNDEFINED;
}

/**
 * A value's text by the standard conversion to String (the cast function's "Cast to string" table): a number's
 * notation, "true"/"false", an array or object serialized to JSON; a string stays itself (the data types page;
 * the cast table's String row repeats the Boolean table's, see isStringSql in components/iot/rule-sql.ts). Null
 * and Undefined have none.
 */
function toText(value: IotSqlValue): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value === null || value === UNDEFINED) return undefined;
  return JSON.stringify(value);
}

/**
 * `cast(x AS Decimal|String)`, per the cast function's conversion tables: a number or a decimal string to
 * Decimal, and a Boolean explicitly (true = 1, false = 0); to String by {@link toText}. Anything else: Undefined.
 */
function castValue(value: IotSqlValue, type: CastType): IotSqlValue {
  if (type === "Decimal") return typeof value === "boolean" ? (value ? 1 : 0) : toDecimal(value);
  return toText(value) ?? UNDEFINED;
}

function compileCall(name: string, argNodes: readonly IotSqlNode[]): Compiled {
  if (name === "encode") return (m) => m.payload.toString("base64");
  if (name === "decode") {
    const encoded = compileExpression(argNodes[0]!);
    return (m) => {
      const value = encoded(m);
      if (typeof value !== "string") return UNDEFINED;
      const text = Buffer.from(value, "base64").toString("utf8");
      // "If the decoded string is a JSON document, an addressable object is returned. Otherwise, the decoded
      // string is returned as a string."
      const parsed = parseJson(text);
      return parsed.ok ? (parsed.value as IotSqlValue) : text;
    };
  }
  const args = argNodes.map(compileExpression);
  const first = args[0];
  switch (name) {
    case "topic":
      if (!first) return (m) => m.topic;
      return (m) => {
        const n = first(m);
        if (typeof n !== "number" || !Number.isInteger(n) || n < 1) return UNDEFINED;
        return m.segments[n - 1] ?? UNDEFINED;
      };
    case "timestamp":
      return (m) => m.receivedAt;
    case "isUndefined":
      return (m) => first!(m) === UNDEFINED;
    case "isNull":
      return (m) => first!(m) === null;
    case "floor":
      // A string argument "is converted to Decimal and rounded down"; one that does not convert is Undefined.
      return (m) => {
        const value = toDecimal(first!(m));
        return typeof value === "number" ? Math.floor(value) : UNDEFINED;
      };
    case "concat":
      if (args.length === 1) return (m) => first!(m); // "The argument is returned unmodified."
      // "If any argument is an Array, the result is a single array containing all of the arguments. If no
      // arguments are arrays, and at least one argument is a String, the result is the concatenation of the
      // String representations of all the arguments."
      return (m) => {
        const values = args.map((arg) => arg(m));
        if (values.includes(UNDEFINED)) return UNDEFINED;
        if (values.some(Array.isArray)) return values.flatMap((v) => (Array.isArray(v) ? v : [v]));
        if (!values.some((v) => typeof v === "string")) return UNDEFINED;
        let out = "";
        for (const value of values) {
          const text = toText(value);
          if (text === undefined) return UNDEFINED;
          out += text;
        }
        return out;
      };
    default:
      throw new Error(`function ${name}() has no local implementation`);
  }
}

/** A rule ready to run: the topic filter, the WHERE condition and the SELECT list, compiled. */
export interface CompiledRule {
  readonly from: string;
  /** The output object when the message matches the filter and the condition; `undefined` otherwise. */
  run(message: DecodedMessage): Record<string, unknown> | undefined;
}

/** Compiles a parsed statement. */
export function compileStatement(statement: IotSqlStatement): CompiledRule {
  const readsJsonNames = [
    ...statement.select.map((s) => s.expression),
    ...(statement.where ? [statement.where] : []),
  ].some(refersToField);
  const where = statement.where ? compileExpression(statement.where) : undefined;
  const select = statement.select.map((item) => ({
    name: item.name,
    value: compileExpression(item.expression),
  }));
  return {
    from: statement.from,
    run(message) {
      if (!topicMatchesFilter(statement.from, message.topic)) return undefined;
      // IoT Core does not evaluate a statement that refers to JSON names on a payload that is not JSON.
      if (readsJsonNames && !message.json) return undefined;
      if (where && where(message) !== true) return undefined;
      const out: Record<string, unknown> = {};
      for (const item of select) {
        const value = item.value(message);
        if (value !== UNDEFINED) out[item.name] = value;
      }
      return out;
    },
  };
}

/** Whether an expression reads a field of the JSON payload. */
function refersToField(node: IotSqlNode): boolean {
  switch (node.kind) {
    case "field":
      return true;
    case "literal":
    case "star":
      return false;
    case "not":
    case "cast":
      return refersToField(node.operand);
    case "logical":
    case "compare":
      return refersToField(node.left) || refersToField(node.right);
    case "case":
      return (
        refersToField(node.subject) ||
        node.whens.some((w) => refersToField(w.test) || refersToField(w.result)) ||
        (node.otherwise !== undefined && refersToField(node.otherwise))
      );
    case "call":
      return node.args.some(refersToField);
  }
}
