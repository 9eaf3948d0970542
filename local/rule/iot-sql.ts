/**
 * Parser for the AWS IoT SQL subset that the generated topic rules use (`components/iot/rule-sql.ts` documents
 * it): `SELECT <expr> [AS name], ... FROM '<topic filter>' [WHERE <expr>]` with literals, payload fields,
 * the functions listed in {@link IOT_SQL_FUNCTIONS}, `cast(<expr> AS Decimal|String)`, comparisons, `NOT`/`AND`/`OR`
 * and the simple `CASE`.
 *
 * Anything outside that subset is a {@link IotSqlError} naming the position, so the local backend refuses to
 * start on a rule it would evaluate differently from IoT Core instead of passing messages silently. Pure.
 */

/** A parsed expression. */
export type IotSqlNode =
  | { readonly kind: "literal"; readonly value: number | string | boolean }
  | { readonly kind: "field"; readonly name: string }
  | { readonly kind: "star" }
  | { readonly kind: "call"; readonly name: IotSqlFunction; readonly args: readonly IotSqlNode[] }
  | { readonly kind: "cast"; readonly operand: IotSqlNode; readonly type: CastType }
  | { readonly kind: "not"; readonly operand: IotSqlNode }
  | {
      readonly kind: "logical";
      readonly op: "AND" | "OR";
      readonly left: IotSqlNode;
      readonly right: IotSqlNode;
    }
  | {
      readonly kind: "compare";
      readonly op: ComparisonOperator;
      readonly left: IotSqlNode;
      readonly right: IotSqlNode;
    }
  | {
      readonly kind: "case";
      readonly subject: IotSqlNode;
      readonly whens: readonly { readonly test: IotSqlNode; readonly result: IotSqlNode }[];
      readonly otherwise?: IotSqlNode;
    };

export type ComparisonOperator = "=" | "<>" | "<" | ">";

/** Target types of `cast(<expr> AS <type>)` in the subset (SQL version 2016-03-23 names `Decimal`). */
export const CAST_TYPES = ["Decimal", "String"] as const;
export type CastType = (typeof CAST_TYPES)[number];

/** One SELECT item: its expression and the name it has in the output object. */
export interface SelectItem {
  readonly expression: IotSqlNode;
  readonly name: string;
}

/** A parsed rule statement. */
export interface IotSqlStatement {
  readonly select: readonly SelectItem[];
  /** The FROM topic filter (MQTT `+` wildcards only, as the subset allows). */
  readonly from: string;
  readonly where?: IotSqlNode;
}

/** Functions of the subset and how many arguments each takes (`[min, max]`). */
export const IOT_SQL_FUNCTIONS = {
  topic: [0, 1],
  timestamp: [0, 0],
  encode: [2, 2],
  decode: [2, 2],
  isUndefined: [1, 1],
  isNull: [1, 1],
  floor: [1, 1],
  concat: [1, Infinity],
} as const satisfies Record<string, readonly [number, number]>;

export type IotSqlFunction = keyof typeof IOT_SQL_FUNCTIONS;

/** SQL the local evaluator does not support (or that is not valid IoT SQL at all), with where it is. */
export class IotSqlError extends Error {
  constructor(
    message: string,
    readonly position: number,
    sql: string,
  ) {
    super(
      `${message} at character ${position + 1}: ...${sql.slice(Math.max(0, position - 30), position)}>>>${sql.slice(position, position + 30)}...`,
    );
    this.name = "IotSqlError";
  }
}

type TokenType = "number" | "string" | "word" | "punct";
interface Token {
  readonly type: TokenType;
  readonly text: string;
  readonly position: number;
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
/** Keywords and constructs of IoT SQL outside the subset: named in the error so the reader knows why. */
const UNSUPPORTED_WORDS = new Set(["IN", "LIKE", "BETWEEN", "IS", "NULL", "GET", "NANVL"]);

function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  // Numbers, single-quoted strings ('' escapes a quote), identifiers, and the punctuation of the subset.
  const pattern =
    /\s*(?:(\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)|'((?:[^']|'')*)'|([A-Za-z_][A-Za-z0-9_]*)|(<>|[(),*=<>-]))/y;
  let position = 0;
  while (position < sql.length) {
    if (/^\s*$/.test(sql.slice(position))) break;
    pattern.lastIndex = position;
    const match = pattern.exec(sql);
    if (!match) {
      const at = position + (/^\s*/.exec(sql.slice(position))?.[0].length ?? 0);
      throw new IotSqlError(
        `unexpected character ${JSON.stringify(sql[at])} (not in the IoT SQL subset)`,
        at,
        sql,
      );
    }
    const start = pattern.lastIndex - match[0].trimStart().length;
    if (match[1] !== undefined) tokens.push({ type: "number", text: match[1], position: start });
    else if (match[2] !== undefined)
      tokens.push({ type: "string", text: match[2].replace(/''/g, "'"), position: start });
    else if (match[3] !== undefined) tokens.push({ type: "word", text: match[3], position: start });
    else tokens.push({ type: "punct", text: match[4] as string, position: start });
    position = pattern.lastIndex;
  }
  return tokens;
}

