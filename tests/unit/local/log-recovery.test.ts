// Start-up of the ingest log on damaged directories: a flipped byte, a deleted last or middle segment, a lost
// manifest. Each case checks what is recovered, what is reported lost (with file and offset), and that no LSN is
// handed out twice.
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DurableLog, LSN_RESERVATION_BLOCK } from "../../../local/lake/durable-log";

const TOPIC = "dt/sensors-dev/lab/sensors-dev-lab-001/telemetry";

async function fill(log: DurableLog, from: number, count: number): Promise<void> {
  await Promise.all(
    Array.from(
      { length: count },
      (_, i) =>
        new Promise<void>((resolve, reject) =>
          log.append(
            { topic: TOPIC, payload: Buffer.from(`{"seq":${from + i}}`), receivedAt: from + i },
            (err) => (err ? reject(err) : resolve()),
          ),
        ),
    ),
  );
}

const segments = (dir: string) =>
  fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".log"))
    .sort()
    .map((f) => path.join(dir, f));

describe("ingest log recovery", function () {
  let root: string;
  let dir: string;
  beforeEach(function () {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "log-recovery-"));
    dir = path.join(root, "log");
  });
  afterEach(function () {
    fs.rmSync(root, { recursive: true, force: true });
  });

  /**
   * Three segments of 300, 300 and 400 entries (LSNs 1-1000), the last one left active; closed as at a clean
   * stop, or left as by `kill -9` (every append acknowledged, nothing more).
   */
  async function threeSegments(stop: "clean" | "killed" = "clean"): Promise<void> {
    const { log } = DurableLog.open(dir, 0);
    await fill(log, 0, 300);
    log.requestRotation();
    await fill(log, 300, 300);
    log.requestRotation();
    await fill(log, 600, 400);
    if (stop === "clean") await log.close();
  }

  it("loses only the frame a flipped byte damaged in the middle of the last segment, and names file and offset", async function () {
    await threeSegments();
    const last = segments(dir).at(-1)!;
    const bytes = fs.readFileSync(last);
    const offset = bytes.indexOf(Buffer.from('{"seq":799}'));
    bytes[offset + 3] ^= 0x04;
    fs.writeFileSync(last, bytes);
    const { log, replay, report } = DurableLog.open(dir, 0);
    expect(replay).to.have.length(999);
    expect(replay.some((e) => e.payload.toString() === '{"seq":799}')).to.equal(false);
    expect(report.lost).to.deep.equal({ entries: 1, exact: true });
    expect(report.recoveredAfterDamage).to.equal(200);
    expect(report.problems[0]).to.match(
      new RegExp(`^${last}.* bytes \\d+-\\d+ are damaged \\(copied to .*damaged.*\\): LSN 800 `),
    );
    expect(fs.readFileSync(report.damaged[0]!.quarantinedAs).includes(Buffer.from(":799}"))).to.equal(true);
    expect(log.nextSequence).to.equal(1001);
    await log.close();
    // The next start-up finds the same damage and does not count it as a new loss.
    const again = DurableLog.open(dir, 0);
    expect(again.report.problems).to.deep.equal([]);
    expect(again.report.damaged[0]!.reportedBefore).to.equal(true);
    expect(again.replay).to.have.length(999);
    await again.log.close();
  });

  it("reports a last segment deleted after a kill, and never hands its LSNs out again", async function () {
    await threeSegments("killed");
    fs.rmSync(segments(dir).at(-1)!);
    const { log, replay, report } = DurableLog.open(dir, 0);
    expect(replay).to.have.length(600);
    expect(report.lost.exact).to.equal(false);
    expect(report.problems).to.have.length(1);
    expect(report.problems[0]).to.match(
      /^LSN 601 and after .* are lost: segment 0000000000000601\.log is missing/,
    );
    // The first start-up reserved LSNs 1 to LSN_RESERVATION_BLOCK; any of them may have been in the lost file.
    expect(log.nextSequence).to.equal(LSN_RESERVATION_BLOCK + 1);
    await log.close();
    const again = DurableLog.open(dir, 0);
    expect(again.report.problems).to.deep.equal([]);
    await again.log.close();
  });

  it("reports a last segment deleted after a clean stop with the exact LSNs it held", async function () {
    await threeSegments();
    fs.rmSync(segments(dir).at(-1)!);
    const { log, report } = DurableLog.open(dir, 0);
    expect(report.lost).to.deep.equal({ entries: 400, exact: true });
    expect(report.problems[0]).to.match(/^LSNs 601-1000 .* segment 0000000000000601\.log is missing/);
    expect(log.nextSequence).to.equal(1001);
    await log.close();
  });

  it("reports a deleted middle segment with the exact LSNs it held", async function () {
    await threeSegments();
    fs.rmSync(segments(dir)[1]!);
    const { log, replay, report } = DurableLog.open(dir, 0);
    expect(replay).to.have.length(700);
    expect(report.lost).to.deep.equal({ entries: 300, exact: true });
    expect(report.problems[0]).to.match(/^LSNs 301-600 .* segment 0000000000000301\.log is missing/);
    expect(log.nextSequence).to.equal(1001);
    await log.close();
  });

  it("finds a missing first segment from the lake checkpoint's LSN range without a manifest", async function () {
    await threeSegments();
    fs.rmSync(path.join(dir, "manifest.json"));
    fs.rmSync(segments(dir)[0]!);
    const { log, report } = DurableLog.open(dir, 100);
    expect(report.lost).to.deep.equal({ entries: 200, exact: true });
    expect(report.problems[0]).to.match(
      /^LSNs 101-300 .* no segment holds them, though the lake checkpoint is at LSN 100/,
    );
    await log.close();
  });

  it("reports nothing when segments were released after their entries reached the lake", async function () {
    await threeSegments();
    const { log, replay, report } = DurableLog.open(dir, 1000);
    expect(replay).to.deep.equal([]);
    expect(report.problems).to.deep.equal([]);
    expect(segments(dir)).to.have.length(1); // only this run's new segment
    await log.close();
  });
});
