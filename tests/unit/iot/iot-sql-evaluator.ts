/**
 * A strict evaluator of exactly the IoT SQL subset documented in `components/iot/rule-sql.ts`, for tests: it
 * parses the generated rule text (so anything outside the documented subset fails loudly) and evaluates it on a
 * message with IoT SQL's semantics (Undefined, no short-circuit, simple CASE). The local backend's rule
 * evaluator implements the same subset; this one exists so the rule SQL can be checked against the schema's
 * `validatePayload` on many messages.
 */

export const UNDEFINED: unique symbol = Symbol("Undefined");
export type SqlValue =
  number | string | boolean | null | typeof UNDEFINED | Record<string, unknown> | unknown[];

type Node =
  | { kind: "number"; value: number }
  | { kind: "string"; value: string }
  | { kind: "boolean"; value: boolean }
  | { kind: "field"; name: string }
  | { kind: "star" }
  | { kind: "call"; name: string; args: Node[] }
  | { kind: "not"; operand: Node }
  | { kind: "binary"; op: string; left: Node; right: Node }
  | { kind: "case"; subject: Node; whens: { test: Node; result: Node }[]; otherwise?: Node };

export interface ParsedRule {
  readonly select: { expr: Node; alias?: string }[];
  readonly from: string;
  readonly where?: Node;
}

const KEYWORDS = new Set([
  "SELECT",
  "FROM",
  "WHERE",
  "AS",
  "CASE",
  "WHEN",
  "THEN",
  "ELSE",
  "END",
  "AND",
  "OR",
  "NOT",
  "TRUE",
  "FALSE",
]);
const FUNCTIONS = new Set([
  "topic",
  "timestamp",
  "isUndefined",
  "isNull",
  "isNumber",
  "isString",
  "floor",
  "concat",
  "encode",
]);

interface Token {
  type: "number" | "string" | "word" | "punct";
  text: string;
}

