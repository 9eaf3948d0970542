/**
 * The poller's HTTP side: credentials from Secrets Manager, and a GET with a timeout and retries.
 *
 * A request is retried on a network error, a timeout, 429 and 5xx, with exponential backoff and jitter (a
 * `Retry-After` in seconds is honoured, up to the backoff cap); any other status is the configuration's problem
 * (a wrong URL, expired credentials) and fails at once with the status, so it lands in the dead-letter queue with
 * a reason instead of being hammered.
 */
import { STATUS_CODES } from "node:http";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";

/** How a poller authenticates, as its secret's JSON says. */
export function headersFromSecret(
  secretArn: string,
  secretString: string | undefined,
): Record<string, string> {
  const forms =
    '{"headers": {"x-api-key": "..."}}, {"bearerToken": "..."} or {"username": "...", "password": "..."}';
  let value: unknown;
  try {
    value = JSON.parse(secretString ?? "");
  } catch {
    throw new Error(`secret ${secretArn} is not JSON; store one of ${forms}`);
  }
  const v = value as {
    headers?: unknown;
    bearerToken?: unknown;
    username?: unknown;
    password?: unknown;
  } | null;
  if (
    v &&
    typeof v.headers === "object" &&
    v.headers !== null &&
    Object.values(v.headers).every((h) => typeof h === "string")
  )
    return { ...(v.headers as Record<string, string>) };
  if (v && typeof v.bearerToken === "string") return { authorization: `Bearer ${v.bearerToken}` };
  if (v && typeof v.username === "string" && typeof v.password === "string")
    return { authorization: `Basic ${Buffer.from(`${v.username}:${v.password}`).toString("base64")}` };
  throw new Error(`secret ${secretArn} holds none of the credential forms; store one of ${forms}`);
}

/** Secret values are read once per container and refreshed after this long (a rotated secret takes effect). */
const SECRET_CACHE_MS = 5 * 60_000;
const cache = new Map<string, { readonly at: number; readonly headers: Record<string, string> }>();

/** The request headers a secret gives (cached), or none without a secret. */
export async function credentialHeaders(
  secrets: SecretsManagerClient,
  secretArn: string | undefined,
  now: number,
): Promise<Record<string, string>> {
  if (!secretArn) return {};
  const cached = cache.get(secretArn);
  if (cached && now - cached.at < SECRET_CACHE_MS) return cached.headers;
  const out = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
  const headers = headersFromSecret(secretArn, out.SecretString);
  cache.set(secretArn, { at: now, headers });
  return headers;
}

export interface FetchOptions {
  readonly headers: Record<string, string>;
  readonly timeoutMs: number;
  /** Retries after the first attempt. */
  readonly retries: number;
  readonly fetch: typeof fetch;
  readonly sleep: (ms: number) => Promise<void>;
}

/** What the endpoint answered. */
export interface FetchedResponse {
  readonly status: number;
  readonly body: Buffer;
  readonly attempts: number;
}

const BASE_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 10_000;

/** A non-retryable answer (the configuration's problem). */
export class PollRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PollRequestError";
  }
}

/** GETs `url`, retrying transient failures; the URL's query string is left out of messages (it may hold keys). */
export async function fetchWithRetries(url: string, options: FetchOptions): Promise<FetchedResponse> {
  const shown = url.split("?")[0];
  let last = "";
  for (let attempt = 0; attempt <= options.retries; attempt++) {
    let wait = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** attempt) * (0.5 + Math.random() / 2);
    try {
      const response = await options.fetch(url, {
        method: "GET",
        headers: { accept: "application/json", ...options.headers },
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      const body = Buffer.from(await response.arrayBuffer());
      if (response.ok) return { status: response.status, body, attempts: attempt + 1 };
      last = `HTTP ${response.status} ${response.statusText || STATUS_CODES[response.status] || ""}`.trim();
      if (response.status !== 429 && response.status < 500)
        throw new PollRequestError(
          `GET ${shown} answered ${last}: not retried; check the URL and the credentials (${body.toString("utf8").slice(0, 200)})`,
        );
      const retryAfter = Number(response.headers.get("retry-after"));
      if (Number.isFinite(retryAfter) && retryAfter > 0) wait = Math.min(MAX_BACKOFF_MS, retryAfter * 1000);
    } catch (err) {
      if (err instanceof PollRequestError) throw err;
      const e = err as Error;
      last =
        e.name === "TimeoutError" ? `no answer within ${options.timeoutMs} ms` : `${e.name}: ${e.message}`;
    }
    if (attempt < options.retries) await options.sleep(wait);
  }
  throw new Error(`GET ${shown} failed after ${options.retries + 1} attempts: ${last}`);
}
