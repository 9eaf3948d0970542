/**
 * EventBridge Scheduler expressions (`rate(...)`, `cron(...)`, `at(...)`), parsed so a typo is a config
 * error before deployment rather than a failed CreateSchedule call. Pure.
 */

export type ScheduleExpression =
  | { readonly kind: "rate"; readonly expression: string; readonly everySeconds: number }
  | { readonly kind: "cron"; readonly expression: string; readonly fields: readonly string[] }
  | { readonly kind: "at"; readonly expression: string; readonly at: Date };

const UNIT_SECONDS: Record<string, number> = { minute: 60, hour: 3600, day: 86400 };

/** Returns the parsed expression, or the reason it is not valid. */
export function parseSchedule(text: string): ScheduleExpression | string {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(text);
  if (rate) {
    const value = Number(rate[1]);
    const unit = rate[2]!;
    if (value < 1) return "a rate must be at least 1";
    const singular = unit.replace(/s$/, "");
    // EventBridge wants "1 hour" but "2 hours".
    if ((value === 1) !== (unit === singular)) {
      return `write "rate(${value} ${value === 1 ? singular : `${singular}s`})"`;
    }
    return { kind: "rate", expression: text, everySeconds: value * UNIT_SECONDS[singular]! };
  }
  const cron = /^cron\((.*)\)$/.exec(text);
  if (cron) {
    const fields = cron[1]!.trim().split(/\s+/);
    if (fields.length !== 6)
      return `cron needs 6 fields (minutes hours day-of-month month day-of-week year), found ${fields.length}`;
    const [minutes, hours, dom, month, dow, year] = fields as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const checks: [string, string, RegExp][] = [
      ["minutes", minutes, /^(\*|([0-5]?\d)([-,/][0-5]?\d)*|\*\/\d+)$/],
      ["hours", hours, /^(\*|(1?\d|2[0-3])([-,/](1?\d|2[0-3]))*|\*\/\d+)$/],
      ["day-of-month", dom, /^(\*|\?|L|W|([1-9]|[12]\d|3[01])W?([-,/]([1-9]|[12]\d|3[01]))*|\*\/\d+)$/],
      [
        "month",
        month,
        /^(\*|([1-9]|1[0-2]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)([-,/]([1-9]|1[0-2]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC))*|\*\/\d+)$/i,
      ],
      [
        "day-of-week",
        dow,
        /^(\*|\?|L|([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)(L|#[1-5])?([-,]([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT))*)$/i,
      ],
      ["year", year, /^(\*|(19[7-9]\d|2\d{3})([-,/](19[7-9]\d|2\d{3}|\d+))*|\*\/\d+)$/],
    ];
    for (const [name, value, pattern] of checks) {
      if (!pattern.test(value)) return `cron ${name} field "${value}" is not valid`;
    }
    if ((dom === "?") === (dow === "?")) return "exactly one of day-of-month and day-of-week must be ?";
    return { kind: "cron", expression: text, fields };
  }
  const at = /^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$/.exec(text);
  if (at) {
    const date = new Date(`${at[1]}Z`);
    if (Number.isNaN(date.getTime())) return `"${at[1]}" is not a date`;
    return { kind: "at", expression: text, at: date };
  }
  return `"${text}" is not rate(...), cron(...) or at(...)`;
}

/** Seconds between runs for a rate, or a conservative estimate for cron (for time compression locally). */
export function approximateIntervalSeconds(schedule: ScheduleExpression): number {
  if (schedule.kind === "rate") return schedule.everySeconds;
  if (schedule.kind === "at") return Number.POSITIVE_INFINITY;
  const [minutes, hours, dom, , dow] = schedule.fields as [string, string, string, string, string];
  const step = (field: string): number | undefined => {
    const m = /^\*\/(\d+)$/.exec(field) ?? /^\d+\/(\d+)$/.exec(field);
    return m ? Number(m[1]) : undefined;
  };
  if (minutes === "*") return 60;
  if (step(minutes)) return step(minutes)! * 60;
  if (hours === "*") return 3600;
  if (step(hours)) return step(hours)! * 3600;
  if (dow !== "?" && dow !== "*") return 7 * 86400;
  if (dom !== "?" && dom !== "*") return 30 * 86400;
  return 86400;
}

/**
 * The longest time in seconds between two consecutive runs of a schedule, or undefined when there is none to
 * watch: a rate's interval; undefined for `at(...)` (one run). A cron is evaluated exactly, in UTC (the
 * platform's schedules set `scheduleExpressionTimezone: "UTC"`): its firing days are enumerated over one whole
 * 400-year Gregorian cycle (146,097 days, a whole number of weeks, so the calendar and the weekdays repeat after
 * it; the gap across the cycle's end is counted too) and each firing day fires at the same minutes. Undefined
 * for a cron using what this does not evaluate (`L`, `W`, `#`, a range that wraps such as `FRI-MON`), for one
 * that never fires (`cron(0 0 30 2 ? *)`), and for a year field other than `*` (it fires only within a limited
 * set of years, or with gaps of a year or more). Unlike {@link approximateIntervalSeconds}, which may
 * understate the gap (`cron(0/5 8 * * ? *)` runs every 5 minutes but only from 08:00 to 08:55), this is what a
 * watch for runs that stopped must wait. Pure; a few milliseconds.
 */
export function longestGapSeconds(schedule: ScheduleExpression): number | undefined {
  if (schedule.kind === "rate") return schedule.everySeconds;
  if (schedule.kind === "at") return undefined;
  const [minutesField, hoursField, domField, monthField, dowField, yearField] = schedule.fields;
  if (yearField !== "*") return undefined;
  const minutes = cronFieldValues(minutesField, 0, 59);
  const hours = cronFieldValues(hoursField, 0, 23);
  const dom = cronFieldValues(domField, 1, 31);
  const months = cronFieldValues(monthField, 1, 12, CRON_MONTH_NAMES);
  const dow = cronFieldValues(dowField, 1, 7, CRON_WEEKDAY_NAMES);
  if (!minutes || !hours || !dom || !months || !dow) return undefined;

  // The minutes of the day it fires at (every firing day alike), ascending.
  const times: number[] = [];
  for (const h of hours.values) for (const m of minutes.values) times.push(h * 60 + m);
  let longestMinutes = 0;
  for (let i = 1; i < times.length; i++) longestMinutes = Math.max(longestMinutes, times[i]! - times[i - 1]!);

  // The firing days of one Gregorian cycle, from 2000-01-01, a Saturday (7; 1 = SUN).
  let day = 0;
  let weekday = 7;
  let first: number | undefined;
  let previous: number | undefined;
  let longestDays = 0;
  for (let year = 2000; year < 2000 + GREGORIAN_CYCLE_YEARS; year++) {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    for (let month = 1; month <= 12; month++) {
      const length = month === 2 ? (leap ? 29 : 28) : MONTH_DAYS[month - 1]!;
      for (let date = 1; date <= length; date++) {
        if (months.has[month] && dom.has[date] && dow.has[weekday]) {
          if (previous === undefined) first = day;
          else longestDays = Math.max(longestDays, day - previous);
          previous = day;
        }
        day++;
        weekday = (weekday % 7) + 1;
      }
    }
  }
  if (first === undefined || previous === undefined) return undefined;
  longestDays = Math.max(longestDays, first + day - previous); // across the cycle's end into the next one
  const acrossDays = longestDays * 1440 - times[times.length - 1]! + times[0]!;
  return Math.max(longestMinutes, acrossDays) * 60;
}

const GREGORIAN_CYCLE_YEARS = 400;
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
/** Names a cron month field may use, JAN = 1. */
export const CRON_MONTH_NAMES = [
  "JAN",
  "FEB",
  "MAR",
  "APR",
  "MAY",
  "JUN",
  "JUL",
  "AUG",
  "SEP",
  "OCT",
  "NOV",
  "DEC",
];
/** Names a cron day-of-week field may use, SUN = 1. */
export const CRON_WEEKDAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/**
 * The values a cron field allows, ascending, and a lookup by value; undefined for what is not evaluated (`L`,
 * `W`, `#`, a wrapping range, a step of 0, a value out of range). `*` and `?` allow every value; items are
 * separated by `,`; an item is a value, a range `a-b`, or either of those or `*` with a step `/n` (`a/n`: from
 * a to the field's end). Names (JAN-DEC, SUN-SAT) count from `low`. The gap of a schedule (above) and the runs a
 * month of the cost estimate (`runsPerMonth`) both read fields with it.
 */
export function cronFieldValues(
  field: string | undefined,
  low: number,
  high: number,
  names: readonly string[] = [],
): { readonly values: readonly number[]; readonly has: readonly boolean[] } | undefined {
  if (field === undefined) return undefined;
  const has: boolean[] = new Array<boolean>(high + 1).fill(false);
  const value = (text: string): number | undefined => {
    const named = names.indexOf(text.toUpperCase());
    const n = named >= 0 ? low + named : /^\d+$/.test(text) ? Number(text) : undefined;
    return n !== undefined && n >= low && n <= high ? n : undefined;
  };
  for (const item of field.split(",")) {
    const match = /^([^/]+)(?:\/(\d+))?$/.exec(item);
    if (!match) return undefined;
    const [, base, stepText] = match as unknown as [string, string, string | undefined];
    const step = stepText === undefined ? 1 : Number(stepText);
    let from: number | undefined;
    let to: number | undefined;
    if (base === "*" || base === "?") [from, to] = [low, high];
    else if (base.includes("-")) {
      const [a, b, ...rest] = base.split("-");
      if (rest.length > 0) return undefined;
      [from, to] = [value(a!), value(b!)];
    } else {
      from = value(base);
      to = stepText === undefined ? from : high;
    }
    if (from === undefined || to === undefined || from > to || step < 1) return undefined;
    for (let n = from; n <= to; n += step) has[n] = true;
  }
  const values: number[] = [];
  for (let n = low; n <= high; n++) if (has[n]) values.push(n);
  return { values, has };
}
