/**
 * Reconnect delays: exponential backoff with jitter above a floor ("full jitter", AWS Architecture Blog,
 * "Exponential Backoff And Jitter", with a minimum): attempt n waits a uniform draw in
 * [minMs, min(maxMs, baseMs * 2^(n+1))], so a fleet that lost its broker at once does not come back at once.
 * Jitter uses Math.random on purpose: it is timing, not data, and must differ between processes.
 */
export interface BackoffPolicy {
  /** Growth base: attempt n's upper bound is baseMs * 2^(n+1), ms. */
  readonly baseMs: number;
  /** Upper bound of any delay, ms. */
  readonly maxMs: number;
  /** Lower bound of any delay, ms. */
  readonly minMs: number;
}

/**
 * 2 s to 30 s. The 2 s floor keeps a device under IoT Core's limit of one connect per second per client ID,
 * and lets consumers that reconnect after a fixed second (MQTT.js's and mosquitto_sub's default) resubscribe
 * before the readings held during an outage arrive.
 */
export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 2_000, maxMs: 30_000, minMs: 2_000 };

/** Delay before reconnect attempt number `attempt` (0 for the first retry after a loss). */
export function backoffDelayMs(
  policy: BackoffPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.max(
    policy.minMs,
    Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt + 1, 30)),
  );
  return Math.floor(policy.minMs + random() * (ceiling - policy.minMs));
}
