/**
 * The clock the local scoring function reads. A window ends `ingestDelay` before "now" because the cloud's
 * Firehose delivers within that delay; the local one, run in compressed time, can fall further behind (a
 * one-second stall is ten simulated minutes at x600), and a reading that lands after its window was scored
 * would never be scored: a dropout, which only its first reading after the gap shows, would go unseen. So
 * "now" is held back until the lake holds every reading received before `now - ingestDelay`.
 */
export function scoringClock(
  now: () => number,
  ingestDelaySeconds: number,
  oldestUndeliveredArrivalMs: (() => number | undefined) | undefined,
): () => number {
  if (!oldestUndeliveredArrivalMs) return now;
  return () => {
    const oldest = oldestUndeliveredArrivalMs();
    const current = now();
    return oldest === undefined ? current : Math.min(current, oldest - 1 + ingestDelaySeconds * 1000);
  };
}
