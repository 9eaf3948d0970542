/**
 * DynamoDB's expression language, the part the platform's handlers use: condition and key-condition
 * expressions (comparisons, BETWEEN, attribute_exists / attribute_not_exists / begins_with, AND / OR / NOT,
 * parentheses) and update expressions (SET with `+`, `-` and if_not_exists; ADD of numbers; REMOVE), over
 * top-level attributes, with `#name` and `:value` placeholders. Anything else is a `ValidationException` naming
 * what is not supported, never a silently different result. Pure.
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb";

export type Item = Record<string, AttributeValue>;

/** An expression DynamoDB would refuse, or one outside the supported part (name: `ValidationException`). */
export class ExpressionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ValidationException";
  }
}

type Token =
  | { readonly kind: "name"; readonly text: string }
  | { readonly kind: "value"; readonly text: string }
  | { readonly kind: "word"; readonly text: string }
  | { readonly kind: "op"; readonly text: string };

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s*(?:(#[A-Za-z0-9_]+)|(:[A-Za-z0-9_]+)|([A-Za-z_][A-Za-z0-9_]*)|(<>|<=|>=|[=<>(),+-]))/y;
  let at = 0;
  while (at < expression.length) {
    if (/^\s*$/.test(expression.slice(at))) break;
    pattern.lastIndex = at;
    const m = pattern.exec(expression);
    if (!m)
      throw new ExpressionError(
        `Invalid expression: unexpected "${expression.slice(at).trim().slice(0, 20)}" in ${expression}`,
      );
    if (m[1]) tokens.push({ kind: "name", text: m[1] });
    else if (m[2]) tokens.push({ kind: "value", text: m[2] });
    else if (m[3]) tokens.push({ kind: "word", text: m[3] });
    else tokens.push({ kind: "op", text: m[4]! });
    at = pattern.lastIndex;
  }
  return tokens;
}

/** Placeholders of one request, tracking which were used (DynamoDB refuses unused ones). */
export class Placeholders {
  private readonly used = new Set<string>();
  constructor(
    private readonly names: Readonly<Record<string, string>> = {},
    private readonly values: Readonly<Record<string, AttributeValue>> = {},
  ) {}

  name(token: Token): string {
    if (token.kind === "word") return token.text;
    const name = this.names[token.text];
    if (name === undefined)
      throw new ExpressionError(
        `An expression attribute name used in the document path is not defined; attribute name: ${token.text}`,
      );
    this.used.add(token.text);
    return name;
  }

  value(text: string): AttributeValue {
    const value = this.values[text];
    if (value === undefined)
      throw new ExpressionError(
        `An expression attribute value used in expression is not defined; attribute value: ${text}`,
      );
    this.used.add(text);
    return value;
  }

  /** Throws on placeholders no expression used. */
  checkAllUsed(): void {
    const unused = [...Object.keys(this.names), ...Object.keys(this.values)].filter((k) => !this.used.has(k));
    if (unused.length > 0)
      throw new ExpressionError(
        `Value provided in ExpressionAttributeNames/Values unused in expressions: keys: {${unused.join(", ")}}`,
      );
  }
}

class Cursor {
  private i = 0;
  constructor(
    readonly tokens: readonly Token[],
    readonly source: string,
  ) {}
  peek(): Token | undefined {
    return this.tokens[this.i];
  }
  next(): Token {
    const t = this.tokens[this.i++];
    if (!t) throw new ExpressionError(`Invalid expression: unexpected end of ${this.source}`);
    return t;
  }
  isWord(word: string): boolean {
    const t = this.peek();
    return t?.kind === "word" && t.text.toUpperCase() === word;
  }
  isOp(op: string): boolean {
    const t = this.peek();
    return t?.kind === "op" && t.text === op;
  }
  expectOp(op: string): void {
    const t = this.next();
    if (t.kind !== "op" || t.text !== op)
      throw new ExpressionError(
        `Invalid expression: expected "${op}" but found "${t.text}" in ${this.source}`,
      );
  }
  done(): boolean {
    return this.i >= this.tokens.length;
  }
}

type Operand =
  | { readonly kind: "path"; readonly name: string }
  | { readonly kind: "value"; readonly value: AttributeValue };

function operand(c: Cursor, p: Placeholders): Operand {
  const t = c.next();
  if (t.kind === "value") return { kind: "value", value: p.value(t.text) };
  if (t.kind === "name" || t.kind === "word") return { kind: "path", name: p.name(t) };
  throw new ExpressionError(`Invalid expression: unexpected "${t.text}" in ${c.source}`);
}

const resolve = (o: Operand, item: Item | undefined): AttributeValue | undefined =>
  o.kind === "value" ? o.value : item?.[o.name];

/** DynamoDB's ordering of two values of the same scalar type; `undefined` when they cannot be compared. */
function compareValues(a: AttributeValue | undefined, b: AttributeValue | undefined): number | undefined {
  if (a?.N !== undefined && b?.N !== undefined) return Number(a.N) - Number(b.N);
  if (a?.S !== undefined && b?.S !== undefined) return Buffer.compare(Buffer.from(a.S), Buffer.from(b.S));
  if (a?.BOOL !== undefined && b?.BOOL !== undefined) return a.BOOL === b.BOOL ? 0 : undefined;
  return undefined;
}

export type Condition = (item: Item | undefined) => boolean;

/** Parses a condition (or key-condition) expression into a predicate over an item (`undefined`: no item). */
export function parseCondition(expression: string, p: Placeholders): Condition {
  const c = new Cursor(tokenize(expression), expression);
  const condition = orExpr(c, p);
  if (!c.done())
    throw new ExpressionError(`Invalid expression: unexpected "${c.peek()!.text}" in ${expression}`);
  return condition;
}

function orExpr(c: Cursor, p: Placeholders): Condition {
  let left = andExpr(c, p);
  while (c.isWord("OR")) {
    c.next();
    const l = left;
    const r = andExpr(c, p);
    left = (item) => l(item) || r(item);
  }
  return left;
}

function andExpr(c: Cursor, p: Placeholders): Condition {
  let left = notExpr(c, p);
  while (c.isWord("AND")) {
    c.next();
    const l = left;
    const r = notExpr(c, p);
    left = (item) => l(item) && r(item);
  }
  return left;
}

function notExpr(c: Cursor, p: Placeholders): Condition {
  if (c.isWord("NOT")) {
    c.next();
    const inner = notExpr(c, p);
    return (item) => !inner(item);
  }
  return primary(c, p);
}

function primary(c: Cursor, p: Placeholders): Condition {
  if (c.isOp("(")) {
    c.next();
    const inner = orExpr(c, p);
    c.expectOp(")");
    return inner;
  }
  const head = c.peek();
  if (
    head?.kind === "word" &&
    ["attribute_exists", "attribute_not_exists", "begins_with"].includes(head.text)
  ) {
    c.next();
    c.expectOp("(");
    const path = operand(c, p);
    if (path.kind !== "path")
      throw new ExpressionError(`Invalid expression: ${head.text} needs an attribute path`);
    if (head.text === "begins_with") {
      c.expectOp(",");
      const prefix = operand(c, p);
      c.expectOp(")");
      return (item) => {
        const v = resolve(path, item);
        const s = resolve(prefix, item);
        return v?.S !== undefined && s?.S !== undefined && v.S.startsWith(s.S);
      };
    }
    c.expectOp(")");
    const exists = head.text === "attribute_exists";
    return (item) => (item?.[path.name] !== undefined) === exists;
  }
  if (
    head?.kind === "word" &&
    /^[a-z_]+$/.test(head.text) &&
    c.tokens[c.tokens.indexOf(head) + 1]?.text === "("
  )
    throw new ExpressionError(`the local DynamoDB does not implement the function ${head.text}()`);
  const left = operand(c, p);
  if (c.isWord("BETWEEN")) {
    c.next();
    const low = operand(c, p);
    if (!c.isWord("AND")) throw new ExpressionError(`Invalid expression: BETWEEN needs AND in ${c.source}`);
    c.next();
    const high = operand(c, p);
    return (item) => {
      const v = resolve(left, item);
      const a = compareValues(v, resolve(low, item));
      const b = compareValues(v, resolve(high, item));
      return a !== undefined && b !== undefined && a >= 0 && b <= 0;
    };
  }
  const op = c.next();
  if (op.kind !== "op" || !["=", "<>", "<", "<=", ">", ">="].includes(op.text))
    throw new ExpressionError(
      `Invalid expression: expected a comparison after ${left.kind === "path" ? left.name : "a value"} in ${c.source}`,
    );
  const right = operand(c, p);
  return (item) => {
    const order = compareValues(resolve(left, item), resolve(right, item));
    if (order === undefined) return op.text === "<>" && resolve(left, item) !== undefined;
    switch (op.text) {
      case "=":
        return order === 0;
      case "<>":
        return order !== 0;
      case "<":
        return order < 0;
      case "<=":
        return order <= 0;
      case ">":
        return order > 0;
      default:
        return order >= 0;
    }
  };
}

/** Applies an update expression to a copy of `item`; returns the new item and the attributes it changed. */
export function applyUpdate(
  expression: string,
  p: Placeholders,
  item: Item,
): { readonly item: Item; readonly changed: readonly string[] } {
  const c = new Cursor(tokenize(expression), expression);
  const next: Item = { ...item };
  const changed: string[] = [];
  while (!c.done()) {
    const clause = c.next();
    const kind = clause.kind === "word" ? clause.text.toUpperCase() : "";
    if (kind !== "SET" && kind !== "ADD" && kind !== "REMOVE")
      throw new ExpressionError(
        `the local DynamoDB supports SET, ADD and REMOVE clauses (got "${clause.text}")`,
      );
    for (;;) {
      const target = operand(c, p);
      if (target.kind !== "path")
        throw new ExpressionError(`Invalid UpdateExpression: a ${kind} action needs an attribute path`);
      if (kind === "REMOVE") delete next[target.name];
      else if (kind === "ADD") {
        const add = operand(c, p);
        const amount = resolve(add, next);
        if (amount?.N === undefined)
          throw new ExpressionError("the local DynamoDB supports ADD of numbers only");
        const current = next[target.name];
        if (current !== undefined && current.N === undefined)
          throw new ExpressionError("An operand in the update expression has an incorrect data type");
        next[target.name] = { N: String(Number(current?.N ?? 0) + Number(amount.N)) };
      } else {
        c.expectOp("=");
        next[target.name] = setValue(c, p, next);
      }
      changed.push(target.name);
      if (!c.isOp(",")) break;
      c.next();
    }
  }
  return { item: next, changed };
}

function setValue(c: Cursor, p: Placeholders, item: Item): AttributeValue {
  const term = (): AttributeValue => {
    if (c.peek()?.kind === "word" && c.peek()!.text === "if_not_exists") {
      c.next();
      c.expectOp("(");
      const path = operand(c, p);
      c.expectOp(",");
      const fallback = operand(c, p);
      c.expectOp(")");
      return resolve(path, item) ?? resolve(fallback, item)!;
    }
    const o = operand(c, p);
    const v = resolve(o, item);
    if (v === undefined)
      throw new ExpressionError(
        "The provided expression refers to an attribute that does not exist in the item",
      );
    return v;
  };
  const left = term();
  if (!c.isOp("+") && !c.isOp("-")) return left;
  const op = c.next().text;
  const right = term();
  if (left.N === undefined || right.N === undefined)
    throw new ExpressionError("An operand in the update expression has an incorrect data type");
  return { N: String(op === "+" ? Number(left.N) + Number(right.N) : Number(left.N) - Number(right.N)) };
}
