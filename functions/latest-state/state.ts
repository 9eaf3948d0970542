/**
 * The latest-state routes of the HTTP API, served from the real-time table (no Athena query, no lake scan):
 *
 *   GET /devices/{id}/latest            the device's latest reading (404 when none within its TTL)
 *   GET /rooms/{room}/summary?hours=N   per hour of the last N (1-168, default 24): readings, min, avg, max of
 *                                       temperature_c, and the same over the whole span
 *
 * Items past their TTL are not served even before DynamoDB deletes them (deletion can lag by days).
 */
import { DynamoDBClient, GetItemCommand, QueryCommand, type AttributeValue } from "@aws-sdk/client-dynamodb";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { SUMMARY_HOURS } from "../../components/api/routes";
import {
  hourBucket,
  hourOfSortKey,
  hourRange,
  latestKey,
  roomPartition,
} from "../../components/streaming/realtime-layout";
import { isTopicSegment } from "../../components/telemetry/topics";
import { itemReading, keyAttributes } from "./items";

export interface LatestStateSettings {
  readonly tableName: string;
}

export interface LatestStateClients {
  readonly dynamodb: DynamoDBClient;
  /** @default - Date.now */
  readonly now?: () => number;
}

export interface HourSummary {
  /** Start of the hour, ISO 8601. */
  readonly hour: string;
  readonly readings: number;
  readonly min: number;
  readonly avg: number;
  readonly max: number;
}

export interface RoomSummary {
  readonly room_id: string;
  readonly hours: number;
  /** First and last hour of the span, ISO 8601. */
  readonly from: string;
  readonly to: string;
  readonly readings: number;
  readonly min: number | null;
  readonly avg: number | null;
  readonly max: number | null;
  readonly byHour: readonly HourSummary[];
}

const json = (statusCode: number, body: object): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { "content-type": "application/json", "cache-control": "no-store" },
  body: JSON.stringify(body),
});

const alive = (item: Readonly<Record<string, AttributeValue>>, nowMs: number) =>
  item.expiresAt?.N === undefined || Number(item.expiresAt.N) > nowMs / 1000;

/** Serves one request of a latest-state route. */
export async function serveLatestState(
  settings: LatestStateSettings,
  clients: LatestStateClients,
  event: APIGatewayProxyEventV2,
): Promise<APIGatewayProxyStructuredResultV2> {
  const now = (clients.now ?? Date.now)();
  if (event.routeKey === "GET /devices/{id}/latest") {
    const id = event.pathParameters?.id ?? "";
    if (!isTopicSegment(id))
      return json(400, { error: `device id "${id}" is not 1-64 letters, digits, "_" or "-"` });
    const { Item } = await clients.dynamodb.send(
      new GetItemCommand({ TableName: settings.tableName, Key: keyAttributes(latestKey(id)) }),
    );
    if (!Item || !alive(Item, now)) return json(404, { error: `no reading of device ${id} is held` });
    return json(200, itemReading(Item));
  }
  if (event.routeKey === "GET /rooms/{room}/summary") {
    const room = event.pathParameters?.room ?? "";
    if (!isTopicSegment(room))
      return json(400, { error: `room "${room}" is not 1-64 letters, digits, "_" or "-"` });
    const text = event.queryStringParameters?.hours ?? String(SUMMARY_HOURS.default);
    const hours = Number(text);
    if (!/^\d+$/.test(text) || hours < 1 || hours > SUMMARY_HOURS.max)
      return json(400, { error: `hours must be an integer from 1 to ${SUMMARY_HOURS.max} (got "${text}")` });
    return json(200, await roomSummary(settings, clients.dynamodb, room, hours, now));
  }
  return json(404, { error: `no route ${event.routeKey}` });
}

async function roomSummary(
  settings: LatestStateSettings,
  dynamodb: DynamoDBClient,
  room: string,
  hours: number,
  now: number,
): Promise<RoomSummary> {
  const from = hourBucket(now - (hours - 1) * 3_600_000);
  const to = hourBucket(now);
  const range = hourRange(from, to);
  const items: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await dynamodb.send(
      new QueryCommand({
        TableName: settings.tableName,
        KeyConditionExpression: "#pk = :pk AND #sk BETWEEN :from AND :to",
        ExpressionAttributeNames: { "#pk": "pk", "#sk": "sk" },
        ExpressionAttributeValues: {
          ":pk": { S: roomPartition(room) },
          ":from": { S: range.from },
          ":to": { S: range.to },
        },
        ExclusiveStartKey: start,
      }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);

  // An hour's aggregate is kept per shard: add the shards up.
  const byHour = new Map<string, { readings: number; sum: number; min: number; max: number }>();
  for (const item of items.filter((i) => alive(i, now))) {
    const hour = hourOfSortKey(item.sk!.S!);
    const h = byHour.get(hour) ?? { readings: 0, sum: 0, min: Infinity, max: -Infinity };
    h.readings += Number(item.count!.N);
    h.sum += Number(item.sum!.N);
    h.min = Math.min(h.min, Number(item.min!.N));
    h.max = Math.max(h.max, Number(item.max!.N));
    byHour.set(hour, h);
  }
  const round = (v: number) => Math.round(v * 1000) / 1000;
  const summaries = [...byHour.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([hour, h]): HourSummary => ({
      hour: `${hour}:00:00.000Z`,
      readings: h.readings,
      min: h.min,
      avg: round(h.sum / h.readings),
      max: h.max,
    }));
  const readings = summaries.reduce((n, h) => n + h.readings, 0);
  const sum = [...byHour.values()].reduce((n, h) => n + h.sum, 0);
  return {
    room_id: room,
    hours,
    from: `${from}:00:00.000Z`,
    to: `${to}:00:00.000Z`,
    readings,
    min: readings > 0 ? Math.min(...summaries.map((h) => h.min)) : null,
    avg: readings > 0 ? round(sum / readings) : null,
    max: readings > 0 ? Math.max(...summaries.map((h) => h.max)) : null,
    byHour: summaries,
  };
}
