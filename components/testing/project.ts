/**
 * A Pulumi project as the Pulumi CLI and the Node.js language host see it: `Pulumi.yaml` (name, runtime
 * options, `main`, declared config), the program directory and entry point the CLI passes to
 * `@pulumi/pulumi/cmd/run`, and the file `cmd/run` then loads (`Pulumi.yaml` `main`, else package.json
 * `exports`, else package.json `main`, else the directory's index). Mirrors, in order:
 * sdk/go/common/workspace/project.go (`Validate`), the CLI's `getPwdMain`, and sdk/nodejs/cmd/run/run.ts.
 */
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";

/** One key of Pulumi.yaml's `config:` block, after the CLI's shorthand rewrite. */
export interface ProjectConfigType {
  readonly type?: "string" | "integer" | "boolean" | "array" | "object";
  readonly items?: ProjectConfigItemsType;
  readonly description?: string;
  readonly default?: unknown;
  /** A value for a key of another namespace (e.g. `aws:region`). */
  readonly value?: unknown;
  readonly secret?: boolean;
}

export interface ProjectConfigItemsType {
  readonly type: string;
  readonly items?: ProjectConfigItemsType;
}

export interface PulumiProject {
  /** The project's root directory (where Pulumi.yaml is). */
  readonly dir: string;
  readonly name: string;
  readonly runtime: { readonly name: string; readonly options: Readonly<Record<string, unknown>> };
  /** Pulumi.yaml `main`, when set. */
  readonly main?: string;
  /** Where the `Pulumi.<stack>.yaml` files are. @default - the project directory */
  readonly stackConfigDir: string;
  readonly config: Readonly<Record<string, ProjectConfigType>>;
}

/** Thrown for a Pulumi.yaml the CLI would refuse; the message is the CLI's. */
export class ProjectError extends Error {
  override readonly name = "ProjectError";
}

/** Reads and validates `<dir>/Pulumi.yaml` as the CLI does. */
export function loadProject(dir: string): PulumiProject {
  const file = ["Pulumi.yaml", "Pulumi.yml"].map((f) => path.join(dir, f)).find((f) => fs.existsSync(f));
  if (!file) throw new ProjectError(`no Pulumi.yaml project file found in ${dir}`);
  const doc = parseYaml(fs.readFileSync(file, "utf8")) as Record<string, unknown> | null;
  if (!doc || typeof doc.name !== "string" || doc.name === "") {
    throw new ProjectError("project is missing a non-empty string 'name' attribute");
  }
  const runtime =
    typeof doc.runtime === "string"
      ? { name: doc.runtime, options: {} }
      : {
          name: String((doc.runtime as { name?: unknown } | undefined)?.name ?? ""),
          options: ((doc.runtime as { options?: Record<string, unknown> } | undefined)?.options ??
            {}) as Record<string, unknown>,
        };
  const config = rewriteShorthandConfig(doc.name, doc.config);
  validateConfigDeclarations(doc.name, config);
  return {
    dir: path.resolve(dir),
    name: doc.name,
    runtime,
    main: typeof doc.main === "string" && doc.main !== "" ? doc.main : undefined,
    stackConfigDir: path.resolve(dir, typeof doc.stackConfigDir === "string" ? doc.stackConfigDir : "."),
    config,
  };
}

/** Whether a key belongs to the project (no namespace, or the project's own). */
export function isProjectKey(projectName: string, key: string): boolean {
  return !key.includes(":") || key.startsWith(`${projectName}:`);
}

/** `default: x` written as `key: x` (project keys) or `value: x` (other namespaces), as the CLI rewrites it. */
function rewriteShorthandConfig(projectName: string, raw: unknown): Record<string, ProjectConfigType> {
  if (raw === undefined || raw === null || typeof raw !== "object" || Array.isArray(raw)) return {};
  const out: Record<string, ProjectConfigType> = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    const shorthand = value === null || typeof value !== "object" || Array.isArray(value);
    out[key] = shorthand
      ? isProjectKey(projectName, key)
        ? { default: value }
        : { value }
      : (value as ProjectConfigType);
  }
  return out;
}

/** The CLI's `Project.Validate` for the config block, with its messages. */
function validateConfigDeclarations(projectName: string, config: Record<string, ProjectConfigType>): void {
  for (const [key, declared] of Object.entries(config)) {
    if (declared.default != null && declared.value != null) {
      throw new ProjectError(`project config '${key}' cannot have both a 'default' and 'value' attribute`);
    }
    if (isProjectKey(projectName, key)) {
      if (declared.type === "array" && declared.items === undefined) {
        throw new ProjectError(
          `The configuration key '${key}' declares an array but does not specify the underlying type via the 'items' attribute`,
        );
      }
      if (declared.type !== undefined && declared.default != null) {
        if (!isValueOfType(declared.type, declared.items, declared.default)) {
          throw new ProjectError(
            `The default value specified for configuration key '${key}' is not of the expected type '${fullTypeName(declared.type, declared.items)}'`,
          );
        }
      }
    } else if (declared.type !== undefined) {
      throw new ProjectError(
        `Configuration key '${key}' is not namespaced by the project and should not define a type`,
      );
    } else if (declared.default != null) {
      throw new ProjectError(
        `Configuration key '${key}' is not namespaced by the project and should not define a default value. Did you mean to use the 'value' attribute instead of 'default'?`,
      );
    } else if (declared.value == null) {
      throw new ProjectError(
        `Configuration key '${key}' is namespaced and must provide an attribute 'value'`,
      );
    }
  }
}

