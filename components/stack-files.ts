/**
 * Reads a stack's configuration the way the Pulumi CLI hands it to a program, from `Pulumi.<stack>.yaml`
 * on disk, for the places that run without the CLI: the offline synth and the local backend.
 */
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { PROJECT, PROJECT_DIR, RawStackConfig } from "./config";

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
 * @throws Error naming the file when it is missing or not a YAML map.
 */
export function readStackFile(stack: string, projectDir: string = PROJECT_DIR): RawStackConfig {
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
  try {
    doc = parseYaml(fs.readFileSync(path.join(projectDir, stackFile), "utf8"));
  } catch (err) {
    throw new Error(`${stackFile} is not valid YAML: ${(err as Error).message}`, { cause: err });
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
  return { stack, stackFile, values, secretKeys };
}

function isSecure(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) && "secure" in value;
}
