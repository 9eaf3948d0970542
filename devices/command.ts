/**
 * What the fleet's smaller commands (`fleet:report`, `fleet:cloud`) share: strict option parsing and running
 * `main` as the process (exit with its status; an unexpected error's stack on stderr and exit 1).
 */
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";

export type CommandValues = Record<string, string | boolean | undefined>;

/** Parses `argv` strictly (no positionals); throws with Node's message for an unknown or malformed option. */
export function parseCommandArgs(argv: readonly string[], options: ParseArgsOptionsConfig): CommandValues {
  return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false })
    .values as CommandValues;
}

/** Runs `main` as the process: exits with its status, or 1 with the stack of an unexpected error. */
export function runCommand(name: string, main: (argv: string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${name}: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
