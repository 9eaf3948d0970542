/**
 * Local Secrets Manager: the secrets a stack refers to by ARN (the pollers' credentials), kept in
 * `<data dir>/secrets.json` as `{ "<secret ARN>": "<secret string>" }` (mode 0600, like the local PKI), answered
 * through a `SecretsManagerClient`. A secret that is not there is Secrets Manager's `ResourceNotFoundException`,
 * with the file to add it to.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  ResourceNotFoundException,
  SecretsManagerClient,
  type GetSecretValueCommandInput,
} from "@aws-sdk/client-secrets-manager";
import { LOCAL_CLIENT_CONFIG, serveLocally } from "./serve-locally";

/** Where the local secrets live. */
export function localSecretsFile(dataDir: string): string {
  return path.join(dataDir, "secrets.json");
}

/** A client over the data directory's secrets file (read at each call, so an edit takes effect at once). */
export function createLocalSecretsClient(dataDir: string): SecretsManagerClient {
  const file = localSecretsFile(dataDir);
  return serveLocally(new SecretsManagerClient(LOCAL_CLIENT_CONFIG), "Secrets Manager", {
    GetSecretValueCommand: (input: GetSecretValueCommandInput) => {
      const secrets = fs.existsSync(file)
        ? (JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>)
        : {};
      const value = input.SecretId === undefined ? undefined : secrets[input.SecretId];
      if (typeof value !== "string")
        throw new ResourceNotFoundException({
          message: `Secrets Manager can't find the specified secret ${input.SecretId}; locally, add it to ${file} as {"${input.SecretId}": "<secret string>"}`,
          $metadata: {},
        });
      return { ARN: input.SecretId, Name: input.SecretId!.split(":").pop(), SecretString: value };
    },
  });
}