/** The CLI's `InferFullTypeName`: `array<string>` for an array of strings. */
export function fullTypeName(type: string, items?: ProjectConfigItemsType): string {
  return items ? `array<${fullTypeName(items.type, items.items)}>` : type;
}

/**
 * The CLI's `ValidateConfigValue`: strings are strings; integers are whole numbers or text that parses as
 * one; booleans are booleans or the text "true"/"false"; arrays check every item.
 */
export function isValueOfType(
  type: string,
  items: ProjectConfigItemsType | undefined,
  value: unknown,
): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "integer":
      if (typeof value === "number") return Number.isInteger(value);
      return typeof value === "string" && /^[+-]?\d+$/.test(value);
    case "boolean":
      return typeof value === "boolean" || value === "true" || value === "false";
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
    default:
      return (
        Array.isArray(value) &&
        items !== undefined &&
        value.every((item) => isValueOfType(items.type, items.items, item))
      );
  }
}

/** Where the CLI runs the program: the program directory and the entry point it passes to `cmd/run`. */
export interface ProgramLocation {
  readonly programDirectory: string;
  /** `.` (let `cmd/run` decide) or a file name in {@link programDirectory}. */
  readonly entryPoint: string;
}

/** The CLI's `getPwdMain`: `main` unset gives the project directory and `.`. */
export function programLocation(project: PulumiProject): ProgramLocation {
  if (project.main === undefined) return { programDirectory: project.dir, entryPoint: "." };
  if (path.isAbsolute(project.main)) throw new ProjectError("project 'main' must be a relative path");
  const main = path.resolve(project.dir, project.main);
  if (!main.startsWith(path.resolve(project.dir)))
    throw new ProjectError("project 'main' must be a subfolder");
  if (!fs.existsSync(main))
    throw new ProjectError(`project 'main' could not be read: ${main} does not exist`);
  return fs.statSync(main).isDirectory()
    ? { programDirectory: main, entryPoint: "." }
    : { programDirectory: path.dirname(main), entryPoint: path.basename(main) };
}

/** The file `cmd/run` loads, and what decided it. */
export interface ProgramEntry extends ProgramLocation {
  /** Absolute path of the module `cmd/run` requires (a directory means its index file). */
  readonly file: string;
  readonly source:
    "Pulumi.yaml main" | 'package.json "exports"' | 'package.json "main"' | "the program directory's index";
  /** The warning `cmd/run` logs when package.json names a file that does not exist. */
  readonly warning?: string;
}

/**
 * The program `cmd/run` loads for a project (run.ts, CommonJS): with an entry point other than `.`, that
 * file; otherwise package.json's `exports` (a string, or `exports["."]`'s string or default/require/import),
 * else its `main`, else the directory, whose `index.js` (or, with TypeScript loading, `index.ts`) Node loads.
 */
export function resolveProgramEntry(project: PulumiProject): ProgramEntry {
  const location = programLocation(project);
  const { programDirectory, entryPoint } = location;
  const direct = path.join(programDirectory, entryPoint);
  if (entryPoint !== ".") return { ...location, file: direct, source: "Pulumi.yaml main" };
  const packageRoot = nearestPackageRoot(programDirectory);
  const pkg = packageRoot ? readPackageJson(packageRoot) : {};
  const named = (declared: string | undefined, source: ProgramEntry["source"]): ProgramEntry | undefined => {
    if (declared === undefined || !packageRoot) return undefined;
    const file = path.join(packageRoot, declared);
    if (fs.existsSync(file)) return { ...location, file, source };
    return {
      ...location,
      file: directoryIndex(direct),
      source: "the program directory's index",
      warning: `Could not find entry point '${declared}' specified in package.json; using '${direct}' instead`,
    };
  };
  const exportsField = pkg.exports;
  if (typeof exportsField === "string") return named(exportsField, 'package.json "exports"')!;
  if (typeof exportsField === "object" && exportsField !== null) {
    const dot = (exportsField as Record<string, unknown>)["."];
    const target =
      typeof dot === "string"
        ? dot
        : typeof dot === "object" && dot !== null
          ? ((dot as Record<string, string | undefined>).default ??
            (dot as Record<string, string | undefined>).require ??
            (dot as Record<string, string | undefined>).import)
          : undefined;
    const entry = named(target, 'package.json "exports"');
    if (entry) return entry;
  } else if (typeof pkg.main === "string" && pkg.main !== "") {
    return named(pkg.main, 'package.json "main"')!;
  }
  return { ...location, file: directoryIndex(direct), source: "the program directory's index" };
}

/** What `require("<dir>/")` loads: `index.js` first (Node's own extension), then `index.ts` (ts-node's). */
function directoryIndex(dir: string): string {
  const js = path.join(dir, "index.js");
  return fs.existsSync(js) ? js : path.join(dir, "index.ts");
}

function nearestPackageRoot(from: string): string | undefined {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

function readPackageJson(dir: string): { main?: unknown; exports?: unknown } {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as Record<string, unknown>;
  } catch {
    return {};
  }
}
