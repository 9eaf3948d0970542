/**
 * How often a schedule runs in a month, for the cost estimate. Pure. `rate(...)` is exact; `cron(...)` counts
 * the minutes, hours, days of the month and days of the week it names (an average month of 730 hours).
 */
import type { ScheduleExpression } from "../schedule";

/** Hours in the month estimates use (AWS's convention for monthly prices). */
export const HOURS_PER_MONTH = 730;
export const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;
export const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;

/** Values a cron field selects out of `min..max` (`*`, `?`, lists, ranges, steps, names count by position). */
function cronValues(field: string, min: number, max: number, names: readonly string[] = []): number {
  if (field === "*" || field === "?") return max - min + 1;
  if (field === "L" || /W$|L$|#/.test(field)) return 1;
  const value = (text: string) => {
    const index = names.indexOf(text.toUpperCase());
    return index >= 0 ? index + min : Number(text);
  };
  const selected = new Set<number>();
  for (const part of field.split(",")) {
    const [range, stepText] = part.split("/") as [string, string | undefined];
    const step = stepText === undefined ? 1 : Number(stepText);
    let from = min;
    let to = max;
    if (range !== "*") {
      const [a, b] = range.split("-") as [string, string | undefined];
      from = value(a);
      to = b === undefined ? (stepText === undefined ? from : max) : value(b);
    }
    for (let v = from; v <= to; v += step) selected.add(v);
  }
  return selected.size;
}

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/** Runs of a schedule in an average month (0 for a one-off `at(...)`). */
export function runsPerMonth(schedule: ScheduleExpression): number {
  if (schedule.kind === "rate") return SECONDS_PER_MONTH / schedule.everySeconds;
  if (schedule.kind === "at") return 0;
  const [minutes, hours, dom, month, dow] = schedule.fields as [string, string, string, string, string];
  const perDay = cronValues(minutes, 0, 59) * cronValues(hours, 0, 23);
  const monthShare = cronValues(month, 1, 12, MONTHS) / 12;
  const days =
    dom !== "?" && dom !== "*" ? cronValues(dom, 1, 31) : (cronValues(dow, 1, 7, DAYS) / 7) * DAYS_PER_MONTH;
  return perDay * days * monthShare;
}
