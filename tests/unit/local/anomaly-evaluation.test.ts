// The bench's and the end-to-end test's grading of detections against the fleet's labels.
import { expect } from "chai";
import type { AnomalyLabel } from "../../../devices/model/anomalies";
import { evaluateAnomalies } from "../../../local/analytics/anomaly-evaluation";

const label = (kind: AnomalyLabel["kind"], start: number, end: number, truncated = false): AnomalyLabel => ({
  device_id: "d1",
  room_id: "lab",
  kind,
  start,
  end,
  first_seq: kind === "dropout" ? null : 0,
  last_seq: kind === "dropout" ? null : 1,
  samples: (end - start) / 10 + 1,
  magnitude: 1,
  truncated,
});

describe("local: anomaly evaluation", () => {
  const options = { intervalMs: 10, memoryReadings: 2 };

  it("counts whole faults in recall, a dropout at the reading after its gap, records in a window as true", () => {
    const labels = [label("spike", 100, 100), label("dropout", 300, 390), label("drift", 600, 700)];
    const result = evaluateAnomalies(
      labels,
      [
        { device_id: "d1", ts: 100 },
        { device_id: "d1", ts: 400 }, // the first reading after the dropout's gap
        { device_id: "d1", ts: 1000 }, // nothing there: a false alarm
      ],
      options,
    );
    expect(result).to.include({ injected: 3, detectedEvents: 2, reported: 3, truePositives: 2 });
    expect(result.recall).to.be.closeTo(2 / 3, 1e-12);
    expect(result.byKind.dropout).to.deep.equal({ injected: 1, detected: 1, timesToDetectMs: [100] });
    expect(result.byKind.drift).to.deep.equal({ injected: 1, detected: 0, timesToDetectMs: [] });
    expect(result.truncated).to.deep.equal({ injected: 0, detected: 0 });
  });

  it("grades a fault the run ended in apart from recall, its records still true positives", () => {
    const labels = [
      label("spike", 100, 100),
      label("drift", 600, 650, true),
      label("dropout", 800, 900, true),
    ];
    const result = evaluateAnomalies(
      labels,
      [
        { device_id: "d1", ts: 100 },
        { device_id: "d1", ts: 640 },
      ],
      options,
    );
    expect(result).to.include({ injected: 1, detectedEvents: 1, recall: 1, truePositives: 2, precision: 1 });
    expect(result.truncated).to.deep.equal({ injected: 2, detected: 1 });
    expect(result.byKind.drift).to.equal(undefined);
  });
});
