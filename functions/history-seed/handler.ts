/**
 * Lambda entry point of the demo database's seed: the stack invokes it once (`aws.lambda.Invocation`) after
 * the database is up, from inside the database's VPC. It reads the RDS-managed credentials from Secrets
 * Manager, connects over TLS, and seeds the readings table (see `seed.ts`); an invocation on a seeded
 * database inserts nothing. The event is the stack's `DemoHistoryRequest`; the result says what was done.
 *
 * Environment (set by components/sources/history-seed.ts): DB_HOST, DB_PORT, DB_NAME, DB_SECRET_ARN, and
 * NODE_EXTRA_CA_CERTS pointing at the runtime's Amazon CA bundle, which holds the RDS certificate authorities.
 */
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { Client, ClientConfig } from "pg";
import { parseDemoHistoryRequest, SEED_ENV } from "../../components/sources/demo-history";
import { requiredEnv } from "../ml-common/env";
import { requestedHistory, seedHistoricalTable, SeedOutcome, SqlClient } from "./seed";

export interface SeedSettings {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly secretArn: string;
}

/** A connected client the handler closes when done. */
export type Connection = SqlClient & { end(): Promise<void> };

export interface SeedClients {
  readonly secrets: Pick<SecretsManagerClient, "send">;
  /** Opens a connection with the given settings. @default - node-postgres */
  readonly connect: (config: ClientConfig) => Promise<Connection>;
  /** The current time. @default - the system clock */
  readonly now?: () => number;
}

/** Settings from the environment; every problem names the variable. */
export function seedSettingsFromEnv(env: NodeJS.ProcessEnv): SeedSettings {
  const portText = requiredEnv(env, SEED_ENV.port);
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`environment variable ${SEED_ENV.port} must be a port number (got "${portText}")`);
  return {
    host: requiredEnv(env, SEED_ENV.host),
    port,
    database: requiredEnv(env, SEED_ENV.database),
    secretArn: requiredEnv(env, SEED_ENV.secretArn),
  };
}

/** The user name and password in a Secrets Manager secret (RDS-managed secrets hold both as JSON). */
export async function databaseCredentials(
  secrets: SeedClients["secrets"],
  secretArn: string,
): Promise<{ user: string; password: string }> {
  const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
  let parsed: { username?: unknown; password?: unknown } | undefined;
  try {
    parsed = SecretString ? (JSON.parse(SecretString) as typeof parsed) : undefined;
  } catch {
    parsed = undefined;
  }
  if (typeof parsed?.username !== "string" || typeof parsed.password !== "string") {
    throw new Error(
      `secret ${secretArn} must be JSON with "username" and "password" (as RDS-managed secrets are)`,
    );
  }
  return { user: parsed.username, password: parsed.password };
}

/** Builds the handler around given settings and clients (tests use this). */
export function createSeedHandler(
  settings: SeedSettings,
  clients: SeedClients,
): (event: unknown) => Promise<SeedOutcome> {
  return async (event) => {
    const request = parseDemoHistoryRequest(event);
    const credentials = await databaseCredentials(clients.secrets, settings.secretArn);
    const db = await clients.connect({
      host: settings.host,
      port: settings.port,
      database: settings.database,
      ...credentials,
      // The demo database refuses unencrypted connections; the certificate is checked against the RDS CAs.
      ssl: { rejectUnauthorized: true },
      connectionTimeoutMillis: 10_000,
    });
    try {
      const now = (clients.now ?? Date.now)();
      return await seedHistoricalTable(db, () => requestedHistory(request, now));
    } finally {
      await db.end();
    }
  };
}

let seed: ((event: unknown) => Promise<SeedOutcome>) | undefined;

export async function handler(event: unknown): Promise<SeedOutcome> {
  seed ??= createSeedHandler(seedSettingsFromEnv(process.env), {
    secrets: new SecretsManagerClient({}),
    connect: async (config) => {
      const client = new Client(config);
      await client.connect();
      return client;
    },
  });
  return seed(event);
}
