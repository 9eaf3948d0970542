/**
 * Builds the files the package ships beside its code (see `shared/package-assets.ts`): every Lambda handler
 * of the repository's `functions/` bundled with esbuild into `assets/lambda/<name>.js`, and the Glue job
 * scripts copied into `assets/glue/`. Build time only: the package reads the results, never `functions/`.
 */
import * as fs from "fs";
import * as path from "path";
import { buildSync } from "esbuild";
import { LAMBDA_HANDLERS, type LambdaHandlerName } from "../shared/package-assets";
import { GLUE_SCRIPT_FILES } from "../etl/job-spec";

/** The repository root (the package lives in its `components/` folder). */
export const REPOSITORY_ROOT = path.resolve(__dirname, "..", "..");

/**
 * Bundles `functions/<name>/handler.ts` and its local imports into one CommonJS file. Deterministic (no
 * timestamps, no absolute paths), so an unchanged handler never shows up as a diff.
 */
export function bundleHandler(name: LambdaHandlerName, repositoryRoot = REPOSITORY_ROOT): string {
  const result = buildSync({
    entryPoints: [path.join("functions", name, "handler.ts")],
    absWorkingDir: repositoryRoot,
    bundle: true,
    platform: "node",
    target: "node24",
    format: "cjs",
    external: ["@aws-sdk/*"],
    minifySyntax: true,
    legalComments: "none",
    write: false,
    logLevel: "silent",
  });
  const file = result.outputFiles[0];
  if (!file) throw new Error(`esbuild produced no output for functions/${name}/handler.ts`);
  return file.text;
}

/** Writes every asset under `<packageDir>/assets/`; only files whose content changed are rewritten. */
export function buildAssets(packageDir = path.resolve(__dirname, "..")): string[] {
  const written: string[] = [];
  const write = (relative: string, content: string) => {
    const file = path.join(packageDir, "assets", relative);
    if (fs.existsSync(file) && fs.readFileSync(file, "utf8") === content) return;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
    written.push(relative);
  };
  for (const name of LAMBDA_HANDLERS) write(path.join("lambda", `${name}.js`), bundleHandler(name));
  for (const script of [GLUE_SCRIPT_FILES.main, ...GLUE_SCRIPT_FILES.helpers]) {
    write(
      path.join("glue", script),
      fs.readFileSync(path.join(REPOSITORY_ROOT, "functions", "glue", script), "utf8"),
    );
  }
  return written;
}
