// The `npm run rcf` command, run in-process: help, argument errors (exit code + a message naming the option), NAB's
// output layout, multi-dimensional input, the alert policy's options and the NAB / reference comparisons.
import { expect } from "chai";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { missingNodeFlags, nodeFlagsInEffect, RCF_NODE_FLAGS } from "../../../local/rcf/cli-options";
import { runCli, type CliSummary } from "../../../local/rcf/cli-run";
import { parseCsv } from "../../../local/rcf/csv";
import { Xoshiro128 } from "../../../local/rcf/random";

function run(args: string[]): { code: number; stdout: string; stderr: string } {
  let stdout = "";
  let stderr = "";
  const code = runCli(args, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
  return { code, stdout, stderr };
}

describe("rcf: CLI", function () {
  this.timeout(30_000);
  let directory: string;
  let input: string;
  let timestamps: string[];

  before(() => {
    directory = mkdtempSync(path.join(tmpdir(), "rcf-cli-"));
    input = path.join(directory, "series.csv");
    const random = new Xoshiro128(9);
    timestamps = [];
    const lines = ["timestamp,value,other"];
    for (let i = 0; i < 3000; i++) {
      const timestamp = new Date(Date.UTC(2024, 0, 1) + i * 60_000)
        .toISOString()
        .replace("T", " ")
        .slice(0, 19);
      timestamps.push(timestamp);
      const value = (i >= 2000 && i < 2020 ? 80 : 20) + random.nextDouble();
      lines.push(`${timestamp},${value},${2 * value + random.nextDouble()}`);
    }
    writeFileSync(input, lines.join("\n") + "\n");
  });

  after(() => rmSync(directory, { recursive: true, force: true }));

  it("--help lists every option with its default", () => {
    const { code, stdout } = run(["--help"]);
    expect(code).to.equal(0);
    for (const option of [
      "--input",
      "--output",
      "--columns",
      "--trees",
      "--samples",
      "--time-decay",
      "--shingle",
      "--seed",
      "--warmup",
      "--tail-probability",
      "--averaging",
      "--windows",
      "--block-view",
      "--sequence-view",
      "--reference",
      "--json",
    ]) {
      expect(stdout).to.contain(option);
    }
    expect(stdout).to.match(/--trees <N>[\s\S]*?\(default: 50\)/);
    expect(stdout).to.match(/--samples <N>[\s\S]*?\(default: 256\)/);
    expect(stdout).to.match(/--shingle <N>[\s\S]*?\(default: 8\)/);
    expect(stdout).to.match(/--tail-probability <p>[\s\S]*?\(default: 0\.00001\)/);
    expect(stdout).to.match(/--block-view <N\|none>[\s\S]*?\(default: 16\)/);
    expect(stdout).to.match(/--sequence-view <mode>[\s\S]*?\(on\|none\) \(default: on\)/);
  });

  it("rejects bad options with exit code 2 and a message naming the option and the fix", () => {
    const unknown = run(["--input", input, "--tree", "10"]);
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.contain("unknown option --tree").and.to.contain("--trees");
    const notNumber = run(["--input", input, "--trees", "many"]);
    expect(notNumber.code).to.equal(2);
    expect(notNumber.stderr).to.contain("--trees must be a number");
    const fraction = run(["--input", input, "--samples", "2.5"]);
    expect(fraction.stderr).to.contain("--samples must be a whole number");
    const missingValue = run(["--input"]);
    expect(missingValue.stderr).to.contain("--input needs a value");
    const noInput = run([]);
    expect(noInput.code).to.equal(2);
    expect(noInput.stderr).to.contain("--input <csv> is required");
    const replaced = run(["--input", input, "--z", "3"]);
    expect(replaced.code).to.equal(2);
    expect(replaced.stderr).to.contain("--z is gone: replaced by the alert policy's --tail-probability");
    const badBlock = run(["--input", input, "--block-view", "1"]);
    expect(badBlock.stderr).to.contain("--block-view must be >= 2, got 1");
    const badSequence = run(["--input", input, "--sequence-view", "off"]);
    expect(badSequence.stderr).to.contain('--sequence-view must be one of on, none, got "off"');
    const badWarmup = run(["--input", input, "--warmup", "soon"]);
    expect(badWarmup.stderr).to.contain('--warmup must be a number or auto, got "soon"');
  });

  it("fails with exit code 1 naming the file when the input is missing or malformed", () => {
    const missing = run(["--input", path.join(directory, "nope.csv")]);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.contain("nope.csv");
    const bad = path.join(directory, "bad.csv");
    writeFileSync(bad, "timestamp,value\n2024-01-01 00:00:00,12\n2024-01-01 00:01:00,abc\n");
    const malformed = run(["--input", bad]);
    expect(malformed.code).to.equal(1);
    expect(malformed.stderr).to.contain('row 3, column "value": "abc" is not a finite number');
    const noColumn = run(["--input", input, "--columns", "missing"]);
    expect(noColumn.stderr).to.contain('no "missing" column');
  });

  it("writes NAB's layout (timestamp,value,anomaly_score + raw_score,alert) and prints points/s on stderr", () => {
    const output = path.join(directory, "out.csv");
    const { code, stdout, stderr } = run(["--input", input, "--output", output, "--trees", "30"]);
    expect(code).to.equal(0);
    expect(stdout).to.equal("");
    expect(stderr).to.match(/3000 points .* \d+ points\/s/);
    expect(stderr).to.contain("warm-up 450 readings"); // NAB's probationary period: 15% of 3000 rows
    const table = parseCsv(readFileSync(output, "utf8"));
    expect(table.header).to.deep.equal(["timestamp", "value", "anomaly_score", "raw_score", "alert"]);
    expect(table.rows).to.have.length(3000);
    expect(table.rows[0][0]).to.equal(timestamps[0]);
    const alerts = table.rows.flatMap((row, i) => (row[4] === "1" ? [i] : []));
    // One alert for the injected incident (rows 2000-2019), raised at its first reading, where the anomaly
    // score passes 0.5 (tail probability 1e-5); none during the warm-up.
    const incident = alerts.filter((i) => i >= 2000 && i < 2100);
    expect(incident).to.deep.equal([2000]);
    expect(alerts.every((i) => i >= 450)).to.equal(true);
    expect(Number(table.rows[2000][2])).to.be.at.least(0.5);
    expect(Number(table.rows[2000][3])).to.be.greaterThan(2);
    // Anomaly scores are in [0, 1]; the rest of the incident is capped below the alert level.
    for (const row of table.rows) expect(Number(row[2])).to.be.within(0, 1);
    expect(Number(table.rows[2005][2])).to.be.at.most(0.3);
  });

  it("writes to stdout without --output, with --details columns, and is deterministic", () => {
    const first = run(["--input", input, "--trees", "10", "--details"]);
    const second = run(["--input", input, "--trees", "10", "--details"]);
    expect(first.code).to.equal(0);
    expect(first.stdout.split("\n")[0]).to.equal(
      "timestamp,value,anomaly_score,raw_score,alert,tail_probability,kind",
    );
    expect(second.stdout).to.equal(first.stdout);
    const otherSeed = run(["--input", input, "--trees", "10", "--seed", "7"]);
    expect(otherSeed.stdout).not.to.equal(first.stdout);
  });

  it("uses several columns as dimensions with --columns", () => {
    const output = path.join(directory, "multi.csv");
    const { code } = run(["--input", input, "--output", output, "--columns", "value,other", "--trees", "10"]);
    expect(code).to.equal(0);
    const table = parseCsv(readFileSync(output, "utf8"));
    expect(table.header).to.deep.equal([
      "timestamp",
      "value",
      "other",
      "anomaly_score",
      "raw_score",
      "alert",
    ]);
  });

  it("takes the alert policy's settings: a stricter tail probability alerts less", () => {
    const alertsWith = (args: string[]) => {
      const { code, stderr } = run(["--input", input, "--trees", "20", "--json", ...args]);
      expect(code, stderr).to.equal(0);
      return (JSON.parse(stderr.slice(stderr.indexOf("{"))) as CliSummary).alerts;
    };
    const looseArgs = ["--tail-probability", "0.01", "--settle", "5", "--spatial-tolerance", "none"];
    const loose = alertsWith(looseArgs);
    const strict = alertsWith([
      "--tail-probability",
      "1e-12",
      "--settle",
      "5",
      "--spatial-tolerance",
      "none",
    ]);
    expect(loose).to.be.greaterThan(strict);
    expect(strict).to.be.at.least(1); // the 60 °C incident is beyond any tail
    // The cool-down after a score's incident holds back the lesser scores that follow it.
    const noCooldown = alertsWith([...looseArgs, "--cooldown", "0"]);
    expect(noCooldown).to.be.greaterThan(loose);
  });

  it("reports Spearman against a reference and NAB scores for labelled windows, also as JSON", () => {
    // Reference = our own scores written by a first run: the correlation must be 1.
    const referenceFile = path.join(directory, "reference.csv");
    const first = run(["--input", input, "--output", referenceFile, "--trees", "20"]);
    expect(first.code).to.equal(0);
    const windowsFile = path.join(directory, "windows.json");
    writeFileSync(
      windowsFile,
      JSON.stringify({ "synthetic/series.csv": [[timestamps[1950], timestamps[2100]]] }),
    );
    const { code, stdout, stderr } = run([
      "--input",
      input,
      "--output",
      path.join(directory, "compare.csv"),
      "--trees",
      "20",
      "--reference",
      referenceFile,
      "--reference-column",
      "raw_score",
      "--reference-threshold",
      "3",
      "--windows",
      windowsFile,
      "--json",
    ]);
    expect(code, stderr).to.equal(0);
    expect(stderr).to.contain("Spearman rank correlation of raw_score with raw_score");
    expect(stderr).to.match(
      /NAB standard score of the alert column \(synthetic\/series\.csv\): \d.*normalized \d/,
    );
    const summary = JSON.parse(stdout) as CliSummary;
    expect(summary.spearman?.allRows).to.be.closeTo(1, 1e-12);
    expect(summary.nab?.ours.detectedWindows).to.equal(1);
    expect(summary.nab?.reference?.detectedWindows).to.equal(1);
    expect(summary.nab?.normalized).to.be.greaterThan(90);
    expect(summary.points).to.equal(3000);
    // With windows, the output gains NAB's label column.
    const labelled = parseCsv(readFileSync(path.join(directory, "compare.csv"), "utf8"));
    expect(labelled.header.at(-1)).to.equal("label");
    expect(labelled.rows.filter((row) => row.at(-1) === "1")).to.have.length(151);
    const wrongKey = run(["--input", input, "--windows", windowsFile, "--nab-key", "x/y.csv"]);
    expect(wrongKey.code).to.equal(2);
    expect(wrongKey.stderr).to.contain("--nab-key").and.to.contain("synthetic/series.csv");
  });

  it("runs with the command's Node flags however it is started (a bounded young generation)", () => {
    const root = path.resolve(__dirname, "../../..");
    const manifest = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    expect(RCF_NODE_FLAGS).to.not.be.empty;
    // npm run rcf passes them, so the command runs once.
    for (const flag of RCF_NODE_FLAGS) expect(manifest.scripts.rcf!.split(" ")).to.include(flag);
    expect(manifest.scripts.rcf).to.match(/local\/rcf\/cli\.ts$/);
    // Started without them (tsx directly, the installed bin), cli.ts runs itself again with them.
    const env = { ...process.env, NODE_OPTIONS: "" };
    const output = path.join(directory, "flags.csv");
    const args = ["--input", input, "--output", output, "--trees", "5", "--json"];
    const entrances: [string, string[]][] = [
      [process.execPath, ["--import", "tsx", path.join(root, "local/rcf/cli.ts"), ...args]],
      [path.join(root, "local/rcf/bin.cjs"), args],
    ];
    for (const [command, commandArgs] of entrances) {
      const stdout = execFileSync(command, commandArgs, { env, encoding: "utf8", timeout: 60_000 });
      const summary = JSON.parse(stdout) as CliSummary;
      expect(summary.nodeFlags, command).to.deep.equal([...RCF_NODE_FLAGS]);
      expect(summary.points).to.equal(3000);
    }
    // A bad option still exits 2 through the second start.
    expect(() =>
      execFileSync(
        process.execPath,
        ["--import", "tsx", path.join(root, "local/rcf/cli.ts"), "--tree", "1"],
        {
          env,
          stdio: "pipe",
          timeout: 60_000,
        },
      ),
    )
      .to.throw()
      .with.property("status", 2);
  });

  it("passes a signal sent to the first start on to the run it started, which ends with it", async () => {
    const root = path.resolve(__dirname, "../../..");
    // The input is a named pipe: the run that does the work blocks opening it until a writer comes, and this
    // test's open for writing returns only once that run has opened it (the first start never opens its input).
    const fifo = path.join(directory, "signal.fifo");
    execFileSync("mkfifo", [fifo], { timeout: 10_000 });
    const first = spawn(
      process.execPath,
      ["--import", "tsx", path.join(root, "local/rcf/cli.ts"), "--input", fifo, "--trees", "5"],
      { env: { ...process.env, NODE_OPTIONS: "" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    const firstEnded = new Promise<NodeJS.Signals | null>((resolve) =>
      first.on("exit", (_code, signal) => resolve(signal)),
    );
    // Both starts share the standard streams, so they close only when the second start has ended too.
    const streamsClosed = new Promise<void>((resolve) => first.on("close", () => resolve()));
    const writer = await open(fifo, "w");
    try {
      first.kill("SIGTERM");
      expect(await firstEnded).to.equal("SIGTERM");
      const closed = await Promise.race([
        streamsClosed.then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 10_000)),
      ]);
      expect(closed, "the second start was still running 10 s after the first one ended").to.equal(true);
    } finally {
      await writer.close();
    }
  });

  it("reports the second views in effect in its summary: on by default, off by option or for several columns", () => {
    const views = (args: string[]) => {
      const { code, stderr } = run(["--input", input, "--trees", "5", "--json", ...args]);
      expect(code).to.equal(0);
      return (JSON.parse(stderr.slice(stderr.indexOf("{"))) as CliSummary).settings.views;
    };
    expect(views([])).to.deep.equal({ blockReadings: 16, sequenceView: true, calendarView: true });
    expect(views(["--block-view", "32", "--sequence-view", "none", "--calendar-view", "none"])).to.deep.equal(
      {
        blockReadings: 32,
        sequenceView: false,
        calendarView: false,
      },
    );
    expect(views(["--block-view", "none"])).to.deep.equal({
      blockReadings: 0,
      sequenceView: true,
      calendarView: true,
    });
    expect(views(["--columns", "value,other"])).to.deep.equal({
      blockReadings: 0,
      sequenceView: false,
      calendarView: false,
    });
  });

  it("finds the Node flags a process lacks by name, from its arguments and NODE_OPTIONS", () => {
    const [flag] = RCF_NODE_FLAGS as [string];
    const name = flag.split("=")[0]!;
    expect(missingNodeFlags([], "")).to.deep.equal([...RCF_NODE_FLAGS]);
    expect(missingNodeFlags(["--import", "tsx", flag])).to.deep.equal([]);
    expect(missingNodeFlags([], `--enable-source-maps ${flag}`)).to.deep.equal([]);
    // A value of the user's own counts as given.
    expect(missingNodeFlags([`${name}=32`])).to.deep.equal([]);
    expect(nodeFlagsInEffect([`${name}=32`, "--import", "tsx"])).to.deep.equal([`${name}=32`]);
  });

  it("reads a --time-decay of 1 or more as a Kinesis window", () => {
    const { code, stderr } = run(["--input", input, "--trees", "5", "--time-decay", "100000", "--json"]);
    expect(code).to.equal(0);
    expect(stderr).to.contain("lambda = 1/100000");
    const summary = JSON.parse(stderr.slice(stderr.indexOf("{"))) as CliSummary;
    expect(summary.settings.timeDecay).to.equal(1e-5);
  });
});
