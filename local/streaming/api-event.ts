/**
 * A local HTTP request as the API Gateway payload 2.0 event the cloud hands the route's Lambda function: shared by
 * the local HTTP API (`https-api.ts`) and the dashboard, which serves the latest-state routes from the same handler.
 */
import type { IncomingMessage } from "node:http";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { ApiRoute } from "../../components/api/routes";

export type ApiHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

/** The event of `req` for the route it matched; `now` (simulated) is the request's time. */
export function apiGatewayEvent(args: {
  readonly req: IncomingMessage;
  readonly url: URL;
  readonly route: ApiRoute;
  readonly pathParameters: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly requestId: string;
  readonly now: number;
  /** Host name the event names as the API's domain. */
  readonly domainName?: string;
}): APIGatewayProxyEventV2 {
  const { req, url, route, body, now } = args;
  // Credentials stay with the server that checked them: the handler never sees them.
  const headers = Object.fromEntries(
    Object.entries(req.headers)
      .filter(([name]) => name !== "authorization" && name !== "cookie")
      .map(([name, value]) => [name, Array.isArray(value) ? value.join(",") : (value ?? "")]),
  );
  const query = Object.fromEntries(url.searchParams.entries());
  const domainName = args.domainName ?? "127.0.0.1";
  return {
    version: "2.0",
    routeKey: route.routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    ...(Object.keys(args.pathParameters).length > 0 ? { pathParameters: { ...args.pathParameters } } : {}),
    requestContext: {
      accountId: "000000000000",
      apiId: "local",
      domainName,
      domainPrefix: domainName.split(".")[0]!,
      http: {
        method: req.method ?? "GET",
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? "",
        userAgent: String(req.headers["user-agent"] ?? ""),
      },
      requestId: args.requestId,
      routeKey: route.routeKey,
      stage: "$default",
      time: new Date(now).toISOString(),
      timeEpoch: now,
    },
    // Base64 always: the bytes reach the handler exactly as sent, whatever their encoding.
    ...(body.length > 0
      ? { body: body.toString("base64"), isBase64Encoded: true }
      : { isBase64Encoded: false }),
  };
}
