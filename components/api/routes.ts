/**
 * The HTTP API's routes, access-log format and the functions' environment: one definition for the Pulumi
 * component (routes, stage, functions) and the local backend's HTTPS server. Pure.
 */
import { deliveryEnvironment, type DeliveryTargets } from "../ingest/delivery-targets";

/** Which function serves a route, and which scopes (JWT) it needs. */
export interface ApiRoute {
  /** API Gateway route key: method, a space, the path with `{parameters}`. */
  readonly routeKey: string;
  readonly handler: "ingest" | "latest-state";
  /** `ingest` routes need `ingestScopes`, `read` routes `readScopes`. */
  readonly access: "ingest" | "read";
}

export const INGEST_ROUTE: ApiRoute = { routeKey: "POST /readings", handler: "ingest", access: "ingest" };
/** A device's latest reading. */
export const DEVICE_LATEST_ROUTE: ApiRoute = {
  routeKey: "GET /devices/{id}/latest",
  handler: "latest-state",
  access: "read",
};
/** A room's hourly summary (`?hours=N`, {@link SUMMARY_HOURS}). */
export const ROOM_SUMMARY_ROUTE: ApiRoute = {
  routeKey: "GET /rooms/{room}/summary",
  handler: "latest-state",
  access: "read",
};
export const LATEST_STATE_ROUTES: readonly ApiRoute[] = [DEVICE_LATEST_ROUTE, ROOM_SUMMARY_ROUTE];

/** The routes of an API: ingestion always, the latest-state routes when the real-time table exists. */
export function apiRoutes(latestState: boolean): readonly ApiRoute[] {
  return latestState ? [INGEST_ROUTE, ...LATEST_STATE_ROUTES] : [INGEST_ROUTE];
}

/** The route a request matches, with its path parameters; `undefined` when none does. */
export function matchRoute(
  routes: readonly ApiRoute[],
  method: string,
  path: string,
): { readonly route: ApiRoute; readonly pathParameters: Record<string, string> } | undefined {
  for (const route of routes) {
    const [routeMethod, template] = route.routeKey.split(" ") as [string, string];
    if (routeMethod !== method) continue;
    const names: string[] = [];
    const pattern = template.replace(/\{([a-z]+)\}/g, (_, name: string) => {
      names.push(name);
      return "([^/]+)";
    });
    const match = new RegExp(`^${pattern}$`).exec(path);
    if (match)
      return {
        route,
        pathParameters: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(match[i + 1]!)])),
      };
  }
  return undefined;
}

/** The path of `route` with its `{parameters}` filled in (encoded): what a client requests. */
export function routePath(route: ApiRoute, parameters: Readonly<Record<string, string>>): string {
  const template = route.routeKey.split(" ")[1]!;
  return template.replace(/\{([a-z]+)\}/g, (_, name: string) => {
    const value = parameters[name];
    if (value === undefined) throw new Error(`route ${route.routeKey}: no value for {${name}}`);
    return encodeURIComponent(value);
  });
}

/** `hours` of `GET /rooms/{room}/summary`: how far back the summary goes. */
export const SUMMARY_HOURS = { default: 24, max: 168 } as const;

/** Largest request body the ingest function reads (API Gateway allows 10 MB; a batch of 500 readings is far less). */
export const MAX_INGEST_BODY_BYTES = 1024 * 1024;

export const INGEST_ENV = { rooms: "ROOMS", maxBatchSize: "MAX_BATCH_SIZE" } as const;

/** The ingest function's environment. */
export function ingestEnvironment(args: {
  readonly rooms: readonly string[];
  readonly maxBatchSize: number;
  readonly targets: DeliveryTargets;
}): Record<string, string> {
  return {
    [INGEST_ENV.rooms]: args.rooms.join(","),
    [INGEST_ENV.maxBatchSize]: String(args.maxBatchSize),
    ...deliveryEnvironment(args.targets),
  };
}

/**
 * The stage's access-log format (JSON, one line per request): API Gateway fills the `$context` variables; the
 * local server fills the same ones ({@link renderAccessLog}).
 */
export const ACCESS_LOG_FORMAT: Readonly<Record<string, string>> = {
  requestId: "$context.requestId",
  requestTime: "$context.requestTime",
  sourceIp: "$context.identity.sourceIp",
  routeKey: "$context.routeKey",
  status: "$context.status",
  responseLength: "$context.responseLength",
  latencyMs: "$context.responseLatency",
  caller: "$context.identity.userArn",
  subject: "$context.authorizer.claims.sub",
  authorizerError: "$context.authorizer.error",
  integrationError: "$context.integrationErrorMessage",
};

/** One access-log line from the context values the local server knows (`-` for the others, as API Gateway). */
export function renderAccessLog(context: Readonly<Record<string, string | number | undefined>>): string {
  const line: Record<string, string> = {};
  for (const [field, variable] of Object.entries(ACCESS_LOG_FORMAT)) {
    const value = context[variable.replace(/^\$context\./, "")];
    line[field] = value === undefined || value === "" ? "-" : String(value);
  }
  return JSON.stringify(line);
}
