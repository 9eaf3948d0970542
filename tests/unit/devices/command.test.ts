/**
 * The command-line convention's help page (`helpPage` in devices/command.ts), and `npm run fleet:bundle` on it.
 */
import { expect } from "chai";
import { helpPage, UsageError, type OptionSpec } from "../../../devices/command";
import { BUNDLE_OPTIONS, main as bundleMain } from "../../../devices/bundle/build";

const OPTIONS: readonly OptionSpec[] = [
  { name: "out", value: "dir", default: "out", description: "where to write" },
  { name: "help", short: "h", description: "show this help" },
];

describe("command convention: the help page", function () {
  it("lays out usage, about, the table's options with defaults, sections and the wrapped exit status", function () {
    const text = helpPage(
      {
        usage: "npm run thing -- [options]",
        about: ["Does the thing."],
        options: OPTIONS,
        sections: [{ title: "Writes:", lines: ["  <dir>/thing.json"] }, { lines: ["A note."] }],
        exitStatus: "0 done, 1 the thing failed, 2 bad options; and a long explanation that must wrap here.",
      },
      60,
    );
    expect(text.split("\n")).to.deep.equal([
      "Usage: npm run thing -- [options]",
      "",
      "Does the thing.",
      "",
      "Options:",
      "      --out <dir>  where to write (default: out)",
      "  -h, --help       show this help",
      "",
      "Writes:",
      "  <dir>/thing.json",
      "",
      "A note.",
      "",
      "Exit status: 0 done, 1 the thing failed, 2 bad options; and",
      "a long explanation that must wrap here.",
    ]);
  });

  it("fleet:bundle: --help prints the page from its table; a bad option is a usage error naming the fix", async function () {
    const printed: string[] = [];
    const log = console.log;
    console.log = (...parts: unknown[]) => void printed.push(parts.join(" "));
    try {
      expect(await bundleMain(["--help"])).to.equal(0);
    } finally {
      console.log = log;
    }
    const page = printed.join("\n");
    expect(page).to.match(/^Usage: npm run fleet:bundle -- /);
    for (const option of BUNDLE_OPTIONS) expect(page).to.contain(`--${option.name}`);
    expect(page).to.contain("(default: devices/dist)");
    let error: unknown;
    try {
      await bundleMain(["--platform", "linux-x64-glibc"]);
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(UsageError);
    expect((error as Error).message).to.equal(
      "unknown option --platform (did you mean --platforms?). Run npm run fleet:bundle -- --help for the options.",
    );
  });
});
