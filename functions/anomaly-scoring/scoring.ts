/**
 * Anomaly scoring, one step per Lambda invocation of the scoring state machine:
 *
 *   plan          pick the window of readings to score (from the watermark) and the model in service
 *   (Athena)      the state machine runs the scoring_input query for that window
 *   score         endpoint mode: score the query's readings on the endpoint, in batches under the payload limit
 *   prepareBatch  batch mode: write the vectors for a batch transform, and the rows they belong to
 *   collectBatch  batch mode: read the transform's scores back
 *
 * score and collectBatch end the same way: anomaly records into the lake (one object per room, day and
 * window), one SNS alert per new incident, and the watermark advanced with a compare-and-swap. A window is
 * pinned in the watermark when it is planned, so a failed run is retried on exactly the same window and the
 * same object keys: running scoring twice scores nothing twice. Clients are injected (tests use
 * aws-sdk-client-mock).
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { InvokeEndpointCommand, type SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import { anomalyObjectKey, AnomalyRecord, toJsonLines, utcDay } from "../../components/ml/anomaly-record";
import {
  batchRows,
  csvRow,
  FeatureReading,
  FeatureVector,
  featureVectors,
  MAX_REQUEST_BYTES,
  parseReadingsCsv,
} from "../../components/ml/features";
import {
  groupIncidents,
  incidentAlert,
  latestAnomalyTimes,
  ScoredAnomaly,
} from "../../components/ml/incidents";
import {
  MODEL_KEYS,
  ModelPointer,
  SCORING_KEYS,
  ScoringWatermark,
  sageMakerNamePrefix,
  windowId,
} from "../../components/ml/ml-layout";
import type { ModelSettings } from "../../components/ml/model-settings";
import { athenaExecutionParameters } from "../../components/analytics/sql-dialect";
import {
  deleteObjects,
  isPreconditionFailed,
  listObjects,
  parseS3Uri,
  readJson,
  readText,
  s3Uri,
  writeJson,
  writeText,
} from "../ml-common/s3-io";
import { withRetries, RetryOptions } from "../ml-common/retry";
import type { MetricsPublisher } from "../ml-common/metrics";
import { ScoringMetrics } from "./scoring-metrics";

const DAY_MS = 86_400_000;

/** Settings of the scoring functions (from the Lambda environment). */
export interface ScoringSettings {
  /** Deployment label for alert subjects and SageMaker names, e.g. `sensors-prod`. */
  readonly deployment: string;
  readonly curatedBucket: string;
  readonly artifactsBucket: string;
  readonly alertTopicArn: string;
  /** Endpoint mode: the endpoint to invoke. @default - batch mode */
  readonly endpointName?: string;
  readonly model: ModelSettings;
  /** How long after arrival a reading may still be missing from S3 (Firehose buffering plus margin). */
  readonly ingestDelayMs: number;
  /** Largest window one run scores; a backlog is worked off over several runs. @default 6 hours */
  readonly maxWindowMs?: number;
  /** How far back the very first run looks. @default 1 day */
  readonly firstWindowMs?: number;
  /** How far before a window shingle context is read. @default 1 hour */
  readonly contextMs?: number;
  /** How much older than its arrival a reading's own date may be (the query prunes dt partitions by it). @default 1 day */
  readonly latenessMs?: number;
  /** Anomalies of one device closer than this form one incident. @default 15 minutes */
  readonly incidentGapMs?: number;
  /** Alerts per run; beyond it one summary is sent. @default 20 */
  readonly maxAlertsPerRun?: number;
  /** Largest InvokeEndpoint body, in bytes (SageMaker's limit is 6 MB). @default MAX_REQUEST_BYTES (5 MiB) */
  readonly maxRequestBytes?: number;
  /** Most rows per InvokeEndpoint request. @default 10000 */
  readonly maxRowsPerRequest?: number;
}

export interface ScoringClients {
  readonly s3: S3Client;
  readonly sns: SNSClient;
  /** Endpoint mode only. */
  readonly runtime?: SageMakerRuntimeClient;
  /** @default Date.now */
  readonly now?: () => number;
  /** Retry behaviour of InvokeEndpoint (tests pass a sleep that does not wait). */
  readonly retry?: RetryOptions;
  /**
   * Where the pipeline metrics go (`PIPELINE_METRICS`: readings scored, anomalies, lag, model age). The Lambda
   * handler writes them as EMF lines to its log; the local backend to its CloudWatch stand-in.
   * @default - not published
   */
  readonly metrics?: MetricsPublisher;
}

