// CSV and timestamp parsing used by the CLI and the NAB tools.
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { CsvInputError, csvField, parseCsv, parseTimestamp, seriesFromTable } from "../../../local/rcf/csv";

describe("rcf: CSV and timestamps", () => {
  it("parses quoted fields, escaped quotes, CRLF, a BOM and blank lines", () => {
    const table = parseCsv(
      '\uFEFFtimestamp,"name, full",value\r\n2024-01-01,"say ""hi""",1.5\r\n\r\n2024-01-02,plain,2\n',
    );
    expect(table.header).to.deep.equal(["timestamp", "name, full", "value"]);
    expect(table.rows).to.deep.equal([
      ["2024-01-01", 'say "hi"', "1.5"],
      ["2024-01-02", "plain", "2"],
    ]);
    expect(csvField('a,"b"')).to.equal('"a,""b"""');
    expect(csvField("plain")).to.equal("plain");
  });

  it("extracts numeric columns and names the row and column of a bad value", () => {
    const table = parseCsv("timestamp,a,b\nt1,1,2\nt2,3,\n");
    expect(() => seriesFromTable(table, "x.csv", { valueColumns: ["a", "b"] })).to.throw(
      CsvInputError,
      /x\.csv: row 3, column "b"/,
    );
    const series = seriesFromTable(table, "x.csv", { valueColumns: ["a"] });
    expect(Array.from(series.values)).to.deep.equal([1, 3]);
    expect(series.timestamps).to.deep.equal(["t1", "t2"]);
  });

  it("parses NAB and ISO timestamps as UTC", () => {
    expect(parseTimestamp("2013-12-10 06:25:00")).to.equal(Date.UTC(2013, 11, 10, 6, 25));
    expect(parseTimestamp("2013-12-10 06:25:00.000000")).to.equal(Date.UTC(2013, 11, 10, 6, 25));
    expect(parseTimestamp("2013-12-10T06:25:00.250Z")).to.equal(Date.UTC(2013, 11, 10, 6, 25, 0, 250));
    expect(parseTimestamp("yesterday")).to.be.NaN;
  });

  it("runs as a package bin through the tsx shim", () => {
    const bin = path.resolve(__dirname, "../../../local/rcf/bin.cjs");
    const help = execFileSync(process.execPath, [bin, "--help"], { encoding: "utf8", timeout: 60_000 });
    expect(help).to.contain("Usage: npm run rcf -- --input <csv>");
    // Run as the file itself, as an installed bin is (its shebang finds node on the PATH).
    const direct = execFileSync(bin, ["--help"], { encoding: "utf8", timeout: 60_000 });
    expect(direct).to.contain("Usage: npm run rcf -- --input <csv>");
  });
});
