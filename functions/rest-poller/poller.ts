/**
 * One poll of a REST endpoint: fetch (credentials, timeout, retries), map the response to readings with the
 * poller's JSONPath mapping, drop what an earlier poll already sent (by device and timestamp), number the new
 * readings per device, validate them with the topic rules' checks and send them where every source sends them.
 *
 * De-duplication state lives in a DynamoDB table (TTL `expiresAt`):
 *
 *   pk = poller#<name>#<device>   sk = seq              the device's next sequence number (ADD)
 *   pk = poller#<name>#<device>   sk = ts#<ts>          a reading seen: its seq, and `pending` or `sent`
 *
 * A reading is claimed (`pending`, with its seq) before it is sent and marked `sent` after. A poll that fails in
 * between is retried (Lambda, then the dead-letter queue): the retry finds the claim and sends the reading again
 * with the same seq, so the lake sees at worst an exact duplicate, which `device_completeness` counts, never a
 * loss. A reading older than the de-duplication window is quarantined rather than trusted as new.
 */
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { NOT_JSON_REASON } from "../../components/iot/rule-sql";
import { pollerSource, type DeliveryTargets } from "../../components/ingest/delivery-targets";
import {
  decodeReadingPayload,
  quarantineRecord,
  selfDescribedVerdict,
} from "../../components/ingest/reading-validation";
import { compileMapping, mapResponse, type CompiledMapping } from "../../components/pollers/mapping";
import type { PollerRuntimeSettings } from "../../components/pollers/poller-settings";
import { isTopicSegment } from "../../components/telemetry/topics";
import { deliver, type DeliveryClients, type Outgoing } from "../ingest-common/delivery";
import { credentialHeaders, fetchWithRetries } from "./http";

export interface PollSettings {
  readonly poller: PollerRuntimeSettings;
  readonly dedupTable: string;
  readonly rooms: readonly string[];
  readonly targets: DeliveryTargets;
}

export interface PollerClients extends DeliveryClients {
  readonly dynamodb: DynamoDBClient;
  readonly secrets: SecretsManagerClient;
  readonly fetch: typeof fetch;
  /** @default - Date.now */
  readonly now?: () => number;
  /** @default - console.log */
  readonly log?: (line: string) => void;
}

/** What one poll did. */
export interface PollResult {
  readonly poller: string;
  /** HTTP attempts the fetch took. */
  readonly attempts: number;
  /** Records the mapping found in the response. */
  readonly records: number;
  readonly accepted: number;
  readonly quarantined: number;
  /** Readings an earlier poll already sent. */
  readonly duplicates: number;
}

const DAY_MS = 86_400_000;

/** One poll; throws (for Lambda to retry, then the dead-letter queue) when the fetch or a delivery fails. */
export async function poll(
  settings: PollSettings,
  clients: PollerClients,
  mapping?: CompiledMapping,
): Promise<PollResult> {
  const { poller } = settings;
  const now = clients.now ?? Date.now;
  const source = pollerSource(poller.name);
  const headers = await credentialHeaders(clients.secrets, poller.secretArn, now());
  const fetched = await fetchWithRetries(poller.url, {
    headers,
    timeoutMs: poller.timeoutSeconds * 1000,
    retries: poller.retries,
    fetch: clients.fetch,
    sleep: clients.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
  });
  const receivedAt = now();
  const decoded = decodeReadingPayload(fetched.body);
  const base = { poller: poller.name, attempts: fetched.attempts, duplicates: 0 };
  if (!decoded.json) {
    const record = quarantineRecord({ source, receivedAt, reason: NOT_JSON_REASON, payload: fetched.body });
    await deliverOrThrow(settings, clients, [{ kind: "quarantine", record }], poller.name);
    return { ...base, records: 0, accepted: 0, quarantined: 1 };
  }
  const readings = mapResponse(decoded.value, mapping ?? compileMapping(poller.mapping));
  const dedup = new Dedup(settings, clients.dynamodb, receivedAt);
  const outgoing: Outgoing[] = [];
  const claims: (string | undefined)[] = [];
  let duplicates = 0;
  for (const reading of readings) {
    const claim = await dedup.claim(reading);
    if (claim.kind === "duplicate") {
      duplicates++;
      continue;
    }
    const numbered = claim.seq === undefined ? reading : { ...reading, seq: claim.seq };
    const verdict = claim.stale
      ? ({ kind: "quarantine", reason: claim.stale } as const)
      : selfDescribedVerdict(numbered, receivedAt, settings.rooms);
    outgoing.push(
      verdict.kind === "telemetry"
        ? { kind: "telemetry", record: verdict.record }
        : {
            kind: "quarantine",
            record: quarantineRecord({
              source,
              value: numbered,
              receivedAt,
              reason: verdict.reason,
              payload: Buffer.from(JSON.stringify(numbered)),
            }),
          },
    );
    claims.push(claim.key);
  }
  const errors = await deliver(settings.targets, clients, outgoing);
  for (const [i, key] of claims.entries()) if (key && errors[i] === undefined) await dedup.markSent(key);
  const failed = errors.filter((e) => e !== undefined).length;
  const result: PollResult = {
    ...base,
    records: readings.length,
    accepted: outgoing.filter((o, i) => o.kind === "telemetry" && errors[i] === undefined).length,
    quarantined: outgoing.filter((o, i) => o.kind === "quarantine" && errors[i] === undefined).length,
    duplicates,
  };
  (clients.log ?? console.log)(
    JSON.stringify({ level: failed > 0 ? "ERROR" : "INFO", message: "poll", ...result, failed }),
  );
  if (failed > 0)
    throw new Error(
      `poller ${poller.name}: ${failed} of ${outgoing.length} readings could not be delivered (${errors.find((e) => e)}); the retry sends them with the same seq`,
    );
  return result;
}

