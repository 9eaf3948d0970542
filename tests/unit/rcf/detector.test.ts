// The series detector's rules beside the forest's score: a value stuck far longer than the series ever stays
// flat, and a reading far off its own recent baseline although inside the series' overall range.
import { expect } from "chai";
import { AnomalyDetector, MIN_STUCK_READINGS, STUCK_RUN_FACTOR } from "../../../local/rcf/detector";

/** A deterministic daily-cycle series with small noise (288 readings a day). */
function cycle(rows: number): number[] {
  let state = 12345;
  const noise = () => {
    state = (state * 1103515245 + 12345) >>> 0;
    return state / 2 ** 32 - 0.5;
  };
  return Array.from({ length: rows }, (_, i) => 20 + 5 * Math.sin((2 * Math.PI * i) / 288) + 0.2 * noise());
}

function kindsAt(values: readonly number[], from: number, to: number): Set<string | undefined> {
  const detector = new AnomalyDetector({ warmup: 600, numberOfTrees: 30, shingleSize: 4 });
  const kinds = new Set<string | undefined>();
  values.forEach((value, i) => {
    const result = detector.process(value);
    if (i >= from && i < to && result.anomalous) kinds.add(result.kind);
  });
  return kinds;
}

describe("rcf: AnomalyDetector's rules", function () {
  this.timeout(30_000);

  it("calls a value repeated far longer than any earlier run stuck, and a series often flat is not", () => {
    const values = cycle(2000);
    for (let i = 1200; i < 1260; i++) values[i] = values[1200]!;
    expect(kindsAt(values, 1200, 1260)).to.include("stuck");
    expect(kindsAt(cycle(2000), 600, 2000)).to.not.include("stuck");
    // Counts with long runs of zeros from the start: a run as long as those is ordinary for this series.
    const counts = Array.from({ length: 2000 }, (_, i) => (Math.floor(i / 40) % 2 === 0 ? 0 : 1 + (i % 3)));
    expect(kindsAt(counts, 600, 2000)).to.not.include("stuck");
    expect(STUCK_RUN_FACTOR).to.be.greaterThan(1);
    expect(MIN_STUCK_READINGS).to.be.at.least(2);
  });

  it("flags a spike inside the series' overall range by its distance from the recent baseline", () => {
    const values = cycle(2000);
    // At the cycle's low point, a jump to its mean: inside the range of values, far from the last readings.
    const low = 288 * 5 - 72;
    values[low] = 20;
    const kinds = kindsAt(values, low, low + 1);
    expect(kinds).to.include("range");
    expect(kindsAt(cycle(2000), 600, 2000)).to.not.include("range");
  });

  it("counts the readings of the forest's learning period in the range of values seen", () => {
    // A 100 among the first readings (while the forest learns, before any score): a later 95 is inside the
    // range the series has shown, for the value and for its deviation from the baseline.
    const values = cycle(2000).map((v) => v - 20);
    values[100] = 100;
    values[1500] = 95;
    expect(kindsAt(values, 1500, 1501)).to.not.include("range");
    // Without the early 100, the same 95 is beyond the range.
    const plain = cycle(2000).map((v) => v - 20);
    plain[1500] = 95;
    expect(kindsAt(plain, 1500, 1501)).to.include("range");
  });
});
