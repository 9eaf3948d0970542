/**
 * How often a schedule runs in a month, for the cost estimate. Pure. `rate(...)` is exact; `cron(...)` counts
 * the minutes, hours, days of the month and days of the week it names (an average month of 730 hours).
 */
import { CRON_MONTH_NAMES, CRON_WEEKDAY_NAMES, cronFieldValues, type ScheduleExpression } from "../schedule";

/** Hours in the month estimates use (AWS's convention for monthly prices). */
export const HOURS_PER_MONTH = 730;
export const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;
export const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;

/**
 * How many values a cron field selects out of `min..max` (`cronFieldValues`); a field naming one day by `L`, `W`
 * or `#` counts 1, and one it cannot evaluate (a range that wraps, a step of 0) selects nothing.
 */
function cronValues(field: string, min: number, max: number, names: readonly string[] = []): number {
  if (field === "L" || /W$|L$|#/.test(field)) return 1;
  return cronFieldValues(field, min, max, names)?.values.length ?? 0;
}

/** Runs of a schedule in an average month (0 for a one-off `at(...)`). */
export function runsPerMonth(schedule: ScheduleExpression): number {
  if (schedule.kind === "rate") return SECONDS_PER_MONTH / schedule.everySeconds;
  if (schedule.kind === "at") return 0;
  const [minutes, hours, dom, month, dow] = schedule.fields as [string, string, string, string, string];
  const perDay = cronValues(minutes, 0, 59) * cronValues(hours, 0, 23);
  const monthShare = cronValues(month, 1, 12, CRON_MONTH_NAMES) / 12;
  const days =
    dom !== "?" && dom !== "*"
      ? cronValues(dom, 1, 31)
      : (cronValues(dow, 1, 7, CRON_WEEKDAY_NAMES) / 7) * DAYS_PER_MONTH;
  return perDay * days * monthShare;
}
