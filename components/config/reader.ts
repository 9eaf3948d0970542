/**
 * The stack-file reader every area's readXConfig uses: typed accessors for each key (string, integer, decimal,
 * boolean, one-of, arrays, structured objects) that fall back to the key's declared default, collect every
 * problem instead of stopping at the first, and suggest the declared key closest to an unknown one.
 */
import { parseCidr } from "../net/cidr";
import { parseSchedule, ScheduleExpression } from "../schedule";
import {
  OPTIONAL_SECRET_KEYS,
  SecretString,
  type ConfigProblem,
  type DeclaredKey,
  type RawStackConfig,
} from "./types";

export class ConfigReader {
  readonly problems: ConfigProblem[] = [];
  constructor(
    private readonly raw: RawStackConfig,
    private readonly declarations: Readonly<Record<string, DeclaredKey>>,
    readonly namespace: string,
    ownKeys: readonly string[],
  ) {
    const known = new Set(
      [...Object.keys(declarations), ...Object.keys(OPTIONAL_SECRET_KEYS), ...ownKeys].map(
        (k) => `${namespace}:${k}`,
      ),
    );
    for (const key of Object.keys(raw.values)) {
      if (key.startsWith(`${namespace}:`) && !known.has(key)) {
        const close = closestKey(key.slice(namespace.length + 1), Object.keys(declarations));
        this.problems.push({
          key,
          value: this.display(key),
          message: "is not a setting of this project",
          fix: close
            ? `did you mean ${namespace}:${close}? Rename the key`
            : "remove it; Pulumi.yaml lists every setting with its description",
        });
      }
    }
  }

  full(key: string): string {
    return key.includes(":") ? key : `${this.namespace}:${key}`;
  }

  /** The value as received, for messages; secrets are never echoed. */
  display(fullKey: string): unknown {
    const text = this.raw.values[fullKey];
    if (text === undefined) return undefined;
    if (this.raw.secretKeys.has(fullKey)) return "[secret]";
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }

  /** The raw value, or the Pulumi.yaml default. */
  private value(key: string): unknown {
    const fullKey = this.full(key);
    const text = this.raw.values[fullKey];
    const declared = this.declarations[key];
    if (text === undefined) return declared?.default;
    if (declared?.type === "string") return text;
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }

  problem(key: string, message: string, fix: string, value?: unknown): void {
    const fullKey = this.full(key);
    this.problems.push({ key: fullKey, value: value ?? this.display(fullKey), message, fix });
  }

  /**
   * Whether the stack sets a key to something. Empty ("" or an empty list) counts as not set: the CLI hands
   * the program Pulumi.yaml's empty defaults as values, so absent and empty must mean the same.
   */
  isSet(key: string): boolean {
    const text = this.raw.values[this.full(key)];
    if (text === undefined || text.trim() === "") return false;
    return !(this.declarations[key]?.type === "array" && text.replace(/\s/g, "") === "[]");
  }

  string(key: string, opts: { pattern?: RegExp; describe?: string; example?: string } = {}): string {
    const value = this.value(key);
    if (typeof value !== "string") {
      this.problem(key, "must be a string", `set it to ${opts.example ?? "a text value"}`);
      return "";
    }
    if (opts.pattern && !opts.pattern.test(value)) {
      this.problem(key, `must be ${opts.describe}`, `set it to a value like ${opts.example}`);
    }
    return value;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T {
    const value = this.value(key);
    if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
      this.problem(key, `must be one of ${allowed.join(", ")}`, `set it to one of ${allowed.join(", ")}`);
      return allowed[0] as T;
    }
    return value as T;
  }