/** The plan step's output, carried through the state machine. */
export interface ScoringPlan {
  readonly skip: boolean;
  readonly reason?: string;
  readonly windowId?: string;
  readonly sinceMs?: number;
  readonly untilMs?: number;
  readonly attempt?: number;
  /** Values for the scoring_input query's `?` markers, as Athena literals. */
  readonly athenaParameters?: string[];
  /** ETag of the watermark after pinning the window; the last step writes only if it is unchanged. */
  readonly watermarkEtag?: string;
  readonly model?: { readonly name: string; readonly version: string; readonly threshold: number };
  /** Batch mode: a transform job name unique to this window and attempt. */
  readonly transformJobName?: string;
}

export interface ScoringOutcome {
  readonly windowId: string;
  readonly vectors: number;
  readonly anomalies: number;
  readonly incidents: number;
  readonly alerts: number;
  readonly anomalyObjects: string[];
  readonly scoredThroughMs: number;
}

export interface BatchInput {
  readonly rows: number;
  readonly inputUri: string;
  readonly outputUri: string;
  /** When the transform input was written (epoch ms), for the transform's duration. */
  readonly preparedAtMs?: number;
}

/** Thrown when the watermark changed between planning and finishing (another run got there first). */
export class WatermarkMovedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WatermarkMovedError";
  }
}

export class AnomalyScoring {
  private readonly now: () => number;
  private readonly metrics: ScoringMetrics;
  constructor(
    private readonly settings: ScoringSettings,
    private readonly clients: ScoringClients,
  ) {
    this.now = clients.now ?? Date.now;
    this.metrics = new ScoringMetrics(clients.metrics, this.now);
  }

  /**
   * Picks the window to score: the pending one if a previous run did not finish, else from the watermark to
   * `now - ingestDelay` (at most `maxWindowMs`). Pins it in the watermark before anything is scored.
   * @param queryParameters the scoring_input query's parameter names in `?` order (from the rendered SQL)
   */
  async plan(queryParameters: readonly string[]): Promise<ScoringPlan> {
    const s = this.settings;
    const pointer = await readJson<ModelPointer>(this.clients.s3, s.artifactsBucket, MODEL_KEYS.current);
    if (!pointer)
      return {
        skip: true,
        reason: "no model has been trained yet; the training state machine writes models/current.json",
      };
    this.metrics.modelInService(pointer.value.promotedAt);
    const expectedDim = s.model.hyperparameters.feature_dim;
    if (
      pointer.value.featureDim !== expectedDim ||
      pointer.value.shingleSize !== s.model.features.shingleSize
    ) {
      // Nothing is scored until the next training run: the lag keeps growing, which its alarm catches.
      await this.publishLag();
      return {
        skip: true,
        reason: `the model in service (run ${pointer.value.runId}) was trained with feature_dim ${pointer.value.featureDim} and shingle size ${pointer.value.shingleSize}, the settings now say ${expectedDim} and ${s.model.features.shingleSize}; scoring resumes after the next training run`,
      };
    }
    const current = await readJson<ScoringWatermark>(
      this.clients.s3,
      s.curatedBucket,
      SCORING_KEYS.watermark,
    );
    const now = this.now();
    let sinceMs: number;
    let untilMs: number;
    let attempt = 1;
    if (current?.value.pending) {
      ({ sinceMs, untilMs } = current.value.pending);
      attempt = current.value.pending.attempt + 1;
    } else {
      sinceMs = current?.value.scoredThroughMs ?? now - (s.firstWindowMs ?? DAY_MS);
      untilMs = Math.min(now - s.ingestDelayMs, sinceMs + (s.maxWindowMs ?? 6 * 3_600_000));
      if (untilMs <= sinceMs) {
        this.metrics.lag(sinceMs);
        return { skip: true, reason: `nothing new: scored through ${new Date(sinceMs).toISOString()}` };
      }
    }
    const watermark: ScoringWatermark = {
      scoredThroughMs: current?.value.scoredThroughMs ?? sinceMs,
      lastWindowId: current?.value.lastWindowId ?? "",
      lastAnomalyTs: current?.value.lastAnomalyTs ?? {},
      pending: { sinceMs, untilMs, attempt },
      updatedAt: new Date(now).toISOString(),
    };
    const etag = await this.writeWatermark(watermark, current?.etag);
    const id = windowId(sinceMs, untilMs);
    const contextSinceMs = s.model.features.shingleSize > 1 ? sinceMs - (s.contextMs ?? 3_600_000) : sinceMs;
    const values = {
      from_day: utcDay(contextSinceMs - (s.latenessMs ?? DAY_MS)),
      to_day: utcDay(untilMs + DAY_MS),
      context_since_ms: contextSinceMs,
      until_ms: untilMs,
    };
    return {
      skip: false,
      windowId: id,
      sinceMs,
      untilMs,
      attempt,
      athenaParameters: athenaExecutionParameters(
        { engine: "athena", text: "", parameters: queryParameters },
        values,
      ),
      watermarkEtag: etag,
      model: {
        name: pointer.value.modelName,
        version: pointer.value.runId,
        threshold: pointer.value.threshold,
      },
      transformJobName: `${sageMakerNamePrefix(s.deployment)}-score-${id}-a${attempt}`,
    };
  }

