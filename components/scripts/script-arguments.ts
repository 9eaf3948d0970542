/**
 * Argument handling of the package's maintainer scripts (`npm run build`, `npm run config:declarations`, and
 * the repository's `npm run test:package`, which packs the package). They take at most a flag or two, so they do
 * not pull in the repository's option parser (devices/command.ts, which is not part of this package); they
 * follow its convention: `--help` prints the usage and exits 0, an unknown argument exits 2 and names `--help`.
 * A script must never do its work (rebuild, rewrite a file) when the user only asked what it does.
 */

/** Exit status of a usage error, as in the repository's commands. */
export const USAGE_EXIT = 2;

/** The script's help page. */
export interface ScriptHelp {
  /** The command as a user types it, e.g. `npm run config:declarations`. */
  readonly command: string;
  /** What it does, one paragraph per entry. */
  readonly about: readonly string[];
  /** The flags it accepts, with what each does. @default - none */
  readonly flags?: Readonly<Record<string, string>>;
}

/**
 * The flags given, after printing the help (then `undefined`: the caller returns) or rejecting an argument the
 * script does not take (exits with {@link USAGE_EXIT}).
 */
export function scriptFlags(argv: readonly string[], help: ScriptHelp): Set<string> | undefined {
  const flags = help.flags ?? {};
  if (argv.includes("--help") || argv.includes("-h")) {
    const rows = Object.entries({ ...flags, "--help": "print this help and exit" });
    const width = Math.max(...rows.map(([flag]) => flag.length));
    process.stdout.write(
      [
        `Usage: ${help.command}${rows.length > 1 ? " [options]" : ""}`,
        "",
        ...help.about,
        "",
        "Options:",
        ...rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`),
        "",
      ].join("\n"),
    );
    return undefined;
  }
  const unknown = argv.find((arg) => !(arg in flags));
  if (unknown !== undefined) {
    process.stderr.write(
      `${help.command}: unknown argument "${unknown}". Run ${help.command} -- --help for the options.\n`,
    );
    process.exit(USAGE_EXIT);
  }
  return new Set(argv);
}
