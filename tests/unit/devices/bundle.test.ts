/**
 * The bundle the container image runs (`npm run fleet:bundle`): built into a directory outside the repository
 * (no node_modules above it, no tsx), started with plain node, publishing to a real broker.
 */
import { expect } from "chai";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { BUNDLE_FILE, bundleSimulator, IMAGE_PLATFORMS } from "../../../devices/bundle/build";
import type { FleetSummary } from "../../../devices/summary";
import { startPlainBroker, type PlainBroker } from "./helpers/plain-broker";
import { TelemetryReceiver } from "./helpers/receiver";

function run(file: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // Plain node, from a directory where no node_modules can be found: the bundle must carry everything.
  const child = spawn(process.execPath, [file, ...args], {
    cwd: dirname(file),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  return new Promise((done) => child.on("exit", (code) => done({ code, stdout, stderr })));
}

describe("devices: the bundled simulator", function () {
  this.timeout(60_000);
  let dir: string;
  let file: string;
  let broker: PlainBroker;
  const receiver = new TelemetryReceiver();
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "fleet-bundle-"));
    file = (await bundleSimulator({ outDir: dir })).file;
    broker = await startPlainBroker(receiver);
  });
  after(async () => {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("is one JavaScript file plus the AWS CRT binaries for the image's platforms", () => {
    expect(readdirSync(dir).sort()).to.deep.equal(["bin", BUNDLE_FILE]);
    for (const platform of IMAGE_PLATFORMS)
      expect(existsSync(join(dir, "bin", platform, "aws-crt-nodejs.node"))).to.equal(true);
    // The image's entry is the bundle (devices/Dockerfile).
    const dockerfile = readFileSync(join(__dirname, "../../../devices/Dockerfile"), "utf8");
    expect(dockerfile).to.match(/^FROM node:24-[a-z]+-slim$/m);
    expect(dockerfile).to.include(`ENTRYPOINT ["node", "/app/${BUNDLE_FILE}"]`);
  });

  it("runs with plain node from the bundle alone: loads the AWS CRT and publishes every reading", async () => {
    const help = await run(file, ["--help"]);
    expect(help.code, help.stderr).to.equal(0);
    expect(help.stdout).to.include("--profile <t:n,...>");
    const args = ["--target", `mqtt://127.0.0.1:${broker.port}`, "--protocol", "3.1.1", "--devices", "4"];
    const result = await run(file, [...args, "--interval", "100ms", "--count", "5", "--json"]);
    expect(result.code, result.stderr).to.equal(0);
    // One run: the CLI starts once inside the bundle (a second start would publish every seq twice).
    expect(result.stderr.match(/devices \(shard 1\/1\)/g)).to.have.length(1);
    const summary = JSON.parse(result.stdout) as FleetSummary;
    expect(summary.published).to.equal(20);
    expect(receiver.distinct).to.equal(20);
    expect(receiver.gaps(summary.lastSeq)).to.deep.equal([]);
  });
});
