// The benchmarks and the maintainer scripts follow the repository's CLI convention (devices/command.ts):
// `--help` prints the usage and options and exits 0 WITHOUT doing the command's work (no run, rebuild,
// rewritten file, pack or install); an unknown option exits 2 and says where the options are. Run the way
// `npm run <name>` runs them (node with the tsx loader), all at once to keep the suite short. The CLIs with
// suites of their own (start, fleet, rcf, synth, cost...) check their help there.
import { expect } from "chai";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "../../..");
const COMMANDS = {
  "bench:rcf": "bench/rcf/run.ts",
  "bench:fleet": "bench/fleet/run.ts",
  "bench:local": "bench/local/run.ts",
  "bench:detection": "bench/detection/run.ts",
  "bench:nab": "bench/detection/nab-corpus.ts",
  build: "components/scripts/build.ts",
  "config:declarations": "components/scripts/config-declarations.ts",
  "test:package": "tests/package/run.ts",
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

describe("benchmark and maintainer commands", function () {
  this.timeout(60_000);

  it("print their help and exit 0 for --help, and exit 2 naming --help for an unknown option", async () => {
    const declarations = path.join(ROOT, "components/config-declarations.ts");
    const dist = path.join(ROOT, "components/dist");
    const mtime = (file: string) => (fs.existsSync(file) ? fs.statSync(file).mtimeMs : undefined);
    const before = [mtime(declarations), mtime(dist)];
    const entries = Object.entries(COMMANDS);
    const runs = await Promise.all(
      entries.flatMap(([, file]) => [run(file, ["--help"]), run(file, ["--no-such-option"])]),
    );
    entries.forEach(([name], i) => {
      const [help, bad] = [runs[2 * i]!, runs[2 * i + 1]!];
      expect(help.code, `${name} --help: ${help.stderr}`).to.equal(0);
      expect(help.stdout, name).to.match(new RegExp(`^Usage: npm run ${name}\\b`));
      expect(help.stdout, name).to.match(/\nOptions:\n[\s\S]*--help/);
      expect(bad.code, `${name} --no-such-option`).to.equal(2);
      expect(bad.stderr, name).to.include("--no-such-option");
      expect(bad.stderr, name).to.include(`Run npm run ${name} -- --help for the options.`);
    });
    // Asking was all: config:declarations did not rewrite its file, build did not replace dist/.
    expect([mtime(declarations), mtime(dist)]).to.deep.equal(before);
  });
});
