/**
 * Entry point of `npm run rcf` (and of the `sensor-rcf` bin through bin.cjs). Run with --help for the options.
 * The logic lives in cli-run.ts so that tests can run it in-process.
 *
 * The command needs its Node flags (RCF_NODE_FLAGS: a bounded young generation keeps its memory flat with input
 * size). `npm run rcf` passes them; started any other way (the bin, `npx tsx local/rcf/cli.ts`), it runs itself
 * again with them, with the same loaders, arguments and standard streams, and exits as that run does.
 */
import { spawnSync } from "node:child_process";
import { missingNodeFlags } from "./cli-options";
import { runCli } from "./cli-run";

const missing = missingNodeFlags(process.execArgv, process.env.NODE_OPTIONS);
if (missing.length > 0) {
  const again = spawnSync(process.execPath, [...missing, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: "inherit",
  });
  if (again.error) throw again.error;
  if (again.signal) process.kill(process.pid, again.signal);
  process.exitCode = again.status ?? 1;
} else {
  process.exitCode = runCli(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  });
}
