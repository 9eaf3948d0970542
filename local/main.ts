/**
 * `npm start -- [options]`: the whole pipeline on this machine (see local/README.md and `--help`).
 * Thin: parse options (options.ts), run the backend (backend.ts), print the summary (summary.ts).
 * Exit status: 0 the run ended healthy, 1 it failed (reason on stderr), 2 bad options or stack file.
 */
import { ConfigError } from "../components/config";
import { StackFileError } from "../components/stack-files";
import { LocalBackend } from "./backend";
import { helpText, parseLocalOptions, UsageError, type LocalOptions } from "./options";
import { formatRunSummary } from "./summary";

function log(line: string): void {
  process.stderr.write(`local: ${line}\n`);
}

export async function main(argv: readonly string[]): Promise<number> {
  let options: LocalOptions;
  try {
    options = parseLocalOptions(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`npm start: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (options.help) {
    process.stdout.write(`${helpText()}\n`);
    return 0;
  }

  let backend: LocalBackend;
  try {
    backend = await LocalBackend.start(options, log);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof StackFileError) {
      process.stderr.write(`npm start: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`npm start: could not start the local backend: ${(err as Error).message}\n`);
    return 1;
  }

  let signals = 0;
  let stopRequested: () => void = () => undefined;
  const stopSignal = new Promise<void>((resolve) => (stopRequested = resolve));
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) {
      log(
        `${signal}: stopping (flushing the lake, running the ETL once more); again to stop without waiting for devices`,
      );
      stopRequested();
    } else {
      log(`${signal} again: not waiting for in-flight readings`);
      backend.abort();
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    if (options.durationMs === undefined) log("running until Ctrl-C");
    await Promise.race([backend.untilDone(), stopSignal]);
    const summary = await backend.stop();
    process.stdout.write(
      options.json ? `${JSON.stringify(summary, null, 2)}\n` : `${formatRunSummary(summary)}\n`,
    );
    if (!summary.ok) {
      process.stderr.write(`npm start: the run failed: ${summary.problems.join("; ")}\n`);
      return 1;
    }
    return 0;
  } catch (err) {
    process.stderr.write(`npm start: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
      // MQTT clients and PGlite can hold the event loop a moment after close; never hang the shell.
      setTimeout(() => process.exit(code), 2_000).unref();
    },
    (err: unknown) => {
      process.stderr.write(`npm start: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
