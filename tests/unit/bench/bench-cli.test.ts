// Every benchmark is a command with the repository's CLI convention (devices/command.ts): `--help` prints its
// usage and options and exits 0; an unknown option exits 2 and says where the options are. Run the way
// `npm run bench:*` runs them (node with the tsx loader), all at once to keep the suite short.
import { expect } from "chai";
import { execFile } from "node:child_process";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "../../..");
const BENCHES = {
  "bench:rcf": "bench/rcf/run.ts",
  "bench:fleet": "bench/fleet/run.ts",
  "bench:local": "bench/local/run.ts",
  "bench:detection": "bench/detection/run.ts",
  "bench:nab": "bench/detection/nab-corpus.ts",
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

describe("benchmark commands", function () {
  this.timeout(60_000);

  it("print their help and exit 0 for --help, and exit 2 naming --help for an unknown option", async () => {
    const entries = Object.entries(BENCHES);
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
  });
});
