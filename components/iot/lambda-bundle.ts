/**
 * Bundles a Lambda handler module from `functions/` into one CommonJS file with esbuild, synchronously, so a
 * component can hand it to `aws.lambda.Function` as an in-memory archive. The AWS SDK v3 stays external: the
 * Node.js Lambda runtimes ship it, which keeps the bundle small and the SDK patched by AWS.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { buildSync } from "esbuild";

export interface LambdaBundle {
  /** The bundled JavaScript (`index.js`, exporting the entry module's exports). */
  readonly code: string;
  /** Value for `aws.lambda.Function.handler`. */
  readonly handler: string;
  readonly archive: pulumi.asset.AssetArchive;
}

/** Repository root: handlers are addressed relative to it, e.g. `functions/pre-provisioning-hook/handler.ts`. */
const ROOT = path.resolve(__dirname, "..", "..");

/**
 * Bundles `entry` (a path relative to the repository root) and its local imports. The output is deterministic
 * (no timestamps, no absolute paths), so an unchanged handler never shows up as a diff.
 * @param exportName - the handler function the module exports. @default "handler"
 */
export function bundleLambda(entry: string, exportName = "handler"): LambdaBundle {
  const result = buildSync({
    entryPoints: [path.join(ROOT, entry)],
    absWorkingDir: ROOT,
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
  if (!file) throw new Error(`esbuild produced no output for ${entry}`);
  const code = file.text;
  return {
    code,
    handler: `index.${exportName}`,
    archive: new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset(code) }),
  };
}
