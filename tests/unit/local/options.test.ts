import { expect } from "chai";
import { LocalClock } from "../../../local/clock";
import { helpText, parseLocalOptions, UsageError } from "../../../local/options";

describe("local backend: --start and the simulated clock", function () {
  it("parses --start as an ISO 8601 time with a zone, and leaves it unset by default", function () {
    expect(parseLocalOptions([]).startMs).to.equal(undefined);
    expect(parseLocalOptions(["--start", "2026-12-06T09:00:00Z"]).startMs).to.equal(Date.UTC(2026, 11, 6, 9));
    expect(parseLocalOptions(["--start", "2026-12-06T10:00:00+01:00"]).startMs).to.equal(
      Date.UTC(2026, 11, 6, 9),
    );
    for (const bad of ["2026-12-06", "2026-12-06T09:00:00", "tomorrow", "1796547600000"])
      expect(() => parseLocalOptions(["--start", bad]), bad).to.throw(UsageError, /--start must be/);
    expect(helpText()).to.match(/--start <time>/);
  });

  it("parses --fleet-start, after --start and only with the built-in fleet", function () {
    expect(parseLocalOptions([]).fleetStartMs).to.equal(undefined);
    const options = parseLocalOptions([
      "--start",
      "2026-12-06T09:00:00Z",
      "--fleet-start",
      "2026-12-06T10:30:00Z",
    ]);
    expect(options.fleetStartMs).to.equal(Date.UTC(2026, 11, 6, 10, 30));
    expect(() => parseLocalOptions(["--fleet-start", "10:30"])).to.throw(
      UsageError,
      /--fleet-start must be an ISO/,
    );
    expect(() =>
      parseLocalOptions(["--start", "2026-12-06T09:00:00Z", "--fleet-start", "2026-12-06T09:00:00Z"]),
    ).to.throw(UsageError, /--fleet-start must be after --start/);
    expect(() => parseLocalOptions(["--fleet-start", "2026-12-06T09:00:00Z", "--no-fleet"])).to.throw(
      UsageError,
      /--fleet-start times the built-in fleet/,
    );
    expect(helpText()).to.match(/--fleet-start <time>/);
  });

  it("starts at the given time, not the wall clock, and never before a previous run's time", function () {
    const start = Date.UTC(2026, 0, 5, 9);
    expect(new LocalClock(60, 0, start).startMs).to.equal(start);
    expect(new LocalClock(60, start - 1, start).startMs).to.equal(start);
    expect(() => new LocalClock(60, start, start)).to.throw(/not after .* a previous run/);
    expect(new LocalClock(60, start).startMs).to.be.at.least(Date.now() - 1_000);
  });
});
