/**
 * Files the package ships beside its code: the Lambda handlers pre-bundled at build time
 * (`assets/lambda/<name>.js`) and the Glue job scripts (`assets/glue/`). Components find them from the
 * package's own root, so a consumer needs neither esbuild nor the handlers' sources when it deploys, and
 * nothing outside the package is read.
 */
import * as fs from "fs";
import * as path from "path";

/** The package's name in its package.json; the root is the nearest directory above this file holding it. */
export const PACKAGE_NAME = "@sensor-analytics/components";

/** The handlers under `functions/` the package ships pre-bundled, by directory name. */
export const LAMBDA_HANDLERS = [
  "adhoc-scoring",
  "anomaly-scoring",
  "etl-planner",
  "history-seed",
  "https-ingest",
  "latest-state",
  "model-training",
  "pre-provisioning-hook",
  "realtime-consumer",
  "rest-poller",
] as const;
export type LambdaHandlerName = (typeof LAMBDA_HANDLERS)[number];

let root: string | undefined;

/**
 * The package's root directory. Found by walking up from this module, so it is the same whether the
 * package runs from its sources (`components/`) or its build (`components/dist/` inside node_modules).
 */
export function packageRoot(): string {
  if (root) return root;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (fs.existsSync(manifest)) {
      const { name } = JSON.parse(fs.readFileSync(manifest, "utf8")) as { name?: string };
      if (name === PACKAGE_NAME) return (root = dir);
    }
    if (path.dirname(dir) === dir) {
      throw new Error(`cannot find the ${PACKAGE_NAME} package root above ${__dirname}`);
    }
  }
}

/** Absolute path of a shipped asset, e.g. `assetPath("glue", "etl_job.py")`; throws naming the fix if absent. */
export function assetPath(...segments: string[]): string {
  const file = path.join(packageRoot(), "assets", ...segments);
  if (!fs.existsSync(file)) {
    throw new Error(
      `${PACKAGE_NAME}: ${path.relative(packageRoot(), file)} is missing. The package's build creates it: ` +
        `run \`npm run build:assets -w components\` in the repository (a published package ships it).`,
    );
  }
  return file;
}
