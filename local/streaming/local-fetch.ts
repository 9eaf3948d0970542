/**
 * `fetch` for the local pollers: a GET over HTTPS that trusts the system's roots and the local PKI's CA, so a
 * poller's URL may be a public endpoint or a server on this machine with a certificate from the local CA (as the
 * tests' REST server has). Only what the poller's `fetchWithRetries` uses: method, headers, signal, and a
 * `Response` with status, headers and the body.
 */
import * as https from "node:https";
import { rootCertificates } from "node:tls";

export function fetchTrusting(caPem: string): typeof fetch {
  const ca = [...rootCertificates, caPem];
  return (input, init) =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      if (url.protocol !== "https:") {
        reject(new TypeError(`the local pollers fetch https URLs only (got ${url.protocol})`));
        return;
      }
      const headers = Object.fromEntries(new Headers(init?.headers).entries());
      const request = https.request(
        url,
        { method: init?.method ?? "GET", headers, ca, signal: init?.signal ?? undefined },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("error", reject);
          response.on("end", () => {
            const out = new Headers();
            for (const [name, value] of Object.entries(response.headers))
              if (value !== undefined) out.set(name, Array.isArray(value) ? value.join(", ") : value);
            const status = response.statusCode ?? 500;
            const body = status === 204 || status === 304 ? null : Buffer.concat(chunks);
            resolve(new Response(body, { status, statusText: response.statusMessage ?? "", headers: out }));
          });
        },
      );
      request.on("error", (err) => reject(init?.signal?.aborted ? init.signal.reason : err));
      request.end();
    });
}
