/**
 * The HTTP API, locally: HTTPS on 127.0.0.1 with the local PKI's server certificate, the routes of
 * `components/api/routes.ts`, each request turned into the API Gateway payload 2.0 event the cloud hands the
 * same handler modules (`functions/https-ingest`, `functions/latest-state`), the stage's throttling per route
 * (a token bucket of `rateLimit`/s and `burstLimit`, 429 above it) and its access-log format, one JSON line per
 * request in `<data dir>/api/access.log`.
 *
 * Authorization: the cloud checks SigV4 (IAM) or the issuer's JWT; locally every route needs this data
 * directory's API token (`Authorization: Bearer <token>`, the token in `<data dir>/pki/api-token`, mode 0600),
 * so nothing else on the machine can post readings or read state. A request without it gets 401, as API
 * Gateway answers a missing or bad token.
 */
import { randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import * as fs from "node:fs";
import * as https from "node:https";
import { listenLocally } from "../listen";
import * as path from "node:path";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { apiRoutes, matchRoute, renderAccessLog, type ApiRoute } from "../../components/api/routes";
import type { HttpApiSettings } from "../../components/api/api-settings";
import { writeFileDurably } from "../lake/object-store";
import type { LocalPki } from "../pki";
import { apiGatewayEvent, type ApiHandler } from "./api-event";

export type { ApiHandler } from "./api-event";

/** Request bodies beyond this are refused before they are read (API Gateway's payload limit is 10 MB). */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** Where the local API token lives: with the other local secrets. */
export function apiTokenFile(dataDir: string): string {
  return path.join(dataDir, "pki", "api-token");
}

/** The local API token, generated on first use (256 random bits, mode 0600) and kept across runs. */
export function ensureApiToken(dataDir: string): string {
  const file = apiTokenFile(dataDir);
  if (fs.existsSync(file)) {
    const saved = fs.readFileSync(file, "utf8").trim();
    if (saved.length >= 32) return saved;
  }
  const token = randomBytes(32).toString("base64url");
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileDurably(file, Buffer.from(`${token}\n`), 0o600);
  return token;
}

/** Requests per status code, refusals included (for the summary). */
export type ApiStats = Record<string, number>;

export class LocalHttpApi {
  readonly stats: ApiStats = {};
  private server: https.Server | undefined;
  private readonly routes: readonly ApiRoute[];
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly args: {
      readonly settings: HttpApiSettings;
      readonly pki: LocalPki;
      readonly token: string;
      readonly handlers: { readonly ingest: ApiHandler; readonly "latest-state"?: ApiHandler };
      readonly accessLog: string;
      /** Simulated clock: the event's `timeEpoch`, which the ingest handler stamps as `received_at`. */
      readonly now: () => number;
    },
  ) {
    this.routes = apiRoutes(args.handlers["latest-state"] !== undefined);
    fs.mkdirSync(path.dirname(args.accessLog), { recursive: true });
  }

  /** Listens on 127.0.0.1; resolves with the base URL. */
  async start(port: number): Promise<string> {
    const { pki } = this.args;
    const server = https.createServer(
      { key: pki.server.privateKeyPem, cert: pki.server.certificatePem, minVersion: "TLSv1.2" },
      (req, res) => void this.handle(req, res),
    );
    this.server = server;
    const bound = await listenLocally(server, {
      what: "the HTTP API",
      host: "127.0.0.1",
      port,
      portOption: "--api-port",
    });
    return `https://127.0.0.1:${bound}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) {
    const started = performance.now();
    const url = new URL(req.url ?? "/", "https://127.0.0.1");
    const matched = matchRoute(this.routes, req.method ?? "GET", url.pathname);
    const context = {
      requestId: randomUUID(),
      requestTime: new Date(this.args.now()).toISOString(),
      "identity.sourceIp": req.socket.remoteAddress,
      routeKey: matched?.route.routeKey ?? "-",
    };
    const send = (result: APIGatewayProxyStructuredResultV2, authorizerError?: string) => {
      const body = Buffer.from(result.body ?? "");
      const status = result.statusCode ?? 200;
      res.writeHead(status, { ...(result.headers as Record<string, string>), "content-length": body.length });
      res.end(body);
      this.stats[status] = (this.stats[status] ?? 0) + 1;
      const line = renderAccessLog({
        ...context,
        status,
        responseLength: body.length,
        responseLatency: Math.round(performance.now() - started),
        "authorizer.error": authorizerError,
      });
      fs.appendFileSync(this.args.accessLog, `${line}\n`);
    };
    const error = (status: number, message: string) =>
      send({
        statusCode: status,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ message }),
      });

    if (!matched) return error(404, "Not Found");
    if (!this.authorized(req.headers.authorization))
      return send(
        {
          statusCode: 401,
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ message: "Unauthorized: send Authorization: Bearer <the local API token>" }),
        },
        "missing or wrong local API token",
      );
    if (!this.admit(matched.route.routeKey)) return error(429, "Too Many Requests");
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > MAX_BODY_BYTES) return error(413, "Request Entity Too Large");
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) return error(413, "Request Entity Too Large");
      chunks.push(chunk as Buffer);
    }
    const handler = this.args.handlers[matched.route.handler]!;
    const event = apiGatewayEvent({
      req,
      url,
      route: matched.route,
      pathParameters: matched.pathParameters,
      body: Buffer.concat(chunks),
      requestId: context.requestId,
      now: this.args.now(),
    });
    try {
      send(await handler(event));
    } catch (err) {
      send(
        {
          statusCode: 500,
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ message: "Internal Server Error" }),
        },
        undefined,
      );
      process.emitWarning(`HTTP API ${matched.route.routeKey}: ${(err as Error).message}`);
    }
  }

  private authorized(header: string | undefined): boolean {
    const given = Buffer.from(/^Bearer (\S+)$/.exec(header ?? "")?.[1] ?? "");
    const expected = Buffer.from(this.args.token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /** The stage's route throttling: a bucket of `burstLimit` tokens refilled at `rateLimit` per second. */
  private admit(routeKey: string): boolean {
    const { rateLimit, burstLimit } = this.args.settings;
    const now = performance.now();
    const bucket = this.buckets.get(routeKey) ?? { tokens: burstLimit, at: now };
    bucket.tokens = Math.min(burstLimit, bucket.tokens + ((now - bucket.at) / 1000) * rateLimit);
    bucket.at = now;
    this.buckets.set(routeKey, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens--;
    return true;
  }
}
