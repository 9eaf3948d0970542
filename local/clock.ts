/**
 * The local backend's one notion of time: simulated time, running `speed` times faster than the wall clock.
 * Every component reads it (the fleet's readings, the rule's `timestamp()`, object times in the lake, Glue job
 * runs, the scoring window), so a run at `--speed 60` sees one simulated hour per wall minute everywhere at
 * once. Durations the cloud configures in seconds (Firehose buffering, crawler polls, schedules) are divided by
 * the speed to get wall time.
 *
 * Simulated time never goes backwards across runs on one data directory: a run starts at the later of the
 * wall clock and the simulated time the previous run reached (devices' `ts` keep increasing). An explicit start
 * (`--start`) makes a run independent of when it is started (the sensors' daily cycle and the seeded history
 * follow the simulated time); it must still be later than what a previous run reached.
 */
import { SimClock } from "../devices/runtime/clock";

export class LocalClock {
  private readonly clock: SimClock;

  /**
   * @param speed simulated ms per wall ms
   * @param resumeFromMs simulated time a previous run on the same data reached. @default - none
   * @param startMs simulated time to start at, epoch ms. @default - the wall clock, or just after `resumeFromMs`
   * @throws Error if `startMs` is not after `resumeFromMs` (simulated time would go backwards)
   */
  constructor(
    readonly speed: number,
    resumeFromMs = 0,
    startMs?: number,
  ) {
    if (!(speed > 0) || !Number.isFinite(speed))
      throw new Error(`speed must be a positive number (got ${speed})`);
    const resumeAt = Math.ceil(resumeFromMs) + 1;
    if (startMs !== undefined && !(Number.isFinite(startMs) && startMs >= resumeAt))
      throw new Error(
        `the start ${isoOrText(startMs)} is not after ${new Date(resumeAt - 1).toISOString()}, the simulated time a previous run on this data directory reached; pass a later start or a fresh data directory`,
      );
    this.clock = new SimClock(startMs ?? Math.max(Date.now(), resumeAt), speed);
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

function isoOrText(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms);
}
