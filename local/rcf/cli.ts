/**
 * Entry point of `npm run rcf` (and of the `sensor-rcf` bin through bin.cjs). Run with --help for the options.
 * The logic lives in cli-run.ts so that tests can run it in-process.
 */
import { runCli } from "./cli-run";

process.exitCode = runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
