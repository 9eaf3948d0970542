import { expect } from "chai";
import { cidrsOverlap, parseCidr, splitCidr, Cidr } from "../../../components/net/cidr";
import {
  approximateIntervalSeconds,
  longestGapSeconds,
  parseSchedule,
  type ScheduleExpression,
} from "../../../components/schedule";

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
  it("finds the longest gap between two runs, exactly for a cron (UTC, weekends, month ends, leap days)", function () {
    const gap = (text: string) => longestGapSeconds(parseSchedule(text) as ScheduleExpression);
    const hours = 3600;
    const days = 86_400;
    expect(gap("rate(5 minutes)")).to.equal(300);
    expect(gap("rate(1 day)")).to.equal(days);
    expect(gap("at(2026-12-01T08:00:00)")).to.equal(undefined); // one run: no gap to watch
    expect(gap("cron(0 * * * ? *)")).to.equal(hours);
    expect(gap("cron(0/15 * * * ? *)")).to.equal(900);
    expect(gap("cron(*/20 * * * ? *)")).to.equal(1200);
    expect(gap("cron(0 */6 * * ? *)")).to.equal(6 * hours);
    expect(gap("cron(15 1 * * ? *)")).to.equal(days); // daily, across month and year ends alike
    expect(gap("cron(0 8-18 * * ? *)")).to.equal(14 * hours); // 18:00 to 08:00 the next day
    expect(gap("cron(0 6,12,22 * * ? *)")).to.equal(10 * hours); // 12:00 to 22:00
    // Weekdays only: Friday 08:00 to Monday 08:00, by name or by number (1 = SUN).
    expect(gap("cron(0 8 ? * MON-FRI *)")).to.equal(3 * days);
    expect(gap("cron(0 8 ? * 2-6 *)")).to.equal(3 * days);
    expect(gap("cron(30 9 ? * mon,wed,fri *)")).to.equal(3 * days); // Friday to Monday
    expect(gap("cron(0 0 ? * SUN *)")).to.equal(7 * days);
    // Monthly: the longest month; twice a year: July to January; the 31st skips the short months.
    expect(gap("cron(0 0 1 * ? *)")).to.equal(31 * days);
    expect(gap("cron(0 0 1 JAN,JUL ? *)")).to.equal(184 * days);
    expect(gap("cron(0 0 31 * ? *)")).to.equal(61 * days); // e.g. 31 May to 31 July
    expect(gap("cron(0 0 1/10 * ? *)")).to.equal(10 * days); // the 1st, 11th, 21st and 31st
    // 29 February: every 4 years, 8 across a century year that is not a leap year (2096 to 2104).
    expect(gap("cron(0 0 29 FEB ? *)")).to.equal((8 * 365 + 1) * days);
    // What is not evaluated, or never (or not always) fires: no gap.
    for (const text of [
      "cron(0 0 L * ? *)",
      "cron(0 0 15W * ? *)",
      "cron(0 0 ? * 6#3 *)",
      "cron(0 0 ? * 6L *)",
      "cron(0 0 30 2 ? *)",
      "cron(0 12 * * ? 2030)",
      "cron(0 12 * * ? 2026-2030)",
      "cron(0 0 ? * FRI-MON *)",
    ])
      expect(gap(text), text).to.equal(undefined);
  });
  it("shows where the approximate interval understates the gap", function () {
    // Every 5 minutes, but only within the 08:00 hour: from 08:55 to 08:00 the next day.
    const schedule = parseSchedule("cron(0/5 8 * * ? *)") as ScheduleExpression;
    expect(approximateIntervalSeconds(schedule)).to.equal(300);
    expect(longestGapSeconds(schedule)).to.equal(23 * 3600 + 5 * 60);
    // Every 15 minutes in office hours on weekdays: Friday 17:45 to Monday 09:00.
    const office = parseSchedule("cron(0/15 9-17 ? * MON-FRI *)") as ScheduleExpression;
    expect(approximateIntervalSeconds(office)).to.equal(900);
    expect(longestGapSeconds(office)).to.equal(2 * 86_400 + 15 * 3600 + 15 * 60);
  });
  it("evaluates a cron quickly (a whole 400-year calendar cycle)", function () {
    const started = performance.now();
    for (const text of ["cron(0/15 * * * ? *)", "cron(0 8 ? * MON-FRI *)", "cron(0 0 29 2 ? *)"])
      longestGapSeconds(parseSchedule(text) as ScheduleExpression);
    expect(performance.now() - started).to.be.below(200);
  });
});
