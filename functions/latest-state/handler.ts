/**
 * Lambda entry point of the latest-state routes (`GET /devices/{id}/latest`, `GET /rooms/{room}/summary`):
 * settings from the environment once per container, a real DynamoDB client.
 *
 * Environment (set by components/api/telemetry-api.ts): REALTIME_TABLE.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { REALTIME_ENV } from "../../components/streaming/realtime-layout";
import { serveLatestState, type LatestStateClients, type LatestStateSettings } from "./state";

/** Settings from the environment; every problem names the variable. */
export function latestStateSettingsFromEnv(env: NodeJS.ProcessEnv): LatestStateSettings {
  const tableName = env[REALTIME_ENV.tableName];
  if (!tableName)
    throw new Error(
      `environment variable ${REALTIME_ENV.tableName} is not set; the TelemetryApi component sets it`,
    );
  return { tableName };
}

export type LatestStateHandler = (
  event: APIGatewayProxyEventV2,
) => Promise<APIGatewayProxyStructuredResultV2>;

/** Builds the handler around given settings and clients (tests and the local backend use this). */
export function createLatestStateHandler(
  settings: LatestStateSettings,
  clients: LatestStateClients,
): LatestStateHandler {
  return (event) => serveLatestState(settings, clients, event);
}

let latestState: LatestStateHandler | undefined;

export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  latestState ??= createLatestStateHandler(latestStateSettingsFromEnv(process.env), {
    dynamodb: new DynamoDBClient({}),
  });
  return latestState(event);
}
