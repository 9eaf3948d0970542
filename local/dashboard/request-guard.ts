/**
 * Who may talk to the dashboard. It listens on 127.0.0.1 only, but a web page on any site can still make the
 * browser send requests to it (cross-site requests, DNS rebinding), so:
 *
 * - every request must name a loopback host in `Host` (a rebound `evil.example` pointing at 127.0.0.1 does not);
 * - a state-changing request (anything but GET and HEAD) must come from the dashboard's own origin when the
 *   browser says where it comes from (`Origin`), and must carry this run's token (`X-Run-Token`), which only the
 *   dashboard page knows: it is written into the page the server serves, which other sites cannot read.
 *
 * Pure: the server (`server.ts`) applies the verdict.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";

/** Host names of this machine's loopback interface, as browsers send them in `Host` and `Origin`. */
export const LOOPBACK_HOST_NAMES: readonly string[] = ["127.0.0.1", "localhost", "[::1]"];

/** The header a state-changing request carries the run token in. */
export const RUN_TOKEN_HEADER = "x-run-token";

/** A fresh token for one run of the dashboard (256 random bits). */
export function newRunToken(): string {
  return randomBytes(32).toString("base64url");
}

export interface DashboardRequest {
  readonly method: string;
  readonly host: string | undefined;
  readonly origin: string | undefined;
  readonly token: string | undefined;
}

/** Why a request is refused, or `undefined` when it may proceed. */
export function refusal(request: DashboardRequest, port: number, runToken: string): string | undefined {
  if (!isLoopbackHost(request.host, port))
    return `Host ${JSON.stringify(request.host ?? "")} is not this dashboard (open http://127.0.0.1:${port}/)`;
  if (request.method === "GET" || request.method === "HEAD") return undefined;
  if (request.origin !== undefined && !isOwnOrigin(request.origin, port))
    return `a ${request.method} from ${request.origin} is not from this dashboard`;
  if (!tokenMatches(request.token, runToken))
    return `a ${request.method} needs this run's token in ${RUN_TOKEN_HEADER} (the dashboard page sends it)`;
  return undefined;
}

/** `Host` names a loopback name with the dashboard's port (or no port when the dashboard is on 80). */
export function isLoopbackHost(host: string | undefined, port: number): boolean {
  if (!host) return false;
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host.trim().toLowerCase());
  if (!match || !LOOPBACK_HOST_NAMES.includes(match[1]!)) return false;
  return match[2] === undefined ? port === 80 : Number(match[2]) === port;
}

/** `Origin` is the dashboard itself: http, a loopback name, the dashboard's port. */
export function isOwnOrigin(origin: string, port: number): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  return url.protocol === "http:" && url.pathname === "/" && isLoopbackHost(url.host, port);
}

function tokenMatches(given: string | undefined, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
