/**
 * A throwaway Pulumi project in a temporary directory, for tests that run a program the way the CLI does:
 * its own Pulumi.yaml, package.json, stack files and sources, with this repository's node_modules linked in.
 */
import * as fs from "fs";
import * as path from "path";
import { PROJECT_DIR } from "../../policies/synth/project-dir";
import { testTempDir } from "./temp-dir";

export interface TempProjectFiles {
  /** File name (relative) to contents; `Pulumi.yaml` and `package.json` among them. */
  readonly [file: string]: string;
}

/** Creates the project; returns its directory. */
export function tempProject(files: TempProjectFiles): string {
  const dir = testTempDir("pulumi-project-");
  fs.symlinkSync(path.join(PROJECT_DIR, "node_modules"), path.join(dir, "node_modules"), "dir");
  // Loaded the way this project is: transpile-only (type-checking a throwaway program costs seconds).
  const all = { "tsconfig.json": JSON.stringify({ compilerOptions: { noCheck: true } }), ...files };
  for (const [file, text] of Object.entries(all)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

/** A program that declares one component resource, and a module that declares nothing. */
export const ONE_RESOURCE_PROGRAM = `import * as pulumi from "@pulumi/pulumi";
const thing = new pulumi.ComponentResource("demo:index:Thing", "thing", {});
export const thingUrn = thing.urn;
`;
export const NOTHING_MODULE = "export const version = 1;\n";
