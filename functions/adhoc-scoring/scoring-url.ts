/**
 * Ad-hoc scoring behind a Lambda function URL with IAM auth (endpoint mode only): POST a few readings, get
 * their anomaly scores from the endpoint and whether each is above the threshold of the model in service.
 * Nothing is written; this is for operators checking a suspicion, not for the pipeline.
 *
 *   POST {"readings": [{"device_id": "lab-01", "ts": 1717200000000, "seq": 1, "temperature_c": 21.5}, ...]}
 *   200  {"modelVersion": "...", "threshold": 2.1, "scores": [{"device_id", "ts", "seq", "score", "anomalous"}]}
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { InvokeEndpointCommand, type SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import { batchRows, csvRow, FeatureReading, featureVectors } from "../../components/ml/features";
import { MODEL_KEYS, ModelPointer } from "../../components/ml/ml-layout";
import type { ModelSettings } from "../../components/ml/model-settings";
import { parseScores } from "../anomaly-scoring/scoring";
import { readJson } from "../ml-common/s3-io";
import { withRetries } from "../ml-common/retry";

/** At most this many readings per request: ad-hoc checks, not bulk scoring. */
export const MAX_READINGS = 1000;

export interface UrlEvent {
  readonly requestContext?: { readonly http?: { readonly method?: string } };
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
}

export interface UrlResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface AdHocDeps {
  readonly s3: S3Client;
  readonly runtime: SageMakerRuntimeClient;
  readonly artifactsBucket: string;
  readonly endpointName: string;
  readonly model: ModelSettings;
  readonly sleep?: (ms: number) => Promise<void>;
}

const json = (statusCode: number, body: unknown): UrlResponse => ({
  statusCode,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});
const badRequest = (message: string) => json(400, { error: message });

/** Validates the request body into readings, or says what is wrong with it. */
export function parseRequest(event: UrlEvent): FeatureReading[] | string {
  if (event.requestContext?.http?.method !== "POST") return 'use POST with a JSON body {"readings": [...]}';
  let body: unknown;
  try {
    const text = event.isBase64Encoded
      ? Buffer.from(event.body ?? "", "base64").toString("utf8")
      : (event.body ?? "");
    body = JSON.parse(text);
  } catch {
    return "the body is not JSON";
  }
  const readings = (body as { readings?: unknown })?.readings;
  if (!Array.isArray(readings) || readings.length === 0) return "readings must be a non-empty array";
  if (readings.length > MAX_READINGS)
    return `at most ${MAX_READINGS} readings per request (got ${readings.length})`;
  const parsed: FeatureReading[] = [];
  for (const [i, r] of readings.entries()) {
    const reading = r as Record<string, unknown>;
    const bad = ["ts", "seq", "temperature_c"].filter(
      (k) => typeof reading[k] !== "number" || !Number.isFinite(reading[k]),
    );
    if (typeof reading.device_id !== "string" || reading.device_id === "") bad.unshift("device_id");
    if (bad.length > 0) return `readings[${i}]: ${bad.join(", ")} missing or not valid`;
    parsed.push({
      device_id: reading.device_id as string,
      room_id: typeof reading.room_id === "string" ? reading.room_id : "",
      ts: reading.ts as number,
      seq: reading.seq as number,
      temperature_c: reading.temperature_c as number,
      received_at: reading.ts as number,
    });
  }
  return parsed;
}

export async function scoreRequest(event: UrlEvent, deps: AdHocDeps): Promise<UrlResponse> {
  const readings = parseRequest(event);
  if (typeof readings === "string") return badRequest(readings);
  const pointer = await readJson<ModelPointer>(deps.s3, deps.artifactsBucket, MODEL_KEYS.current);
  if (!pointer) return json(503, { error: "no model is in service yet" });
  const vectors = featureVectors(readings, deps.model.features);
  if (vectors.length === 0) {
    const needed = deps.model.features.shingleSize + (deps.model.features.set === "deviation" ? 1 : 0);
    return badRequest(
      `a vector needs ${needed} consecutive readings of one device (features ${deps.model.features.set}, shingle size ${deps.model.features.shingleSize}); send at least that many, and up to ${deps.model.features.baselineReadings} more for a full baseline`,
    );
  }
  const scores: number[] = [];
  for (const batch of batchRows(vectors.map((v) => csvRow(v.values)))) {
    const response = await withRetries(
      () =>
        deps.runtime.send(
          new InvokeEndpointCommand({
            EndpointName: deps.endpointName,
            ContentType: deps.model.contentTypes.inference,
            Accept: deps.model.contentTypes.accept,
            Body: Buffer.from(batch.join("\n")),
          }),
        ),
      { sleep: deps.sleep },
    );
    scores.push(...parseScores(Buffer.from(response.Body ?? new Uint8Array()).toString("utf8")));
  }
  if (scores.length !== vectors.length)
    return json(502, {
      error: `the endpoint returned ${scores.length} scores for ${vectors.length} vectors`,
    });
  const threshold = pointer.value.threshold;
  return json(200, {
    modelVersion: pointer.value.runId,
    threshold,
    scores: vectors.map((v, i) => ({
      device_id: v.reading.device_id,
      ts: v.reading.ts,
      seq: v.reading.seq,
      score: scores[i],
      anomalous: scores[i]! > threshold,
    })),
  });
}