  /** Endpoint mode: scores the window's readings on the endpoint and finishes the window. */
  async score(plan: ScoringPlan, resultsUri: string): Promise<ScoringOutcome> {
    const { runtime } = this.clients;
    const endpoint = this.settings.endpointName;
    if (!runtime || !endpoint)
      throw new Error(
        "score needs an endpoint (ENDPOINT_NAME) and a SageMaker runtime client; batch mode uses prepareBatch/collectBatch",
      );
    const vectors = await this.windowVectors(plan, resultsUri);
    const scores: number[] = [];
    for (const batch of batchRows(
      vectors.map((v) => csvRow(v.values)),
      this.settings.maxRequestBytes ?? MAX_REQUEST_BYTES,
      this.settings.maxRowsPerRequest,
    )) {
      const response = await withRetries(
        () =>
          runtime.send(
            new InvokeEndpointCommand({
              EndpointName: endpoint,
              ContentType: this.settings.model.contentTypes.inference,
              Accept: this.settings.model.contentTypes.accept,
              Body: Buffer.from(batch.join("\n")),
            }),
          ),
        this.clients.retry,
      );
      const batchScores = parseScores(Buffer.from(response.Body ?? new Uint8Array()).toString("utf8"));
      if (batchScores.length !== batch.length) {
        throw new Error(
          `endpoint ${endpoint} returned ${batchScores.length} scores for ${batch.length} rows`,
        );
      }
      scores.push(...batchScores);
    }
    return this.finish(plan, vectors, scores);
  }

  /** Batch mode: writes the window's vectors as the transform input and the rows they belong to. */
  async prepareBatch(plan: ScoringPlan, resultsUri: string): Promise<BatchInput> {
    const id = requireWindow(plan);
    const vectors = await this.windowVectors(plan, resultsUri);
    const bucket = this.settings.curatedBucket;
    const rows = vectors.map((v) => readingRow(v.reading));
    await writeJson(this.clients.s3, bucket, SCORING_KEYS.batchRows(id), rows);
    if (vectors.length > 0) {
      await writeText(
        this.clients.s3,
        bucket,
        SCORING_KEYS.batchInput(id),
        `${vectors.map((v) => csvRow(v.values)).join("\n")}\n`,
        { contentType: "text/csv" },
      );
    }
    return {
      rows: vectors.length,
      inputUri: s3Uri(bucket, SCORING_KEYS.batchInput(id)),
      outputUri: s3Uri(bucket, SCORING_KEYS.batchOutputPrefix(id)),
      preparedAtMs: this.now(),
    };
  }

