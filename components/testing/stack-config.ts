/**
 * A stack's configuration as `pulumi up` prepares it for the program: the stack file read the way the CLI
 * reads it (scalars as their text, lists and maps as JSON, `secure:` values as secrets), checked against the
 * project's declared config with the CLI's stack-config validation and its messages, and completed with
 * Pulumi.yaml's defaults (an empty default arrives as a set value). Mirrors
 * sdk/go/common/workspace/config.go (`ValidateStackConfigAndApplyProjectConfig`).
 *
 * The result is what the language host puts in `PULUMI_CONFIG` (keys `<namespace>:config:<name>`) and
 * `PULUMI_CONFIG_SECRET_KEYS`. A `secure:` value needs the stack's key to decrypt; offline it is replaced by
 * {@link PLACEHOLDER_SECRET}, still marked secret.
 */
import { goJson, PLACEHOLDER_SECRET, readStackValues, StackValue } from "../stack-files";
import { fullTypeName, isProjectKey, isValueOfType, PulumiProject } from "./project";

export { PLACEHOLDER_SECRET, readStackValues };
export type { StackValue };

/** The configuration the program receives. */
export interface ProgramConfig {
  /** Full keys (`namespace:name`) to values, secrets replaced by {@link PLACEHOLDER_SECRET}. */
  readonly values: Readonly<Record<string, string>>;
  /** Full keys whose values are secrets. */
  readonly secretKeys: readonly string[];
}

/**
 * What the CLI refuses a stack for, in the CLI's words. The CLI stops at the first; `messages` lists every
 * one it would report in turn as each is fixed (missing keys first, then each declared key in sorted order).
 */
export class StackConfigError extends Error {
  override readonly name = "StackConfigError";
  constructor(
    readonly messages: readonly string[],
    readonly stackFile: string,
  ) {
    super(messages.join("\n"));
  }
}

/** A Pulumi.yaml default as the CLI stores it (`createConfigValue`): scalars as text, the rest as JSON. */
function defaultValue(value: unknown): StackValue {
  if (typeof value === "string" || typeof value === "boolean" || Number.isInteger(value)) {
    return { text: String(value), secure: false, object: false };
  }
  return { text: goJson(value), secure: false, object: true };
}

/**
 * Validates a stack's values against the project and applies the project's defaults, as `pulumi up` does
 * before it starts the program. @throws StackConfigError with the CLI's messages.
 */
export function applyProjectConfig(
  project: PulumiProject,
  stack: string,
  stackFile: string,
  stackValues: ReadonlyMap<string, StackValue>,
): ProgramConfig {
  const merged = new Map(stackValues);
  const keys = Object.keys(project.config).sort();
  const missing: string[] = [];
  for (const key of keys) {
    const declared = project.config[key]!;
    const fullKey = key.includes(":") ? key : `${project.name}:${key}`;
    if (merged.has(fullKey)) continue;
    // A null default is no default (the CLI's `Default != nil`).
    const fallback = declared.default ?? declared.value;
    if (fallback === undefined || fallback === null) {
      if (isProjectKey(project.name, fullKey)) missing.push(key);
      continue;
    }
    merged.set(fullKey, defaultValue(fallback));
  }
  if (missing.length > 0) throw new StackConfigError([missingKeysMessage(missing, stack)], stackFile);

  const messages: string[] = [];
  for (const key of keys) {
    const declared = project.config[key]!;
    if (declared.type === undefined) continue;
    const value = merged.get(key.includes(":") ? key : `${project.name}:${key}`)!;
    if (declared.secret && !value.secure) {
      messages.push(`Stack '${stack}' with configuration key '${key}' must be encrypted as it's secret`);
      continue;
    }
    // A secure value's type can be checked only once decrypted, which needs the stack's key.
    if (value.secure) continue;
    const content: unknown = value.object ? JSON.parse(value.text) : value.text;
    if (!isValueOfType(declared.type, declared.items, content)) {
      messages.push(
        `Stack '${stack}' with configuration key '${key}' must be of type '${fullTypeName(declared.type, declared.items)}'`,
      );
    }
  }
  if (messages.length > 0) throw new StackConfigError(messages, stackFile);

  const values: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, value] of merged) {
    values[key] = value.secure ? PLACEHOLDER_SECRET : value.text;
    if (value.secure) secretKeys.push(key);
  }
  return { values, secretKeys };
}

/** `Stack 'dev' is missing configuration value 'a'` / `values 'a', 'b' and 'c'`, as the CLI words it. */
function missingKeysMessage(keys: string[], stack: string): string {
  const quoted = [...keys].sort().map((k) => `'${k}'`);
  const list =
    quoted.length === 1
      ? quoted[0]!
      : `${quoted
          .slice(0, -2)
          .map((k) => `${k}, `)
          .join("")}${quoted[quoted.length - 2]} and ${quoted[quoted.length - 1]}`;
  return `Stack '${stack}' is missing configuration ${keys.length === 1 ? "value" : "values"} ${list}`;
}

/** The stack's program config, read, validated and completed as `pulumi up` does. */
export function loadStackConfig(
  project: PulumiProject,
  stack: string,
  stackDir: string = project.stackConfigDir,
): ProgramConfig & { stackFile: string } {
  const { stackFile, values } = readStackValues(project.name, stack, stackDir);
  return { stackFile, ...applyProjectConfig(project, stack, stackFile, values) };
}

/** `PULUMI_CONFIG` as the language host writes it: keys `<namespace>:config:<name>`, a JSON object. */
export function languageHostConfigEnv(config: ProgramConfig): Record<string, string> {
  const wire: Record<string, string> = {};
  for (const [key, value] of Object.entries(config.values)) {
    const colon = key.indexOf(":");
    wire[`${key.slice(0, colon)}:config:${key.slice(colon + 1)}`] = value;
  }
  return {
    PULUMI_CONFIG: JSON.stringify(wire),
    PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(config.secretKeys),
  };
}
