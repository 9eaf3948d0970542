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
