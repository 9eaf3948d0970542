import { expect } from "chai";
import { cidrsOverlap, parseCidr, splitCidr, Cidr } from "../../../components/net/cidr";
import { approximateIntervalSeconds, parseSchedule } from "../../../components/schedule";

const cidr = (text: string) => parseCidr(text) as Cidr;

describe("CIDR arithmetic", function () {
  it("parses blocks and detects overlap", function () {
    expect(cidr("10.20.0.0/24")).to.include({ prefix: 24, first: 0x0a140000, last: 0x0a1400ff });
    expect(cidrsOverlap(cidr("10.20.0.0/16"), cidr("10.20.5.0/24"))).to.equal(true);
    expect(cidrsOverlap(cidr("10.20.0.0/24"), cidr("10.20.1.0/24"))).to.equal(false);
  });
  it("explains invalid blocks", function () {
    expect(parseCidr("10.20.0.1/24")).to.equal(
      '"10.20.0.1/24" has host bits set; the network address is 10.20.0.0/24',
    );
    expect(parseCidr("10.300.0.0/16")).to.equal(
      '"10.300.0.0/16" has an octet above 255 or a prefix above 32',
    );
    expect(parseCidr("vpc")).to.equal('"vpc" is not of the form a.b.c.d/n');
  });
  it("splits a block into equal subnets", function () {
    expect(splitCidr("10.20.0.0/24", 2)).to.deep.equal(["10.20.0.0/25", "10.20.0.128/25"]);
    expect(splitCidr("10.20.0.0/24", 3)).to.deep.equal(["10.20.0.0/26", "10.20.0.64/26", "10.20.0.128/26"]);
    expect(() => splitCidr("10.20.0.0/28", 2)).to.throw(
      "10.20.0.0/28 is too small for 2 subnets of at least /28",
    );
  });
});

describe("schedule expressions", function () {
  it("parses rate, cron and at", function () {
    expect(parseSchedule("rate(15 minutes)")).to.deep.equal({
      kind: "rate",
      expression: "rate(15 minutes)",
      everySeconds: 900,
    });
    expect(parseSchedule("cron(15 1 * * ? *)")).to.deep.include({ kind: "cron" });
    expect(parseSchedule("cron(0 8 ? * MON-FRI *)")).to.deep.include({ kind: "cron" });
    expect(parseSchedule("at(2026-12-01T08:00:00)")).to.deep.include({ kind: "at" });
  });
  it("explains what is wrong", function () {
    expect(parseSchedule("rate(2 hour)")).to.equal('write "rate(2 hours)"');
    expect(parseSchedule("cron(61 * * * ? *)")).to.equal('cron minutes field "61" is not valid');
    expect(parseSchedule("daily")).to.equal('"daily" is not rate(...), cron(...) or at(...)');
  });
  it("estimates the interval of a schedule (for time compression locally)", function () {
    expect(approximateIntervalSeconds(parseSchedule("cron(0 */6 * * ? *)") as never)).to.equal(6 * 3600);
    expect(approximateIntervalSeconds(parseSchedule("cron(15 1 * * ? *)") as never)).to.equal(86400);
    expect(approximateIntervalSeconds(parseSchedule("rate(1 hour)") as never)).to.equal(3600);
  });
});
