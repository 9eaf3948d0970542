/**
 * The EventBridge schedules of the stack (ETL, training, scoring), compressed in time: an expression's
 * interval in simulated seconds becomes `interval / speed` wall seconds. A cron expression runs at its
 * approximate period (`approximateIntervalSeconds`), not at its exact wall-clock times: locally, what matters
 * is how often a pipeline runs relative to the data, not at which minute.
 */
import { approximateIntervalSeconds, type ScheduleExpression } from "../components/schedule";

export interface ScheduledJob {
  readonly name: string;
  readonly expression: ScheduleExpression;
  readonly run: () => void;
}

export class CompressedSchedules {
  private readonly timers: NodeJS.Timeout[] = [];
  /** Wall ms between runs, by schedule name (Infinity: never, e.g. a one-off `at(...)` in the past). */
  readonly intervals: Record<string, number> = {};

  constructor(
    private readonly jobs: readonly ScheduledJob[],
    speed: number,
  ) {
    for (const job of jobs)
      this.intervals[job.name] = (approximateIntervalSeconds(job.expression) * 1000) / speed;
  }

  start(): void {
    for (const job of this.jobs) {
      const interval = this.intervals[job.name]!;
      // Node timers cap at 2^31-1 ms; a longer compressed interval simply never fires in a run.
      if (!Number.isFinite(interval) || interval > 2 ** 31 - 1) continue;
      const timer = setInterval(job.run, Math.max(interval, 50));
      timer.unref();
      this.timers.push(timer);
    }
  }

  stop(): void {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
  }
}
