/**
 * Durations on the command line, in stack configuration and in summaries: `250ms`, `10s`, `5m`, `2h`, `1d`,
 * `1.5s`. Pure and shared: the simulator's options and the fleet runner's settings read durations the same way.
 */

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/**
 * Parses a duration with a unit into milliseconds. A bare number is refused on purpose: `--interval 5` could
 * mean 5 ms or 5 s, and guessing wrong by a factor of 1000 is the kind of mistake nobody notices.
 * Returns `undefined` when the text is not a duration; callers phrase the error with the option's name.
 */
export function parseDurationMs(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  const [, amount, unit] = match as unknown as [string, string, keyof typeof UNIT_MS];
  const ms = Number(amount) * UNIT_MS[unit];
  return Number.isFinite(ms) ? ms : undefined;
}

/** Formats milliseconds with the largest unit that keeps it readable: `1.5s`, `12m`, `250ms`. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${round(ms, 1)}ms`;
  if (ms < 60_000) return `${round(ms / 1_000, 2)}s`;
  if (ms < 3_600_000) return `${round(ms / 60_000, 2)}m`;
  if (ms < 86_400_000) return `${round(ms / 3_600_000, 2)}h`;
  return `${round(ms / 86_400_000, 2)}d`;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