  /** Batch mode: reads the transform's scores (or none, for an empty window) and finishes the window. */
  async collectBatch(plan: ScoringPlan, batch: BatchInput): Promise<ScoringOutcome> {
    const id = requireWindow(plan);
    const bucket = this.settings.curatedBucket;
    const rows =
      (await readJson<ReadingRow[]>(this.clients.s3, bucket, SCORING_KEYS.batchRows(id)))?.value ?? [];
    if (rows.length !== batch.rows)
      throw new Error(`rows.json of window ${id} lists ${rows.length} rows, the batch had ${batch.rows}`);
    const vectors: FeatureVector[] = rows.map((row) => ({ reading: fromReadingRow(row), values: [] }));
    const scores: number[] = [];
    if (rows.length > 0) {
      const outputs = (await listObjects(this.clients.s3, bucket, SCORING_KEYS.batchOutputPrefix(id)))
        .filter((o) => o.key.endsWith(".out"))
        .sort((a, b) => a.key.localeCompare(b.key));
      for (const output of outputs)
        scores.push(...parseScores((await readText(this.clients.s3, bucket, output.key))?.text ?? ""));
      if (scores.length !== rows.length)
        throw new Error(
          `batch transform of window ${id} returned ${scores.length} scores for ${rows.length} rows`,
        );
    }
    if (rows.length > 0 && batch.preparedAtMs !== undefined) this.metrics.transform(batch.preparedAtMs);
    const outcome = await this.finish(plan, vectors, scores);
    // The window is finished: its transform input, row keys and output have served their purpose.
    const batchObjects = await listObjects(this.clients.s3, bucket, SCORING_KEYS.batchPrefix(id));
    await deleteObjects(
      this.clients.s3,
      bucket,
      batchObjects.map((o) => o.key),
    );
    return outcome;
  }

  private async windowVectors(plan: ScoringPlan, resultsUri: string): Promise<FeatureVector[]> {
    await this.currentWatermark(plan); // fail fast: a replayed or superseded plan scores nothing
    const { bucket, key } = parseS3Uri(resultsUri);
    const found = await readText(this.clients.s3, bucket, key);
    if (!found) throw new Error(`Athena results ${resultsUri} not found`);
    const readings = parseReadingsCsv(found.text, resultsUri);
    const since = plan.sinceMs!;
    const until = plan.untilMs!;
    return featureVectors(
      readings,
      this.settings.model,
      (r) => r.received_at > since && r.received_at <= until,
    );
  }

  private async finish(
    plan: ScoringPlan,
    vectors: readonly FeatureVector[],
    scores: readonly number[],
  ): Promise<ScoringOutcome> {
    const id = requireWindow(plan);
    const s = this.settings;
    const model = plan.model!;
    const scoredAt = this.now();
    const anomalies: ScoredAnomaly[] = [];
    vectors.forEach((v, i) => {
      if (scores[i]! > model.threshold)
        anomalies.push({ reading: v.reading, score: scores[i]!, threshold: model.threshold });
    });

    // 1. Anomaly records: one object per room and day, keyed by the window (rewritten identically on a retry).
    const groups = new Map<string, AnomalyRecord[]>();
    for (const a of anomalies) {
      const key = anomalyObjectKey(a.reading.room_id, utcDay(a.reading.ts), id);
      const record: AnomalyRecord = {
        device_id: a.reading.device_id,
        ts: a.reading.ts,
        seq: a.reading.seq,
        temperature_c: a.reading.temperature_c,
        score: a.score,
        threshold: a.threshold,
        model_version: model.version,
        scored_at: scoredAt,
      };
      groups.set(key, [...(groups.get(key) ?? []), record]);
    }
    for (const [key, records] of groups) {
      await writeText(this.clients.s3, s.curatedBucket, key, toJsonLines(records), {
        contentType: "application/x-ndjson",
      });
    }

    // 2. The watermark must still be the one this run pinned.
    const current = await this.currentWatermark(plan);

    // 3. Alerts: one per new incident, a summary beyond the per-run limit.
    const incidents = groupIncidents(anomalies, current.value.lastAnomalyTs, s.incidentGapMs);
    const fresh = incidents.filter((i) => !i.continued);
    const limit = s.maxAlertsPerRun ?? 20;
    let alerts = 0;
    for (const incident of fresh.slice(0, limit)) {
      const { subject, message } = incidentAlert(incident, s.deployment);
      await this.publish(subject, message);
      alerts++;
    }
    if (fresh.length > limit) {
      const rest = fresh.slice(limit);
      await this.publish(
        `[${s.deployment}] ${rest.length} more anomaly incidents`.slice(0, 100),
        `${rest.length} more incidents in window ${id}, on devices: ${rest.map((i) => i.device_id).join(", ")}`,
      );
      alerts++;
    }

    // 4. Advance the watermark (compare-and-swap on the ETag this run pinned).
    const horizon = plan.untilMs! - DAY_MS;
    const lastAnomalyTs = Object.fromEntries(
      Object.entries(latestAnomalyTimes(anomalies, current.value.lastAnomalyTs)).filter(
        ([, ts]) => ts >= horizon,
      ),
    );
    await this.writeWatermark(
      {
        scoredThroughMs: plan.untilMs!,
        lastWindowId: id,
        lastAnomalyTs,
        updatedAt: new Date(scoredAt).toISOString(),
      },
      current.etag,
    );
    const counts = {
      vectors: vectors.length,
      anomalies: anomalies.length,
      incidents: incidents.length,
      alerts,
    };
    this.metrics.window(counts, plan.untilMs!);
    return {
      windowId: id,
      ...counts,
      anomalyObjects: [...groups.keys()],
      scoredThroughMs: plan.untilMs!,
    };
  }

