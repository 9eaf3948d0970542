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
import { InvokeEndpointCommand } from "@aws-sdk/client-sagemaker-runtime";
import { PublishCommand } from "@aws-sdk/client-sns";
import { anomalyObjectKey, AnomalyRecord, toJsonLines, utcDay } from "../../components/ml/anomaly-record";
import {
  batchRows,
  csvRow,
  MAX_REQUEST_BYTES,
  parseScoringRows,
  ScoringRow,
} from "../../components/ml/features";
import {
  carryStreams,
  Incident,
  incidentAlert,
  JudgedReading,
  judgeWindow,
} from "../../components/ml/incidents";
import { sameFeatures } from "../../components/ml/feature-sql";
import {
  MODEL_KEYS,
  ModelPointer,
  SCORING_KEYS,
  ScoringWatermark,
  sageMakerNamePrefix,
  windowId,
} from "../../components/ml/ml-layout";
import { athenaExecutionParameters } from "../../components/analytics/sql-dialect";
import {
  isPreconditionFailed,
  parseS3Uri,
  readJson,
  readText,
  writeJson,
  writeText,
} from "../ml-common/s3-io";
import { withRetries } from "../ml-common/retry";
import { BatchFiles, type BatchInput, parseScores } from "./batch-files";

export { parseScores, type BatchInput, type RoomTransform } from "./batch-files";
import {
  type ScoringClients,
  type ScoringOutcome,
  type ScoringPlan,
  type ScoringSettings,
  WatermarkMovedError,
} from "./scoring-contract";
import { ScoringMetrics } from "./scoring-metrics";

