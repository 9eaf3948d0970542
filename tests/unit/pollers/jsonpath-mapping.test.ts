// The pollers' pure parts: the JSONPath subset, the mapping from a response to readings, and the validation of
// the `pollers` stack setting.
import { expect } from "chai";
import { JsonPathError, parseJsonPath, selectAll } from "../../../components/pollers/jsonpath";
import { compileMapping, convertValue, mapResponse } from "../../../components/pollers/mapping";
import { readPollerSettings } from "../../../components/pollers/poller-settings";

const DOC = {
  stationId: "roof-1",
  "odd key": { v: 1 },
  observations: [
    { observedAt: "2026-12-07T09:00:00Z", temperature: { value: 3.5 }, humidity: "81" },
    { observedAt: "2026-12-07T09:10:00+01:00", temperature: { value: "4.25" } },
    { observedAt: "yesterday", temperature: { value: 2 } },
  ],
};

describe("pollers: JSONPath, mapping and settings", function () {
  it("selects members, quoted members, indexes, wildcards and descendants", function () {
    const sel = (p: string) => selectAll(DOC, parseJsonPath(p));
    expect(sel("$.stationId")).to.deep.equal(["roof-1"]);
    expect(sel("$['odd key'].v")).to.deep.equal([1]);
    expect(sel("$.observations[-1].temperature.value")).to.deep.equal([2]);
    expect(sel("$.observations[*].temperature.value")).to.deep.equal([3.5, "4.25", 2]);
    expect(sel("$.observations[0].*")).to.deep.equal(["2026-12-07T09:00:00Z", { value: 3.5 }, "81"]);
    expect(sel("$..value")).to.deep.equal([3.5, "4.25", 2]);
    expect(sel("$..v")).to.deep.equal([1]);
    expect(sel("$.missing.deeper")).to.deep.equal([]);
    expect(sel("$.observations[7]")).to.deep.equal([]);
  });

  it("refuses what is outside the subset, naming the position", function () {
    expect(() => parseJsonPath("observations")).to.throw(
      JsonPathError,
      'JSONPath "observations" at character 1: must start with "$"',
    );
    expect(() => parseJsonPath("$.obs[?(@.t > 1)]")).to.throw(
      /at character 7: "\?\(@\.t > 1\)" is outside the supported subset/,
    );
    expect(() => parseJsonPath("$.obs[0")).to.throw(/at character 6: unclosed "\["/);
    expect(() => parseJsonPath("$. x")).to.throw(/at character 3: expected a member name/);
  });

  it("maps records to readings: paths into the record or the document, constants, conversions", function () {
    const mapping = compileMapping({
      records: "$.observations[*]",
      fields: {
        device_id: { path: "$.stationId", from: "document" },
        room_id: { value: "roof" },
        ts: { path: "$.observedAt", format: "iso8601" },
        temperature_c: { path: "$.temperature.value", format: "number" },
        humidity_pct: { path: "$.humidity", format: "number" },
      },
    });
    expect(mapResponse(DOC, mapping)).to.deep.equal([
      {
        device_id: "roof-1",
        room_id: "roof",
        ts: Date.UTC(2026, 11, 7, 9),
        temperature_c: 3.5,
        humidity_pct: 81,
      },
      { device_id: "roof-1", room_id: "roof", ts: Date.UTC(2026, 11, 7, 8, 10), temperature_c: 4.25 },
      // A time that is not ISO 8601 is passed on as it came: validation quarantines it (ts: not a number).
      { device_id: "roof-1", room_id: "roof", ts: "yesterday", temperature_c: 2 },
    ]);
    expect(convertValue(1733562000.5, "epoch-seconds")).to.equal(1733562000500);
    expect(convertValue("12", "epoch-ms")).to.equal(12);
    expect(convertValue("n/a", "number")).to.equal("n/a");
    expect(convertValue("2026-12-07", "iso8601")).to.equal("2026-12-07");
  });

  it("reads the pollers setting, naming the poller and field of every problem", function () {
    const problems: string[] = [];
    const report = (field: string, message: string) => problems.push(`${field} ${message}`);
    const valid = {
      name: "roof",
      url: "https://api.example.com/obs",
      schedule: "rate(5 minutes)",
      fields: { device_id: "$.id", room_id: { value: "roof" }, ts: "$.t", temperature_c: "$.c" },
    };
    const [poller] = readPollerSettings([valid], report);
    expect(problems).to.deep.equal([]);
    expect(poller).to.deep.include({ name: "roof", timeoutSeconds: 10, retries: 2, dedupDays: 7 });
    expect(poller!.mapping.records).to.equal("$");
    const pollers = readPollerSettings(
      [
        { ...valid, url: "http://api.example.com", schedule: "rate(90 seconds)" },
        { ...valid, name: "Roof", retries: 9, fields: { device_id: "$.id", wind: "$.w", ts: "$[?x]" } },
        valid,
        valid,
      ],
      report,
    );
    expect(pollers.map((p) => p.name)).to.deep.equal(["roof"]);
    expect(problems).to.deep.equal([
      "[0].url must be an https URL",
      '[0].schedule must be an EventBridge Scheduler expression: "rate(90 seconds)" is not rate(...), cron(...) or at(...)',
      "[1].name must be 1-32 lowercase letters, digits or '-', starting with a letter",
      "[1].retries must be an integer from 0 to 5",
      "[1].fields.wind is not a field readings carry",
      '[1].fields.ts JSONPath "$[?x]" at character 3: "?x" is outside the supported subset (a quoted name, an index or *; no filters, slices or unions)',
      "[1].fields must map room_id, temperature_c (identity, de-duplication key and required measurement)",
      "[3].name is used by another poller",
    ]);
  });
});
