/**
 * Lambda entry point of the real-time consumer (a Kinesis event source mapping with ReportBatchItemFailures):
 * settings from the environment once per container, a real DynamoDB client.
 *
 * Environment (set by components/streaming/realtime-aggregates.ts from `realtimeConsumerEnvironment`):
 * REALTIME_TABLE, AGGREGATE_TTL_DAYS, LATEST_TTL_DAYS.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from "aws-lambda";
import { REALTIME_ENV } from "../../components/streaming/realtime-layout";
import { consumeBatch, type ConsumerClients, type ConsumerSettings } from "./aggregates";

/** Settings from the environment; every problem names the variable. */
export function consumerSettingsFromEnv(env: NodeJS.ProcessEnv): ConsumerSettings {
  const days = (name: string): number => {
    const value = Number(env[name]);
    if (!Number.isInteger(value) || value < 1)
      throw new Error(
        `environment variable ${name} must be a whole number of days (got "${env[name] ?? ""}")`,
      );
    return value;
  };
  const tableName = env[REALTIME_ENV.tableName];
  if (!tableName)
    throw new Error(
      `environment variable ${REALTIME_ENV.tableName} is not set; the RealtimeAggregates component sets it`,
    );
  return {
    tableName,
    aggregateTtlDays: days(REALTIME_ENV.aggregateTtlDays),
    latestTtlDays: days(REALTIME_ENV.latestTtlDays),
  };
}

export type ConsumerHandler = (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse>;

/** Builds the handler around given settings and clients (tests and the local backend use this). */
export function createConsumerHandler(settings: ConsumerSettings, clients: ConsumerClients): ConsumerHandler {
  return (event) => consumeBatch(settings, clients, event);
}

let consumer: ConsumerHandler | undefined;

export async function handler(event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> {
  consumer ??= createConsumerHandler(consumerSettingsFromEnv(process.env), {
    dynamodb: new DynamoDBClient({}),
  });
  return consumer(event);
}
