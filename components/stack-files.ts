/**
 * Reads a stack's configuration the way the Pulumi CLI hands it to a program, from `Pulumi.<stack>.yaml`
 * on disk, for the places that run without the CLI: the offline synth and the local backend.
 */
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml, YAMLParseError } from "yaml";
import { ConfigError, PROJECT, PROJECT_DIR, RawStackConfig } from "./config";
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
export const PLACEHOLDER_SECRET = "synth-placeholder-secret";

/** The stack names that have a `Pulumi.<stack>.yaml` in the project directory. */
export function listStacks(projectDir: string = PROJECT_DIR): string[] {
  return fs
    .readdirSync(projectDir)
    .map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

/**
 * Loads `Pulumi.<stack>.yaml`. Values are encoded as the engine encodes them (strings as-is, everything else
 * as JSON); keys without a namespace belong to the project, as the CLI reads them.
 * @throws StackFileError naming file, line and column when it is not valid YAML
 * @throws ConfigError when a key's namespace is a misspelling of the project's (see `config-namespaces.ts`)
 * @throws Error naming the file when it is missing or not a YAML map.
 */
export function readStackFile(stack: string, projectDir: string = PROJECT_DIR): StackFile {
  const candidates = [`Pulumi.${stack}.yaml`, `Pulumi.${stack}.yml`];
  const stackFile = candidates.find((f) => fs.existsSync(path.join(projectDir, f)));
  if (!stackFile) {
    const known = listStacks(projectDir);
    throw new Error(
      `no stack file Pulumi.${stack}.yaml in ${projectDir}; stacks found: ${known.join(", ") || "none"}. ` +
        `Create one (copy Pulumi.dev.yaml) or pass --stack with one of those names`,
    );
  }
  let doc: unknown;
  const file = path.join(projectDir, stackFile);
  try {
    doc = parseYaml(fs.readFileSync(file, "utf8"));
  } catch (err) {
    if (!(err instanceof YAMLParseError)) throw err;
    const at = err.linePos?.[0] ?? { line: 0, col: 0 };
    const shown = path.relative(process.cwd(), file) || file;
    throw new StackFileError(shown, at.line, at.col, err.message.split(" at line ")[0]!);
  }
  const config = (doc as { config?: unknown } | null)?.config ?? {};
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new Error(`${stackFile}: "config" must be a map of key: value`);
  }
  const values: Record<string, string> = {};
  const secretKeys = new Set<string>();
  for (const [key, value] of Object.entries(config as Record<string, unknown>)) {
    const fullKey = key.includes(":") ? key : `${PROJECT}:${key}`;
    if (isSecure(value)) {
      values[fullKey] = PLACEHOLDER_SECRET;
      secretKeys.add(fullKey);
    } else {
      values[fullKey] = typeof value === "string" ? value : JSON.stringify(value);
    }
  }
  const namespaces = checkNamespaces({ stackFile, values, secretKeys });
  if (namespaces.problems.length > 0) throw new ConfigError(namespaces.problems, stackFile);
  return { stack, stackFile, values, secretKeys, warnings: namespaces.warnings };
}

function isSecure(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) && "secure" in value;
}
