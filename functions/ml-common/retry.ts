/**
 * Retries with capped exponential backoff and full jitter (AWS's recommended strategy) for calls the SDK's
 * own retries gave up on, such as an endpoint throttling a burst of scoring requests. Sleep and randomness are
 * injected so tests run instantly and deterministically.
 */

export interface RetryOptions {
  /** Attempts in total, the first included. @default 5 */
  readonly attempts?: number;
  /** Upper bound of the first pause, in ms; doubles per attempt. @default 200 */
  readonly baseDelayMs?: number;
  /** Largest pause, in ms. @default 5000 */
  readonly maxDelayMs?: number;
  /** Whether an error is worth another attempt. @default isTransientError */
  readonly retryable?: (err: unknown) => boolean;
  /** @default setTimeout-based sleep */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default Math.random */
  readonly random?: () => number;
}

const TRANSIENT_NAMES = new Set([
  "ThrottlingException",
  "Throttling",
  "TooManyRequestsException",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "InternalFailure",
  "InternalServerError",
  "ModelNotReadyException",
  "RequestTimeout",
  "RequestTimeoutException",
  "SlowDown",
  // The SDK's own HTTP handler: a socket or connection that timed out (no HTTP status to go by).
  "TimeoutError",
]);

/** Network failures below HTTP (Node's error codes): the request may not have reached the service. */
const TRANSIENT_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "EAI_AGAIN"]);

/**
 * Throttling, 5xx, "model not ready", timeouts and dropped connections: worth retrying. A 4xx validation error is
 * not.
 */
export function isTransientError(err: unknown): boolean {
  const e = err as {
    name?: string;
    code?: string;
    $retryable?: unknown;
    $metadata?: { httpStatusCode?: number };
  };
  if (e?.name && TRANSIENT_NAMES.has(e.name)) return true;
  if (e?.code && TRANSIENT_CODES.has(e.code)) return true;
  if (e?.$retryable) return true;
  const status = e?.$metadata?.httpStatusCode;
  return status === 429 || (status !== undefined && status >= 500);
}

export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `call` until it succeeds, a non-retryable error occurs, or the attempts run out (the last error is thrown). */
export async function withRetries<T>(
  call: (attempt: number) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? 5;
  const base = options.baseDelayMs ?? 200;
  const max = options.maxDelayMs ?? 5000;
  const retryable = options.retryable ?? isTransientError;
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call(attempt);
    } catch (err) {
      if (attempt >= attempts || !retryable(err)) throw err;
      await sleep(Math.floor(random() * Math.min(max, base * 2 ** (attempt - 1))));
    }
  }
}
