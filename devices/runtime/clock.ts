/**
 * Simulated time. Readings are stamped with simulated time; `speed` makes it run faster than wall time, so a
 * test or a replay covers hours in seconds. The mapping is fixed at start (no drift): simulated time
 * `simStartMs + (wall - wallStart) * speed`.
 */
export class SimClock {
  readonly wallStart: number;

  /**
   * @param simStartMs simulated time at the start (ms since epoch)
   * @param speed simulated milliseconds per wall millisecond
   */
  constructor(
    readonly simStartMs: number,
    readonly speed: number,
    wallStart: number = performance.now(),
  ) {
    if (!(speed > 0)) throw new Error(`speed must be positive (got ${speed})`);
    this.wallStart = wallStart;
  }

  /** Wall time (performance.now() scale) at which simulated time `simMs` is reached. */
  wallAt(simMs: number): number {
    return this.wallStart + (simMs - this.simStartMs) / this.speed;
  }

  /** Simulated time now. */
  simNow(wallNow: number = performance.now()): number {
    return this.simStartMs + (wallNow - this.wallStart) * this.speed;
  }
}
