/**
 * A Lambda handler's code as the package ships it: one CommonJS file per handler, bundled from `functions/`
 * by the package's build (`scripts/assets.ts`), handed to `aws.lambda.Function` as an in-memory archive. The
 * AWS SDK v3 stays external: the Node.js Lambda runtimes ship it, which keeps the bundle small and the SDK
 * patched by AWS.
 */
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import { assetPath, type LambdaHandlerName } from "./package-assets";

export interface LambdaBundle {
  /** The bundled JavaScript (`index.js`, exporting the entry module's exports). */
  readonly code: string;
  /** Value for `aws.lambda.Function.handler`. */
  readonly handler: string;
  readonly archive: pulumi.asset.AssetArchive;
}

const cache = new Map<LambdaHandlerName, string>();

/**
 * The pre-built bundle of a handler (`functions/<name>/handler.ts`). The text is the same from build to
 * build (no timestamps, no absolute paths), so an unchanged handler never shows up as a diff.
 */
export function lambdaBundle(name: LambdaHandlerName): LambdaBundle {
  let code = cache.get(name);
  if (code === undefined) {
    code = fs.readFileSync(assetPath("lambda", `${name}.js`), "utf8");
    cache.set(name, code);
  }
  return {
    code,
    handler: "index.handler",
    archive: new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset(code) }),
  };
}