function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:(\d+(?:\.\d+)?)|'((?:[^']|'')*)'|([A-Za-z_][A-Za-z0-9_]*)|(<>|[(),*=<>-]))/y;
  let pos = 0;
  while (pos < sql.length) {
    if (/^\s*$/.test(sql.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(sql);
    if (!m) throw new Error(`unexpected text at ${pos}: ${sql.slice(pos, pos + 20)}`);
    if (m[1] !== undefined) tokens.push({ type: "number", text: m[1] });
    else if (m[2] !== undefined) tokens.push({ type: "string", text: m[2].replace(/''/g, "'") });
    else if (m[3] !== undefined) tokens.push({ type: "word", text: m[3] });
    else tokens.push({ type: "punct", text: m[4]! });
    pos = re.lastIndex;
  }
  return tokens;
}

export function parseRule(sql: string): ParsedRule {
  const tokens = tokenize(sql);
  let i = 0;
  const peek = () => tokens[i];
  const isKeyword = (word: string) => peek()?.type === "word" && peek()!.text.toUpperCase() === word;
  const expectKeyword = (word: string) => {
    if (!isKeyword(word)) throw new Error(`expected ${word} at token ${i} (${peek()?.text})`);
    i++;
  };
  const isPunct = (p: string) => peek()?.type === "punct" && peek()!.text === p;
  const expectPunct = (p: string) => {
    if (!isPunct(p)) throw new Error(`expected "${p}" at token ${i} (${peek()?.text})`);
    i++;
  };

  const primary = (): Node => {
    const t = peek();
    if (!t) throw new Error("unexpected end of SQL");
    if (t.type === "number") return (i++, { kind: "number", value: Number(t.text) });
    if (t.type === "string") return (i++, { kind: "string", value: t.text });
    if (isPunct("-")) {
      i++;
      const n = peek();
      if (n?.type !== "number") throw new Error("unary minus is only supported before a number literal");
      return (i++, { kind: "number", value: -Number(n.text) });
    }
    if (isPunct("(")) {
      i++;
      const e = expr();
      expectPunct(")");
      return e;
    }
    if (isPunct("*")) return (i++, { kind: "star" });
    if (isKeyword("TRUE") || isKeyword("FALSE"))
      return { kind: "boolean", value: tokens[i++]!.text.toUpperCase() === "TRUE" };
    if (isKeyword("CASE")) {
      i++;
      const subject = expr();
      const whens: { test: Node; result: Node }[] = [];
      while (isKeyword("WHEN")) {
        i++;
        const test = expr();
        expectKeyword("THEN");
        whens.push({ test, result: expr() });
      }
      if (whens.length === 0) throw new Error("CASE needs at least one WHEN");
      let otherwise: Node | undefined;
      if (isKeyword("ELSE")) {
        i++;
        otherwise = expr();
      }
      expectKeyword("END");
      return { kind: "case", subject, whens, otherwise };
    }
    if (t.type === "word" && !KEYWORDS.has(t.text.toUpperCase())) {
      i++;
      if (isPunct("(")) {
        if (!FUNCTIONS.has(t.text))
          throw new Error(`function ${t.text}() is outside the documented IoT SQL subset`);
        i++;
        const args: Node[] = [];
        if (!isPunct(")")) {
          args.push(expr());
          while (isPunct(",")) {
            i++;
            args.push(expr());
          }
        }
        expectPunct(")");
        return { kind: "call", name: t.text, args };
      }
      return { kind: "field", name: t.text };
    }
    throw new Error(`unexpected token ${t.text}`);
  };
  const comparison = (): Node => {
    const left = primary();
    for (const op of ["=", "<>", "<", ">"]) {
      if (isPunct(op)) {
        i++;
        return { kind: "binary", op, left, right: primary() };
      }
    }
    return left;
  };
  const not = (): Node => (isKeyword("NOT") ? (i++, { kind: "not", operand: not() }) : comparison());
  const and = (): Node => {
    let left = not();
    while (isKeyword("AND")) {
      i++;
      left = { kind: "binary", op: "AND", left, right: not() };
    }
    return left;
  };
  const expr = (): Node => {
    let left = and();
    while (isKeyword("OR")) {
      i++;
      left = { kind: "binary", op: "OR", left, right: and() };
    }
    return left;
  };

  expectKeyword("SELECT");
  const select: { expr: Node; alias?: string }[] = [];
  do {
    if (select.length > 0) i++;
    const e = expr();
    let alias: string | undefined;
    if (isKeyword("AS")) {
      i++;
      alias = tokens[i++]!.text;
    }
    select.push({ expr: e, alias });
  } while (isPunct(","));
  expectKeyword("FROM");
  const from = tokens[i++];
  if (from?.type !== "string") throw new Error("FROM needs a quoted topic filter");
  let where: Node | undefined;
  if (isKeyword("WHERE")) {
    i++;
    where = expr();
  }
  if (i !== tokens.length) throw new Error(`unparsed SQL from token ${i}: ${tokens[i]!.text}`);
  return { select, from: from.text, where };
}

export interface Message {
  readonly topic: string;
  /** Raw payload bytes as published. */
  readonly payload: string;
  /** timestamp() value. */
  readonly receivedAt: number;
}

const isBool = (v: SqlValue): v is boolean => typeof v === "boolean";

function evaluate(node: Node, msg: Message, doc: unknown): SqlValue {
  switch (node.kind) {
    case "number":
    case "string":
    case "boolean":
      return node.value;
    case "star":
      throw new Error("* is only supported as encode(*, 'base64')");
    case "field": {
      if (typeof doc !== "object" || doc === null || Array.isArray(doc) || !(node.name in doc))
        return UNDEFINED;
      return (doc as Record<string, SqlValue>)[node.name]!;
    }
    case "not": {
      const v = evaluate(node.operand, msg, doc);
      return isBool(v) ? !v : UNDEFINED;
    }
    case "binary": {
      const l = evaluate(node.left, msg, doc);
      const r = evaluate(node.right, msg, doc);
      if (node.op === "AND" || node.op === "OR") {
        if (!isBool(l) || !isBool(r)) return UNDEFINED;
        return node.op === "AND" ? l && r : l || r;
      }
      const comparable =
        (typeof l === "number" && typeof r === "number") || (typeof l === "string" && typeof r === "string");
      if (!comparable) return UNDEFINED;
      switch (node.op) {
        case "=":
          return l === r;
        case "<>":
          return l !== r;
        case "<":
          return (l as number) < (r as number);
        default:
          return (l as number) > (r as number);
      }
    }
    case "case": {
      const subject = evaluate(node.subject, msg, doc);
      if (subject === UNDEFINED) return UNDEFINED;
      for (const w of node.whens) {
        if (evaluate(w.test, msg, doc) === subject) return evaluate(w.result, msg, doc);
      }
      return node.otherwise ? evaluate(node.otherwise, msg, doc) : UNDEFINED;
    }
    case "call":
      return call(node.name, node.args, msg, doc);
  }
}

function call(name: string, args: Node[], msg: Message, doc: unknown): SqlValue {
  const arg = (n: number) => evaluate(args[n]!, msg, doc);
  switch (name) {
    case "topic": {
      if (args.length === 0) return msg.topic;
      const n = arg(0);
      return typeof n === "number" ? (msg.topic.split("/")[n - 1] ?? UNDEFINED) : UNDEFINED;
    }
    case "timestamp":
      return msg.receivedAt;
    case "isUndefined":
      return arg(0) === UNDEFINED;
    case "isNull":
      return arg(0) === null;
    case "isNumber":
      return typeof arg(0) === "number";
    case "isString":
      return typeof arg(0) === "string";
    case "floor": {
      const v = arg(0);
      return typeof v === "number" ? Math.floor(v) : UNDEFINED;
    }
    case "concat": {
      const parts = args.map((_, n) => arg(n));
      return parts.every((p) => typeof p === "string") ? parts.join("") : UNDEFINED;
    }
    case "encode": {
      if (args[0]?.kind !== "star" || arg(1) !== "base64")
        throw new Error("only encode(*, 'base64') is supported");
      return Buffer.from(msg.payload, "utf8").toString("base64");
    }
  }
  throw new Error(`function ${name}() is outside the documented IoT SQL subset`);
}

/** MQTT topic filter match (`+` one level, `#` the rest). */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split("/");
  const t = topic.split("/");
  for (let k = 0; k < f.length; k++) {
    if (f[k] === "#") return true;
    if (k >= t.length || (f[k] !== "+" && f[k] !== t[k])) return false;
  }
  return f.length === t.length;
}

/** Runs a rule on a message: the output object when the rule matches, `undefined` when it does not. */
export function runRule(rule: ParsedRule, msg: Message): Record<string, unknown> | undefined {
  if (!topicMatches(rule.from, msg.topic)) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(msg.payload);
  } catch {
    doc = undefined;
  }
  if (rule.where && evaluate(rule.where, msg, doc) !== true) return undefined;
  const out: Record<string, unknown> = {};
  for (const item of rule.select) {
    const value = evaluate(item.expr, msg, doc);
    const name = item.alias ?? (item.expr.kind === "field" ? item.expr.name : undefined);
    if (!name) throw new Error("a SELECT item that is not a field needs AS <name>");
    if (value !== UNDEFINED) out[name] = value;
  }
  return out;
}
