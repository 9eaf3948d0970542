import * as path from "path";

/** This template's project directory (where Pulumi.yaml and the stack files live). */
export const PROJECT_DIR = path.resolve(__dirname, "..", "..");
