/**
 * Reads the fields of a structured stack setting (a YAML map such as `httpApi` or one entry of `pollers`) with
 * the checks every field needs: its type, its range, a default, and a report naming the field, the value and the
 * fix for anything wrong. Pure; `config/` turns each report into a problem naming the full key and the stack
 * file.
 */

/** Reports one problem with a field (the caller prefixes the setting's key). */
export type ReportProblem = (field: string, message: string, fix: string, value?: unknown) => void;

export class SettingsReader {
  /** Problems reported through this reader. */
  problems = 0;
  private readonly report: ReportProblem;

  /**
   * @param value the setting's map
   * @param fields every field the setting has: anything else is reported, with the list
   */
  constructor(
    readonly value: Readonly<Record<string, unknown>>,
    readonly fields: readonly string[],
    report: ReportProblem,
  ) {
    this.report = (...args) => {
      this.problems++;
      report(...args);
    };
    for (const key of Object.keys(value)) {
      if (!fields.includes(key))
        this.problem(key, "is not a field of this setting", `use one of ${fields.join(", ")}`, value[key]);
    }
  }

  problem(field: string, message: string, fix: string, value?: unknown): void {
    this.report(field, message, fix, value);
  }

  has(field: string): boolean {
    return this.value[field] !== undefined;
  }

  /** An integer in [min, max]; `pulumi config set --path` may store it as text. */
  int(field: string, fallback: number, min: number, max: number): number {
    const given = this.value[field] ?? fallback;
    const v = typeof given === "string" && /^-?\d+$/.test(given) ? Number(given) : given;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      this.problem(
        field,
        `must be an integer from ${min} to ${max}`,
        `set it to a whole number in that range, e.g. ${fallback}`,
        v,
      );
      return fallback;
    }
    return v;
  }

  oneOf<T extends string>(field: string, fallback: T, allowed: readonly T[]): T {
    const v = this.value[field] ?? fallback;
    if (!allowed.includes(v as T)) {
      this.problem(
        field,
        `must be one of ${allowed.join(", ")}`,
        `set it to one of ${allowed.join(", ")}`,
        v,
      );
      return fallback;
    }
    return v as T;
  }

  /** A string matching `pattern`; `undefined` when absent and not required. */
  string(
    field: string,
    opts: {
      readonly pattern: RegExp;
      readonly describe: string;
      readonly example: string;
      readonly required?: boolean;
    },
  ): string | undefined {
    const v = this.value[field];
    if (v === undefined) {
      if (opts.required)
        this.problem(field, `is required (${opts.describe})`, `add ${field}: ${opts.example}`, v);
      return undefined;
    }
    if (typeof v !== "string" || !opts.pattern.test(v)) {
      this.problem(field, `must be ${opts.describe}`, `set it to a value like ${opts.example}`, v);
      return undefined;
    }
    return v;
  }

  /** A list of strings each matching `pattern`, without repeats; `[]` when absent. */
  stringList(
    field: string,
    opts: { readonly pattern: RegExp; readonly describe: string; readonly example: string },
  ): string[] {
    const v = this.value[field] ?? [];
    if (!Array.isArray(v) || !v.every((item) => typeof item === "string" && opts.pattern.test(item))) {
      this.problem(
        field,
        `must be a list of ${opts.describe}`,
        `write it as a YAML list, e.g. [${opts.example}]`,
        v,
      );
      return [];
    }
    const items = v as string[];
    if (new Set(items).size !== items.length) {
      this.problem(field, "must not repeat items", "remove the duplicates", items);
      return [...new Set(items)];
    }
    return items;
  }
}

/** Whether a value is a YAML map (not a list, not a scalar). */
export function isSettingsMap(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
