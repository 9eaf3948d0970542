/**
 * The dashboard's latest-state panel, through the HTTP API's own routes (`GET /devices/{id}/latest`,
 * `GET /rooms/{room}/summary?hours=N`) and handler (`functions/latest-state`, the one the local HTTP API serves):
 * the dashboard answers the same paths on its own origin, so the page reads the real-time table exactly as an API
 * client does, without the API token (the dashboard's loopback and Host checks guard it, as they guard the
 * snapshot). With the ingest stream off there is no real-time table, and the routes answer 404.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import {
  DEVICE_LATEST_ROUTE,
  LATEST_STATE_ROUTES,
  matchRoute,
  ROOM_SUMMARY_ROUTE,
  routePath,
} from "../../components/api/routes";
import { apiGatewayEvent, type ApiHandler } from "../streaming/api-event";

/** What the page asks for: each device's latest reading and each room's summary, as the routes' paths. */
export interface LatestStateRequests {
  /** The summary's span: the chart's window. */
  readonly hours: number;
  readonly devices: readonly { readonly device_id: string; readonly path: string }[];
  readonly rooms: readonly { readonly room_id: string; readonly path: string }[];
}

export function latestStateRequests(
  devices: Iterable<string>,
  rooms: readonly string[],
  hours: number,
): LatestStateRequests {
  return {
    hours,
    devices: [...new Set(devices)]
      .sort()
      .map((id) => ({ device_id: id, path: routePath(DEVICE_LATEST_ROUTE, { id }) })),
    rooms: rooms.map((room) => ({
      room_id: room,
      path: `${routePath(ROOM_SUMMARY_ROUTE, { room })}?hours=${hours}`,
    })),
  };
}

/**
 * Answers a dashboard request for a latest-state route through `handler`; `undefined` when `req` is for none
 * of them (the dashboard's other paths).
 */
export async function serveLatestStateRoute(
  handler: ApiHandler | undefined,
  req: IncomingMessage,
  url: URL,
  now: number,
): Promise<APIGatewayProxyStructuredResultV2 | undefined> {
  const matched = matchRoute(LATEST_STATE_ROUTES, req.method ?? "GET", url.pathname);
  if (!matched) return undefined;
  if (!handler)
    return {
      statusCode: 404,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        error: `${matched.route.routeKey} needs the real-time table: set ingestStream: kinesis in the stack file (e.g. --stack streaming)`,
      }),
    };
  return handler(
    apiGatewayEvent({
      req,
      url,
      route: matched.route,
      pathParameters: matched.pathParameters,
      body: Buffer.alloc(0),
      requestId: randomUUID(),
      now,
    }),
  );
}