  /** The watermark, if it is still the one the plan pinned; else the plan is stale. */
  private async currentWatermark(plan: ScoringPlan): Promise<{ value: ScoringWatermark; etag?: string }> {
    const id = requireWindow(plan);
    const current = await readJson<ScoringWatermark>(
      this.clients.s3,
      this.settings.curatedBucket,
      SCORING_KEYS.watermark,
    );
    if (!current || current.etag !== plan.watermarkEtag) {
      throw new WatermarkMovedError(
        `the scoring watermark changed since window ${id} was planned (it was finished or re-planned by another run)`,
      );
    }
    return current;
  }

  /** Publishes how far the watermark is behind the clock (when there is a watermark). */
  private async publishLag(): Promise<void> {
    if (!this.metrics.enabled) return;
    const { s3 } = this.clients;
    const current = await readJson<ScoringWatermark>(s3, this.settings.curatedBucket, SCORING_KEYS.watermark);
    if (current) this.metrics.lag(current.value.scoredThroughMs);
  }

  private async publish(subject: string, message: string): Promise<void> {
    await withRetries(
      () =>
        this.clients.sns.send(
          new PublishCommand({ TopicArn: this.settings.alertTopicArn, Subject: subject, Message: message }),
        ),
      this.clients.retry,
    );
  }

  private async writeWatermark(
    watermark: ScoringWatermark,
    etag: string | undefined,
  ): Promise<string | undefined> {
    try {
      return await writeJson(
        this.clients.s3,
        this.settings.curatedBucket,
        SCORING_KEYS.watermark,
        watermark,
        etag ? { ifMatch: etag } : { ifNoneMatch: true },
      );
    } catch (err) {
      if (isPreconditionFailed(err))
        throw new WatermarkMovedError(
          "the scoring watermark was changed by another run; this run stops without scoring",
        );
      throw err;
    }
  }
}

function requireWindow(plan: ScoringPlan): string {
  if (
    plan.skip ||
    !plan.windowId ||
    plan.sinceMs === undefined ||
    plan.untilMs === undefined ||
    !plan.model
  ) {
    throw new Error(
      `scoring step called with a plan that has no window (skip: ${plan.skip}${plan.reason ? `, ${plan.reason}` : ""})`,
    );
  }
  return plan.windowId;
}

/**
 * The scores in an RCF response, in order. Accepts the `application/json` form (`{"scores":[{"score":..}]}`)
 * and the `application/jsonlines` form batch transform writes (`{"score":..}` per line).
 */
export function parseScores(text: string): number[] {
  const scores: number[] = [];
  for (const match of text.matchAll(/"score"\s*:\s*(-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|NaN|null)/g)) {
    const value = Number(match[1]);
    if (!Number.isFinite(value))
      throw new Error(`the model returned a score that is not a number: ${match[1]}`);
    scores.push(value);
  }
  return scores;
}

type ReadingRow = [string, string, number, number, number, number];
const readingRow = (r: FeatureReading): ReadingRow => [
  r.device_id,
  r.room_id,
  r.ts,
  r.seq,
  r.temperature_c,
  r.received_at,
];
const fromReadingRow = ([
  device_id,
  room_id,
  ts,
  seq,
  temperature_c,
  received_at,
]: ReadingRow): FeatureReading => ({ device_id, room_id, ts, seq, temperature_c, received_at });