  integer(key: string, min: number, max: number, example?: number): number {
    const value = this.value(key);
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
      this.problem(
        key,
        `must be an integer from ${min} to ${max}`,
        `set it to a whole number in that range, e.g. ${example ?? min}`,
      );
      return min;
    }
    return value;
  }

  decimal(key: string, min: number, max: number): number {
    const value = this.value(key);
    const n = typeof value === "number" ? value : typeof value === "string" ? Number(value) : NaN;
    if (!Number.isFinite(n) || n < min || n > max) {
      this.problem(
        key,
        `must be a number from ${min} to ${max}`,
        `set it to a number in that range, e.g. ${min}`,
      );
      return min;
    }
    return n;
  }

  boolean(key: string): boolean {
    const value = this.value(key);
    if (typeof value !== "boolean") {
      this.problem(key, "must be true or false", "set it to true or false (without quotes)");
      return false;
    }
    return value;
  }

  stringArray(
    key: string,
    opts: { pattern?: RegExp; describe?: string; example?: string; minItems?: number },
  ): string[] {
    const value = this.value(key);
    if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
      this.problem(
        key,
        "must be a list of strings",
        `write it as a YAML list, e.g.\n      - ${opts.example ?? "value"}`,
      );
      return [];
    }
    const items = value as string[];
    if (opts.minItems !== undefined && items.length < opts.minItems) {
      this.problem(
        key,
        `must list at least ${opts.minItems} item${opts.minItems === 1 ? "" : "s"}`,
        `add ${opts.example ?? "an item"}`,
      );
    }
    const bad = opts.pattern ? items.filter((v) => !opts.pattern!.test(v)) : [];
    if (bad.length > 0) {
      this.problem(
        key,
        `must contain only ${opts.describe} (bad: ${bad.map((b) => JSON.stringify(b)).join(", ")})`,
        `change them to values like ${opts.example}`,
      );
    }
    const duplicates = items.filter((v, i) => items.indexOf(v) !== i);
    if (duplicates.length > 0) {
      this.problem(
        key,
        `must not repeat items (repeated: ${[...new Set(duplicates)].join(", ")})`,
        "remove the duplicates",
      );
    }
    return items;
  }

  /** A structured value (a map or a list) as the stack file or the Pulumi.yaml default gives it, unchecked. */
  structured(key: string): unknown {
    return this.value(key);
  }

  /** A structured (map) value; reports and returns `undefined` when it is not a map. */
  object(key: string): Record<string, unknown> | undefined {
    const value = this.value(key);
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      this.problem(key, "must be a map of settings", `write it as a YAML map under ${this.full(key)}`);
      return undefined;
    }
    return value as Record<string, unknown>;
  }

  secret(key: string): SecretString | undefined {
    const fullKey = this.full(key);
    const text = this.raw.values[fullKey];
    if (text === undefined || text === "") return undefined;
    if (!this.raw.secretKeys.has(fullKey)) {
      this.problem(
        key,
        "must be a secret, not plain text in the stack file",
        `remove it from the file and run \`pulumi config set --secret ${fullKey}\``,
        "[plain text, not shown]",
      );
    }
    return new SecretString(text);
  }
}

/** An IPv4 CIDR block for a VPC (/16 to /28), or undefined after reporting the problem. */
export function checkCidr(r: ConfigReader, key: string, value: string) {
  const parsed = parseCidr(value);
  if (typeof parsed === "string") {
    r.problem(
      key,
      `must be an IPv4 CIDR block for a VPC (${parsed})`,
      "use a private range from /16 to /28, e.g. 10.20.0.0/24",
    );
    return undefined;
  }
  if (parsed.prefix < 16 || parsed.prefix > 28) {
    r.problem(
      key,
      "must have a prefix length from /16 to /28 (what a VPC allows)",
      "change the prefix length",
    );
    return undefined;
  }
  return parsed;
}

/** An EventBridge Scheduler expression, or undefined after reporting the problem. */
export function checkSchedule(r: ConfigReader, key: string): ScheduleExpression | undefined {
  const value = r.string(key);
  const parsed = parseSchedule(value);
  if (typeof parsed === "string") {
    r.problem(
      key,
      `must be an EventBridge Scheduler expression: ${parsed}`,
      'use e.g. "rate(1 hour)" or "cron(0 2 * * ? *)" (minutes hours day-of-month month day-of-week year)',
    );
    return undefined;
  }
  return parsed;
}

/** The known name closest to `key` (case-insensitive edit distance), when close enough to be a typo. */
export function closestKey(key: string, known: string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = levenshtein(key.toLowerCase(), name.toLowerCase());
    if (!best || distance < best.distance) best = { name, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(key.length / 4)) ? best.name : undefined;
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}
