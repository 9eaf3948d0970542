/**
 * The JSONPath subset a poller's mapping uses to find readings in a REST response (RFC 9535 syntax, a subset of
 * it): no dependency, because the part a mapping needs is small and a general JSONPath engine (filters, script
 * expressions) is more than a stack file should be able to run in a Lambda function. Pure.
 *
 *   $                 the root (of the response, or of one record)
 *   .name  ['name']   a member (a dotted name is letters, digits, "_" and "-"; quote anything else)
 *   [2]  [-1]         an array element (negative counts from the end)
 *   [*]  .*           every element of an array, or every member value of an object
 *   ..name            every member called `name` at any depth (descendants)
 *
 * A path that finds nothing gives an empty list, never an error: a missing field is the validation's business
 * (`ts: missing`), reported with the reading. A path that cannot be parsed is an error naming the position.
 */

/** One step of a parsed path. */
export type PathSegment =
  | { readonly kind: "member"; readonly name: string }
  | { readonly kind: "index"; readonly index: number }
  | { readonly kind: "wildcard" }
  | { readonly kind: "descendants"; readonly name: string };

/** A path outside the subset, or not a JSONPath at all. */
export class JsonPathError extends Error {
  constructor(path: string, position: number, problem: string) {
    super(`JSONPath ${JSON.stringify(path)} at character ${position + 1}: ${problem}`);
    this.name = "JsonPathError";
  }
}

const NAME = /^[A-Za-z_][A-Za-z0-9_-]*/;

/** Parses a path of the subset. @throws JsonPathError naming the position */
export function parseJsonPath(path: string): readonly PathSegment[] {
  if (!path.startsWith("$")) throw new JsonPathError(path, 0, 'must start with "$"');
  const segments: PathSegment[] = [];
  let i = 1;
  while (i < path.length) {
    const rest = path.slice(i);
    if (rest.startsWith("..")) {
      const name = NAME.exec(rest.slice(2));
      if (!name) throw new JsonPathError(path, i + 2, 'expected a member name after ".."');
      segments.push({ kind: "descendants", name: name[0] });
      i += 2 + name[0].length;
    } else if (rest.startsWith(".*")) {
      segments.push({ kind: "wildcard" });
      i += 2;
    } else if (rest.startsWith(".")) {
      const name = NAME.exec(rest.slice(1));
      if (!name)
        throw new JsonPathError(path, i + 1, "expected a member name after \".\" (quote others: ['a b'])");
      segments.push({ kind: "member", name: name[0] });
      i += 1 + name[0].length;
    } else if (rest.startsWith("[")) {
      const close = bracketEnd(path, i);
      segments.push(bracketSegment(path, i, path.slice(i + 1, close).trim()));
      i = close + 1;
    } else {
      throw new JsonPathError(
        path,
        i,
        `unexpected ${JSON.stringify(path[i])} (use .name, ['name'], [n] or [*])`,
      );
    }
  }
  return segments;
}

function bracketEnd(path: string, open: number): number {
  let quote: string | undefined;
  for (let j = open + 1; j < path.length; j++) {
    const c = path[j]!;
    if (quote) {
      if (c === "\\") j++;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "]") return j;
  }
  throw new JsonPathError(path, open, 'unclosed "["');
}

function bracketSegment(path: string, open: number, inner: string): PathSegment {
  if (inner === "*") return { kind: "wildcard" };
  if (/^-?\d+$/.test(inner)) return { kind: "index", index: Number(inner) };
  const quoted = /^(['"])((?:\\.|(?!\1).)*)\1$/.exec(inner);
  if (quoted) return { kind: "member", name: quoted[2]!.replace(/\\(.)/g, "$1") };
  throw new JsonPathError(
    path,
    open + 1,
    `${JSON.stringify(inner)} is outside the supported subset (a quoted name, an index or *; no filters, slices or unions)`,
  );
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function step(values: readonly unknown[], segment: PathSegment): unknown[] {
  const out: unknown[] = [];
  for (const value of values) {
    switch (segment.kind) {
      case "member":
        if (isObject(value) && Object.hasOwn(value, segment.name)) out.push(value[segment.name]);
        break;
      case "index":
        if (Array.isArray(value)) {
          const index = segment.index < 0 ? value.length + segment.index : segment.index;
          if (index >= 0 && index < value.length) out.push(value[index]);
        }
        break;
      case "wildcard":
        if (Array.isArray(value)) out.push(...(value as unknown[]));
        else if (isObject(value)) out.push(...Object.values(value));
        break;
      case "descendants":
        collectDescendants(value, segment.name, out);
        break;
    }
  }
  return out;
}

function collectDescendants(value: unknown, name: string, out: unknown[]): void {
  if (isObject(value)) {
    if (Object.hasOwn(value, name)) out.push(value[name]);
    for (const child of Object.values(value)) collectDescendants(child, name, out);
  } else if (Array.isArray(value)) {
    for (const child of value as unknown[]) collectDescendants(child, name, out);
  }
}

/** Every value a parsed path selects in `document`, in document order. */
export function selectAll(document: unknown, segments: readonly PathSegment[]): unknown[] {
  return segments.reduce<unknown[]>((values, segment) => step(values, segment), [document]);
}