const DAY_MS = 86_400_000;

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
    if (pointer.value.featureDim !== expectedDim || !sameFeatures(pointer.value.features, s.model.features)) {
      // Nothing is scored until the next training run: the lag keeps growing, which its alarm catches.
      await this.publishLag();
      return {
        skip: true,
        reason: `the model in service (run ${pointer.value.runId}) was trained on other features (feature_dim ${pointer.value.featureDim}, ${JSON.stringify(pointer.value.features ?? { shingleSize: pointer.value.shingleSize })}) than the settings now say (feature_dim ${expectedDim}, ${JSON.stringify(s.model.features)}); scoring resumes after the next training run`,
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
      ...(current?.value ?? { scoredThroughMs: sinceMs, lastWindowId: "", streams: {} }),
      pending: { sinceMs, untilMs, attempt },
      updatedAt: new Date(now).toISOString(),
    };
    const etag = await this.writeWatermark(watermark, current?.etag);
    const id = windowId(sinceMs, untilMs);
    const contextSinceMs = sinceMs - (s.contextMs ?? 6 * 3_600_000);
    const values = {
      from_day: utcDay(contextSinceMs - (s.latenessMs ?? DAY_MS)),
      to_day: utcDay(untilMs + DAY_MS),
      context_since_ms: contextSinceMs,
      since_ms: sinceMs,
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
        mean: pointer.value.mean,
        sigma: pointer.value.sigma,
        ...(pointer.value.rooms
          ? {
              rooms: Object.fromEntries(
                Object.entries(pointer.value.rooms).map(([room, m]) => [
                  room,
                  { name: m.modelName, threshold: m.threshold, mean: m.mean, sigma: m.sigma },
                ]),
              ),
            }
          : {}),
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
    if (plan.model?.rooms)
      throw new Error(
        "the model in service has one model per room (modelScope room), which an endpoint cannot serve: use anomalyMode batch",
      );
    const rows = await this.windowRows(plan, resultsUri);
    const vectors = rows.filter((r) => r.vector !== null).map((r) => csvRow(r.vector!));
    const scores: number[] = [];
    for (const batch of batchRows(
      vectors,
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
    return this.finish(plan, rows, withScores(rows, scores));
  }

  /**
   * Batch mode: writes the window's vectors as the transform input (modelScope room: one input per room), and
   * every row of the window (vectors or not: the rules judge those without) for collectBatch.
   */
  async prepareBatch(plan: ScoringPlan, resultsUri: string): Promise<BatchInput> {
    const id = requireWindow(plan);
    const rows = await this.windowRows(plan, resultsUri);
    const written = await this.batchFiles().write(id, rows, plan.model!.rooms, plan.transformJobName!);
    return { ...written, preparedAtMs: this.now() };
  }

  /** Batch mode: reads the transforms' scores (or none, for an empty window) and finishes the window. */
  async collectBatch(plan: ScoringPlan, batch: BatchInput): Promise<ScoringOutcome> {
    const id = requireWindow(plan);
    const files = this.batchFiles();
    const rows = await files.rows(id);
    const scores = await files.scores(id, rows, batch);
    if (batch.rows > 0 && batch.preparedAtMs !== undefined) this.metrics.transform(batch.preparedAtMs);
    const outcome = await this.finish(plan, rows, scores);
    await files.remove(id);
    return outcome;
  }

  private batchFiles(): BatchFiles {
    return new BatchFiles(this.clients.s3, this.settings.curatedBucket);
  }

  private async windowRows(plan: ScoringPlan, resultsUri: string): Promise<ScoringRow[]> {
    await this.currentWatermark(plan); // fail fast: a replayed or superseded plan scores nothing
    const { bucket, key } = parseS3Uri(resultsUri);
    const found = await readText(this.clients.s3, bucket, key);
    if (!found) throw new Error(`Athena results ${resultsUri} not found`);
    const since = plan.sinceMs!;
    const until = plan.untilMs!;
    return parseScoringRows(found.text, resultsUri, this.settings.model).filter(
      (r) => r.reading.received_at > since && r.reading.received_at <= until,
    );
  }

  private async finish(
    plan: ScoringPlan,
    rows: readonly ScoringRow[],
    scores: readonly (number | undefined)[],
  ): Promise<ScoringOutcome> {
    const id = requireWindow(plan);
    const s = this.settings;
    const model = plan.model!;
    const scoredAt = this.now();
    const current = await this.currentWatermark(plan);

    // 1. The alert policy, per device, from the state the previous window left (a new model restarts the
    //    score distributions from its own training scores).
    const prior = { mean: model.mean, sigma: model.sigma };
    const modelChanged = current.value.streamsModel !== model.version;
    let streams = carryStreams(
      current.value.streams ?? {},
      plan.untilMs!,
      modelChanged ? { prior } : undefined,
    );
    // modelScope room: each room's sensors are judged against their room model's prior and floor.
    const byModel = new Map<string, { rows: ScoringRow[]; scores: (number | undefined)[] }>();
    rows.forEach((row, i) => {
      const key = model.rooms ? row.reading.room_id : "";
      let group = byModel.get(key);
      if (!group) byModel.set(key, (group = { rows: [], scores: [] }));
      group.rows.push(row);
      group.scores.push(scores[i]);
    });
    const judged: JudgedReading[] = [];
    const incidents: Incident[] = [];
    for (const [room, group] of [...byModel].sort(([a], [b]) => a.localeCompare(b))) {
      const own = model.rooms?.[room] ?? model;
      const result = judgeWindow(group.rows, group.scores, streams, {
        policy: s.model.alertPolicy,
        prior: { mean: own.mean, sigma: own.sigma },
        floor: own.threshold,
      });
      judged.push(...result.judged);
      incidents.push(...result.incidents);
      streams = result.streams;
    }
    const anomalies = judged.filter((j) => j.verdict.anomalous);

    // 2. Anomaly records: one object per room and day, keyed by the window (rewritten identically on a retry).
    const groups = new Map<string, AnomalyRecord[]>();
    for (const { reading, score, verdict } of anomalies) {
      const key = anomalyObjectKey(reading.room_id, utcDay(reading.ts), id);
      const record: AnomalyRecord = {
        device_id: reading.device_id,
        ts: reading.ts,
        seq: reading.seq,
        temperature_c: reading.temperature_c,
        score: score ?? 0,
        threshold: model.rooms?.[reading.room_id]?.threshold ?? model.threshold,
        kind: verdict.kind!,
        anomaly_score: verdict.anomalyScore,
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

    // 3. Alerts: one per incident the policy opened (or escalated), a summary beyond the per-run limit.
    const limit = s.maxAlertsPerRun ?? 20;
    let alerts = 0;
    for (const incident of incidents.slice(0, limit)) {
      const { subject, message } = incidentAlert(incident, s.deployment);
      await this.publish(subject, message);
      alerts++;
    }
    if (incidents.length > limit) {
      const rest = incidents.slice(limit);
      await this.publish(
        `[${s.deployment}] ${rest.length} more anomaly incidents`.slice(0, 100),
        summaryMessage(
          rest.length,
          id,
          rest.map((i) => i.device_id),
        ),
      );
      alerts++;
    }

    // 4. Advance the watermark with the streams' new state (compare-and-swap on the ETag this run pinned).
    await this.writeWatermark(
      {
        scoredThroughMs: plan.untilMs!,
        lastWindowId: id,
        streams,
        streamsModel: model.version,
        updatedAt: new Date(scoredAt).toISOString(),
      },
      current.etag,
    );
    const counts = {
      vectors: scores.filter((x) => x !== undefined).length,
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

/** Scores of the rows with a vector, in order, spread over all rows (undefined where no vector). */
function withScores(rows: readonly ScoringRow[], scores: readonly number[]): (number | undefined)[] {
  let next = 0;
  return rows.map((r) => (r.vector === null ? undefined : scores[next++]));
}

/** Bytes a summary message lists devices in: SNS takes messages up to 262,144 bytes; this leaves room to spare. */
export const SUMMARY_DEVICE_LIST_BYTES = 200_000;

/**
 * The summary alert beyond the per-run limit: each device once, in first-seen order, as many as fit in
 * {@link SUMMARY_DEVICE_LIST_BYTES}, then how many more (the anomalies themselves are all in the lake).
 */
export function summaryMessage(incidents: number, windowId: string, deviceIds: readonly string[]): string {
  const devices = [...new Set(deviceIds)];
  const listed: string[] = [];
  let bytes = 0;
  for (const device of devices) {
    const size = Buffer.byteLength(device) + 2;
    if (bytes + size > SUMMARY_DEVICE_LIST_BYTES) break;
    listed.push(device);
    bytes += size;
  }
  const more = devices.length - listed.length;
  const tail = more > 0 ? ` and ${more} more (every anomaly is in the lake)` : "";
  return `${incidents} more incidents in window ${windowId}, on devices: ${listed.join(", ")}${tail}`;
}
