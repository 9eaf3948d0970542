/**
 * Lambda entry point of `POST /readings` (API Gateway HTTP API, payload format 2.0): settings from the
 * environment once per container, real AWS clients.
 *
 * Environment (set by components/api/telemetry-api.ts from `ingestEnvironment`): ROOMS, MAX_BATCH_SIZE,
 * TELEMETRY_TARGET, QUARANTINE_DELIVERY_STREAM.
 */
import { FirehoseClient } from "@aws-sdk/client-firehose";
import { KinesisClient } from "@aws-sdk/client-kinesis";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { INGEST_ENV } from "../../components/api/routes";
import { deliveryTargetsFromEnv } from "../../components/ingest/delivery-targets";
import type { DeliveryClients } from "../ingest-common/delivery";
import { ingestReadings, type IngestSettings } from "./ingest";

/** Settings from the environment; every problem names the variable. */
export function ingestSettingsFromEnv(env: NodeJS.ProcessEnv): IngestSettings {
  const size = Number(env[INGEST_ENV.maxBatchSize]);
  if (!Number.isInteger(size) || size < 1 || size > 500)
    throw new Error(
      `environment variable ${INGEST_ENV.maxBatchSize} must be an integer from 1 to 500 (got "${env[INGEST_ENV.maxBatchSize] ?? ""}")`,
    );
  const rooms = (env[INGEST_ENV.rooms] ?? "").split(",").filter((r) => r !== "");
  return { rooms, maxBatchSize: size, targets: deliveryTargetsFromEnv(env) };
}

export type IngestHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

/** Builds the handler around given settings and clients (tests and the local backend use this). */
export function createIngestHandler(settings: IngestSettings, clients: DeliveryClients): IngestHandler {
  return (event) => ingestReadings(settings, clients, event);
}

let ingest: IngestHandler | undefined;

export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  ingest ??= createIngestHandler(ingestSettingsFromEnv(process.env), {
    kinesis: new KinesisClient({}),
    firehose: new FirehoseClient({}),
  });
  return ingest(event);
}
