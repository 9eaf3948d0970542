/**
 * `POST /readings` of the HTTP API: one reading (a JSON object) or a batch (a JSON array), validated with the
 * topic rules' checks (`components/ingest/reading-validation.ts`, generated from the telemetry schema), valid
 * readings to the ingest stream or the telemetry delivery stream, the others to quarantine with the reason, and
 * an answer per reading.
 *
 *   200  every reading was accepted or quarantined: `{ accepted, quarantined, failed: 0, results: [...] }`
 *   400  the body is not JSON (it is quarantined with the reason `payload: not JSON`), or an empty batch
 *   413  the body or the batch is too large (nothing was kept: split it and send again)
 *   503  some readings could not be delivered: their results say `failed`; send those again
 *
 * A result is `{ index, status: accepted | quarantined | failed, device_id?, seq?, reason? }`.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { NOT_JSON_REASON } from "../../components/iot/rule-sql";
import {
  decodeReadingPayload,
  MAX_QUARANTINED_PAYLOAD_BYTES,
  MAX_READING_BYTES,
  OVERSIZED_REASON,
  quarantineRecord,
  selfDescribedVerdict,
} from "../../components/ingest/reading-validation";
import { HTTPS_SOURCE, type DeliveryTargets } from "../../components/ingest/delivery-targets";
import { MAX_INGEST_BODY_BYTES } from "../../components/api/routes";
import { deliver, type DeliveryClients, type Outgoing } from "../ingest-common/delivery";

export interface IngestSettings {
  /** The deployment's rooms: a reading naming another room is quarantined. Empty: any room. */
  readonly rooms: readonly string[];
  /** Readings per request. */
  readonly maxBatchSize: number;
  readonly targets: DeliveryTargets;
}

export interface ReadingResult {
  readonly index: number;
  readonly status: "accepted" | "quarantined" | "failed";
  readonly device_id?: string;
  readonly seq?: number;
  readonly reason?: string;
}

export interface IngestResponseBody {
  readonly accepted: number;
  readonly quarantined: number;
  readonly failed: number;
  readonly results: readonly ReadingResult[];
  readonly error?: string;
}

const json = (
  statusCode: number,
  body: object,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});

/** The request body's bytes (API Gateway base64-encodes bodies it does not take for text). */
function bodyBytes(event: APIGatewayProxyEventV2): Buffer {
  if (event.body === undefined) return Buffer.alloc(0);
  return Buffer.from(event.body, event.isBase64Encoded ? "base64" : "utf8");
}

/** Handles one `POST /readings`. */
export async function ingestReadings(
  settings: IngestSettings,
  clients: DeliveryClients,
  event: APIGatewayProxyEventV2,
): Promise<APIGatewayProxyStructuredResultV2> {
  // API Gateway's receive time, as the rules' timestamp() is IoT Core's.
  const receivedAt = event.requestContext?.timeEpoch ?? Date.now();
  const body = bodyBytes(event);
  if (body.length > MAX_INGEST_BODY_BYTES)
    return json(413, {
      error: `the request body is ${body.length} bytes; the limit is ${MAX_INGEST_BODY_BYTES}: split the batch into several requests`,
    });
  const decoded = decodeReadingPayload(body);
  if (!decoded.json && body.length > MAX_QUARANTINED_PAYLOAD_BYTES)
    return json(413, {
      error: `the body is not JSON and is ${body.length} bytes; a body that is not JSON is kept in quarantine only up to ${MAX_QUARANTINED_PAYLOAD_BYTES} bytes: send a reading (a JSON object) or a batch (a JSON array of them)`,
    });
  if (!decoded.json) {
    // Kept like a payload IoT Core could not read as JSON: in quarantine, with the bytes as they came.
    const record = quarantineRecord({
      source: HTTPS_SOURCE,
      receivedAt,
      reason: NOT_JSON_REASON,
      payload: body,
    });
    const [error] = await deliver(settings.targets, clients, [{ kind: "quarantine", record }]);
    const result: ReadingResult = error
      ? { index: 0, status: "failed", reason: error }
      : { index: 0, status: "quarantined", reason: NOT_JSON_REASON };
    return json(error ? 503 : 400, {
      error: "the body is not JSON: send a reading (a JSON object) or a batch (a JSON array of them)",
      accepted: 0,
      quarantined: error ? 0 : 1,
      failed: error ? 1 : 0,
      results: [result],
    } satisfies IngestResponseBody);
  }
  const batch = Array.isArray(decoded.value);
  const items: unknown[] = batch ? (decoded.value as unknown[]) : [decoded.value];
  if (items.length === 0) return json(400, { error: "the batch is empty: send at least one reading" });
  if (items.length > settings.maxBatchSize)
    return json(413, {
      error: `the batch has ${items.length} readings; the limit is ${settings.maxBatchSize}: split it into several requests`,
    });

  // A single reading keeps its bytes exactly; a batch item is its JSON.
  const payloads = items.map((item) => (batch ? Buffer.from(JSON.stringify(item) ?? "null") : body));
  const tooLarge = payloads.findIndex((p) => p.length > MAX_QUARANTINED_PAYLOAD_BYTES);
  if (tooLarge >= 0)
    return json(413, {
      error: `reading ${tooLarge} is ${payloads[tooLarge]!.length} bytes; a reading over ${MAX_READING_BYTES} bytes is kept in quarantine only up to ${MAX_QUARANTINED_PAYLOAD_BYTES} bytes: send readings of at most ${MAX_READING_BYTES} bytes`,
    });

  const outgoing: Outgoing[] = items.map((item, index) => {
    const payload = payloads[index]!;
    const verdict =
      payload.length > MAX_READING_BYTES
        ? ({ kind: "quarantine", reason: OVERSIZED_REASON } as const)
        : selfDescribedVerdict(item, receivedAt, settings.rooms);
    return verdict.kind === "telemetry"
      ? { kind: "telemetry", record: verdict.record }
      : {
          kind: "quarantine",
          record: quarantineRecord({
            source: HTTPS_SOURCE,
            value: item,
            receivedAt,
            reason: verdict.reason,
            payload,
          }),
        };
  });
  const errors = await deliver(settings.targets, clients, outgoing);
  const results = outgoing.map((o, index): ReadingResult => {
    const identity = o.record.device_id ? { device_id: o.record.device_id } : {};
    const seq = o.kind === "telemetry" ? { seq: o.record.seq } : {};
    if (errors[index] !== undefined) return { index, status: "failed", ...identity, reason: errors[index] };
    return o.kind === "telemetry"
      ? { index, status: "accepted", ...identity, ...seq }
      : { index, status: "quarantined", ...identity, reason: o.record.reason };
  });
  const count = (status: ReadingResult["status"]) => results.filter((r) => r.status === status).length;
  const failed = count("failed");
  return json(
    failed > 0 ? 503 : 200,
    {
      accepted: count("accepted"),
      quarantined: count("quarantined"),
      failed,
      results,
    } satisfies IngestResponseBody,
    failed > 0 ? { "retry-after": "1" } : {},
  );
}
