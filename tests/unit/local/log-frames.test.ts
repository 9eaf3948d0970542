// The ingest log's frame codec and segment scan on their own (pure): frames round-trip, a damaged frame is skipped
// with the scan resyncing on the next valid one, and only an incomplete last frame of the last segment counts as
// a torn tail.
import { expect } from "chai";
import { crc32 } from "node:zlib";
import {
  encodeFrame,
  FRAME_HEADER_BYTES,
  scanSegment,
  type FrameEntry,
} from "../../../local/lake/log-frames";

const entry = (lsn: number, payload = `{"seq":${lsn}}`): FrameEntry => ({
  lsn,
  topic: "dt/sensors-dev/lab/sensors-dev-lab-001/telemetry",
  payload: Buffer.from(payload),
  receivedAt: 1_767_000_000_000 + lsn,
});
const segment = (...entries: FrameEntry[]) => Buffer.concat(entries.map(encodeFrame));
const lsns = (bytes: Buffer, isLast = true) => scanSegment(bytes, isLast).entries.map((e) => e.lsn);

describe("ingest log frames", function () {
  it("round-trips topic, payload bytes, receive time and LSN", function () {
    const binary = { ...entry(7), payload: Buffer.from([0, 255, 10, 13, 0x7b]) };
    const [read] = scanSegment(encodeFrame(binary), true).entries;
    expect(read).to.deep.equal(binary);
  });

  it("skips a frame whose body was changed and resyncs on the next one", function () {
    const bytes = segment(entry(1), entry(2), entry(3));
    const second = encodeFrame(entry(1)).length + FRAME_HEADER_BYTES + 12;
    bytes[second] ^= 0x01;
    const scan = scanSegment(bytes, true);
    expect(scan.entries.map((e) => e.lsn)).to.deep.equal([1, 3]);
    expect(scan.damaged).to.have.length(1);
    expect(scan.damaged[0]).to.include({ afterLsn: 1, beforeLsn: 3, offset: encodeFrame(entry(1)).length });
    expect(scan.tornTailAt).to.equal(undefined);
  });

  it("does not trust a length whose header checksum fails", function () {
    const bytes = segment(entry(1), entry(2), entry(3));
    bytes.writeUInt32LE(0xffffff, encodeFrame(entry(1)).length + 4);
    expect(lsns(bytes)).to.deep.equal([1, 3]);
  });

  it("finds a frame whose header checksum is right but whose body checksum is wrong damaged, even at the end", function () {
    const bytes = segment(entry(1), entry(2));
    bytes[bytes.length - 1] ^= 0x20;
    const scan = scanSegment(bytes, true);
    expect(scan.entries.map((e) => e.lsn)).to.deep.equal([1]);
    expect(scan.damaged[0]).to.include({ afterLsn: 1, beforeLsn: undefined });
    expect(scan.tornTailAt).to.equal(undefined);
  });

  it("takes an incomplete last frame of the last segment as a torn tail, and elsewhere as damage", function () {
    const whole = segment(entry(1), entry(2));
    for (const cut of [3, FRAME_HEADER_BYTES - 1, FRAME_HEADER_BYTES + 5]) {
      const torn = whole.subarray(0, encodeFrame(entry(1)).length + cut);
      const last = scanSegment(torn, true);
      expect(last.entries.map((e) => e.lsn)).to.deep.equal([1]);
      expect(last.tornTailAt, `cut at ${cut}`).to.equal(encodeFrame(entry(1)).length);
      expect(last.damaged).to.deep.equal([]);
      const older = scanSegment(torn, false);
      expect(older.tornTailAt).to.equal(undefined);
      expect(older.damaged).to.have.length(1);
    }
  });

  it("takes zeros a crashed write left at the end as a torn tail, and random bytes as damage", function () {
    const zeros = Buffer.concat([segment(entry(1)), Buffer.alloc(64)]);
    expect(scanSegment(zeros, true).tornTailAt).to.equal(encodeFrame(entry(1)).length);
    const noise = Buffer.concat([segment(entry(1)), Buffer.from("not a frame at all, but 32 bytes")]);
    expect(scanSegment(noise, true).damaged).to.have.length(1);
  });

  it("reads segments of the previous format ([length][crc32][JSON])", function () {
    const json = Buffer.from(
      JSON.stringify({ lsn: 4, topic: "t", receivedAt: 9, payload: Buffer.from("x").toString("base64") }),
    );
    const header = Buffer.alloc(8);
    header.writeUInt32LE(json.length, 0);
    header.writeUInt32LE(crc32(json), 4);
    const scan = scanSegment(Buffer.concat([header, json]), true);
    expect(scan.legacy).to.equal(true);
    expect(scan.entries).to.deep.equal([{ lsn: 4, topic: "t", receivedAt: 9, payload: Buffer.from("x") }]);
  });
});