async function deliverOrThrow(
  settings: PollSettings,
  clients: PollerClients,
  outgoing: Outgoing[],
  name: string,
): Promise<void> {
  const [error] = await deliver(settings.targets, clients, outgoing);
  if (error) throw new Error(`poller ${name}: the quarantined response could not be delivered: ${error}`);
}

type Claim =
  | { readonly kind: "duplicate" }
  | { readonly kind: "new"; readonly key?: string; readonly seq?: number; readonly stale?: string };

/** The de-duplication table of one poll. */
class Dedup {
  private readonly name: string;
  private readonly windowMs: number;

  constructor(
    private readonly settings: PollSettings,
    private readonly dynamodb: DynamoDBClient,
    private readonly now: number,
  ) {
    this.name = settings.poller.name;
    this.windowMs = settings.poller.dedupDays * DAY_MS;
  }

  private partition(device: string): string {
    return `poller#${this.name}#${device}`;
  }

  /**
   * Claims a reading: a duplicate of one already sent, one claimed before whose sending failed (its seq again),
   * or a new one (numbered unless the mapping gives seq). A reading without a usable device and time cannot be
   * de-duplicated: it goes on unnumbered, and validation quarantines it.
   */
  async claim(reading: Record<string, unknown>): Promise<Claim> {
    const device = reading.device_id;
    const ts = reading.ts;
    if (
      typeof device !== "string" ||
      !isTopicSegment(device) ||
      typeof ts !== "number" ||
      !Number.isSafeInteger(ts)
    )
      return { kind: "new" };
    const key = JSON.stringify({ pk: this.partition(device), sk: `ts#${ts}` });
    const table = this.settings.dedupTable;
    const { Item } = await this.dynamodb.send(
      new GetItemCommand({
        TableName: table,
        Key: { pk: { S: this.partition(device) }, sk: { S: `ts#${ts}` } },
        ConsistentRead: true,
      }),
    );
    if (Item?.state?.S === "sent") return { kind: "duplicate" };
    if (Item?.seq?.N !== undefined) return { kind: "new", key, seq: Number(Item.seq.N) };
    const stale =
      ts < this.now - this.windowMs
        ? `ts: older than poller ${this.name}'s ${this.settings.poller.dedupDays}-day de-duplication window`
        : undefined;
    const given = typeof reading.seq === "number" ? reading.seq : undefined;
    const seq = given ?? (await this.nextSeq(device));
    try {
      await this.dynamodb.send(
        new PutItemCommand({
          TableName: table,
          Item: {
            pk: { S: this.partition(device) },
            sk: { S: `ts#${ts}` },
            seq: { N: String(seq) },
            state: { S: "pending" },
            expiresAt: { N: String(Math.floor((this.now + this.windowMs) / 1000)) },
          },
          ConditionExpression: "attribute_not_exists(#pk)",
          ExpressionAttributeNames: { "#pk": "pk" },
        }),
      );
    } catch (err) {
      // Claimed meanwhile by an overlapping poll: that one sends it.
      if (
        err instanceof ConditionalCheckFailedException ||
        (err as Error).name === "ConditionalCheckFailedException"
      )
        return { kind: "duplicate" };
      throw err;
    }
    return { kind: "new", key, seq, ...(stale ? { stale } : {}) };
  }

  private async nextSeq(device: string): Promise<number> {
    const out = await this.dynamodb.send(
      new UpdateItemCommand({
        TableName: this.settings.dedupTable,
        Key: { pk: { S: this.partition(device) }, sk: { S: "seq" } },
        UpdateExpression: "ADD #next :one",
        ExpressionAttributeNames: { "#next": "next" },
        ExpressionAttributeValues: { ":one": { N: "1" } },
        ReturnValues: "UPDATED_NEW",
      }),
    );
    // The counter holds the next number to give; the first reading of a device gets 0, like a device's own seq.
    return Number(out.Attributes!.next!.N) - 1;
  }

  async markSent(key: string): Promise<void> {
    const { pk, sk } = JSON.parse(key) as { pk: string; sk: string };
    await this.dynamodb.send(
      new UpdateItemCommand({
        TableName: this.settings.dedupTable,
        Key: { pk: { S: pk }, sk: { S: sk } },
        UpdateExpression: "SET #state = :sent",
        ExpressionAttributeNames: { "#state": "state" },
        ExpressionAttributeValues: { ":sent": { S: "sent" } },
      }),
    );
  }
}
