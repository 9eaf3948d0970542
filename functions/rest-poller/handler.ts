/**
 * Lambda entry point of a REST poller, invoked by its EventBridge Scheduler schedule: settings from the
 * environment once per container, real AWS clients and the runtime's fetch.
 *
 * Environment (set by components/pollers/rest-pollers.ts from `pollerEnvironment` and `deliveryEnvironment`):
 * POLLER (the poller's settings as JSON), DEDUP_TABLE, ROOMS, TELEMETRY_TARGET, QUARANTINE_DELIVERY_STREAM.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { FirehoseClient } from "@aws-sdk/client-firehose";
import { KinesisClient } from "@aws-sdk/client-kinesis";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { deliveryTargetsFromEnv } from "../../components/ingest/delivery-targets";
import { compileMapping } from "../../components/pollers/mapping";
import { POLLER_ENV, type PollerRuntimeSettings } from "../../components/pollers/poller-settings";
import { poll, type PollerClients, type PollResult, type PollSettings } from "./poller";

/** Settings from the environment; every problem names the variable. */
export function pollSettingsFromEnv(env: NodeJS.ProcessEnv): PollSettings {
  let poller: PollerRuntimeSettings;
  try {
    poller = JSON.parse(env[POLLER_ENV.poller] ?? "") as PollerRuntimeSettings;
  } catch {
    throw new Error(
      `environment variable ${POLLER_ENV.poller} must hold the poller's settings as JSON; the RestPollers component sets it`,
    );
  }
  if (typeof poller.name !== "string" || typeof poller.url !== "string" || typeof poller.mapping !== "object")
    throw new Error(`environment variable ${POLLER_ENV.poller} lacks name, url or mapping`);
  const dedupTable = env[POLLER_ENV.dedupTable];
  if (!dedupTable)
    throw new Error(
      `environment variable ${POLLER_ENV.dedupTable} is not set; the RestPollers component sets it`,
    );
  const rooms = (env[POLLER_ENV.rooms] ?? "").split(",").filter((r) => r !== "");
  return { poller, dedupTable, rooms, targets: deliveryTargetsFromEnv(env) };
}

export type PollHandler = () => Promise<PollResult>;

/** Builds the handler around given settings and clients (tests and the local backend use this). */
export function createPollHandler(settings: PollSettings, clients: PollerClients): PollHandler {
  // Paths are parsed once per container, not per poll.
  const mapping = compileMapping(settings.poller.mapping);
  return () => poll(settings, clients, mapping);
}

let pollOnce: PollHandler | undefined;

export async function handler(): Promise<PollResult> {
  pollOnce ??= createPollHandler(pollSettingsFromEnv(process.env), {
    dynamodb: new DynamoDBClient({}),
    secrets: new SecretsManagerClient({}),
    kinesis: new KinesisClient({}),
    firehose: new FirehoseClient({}),
    fetch,
  });
  return pollOnce();
}
