/**
 * Reads a stack's configuration the way the Pulumi CLI hands it to a program, from `Pulumi.<stack>.yaml`
 * on disk, for the places that run without the CLI: the offline synth and the local backend.
 */
import * as fs from "fs";
import * as path from "path";
import { isMap, isScalar, isSeq, parseDocument, type Node } from "yaml";
import { ConfigError, PROJECT, RawStackConfig } from "./config";
import { checkNamespaces } from "./config-namespaces";

/**
 * A stack file that cannot be read as YAML: names the file, the line and the column. CLIs exit 2 on it, as on
 * any bad input.
 */
export class StackFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    reason: string,
  ) {
    super(`${file}:${line}:${column}: not valid YAML: ${reason}; fix the file there`);
    this.name = "StackFileError";
  }
}

/** A stack file as read from disk, with what was found outside the project's namespace. */
export interface StackFile extends RawStackConfig {
  /** Keys nothing reads (another provider's unknown settings, unknown namespaces), with suggestions. */
  readonly warnings: readonly string[];
}

/** Stands in for a `secure:` value that only the Pulumi CLI (with the stack's key) could decrypt. */
export const PLACEHOLDER_SECRET = "offline-placeholder-secret";

/**
 * The stack names that have a `Pulumi.<stack>.yaml` in the project directory.
 * @param projectDir - @default - the working directory (where `pulumi` runs a program)
 */
export function listStacks(projectDir: string = process.cwd()): string[] {
  return fs
    .readdirSync(projectDir)
    .map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

/** One value of a stack file, as the Pulumi CLI's `config.Value` holds it. */
export interface StackValue {
  /** The text (scalars as written, lists and maps as JSON); the ciphertext for a `secure:` value. */
  readonly text: string;
  readonly secure: boolean;
  /** A list or map (the CLI parses its JSON before checking the type). */
  readonly object: boolean;
}

/**
 * Reads `Pulumi.<stack>.yaml` (or `.yml`) the way the CLI does: scalars keep their text as written (`5.0` stays
 * "5.0"), lists and maps become JSON, `secure:` values stay encrypted; keys without a namespace belong to the
 * project.
 * @throws StackFileError naming file, line and column when it is not valid YAML
 * @throws Error naming the file when it is missing or not a YAML map.
 */
export function readStackValues(
  projectName: string,
  stack: string,
  projectDir: string = process.cwd(),
): { stackFile: string; values: Map<string, StackValue> } {
  const stackFile = [`Pulumi.${stack}.yaml`, `Pulumi.${stack}.yml`].find((f) =>
    fs.existsSync(path.join(projectDir, f)),
  );
  if (!stackFile) {
    const known = listStacks(projectDir);
    throw new Error(
      `no stack file Pulumi.${stack}.yaml in ${projectDir}; stacks found: ${known.join(", ") || "none"}. ` +
        `Create one (copy Pulumi.dev.yaml) or pass --stack with one of those names`,
    );
  }
  const file = path.join(projectDir, stackFile);
  const doc = parseDocument(fs.readFileSync(file, "utf8"));
  const [error] = doc.errors;
  if (error) {
    const at = error.linePos?.[0] ?? { line: 0, col: 0 };
    const shown = path.relative(process.cwd(), file) || file;
    throw new StackFileError(shown, at.line, at.col, error.message.split(" at line ")[0]!);
  }
  const config = doc.get("config", true) as Node | undefined | null;
  const values = new Map<string, StackValue>();
  if (config === undefined || config === null || (isScalar(config) && config.value === null)) {
    return { stackFile, values };
  }
  if (!isMap(config)) throw new Error(`${stackFile}: "config" must be a map of key: value`);
  for (const pair of config.items) {
    const key = String(isScalar(pair.key) ? pair.key.value : pair.key);
    values.set(key.includes(":") ? key : `${projectName}:${key}`, stackValue(pair.value as Node | null));
  }
  return { stackFile, values };
}

function stackValue(node: Node | null): StackValue {
  if (node === null || (isScalar(node) && node.value === null))
    return { text: "", secure: false, object: false };
  if (isScalar(node)) {
    // The CLI unmarshals a scalar into a string: a plain scalar keeps its text as written.
    const text = node.type === "PLAIN" && node.source !== undefined ? node.source : String(node.value);
    return { text, secure: false, object: false };
  }
  if (!isMap(node) && !isSeq(node)) throw new Error(`unsupported YAML value ${String(node)}`);
  const value = node.toJSON() as unknown;
  if (isMap(node) && value !== null && typeof value === "object" && "secure" in value) {
    return { text: String((value as { secure: unknown }).secure), secure: true, object: false };
  }
  return { text: goJson(value), secure: false, object: true };
}

/** JSON as Go's encoding/json writes the CLI's object values: map keys sorted. */
export function goJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(goJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${goJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * Loads `Pulumi.<stack>.yaml` as the engine hands it to a program, without Pulumi.yaml's defaults (the
 * program's config parser applies them): values as the CLI holds them, a `secure:` value as
 * {@link PLACEHOLDER_SECRET} marked secret.
 * @throws StackFileError naming file, line and column when it is not valid YAML
 * @throws ConfigError when a key's namespace is a misspelling of the project's (see `config-namespaces.ts`)
 * @throws Error naming the file when it is missing or not a YAML map.
 * @param projectDir - @default - the working directory (where `pulumi` runs a program)
 * @param namespace - the project's name: keys without a namespace belong to it. @default "sensor-analytics"
 */
export function readStackFile(
  stack: string,
  projectDir: string = process.cwd(),
  namespace: string = PROJECT,
): StackFile {
  const { stackFile, values: entries } = readStackValues(namespace, stack, projectDir);
  const values: Record<string, string> = {};
  const secretKeys = new Set<string>();
  for (const [key, value] of entries) {
    values[key] = value.secure ? PLACEHOLDER_SECRET : value.text;
    if (value.secure) secretKeys.add(key);
  }
  const namespaces = checkNamespaces({ stackFile, values, secretKeys }, namespace);
  if (namespaces.problems.length > 0) throw new ConfigError(namespaces.problems, stackFile);
  return { stack, stackFile, values, secretKeys, warnings: namespaces.warnings };
}