/**
 * Parses one rule statement.
 * @throws IotSqlError on anything outside the supported subset
 */
export function parseIotSql(sql: string): IotSqlStatement {
  const tokens = tokenize(sql);
  let index = 0;
  const peek = (): Token | undefined => tokens[index];
  const here = (): number => peek()?.position ?? sql.length;
  const fail = (message: string): never => {
    throw new IotSqlError(message, here(), sql);
  };
  const isKeyword = (word: string): boolean => peek()?.type === "word" && peek()!.text.toUpperCase() === word;
  const isPunct = (text: string): boolean => peek()?.type === "punct" && peek()!.text === text;
  const expectKeyword = (word: string): void => {
    if (!isKeyword(word))
      fail(`expected ${word}, found ${peek() ? JSON.stringify(peek()!.text) : "the end"}`);
    index++;
  };
  const expectPunct = (text: string): void => {
    if (!isPunct(text))
      fail(`expected "${text}", found ${peek() ? JSON.stringify(peek()!.text) : "the end"}`);
    index++;
  };

  const primary = (): IotSqlNode => {
    const token = peek();
    if (!token) return fail("unexpected end of the statement");
    if (token.type === "number") {
      index++;
      return { kind: "literal", value: Number(token.text) };
    }
    if (token.type === "string") {
      index++;
      return { kind: "literal", value: token.text };
    }
    if (isPunct("-")) {
      // Negative literals only (`< -40`): IoT SQL arithmetic is outside the subset.
      index++;
      const number = peek();
      if (number?.type !== "number") fail("'-' is supported only directly before a number literal");
      index++;
      return { kind: "literal", value: -Number(number!.text) };
    }
    if (isPunct("(")) {
      index++;
      const inner = expression();
      expectPunct(")");
      return inner;
    }
    if (isPunct("*")) {
      index++;
      return { kind: "star" };
    }
    if (isKeyword("TRUE") || isKeyword("FALSE")) {
      index++;
      return { kind: "literal", value: token.text.toUpperCase() === "TRUE" };
    }
    if (isKeyword("CASE")) return caseExpression();
    if (token.type === "word") {
      const upper = token.text.toUpperCase();
      if (UNSUPPORTED_WORDS.has(upper))
        fail(`${upper} is not in the IoT SQL subset the local rule evaluator supports`);
      if (KEYWORDS.has(upper)) fail(`unexpected keyword ${upper}`);
      index++;
      if (isPunct("(")) return upper === "CAST" ? castExpression(token) : call(token);
      return { kind: "field", name: token.text };
    }
    return fail(`unexpected ${JSON.stringify(token.text)}`);
  };

  const call = (nameToken: Token): IotSqlNode => {
    const name = nameToken.text;
    if (!Object.hasOwn(IOT_SQL_FUNCTIONS, name)) {
      throw new IotSqlError(
        `function ${name}() is not in the IoT SQL subset the local rule evaluator supports (${Object.keys(IOT_SQL_FUNCTIONS).join(", ")})`,
        nameToken.position,
        sql,
      );
    }
    index++; // "("
    const args: IotSqlNode[] = [];
    if (!isPunct(")")) {
      args.push(expression());
      while (isPunct(",")) {
        index++;
        args.push(expression());
      }
    }
    expectPunct(")");
    const [min, max] = IOT_SQL_FUNCTIONS[name as IotSqlFunction];
    if (args.length < min || args.length > max) {
      throw new IotSqlError(
        `${name}() takes ${min === max ? min : `${min} to ${max}`} argument(s), got ${args.length}`,
        nameToken.position,
        sql,
      );
    }
    const starred = args.findIndex((a) => a.kind === "star");
    if (name === "decode" && (args[1]?.kind !== "literal" || args[1].value !== "base64")) {
      throw new IotSqlError("only decode(<value>, 'base64') is supported", nameToken.position, sql);
    }
    if (name === "encode") {
      const format = args[1];
      if (args[0]?.kind !== "star" || format?.kind !== "literal" || format.value !== "base64") {
        throw new IotSqlError("only encode(*, 'base64') is supported", nameToken.position, sql);
      }
    } else if (starred >= 0) {
      throw new IotSqlError(
        `* is supported only as the first argument of encode(*, 'base64'), not of ${name}()`,
        nameToken.position,
        sql,
      );
    }
    return { kind: "call", name: name as IotSqlFunction, args };
  };

  const castExpression = (nameToken: Token): IotSqlNode => {
    index++; // "("
    const operand = expression();
    expectKeyword("AS");
    const type = peek();
    const known = CAST_TYPES.find((t) => t.toUpperCase() === type?.text.toUpperCase());
    if (type?.type !== "word" || known === undefined)
      fail(
        `cast() supports AS ${CAST_TYPES.join(" or AS ")} in the subset the local rule evaluator supports`,
      );
    index++;
    expectPunct(")");
    if (operand.kind === "star")
      throw new IotSqlError("* cannot be cast; only encode(*, 'base64') takes it", nameToken.position, sql);
    return { kind: "cast", operand, type: known! };
  };

  const caseExpression = (): IotSqlNode => {
    index++; // CASE
    if (isKeyword("WHEN"))
      fail("the searched CASE (CASE WHEN ...) is not IoT SQL; write CASE <value> WHEN ...");
    const subject = expression();
    const whens: { test: IotSqlNode; result: IotSqlNode }[] = [];
    while (isKeyword("WHEN")) {
      index++;
      const test = expression();
      expectKeyword("THEN");
      whens.push({ test, result: expression() });
    }
    if (whens.length === 0) fail("CASE needs at least one WHEN");
    let otherwise: IotSqlNode | undefined;
    if (isKeyword("ELSE")) {
      index++;
      otherwise = expression();
    }
    expectKeyword("END");
    return { kind: "case", subject, whens, otherwise };
  };

  // After an operand: operators of full IoT SQL that the subset lacks get their own message.
  const refuseUnsupportedOperator = (): void => {
    const token = peek();
    if (token?.type === "word" && UNSUPPORTED_WORDS.has(token.text.toUpperCase())) {
      fail(`${token.text.toUpperCase()} is not in the IoT SQL subset the local rule evaluator supports`);
    }
    if (isPunct("-")) fail("'-' is supported only directly before a number literal (no arithmetic)");
  };

  // Precedence, tightest first: function calls, comparisons, NOT, AND, OR.
  const comparison = (): IotSqlNode => {
    const left = primary();
    refuseUnsupportedOperator();
    for (const op of ["=", "<>", "<", ">"] as const) {
      if (isPunct(op)) {
        index++;
        const right = primary();
        refuseUnsupportedOperator();
        for (const chained of ["=", "<>", "<", ">"])
          if (isPunct(chained)) fail("chained comparisons are not supported; use AND");
        return { kind: "compare", op, left, right };
      }
    }
    return left;
  };
  const negation = (): IotSqlNode => {
    if (!isKeyword("NOT")) return comparison();
    index++;
    return { kind: "not", operand: negation() };
  };
  const conjunction = (): IotSqlNode => {
    let left = negation();
    while (isKeyword("AND")) {
      index++;
      left = { kind: "logical", op: "AND", left, right: negation() };
    }
    return left;
  };
  const expression = (): IotSqlNode => {
    let left = conjunction();
    while (isKeyword("OR")) {
      index++;
      left = { kind: "logical", op: "OR", left, right: conjunction() };
    }
    return left;
  };

  expectKeyword("SELECT");
  const select: SelectItem[] = [];
  for (;;) {
    const start = here();
    const item = expression();
    if (item.kind === "star")
      throw new IotSqlError("SELECT * is not in the supported subset; list the fields", start, sql);
    let name: string | undefined;
    if (isKeyword("AS")) {
      index++;
      const alias = peek();
      if (alias?.type !== "word" || KEYWORDS.has(alias.text.toUpperCase())) fail("expected a name after AS");
      name = alias!.text;
      index++;
    } else if (item.kind === "field") {
      name = item.name;
    } else {
      throw new IotSqlError("a SELECT item that is not a plain field needs AS <name>", start, sql);
    }
    if (select.some((s) => s.name === name))
      throw new IotSqlError(`the output field ${name} is selected twice`, start, sql);
    select.push({ expression: item, name: name! });
    if (!isPunct(",")) break;
    index++;
  }
  expectKeyword("FROM");
  const from = peek();
  if (from?.type !== "string") fail("FROM needs a topic filter in single quotes");
  index++;
  if (from!.text.includes("#"))
    throw new IotSqlError("the # wildcard is outside the subset (the rules use + only)", from!.position, sql);
  let where: IotSqlNode | undefined;
  if (isKeyword("WHERE")) {
    index++;
    where = expression();
  }
  if (index < tokens.length) fail(`unexpected ${JSON.stringify(peek()!.text)} after the statement`);
  return { select, from: from!.text, where };
}

/** Whether an MQTT topic matches a filter with `+` wildcards (one level each). */
export function topicMatchesFilter(filter: string, topic: string): boolean {
  const f = filter.split("/");
  const t = topic.split("/");
  if (f.length !== t.length) return false;
  for (let i = 0; i < f.length; i++) if (f[i] !== "+" && f[i] !== t[i]) return false;
  return true;
}
