/**
 * The local backend's one notion of time: simulated time, running `speed` times faster than the wall clock.
 * Every component reads it (the fleet's readings, the rule's `timestamp()`, object times in the lake, Glue job
 * runs, the scoring window), so a run at `--speed 60` sees one simulated hour per wall minute everywhere at
 * once. Durations the cloud configures in seconds (Firehose buffering, crawler polls, schedules) are divided by
 * the speed to get wall time.
 *
 * Simulated time never goes backwards across runs on one data directory: a run starts at the later of the
 * wall clock and the simulated time the previous run reached (devices' `ts` keep increasing).
 */
import { SimClock } from "../devices/runtime/clock";

export class LocalClock {
  private readonly clock: SimClock;

  /**
   * @param speed simulated ms per wall ms
   * @param resumeFromMs simulated time a previous run on the same data reached. @default - none
   */
  constructor(
    readonly speed: number,
    resumeFromMs = 0,
  ) {
    if (!(speed > 0) || !Number.isFinite(speed))
      throw new Error(`speed must be a positive number (got ${speed})`);
    this.clock = new SimClock(Math.max(Date.now(), Math.ceil(resumeFromMs) + 1), speed);
  }

  /** Simulated time now, epoch ms (whole milliseconds, like IoT Core's `timestamp()`). */
  now(): number {
    return Math.floor(this.clock.simNow());
  }

  /** Simulated time at the start of this run. */
  get startMs(): number {
    return this.clock.simStartMs;
  }

  /** Wall milliseconds that `simulatedMs` of simulated time take. */
  wallMs(simulatedMs: number): number {
    return simulatedMs / this.speed;
  }
}
