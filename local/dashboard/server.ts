/**
 * The dashboard (QuickSight's role locally): an HTTP server on 127.0.0.1 serving one page (static files under
 * `static/`, uPlot from its npm package) and its data:
 *
 *   GET  /api/snapshot   the current {@link DashboardSnapshot}
 *   GET  /api/events     Server-Sent Events: a snapshot whenever something changed, at most every second
 *   POST /api/etl        start the ETL state machine now (202, or 409 while one runs)
 *   GET  /devices/{id}/latest, GET /rooms/{room}/summary?hours=N
 *                        the HTTP API's latest-state routes, answered by the same handler (`latest-state.ts`)
 *
 * Closed to strangers (`request-guard.ts`): loopback `Host` only, and state-changing requests from the
 * dashboard's own origin with this run's token, which the served page carries in `<meta name="run-token">`.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import { listenLocally } from "../listen";
import * as path from "node:path";
import type { BackendParts } from "../backend";
import { dashboardSnapshot, type DashboardSnapshot } from "./snapshot";
import { serveLatestStateRoute } from "./latest-state";
import { newRunToken, refusal, RUN_TOKEN_HEADER } from "./request-guard";

const STATIC_DIR = path.join(__dirname, "static");
const UPLOT_DIR = path.dirname(require.resolve("uplot/dist/uPlot.iife.min.js"));
const FILES: Readonly<Record<string, { file: string; type: string }>> = {
  "/": { file: path.join(STATIC_DIR, "index.html"), type: "text/html; charset=utf-8" },
  "/static/app.js": { file: path.join(STATIC_DIR, "app.js"), type: "text/javascript; charset=utf-8" },
  "/static/style.css": { file: path.join(STATIC_DIR, "style.css"), type: "text/css; charset=utf-8" },
  "/vendor/uPlot.iife.min.js": {
    file: path.join(UPLOT_DIR, "uPlot.iife.min.js"),
    type: "text/javascript; charset=utf-8",
  },
  "/vendor/uPlot.min.css": { file: path.join(UPLOT_DIR, "uPlot.min.css"), type: "text/css; charset=utf-8" },
};
/** Wall ms between snapshot pushes. */
const PUSH_INTERVAL_MS = 1_000;
/** Open connections the dashboard takes (a page uses a few; more are a runaway client). */
const MAX_CONNECTIONS = 64;
/** Where the served page carries the run token. */
const TOKEN_PLACEHOLDER = "%RUN_TOKEN%";
const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "content-security-policy": "frame-ancestors 'none'",
  "referrer-policy": "no-referrer",
};

export class DashboardServer {
  private server: http.Server | undefined;
  private readonly clients = new Set<http.ServerResponse>();
  private timer: NodeJS.Timeout | undefined;
  private cached: { key: string; snapshot: Promise<DashboardSnapshot> } | undefined;
  private port = 0;
  /** This run's token for state-changing requests. */
  readonly runToken = newRunToken();
  /** Requests refused by the Host, Origin and token checks. */
  refused = 0;

  constructor(private readonly parts: BackendParts) {}

  /** Listens on 127.0.0.1; resolves with the page's URL. */
  async start(port: number): Promise<string> {
    const server = http.createServer((req, res) => void this.handle(req, res));
    server.maxConnections = MAX_CONNECTIONS;
    this.server = server;
    this.port = await listenLocally(server, {
      what: "the dashboard",
      host: "127.0.0.1",
      port,
      portOption: "--port",
      // An accept that fails later (EMFILE) is not fatal: the server keeps listening.
      onAcceptError: (err) => process.emitWarning(`dashboard: ${err.message}`),
    });
    this.timer = setInterval(() => void this.push(), PUSH_INTERVAL_MS);
    this.timer.unref();
    return `http://127.0.0.1:${this.port}/`;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (const client of this.clients) client.end();
    this.clients.clear();
    const server = this.server;
    this.server = undefined;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  /** The snapshot, recomputed only when data or pipeline state changed (queries read the lake's files). */
  private snapshot(): Promise<DashboardSnapshot> {
    const { writer, ingest, pipelines } = this.parts;
    const key = [
      writer.stats.deliveries,
      ingest.counters.received,
      pipelines.sfn
        .list()
        .map((e) => `${e.name}:${e.status}`)
        .join(","),
      pipelines.sns.published.length,
      Math.floor(this.parts.clock.now() / 60_000),
    ].join("|");
    if (!this.cached || this.cached.key !== key)
      this.cached = { key, snapshot: dashboardSnapshot(this.parts) };
    return this.cached.snapshot;
  }

  private async push(): Promise<void> {
    if (this.clients.size === 0) return;
    const data = `data: ${JSON.stringify(await this.snapshot())}\n\n`;
    for (const client of this.clients) client.write(data);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const refused = refusal(
      {
        method: req.method ?? "GET",
        host: req.headers.host,
        origin: req.headers.origin,
        token: header(req.headers[RUN_TOKEN_HEADER]),
      },
      this.port,
      this.runToken,
    );
    if (refused) {
      this.refused++;
      res.writeHead(403, { "content-type": "application/json", ...SECURITY_HEADERS });
      res.end(JSON.stringify({ error: `dashboard: ${refused}` }));
      return;
    }
    let routed: Awaited<ReturnType<typeof serveLatestStateRoute>>;
    try {
      if (req.method === "GET" && FILES[url.pathname]) {
        const { file, type } = FILES[url.pathname]!;
        const body = fs.readFileSync(file);
        res.writeHead(200, { "content-type": type, "cache-control": "no-cache", ...SECURITY_HEADERS });
        res.end(
          url.pathname === "/" ? body.toString("utf8").replace(TOKEN_PLACEHOLDER, this.runToken) : body,
        );
      } else if (req.method === "GET" && url.pathname === "/api/snapshot") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(await this.snapshot()));
      } else if (req.method === "GET" && url.pathname === "/api/events") {
        res.writeHead(200, {
          "content-type": "text/event-stream",
          "cache-control": "no-cache",
          connection: "keep-alive",
        });
        this.clients.add(res);
        req.on("close", () => this.clients.delete(res));
        res.write(`data: ${JSON.stringify(await this.snapshot())}\n\n`);
      } else if (
        (routed = await serveLatestStateRoute(
          this.parts.sources?.latestState,
          req,
          url,
          this.parts.clock.now(),
        ))
      ) {
        const body = routed.body ?? "";
        res.writeHead(routed.statusCode ?? 200, {
          ...(routed.headers as Record<string, string>),
          "content-length": Buffer.byteLength(body),
          ...SECURITY_HEADERS,
        });
        res.end(body);
      } else if (req.method === "POST" && url.pathname === "/api/etl") {
        const execution = this.parts.pipelines.startEtl({});
        res.writeHead(execution ? 202 : 409, { "content-type": "application/json" });
        res.end(
          JSON.stringify(
            execution ? { started: execution.name } : { error: "an ETL execution is already running" },
          ),
        );
      } else {
        res.writeHead(404, { "content-type": "text/plain" });
        res.end("not found");
      }
    } catch (err) {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(`dashboard error: ${(err as Error).message}`);
    }
  }
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
