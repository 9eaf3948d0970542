// Mocha `require` hook: the tests run the components from source, which read the Lambda bundles and Glue
// scripts the package ships from components/assets/. Building them first (about a second; only changed files
// are rewritten) means a test never deploys a handler older than its source.
import { buildAssets } from "../../components/scripts/assets";

buildAssets();
