/**
 * Entry point of `npm run rcf` (and of the `sensor-rcf` bin through bin.cjs). Run with --help for the options.
 * The logic lives in cli-run.ts so that tests can run it in-process.
 *
 * The command needs its Node flags (RCF_NODE_FLAGS: a bounded young generation keeps its memory flat with input
 * size). `npm run rcf` passes them; started any other way (the bin, `npx tsx local/rcf/cli.ts`), it runs itself
 * again with them, with the same loaders, arguments and standard streams, and exits as that run does.
 */
import { spawn } from "node:child_process";
import { missingNodeFlags } from "./cli-options";
import { runCli } from "./cli-run";

const missing = missingNodeFlags(process.execArgv, process.env.NODE_OPTIONS);
if (missing.length > 0) {
  const again = spawn(process.execPath, [...missing, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: "inherit",
  });
  // A signal sent to this process alone (kill <pid>, a test's or CI's timeout) reaches the run doing the work,
  // which would otherwise go on without its parent.
  const forward = (signal: NodeJS.Signals) => again.kill(signal);
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  for (const signal of signals) process.on(signal, forward);
  again.on("error", (error) => {
    process.stderr.write(
      `npm run rcf: could not start Node again with ${missing.join(" ")}: ${error.message}\n`,
    );
    process.exitCode = 1;
  });
  again.on("exit", (code, signal) => {
    for (const name of signals) process.off(name, forward);
    if (signal) process.kill(process.pid, signal);
    else process.exitCode = code ?? 1;
  });
} else {
  process.exitCode = runCli(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  });
}
