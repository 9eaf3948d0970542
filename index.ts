// The Pulumi program: configuration in, the Platform component, outputs out. Everything else lives in
// components/ (the library platform teams import) and is described in README.md.
import { loadPlatformConfig } from "./components/runtime-config";
import { Platform } from "./components/platform";

const config = loadPlatformConfig();
const platform = new Platform(config.deployment, { config });

export const region = config.region;
export const lakeBuckets = platform.lake.bucketNames;
export const lakeKmsKeyArn = platform.lake.kmsKey.arn;
