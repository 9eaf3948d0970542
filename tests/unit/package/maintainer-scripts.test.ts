// The package's maintainer scripts (`npm run build`, `npm run config:declarations`, `npm run test:package`)
// follow the repository's CLI convention: `--help` prints the usage and exits 0 WITHOUT doing the work (no
// rebuild, no rewritten file, no pack and install), and an unknown argument exits 2 naming `--help`. Run the way npm runs them (node with the tsx loader).
import { expect } from "chai";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "../../..");
const SCRIPTS = {
  "npm run build": "components/scripts/build.ts",
  "npm run config:declarations": "components/scripts/config-declarations.ts",
  "npm run test:package": "tests/package/run.ts",
} as const;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(file: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", file, ...args], { cwd: ROOT }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("maintainer scripts of the components package", function () {
  this.timeout(60_000);

  it("print their help and exit 0 for --help without doing their work, and exit 2 on an unknown argument", async () => {
    const declarations = path.join(ROOT, "components/config-declarations.ts");
    const dist = path.join(ROOT, "components/dist");
    const before = fs.statSync(declarations).mtimeMs;
    const distBefore = fs.existsSync(dist) ? fs.statSync(dist).mtimeMs : undefined;
    const entries = Object.entries(SCRIPTS);
    const runs = await Promise.all(
      entries.flatMap(([, file]) => [run(file, ["--help"]), run(file, ["--no-such-flag"])]),
    );
    entries.forEach(([command], i) => {
      const [help, bad] = [runs[2 * i]!, runs[2 * i + 1]!];
      expect(help.code, `${command} --help: ${help.stderr}`).to.equal(0);
      expect(help.stdout).to.match(new RegExp(`^Usage: ${command}`));
      expect(help.stdout).to.contain("--help");
      expect(bad.code, command).to.equal(2);
      expect(bad.stderr).to.match(/unknown argument "--no-such-flag"\. Run npm run [a-z:]+ -- --help/);
    });
    expect(runs[0]!.stdout).to.contain("--assets-only");
    expect(runs[4]!.stdout).to.contain("--keep");
    // Asking was all: the declarations file was not rewritten and no build replaced dist/.
    expect(fs.statSync(declarations).mtimeMs).to.equal(before);
    expect(fs.existsSync(dist) ? fs.statSync(dist).mtimeMs : undefined).to.equal(distBefore);
  });
});
