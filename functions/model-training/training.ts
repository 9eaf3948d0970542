/**
 * The Lambda steps of the model-training state machine:
 *
 *   prepare    check the curate job's per-room training CSV (feature vectors, no header, under
 *              `training/room_id=<room>/` in the curated bucket): vectors of the right dimension, and enough of
 *              them; name the run's SageMaker jobs and model
 *   threshold  read the batch-transform scores of the training set, store mean + z sigma next to the model,
 *              and delete the scores
 *   promote    make the new model the one in service: check the endpoint really runs it (endpoint mode), copy
 *              its artifact to a stable key, write the pointer the scoring function reads, record the promotion
 *              in the deployment's SSM parameter (which `pulumi up` reads to create the endpoint), and delete
 *              models and endpoint configs older than the last few
 *
 * Clients are injected (tests use aws-sdk-client-mock).
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { PutParameterCommand, type SSMClient } from "@aws-sdk/client-ssm";
import {
  DescribeEndpointCommand,
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  ListEndpointConfigsCommand,
  ListModelsCommand,
  type SageMakerClient,
} from "@aws-sdk/client-sagemaker";
import { LAKE_ZONES } from "../../components/lake/layout";
import {
  jobAttemptName,
  MODEL_KEYS,
  ModelPointer,
  PromotedModel,
  runId,
  SAGEMAKER_JOB_ATTEMPTS,
  SAGEMAKER_NAME_MAX_LENGTH,
  sageMakerNamePrefix,
} from "../../components/ml/ml-layout";
import { ModelSettings, scoreThreshold, ScoreThreshold } from "../../components/ml/model-settings";
import { parseScores } from "../anomaly-scoring/scoring";
import {
  copyObject,
  deleteObjects,
  listObjects,
  parseS3Uri,
  readHead,
  readText,
  s3Uri,
  writeJson,
} from "../ml-common/s3-io";
import type { MetricsPublisher } from "../ml-common/metrics";

export interface TrainingSettings {
  readonly deployment: string;
  readonly curatedBucket: string;
  readonly artifactsBucket: string;
  readonly model: ModelSettings;
  /**
   * Up to this many bytes of training CSV the vectors are counted exactly (to decide "enough data" and to check
   * the transform covered them all); above it there are far more than any num_samples_per_tree. @default 64 MiB
   */
  readonly exactCountBytes?: number;
  /** Run models and endpoint configs kept for rollback, the one in service included. @default 3 */
  readonly keepModels?: number;
  /**
   * SSM parameter that records the promoted model (`promotedModelParameterName`); `pulumi up` reads it to
   * create the real-time endpoint once a model exists. @default - not recorded (the local backend's own runs)
   */
  readonly promotedModelParameter?: string;
}

export interface TrainingClients {
  readonly s3: S3Client;
  /** For checking the endpoint and deleting old models and endpoint configs. @default - neither */
  readonly sagemaker?: SageMakerClient;
  /** For recording the promotion; needed when `promotedModelParameter` is set. */
  readonly ssm?: SSMClient;
  /**
   * Where the pipeline metrics go (`PIPELINE_METRICS`: training vectors, too-small training sets, promotions).
   * @default - not published
   */
  readonly metrics?: MetricsPublisher;
}

/** The prepare step's output: the run's names and where its data goes. */
export interface TrainingRun {
  readonly runId: string;
  /** Whether there are enough vectors to train (at least num_samples_per_tree). */
  readonly enough: boolean;
  /** Training vectors, when counted (see exactCountBytes); `null` for a training set too large to count. */
  readonly vectors: number | null;
  readonly minimumVectors: number;
  readonly rooms: readonly string[];
  readonly trainingBytes: number;
  /** S3 prefix the training channel and the threshold transform read (S3Prefix). */
  readonly trainingSetUri: string;
  readonly outputUri: string;
  readonly scoresUri: string;
  readonly trainingJobName: string;
  readonly modelName: string;
  readonly endpointConfigName: string;
  readonly transformJobName: string;
  /**
   * modelScope room: one model per room with enough vectors (each trained on its room's folder of the
   * training set), named `<run's name>-r<n>`; the run's own names are then unused. Empty in fleet scope.
   */
  readonly models: readonly RoomModelRun[];
  /** modelScope room: rooms left out for lack of data (their sensors keep only the rules until they have it). */
  readonly roomsWithoutEnoughData: readonly { readonly room: string; readonly vectors: number | null }[];
}

/** One room's model in a room-scoped run. */
export interface RoomModelRun {
  readonly room: string;
  readonly vectors: number | null;
  readonly trainingSetUri: string;
  readonly outputUri: string;
  readonly scoresUri: string;
  readonly trainingJobName: string;
  readonly modelName: string;
  readonly transformJobName: string;
}

/** What the room-scoped training machine's iteration hands to promote for one room. */
export interface RoomModelResult {
  readonly room: string;
  readonly modelName: string;
  /** The training job that made the model (a capacity retry's `-a<n>` name). @default modelName */
  readonly trainingJobName?: string;
  readonly modelDataUrl: string;
  readonly threshold: ScoreThreshold;
}

/** Spark's part files of the training CSV (`_SUCCESS` and hidden files are not data). */
const TRAINING_FILE = /^training\/room_id=([A-Za-z0-9_]{1,32})\/(?:.*\/)?[^/_.][^/]*\.csv(?:\.gz)?$/;

const countLines = (text: string) => text.split("\n").filter((line) => line.trim() !== "").length;

/** What the promote step is given by the training state machine. */
export interface PromoteInput {
  readonly run: TrainingRun;
  readonly modelDataUrl?: string;
  /**
   * The training job that made the model: the run's prepared name, or a capacity retry's `-a<n>` name.
   * @default the run's model name (which the first attempt's job shares)
   */
  readonly trainingJobName?: string;
  readonly threshold?: ScoreThreshold;
  readonly models?: readonly RoomModelResult[];
  /** Endpoint mode: the config the endpoint should now run. */
  readonly endpointConfigName?: string;
  /** Endpoint mode: the endpoint, checked to really run that config (an update can roll back to InService). */
  readonly endpointName?: string;
  readonly promotedAt: string;
}

export class ModelTraining {
  constructor(
    private readonly settings: TrainingSettings,
    private readonly clients: TrainingClients,
  ) {}

  /** Checks the curate job's training CSV and names the run. */
  async prepare(input: { readonly executionName: string; readonly startTime: string }): Promise<TrainingRun> {
    const s = this.settings;
    const started = new Date(input.startTime);
    if (Number.isNaN(started.getTime())) throw new Error(`startTime "${input.startTime}" is not a timestamp`);
    const run = runId(started, input.executionName);
    const prefix = LAKE_ZONES.training.prefix;
    const files = (await listObjects(this.clients.s3, s.curatedBucket, prefix))
      .map((o) => ({ ...o, room: TRAINING_FILE.exec(o.key)?.[1] }))
      .filter((o): o is typeof o & { room: string } => o.room !== undefined && o.size > 0);
    const rooms = [...new Set(files.map((f) => f.room))].sort();
    const trainingBytes = files.reduce((sum, f) => sum + f.size, 0);
    const dim = s.model.hyperparameters.feature_dim;

    // A training set shingled differently from the settings would train a model scoring cannot use.
    if (files[0]) {
      const head = (await readHead(this.clients.s3, s.curatedBucket, files[0].key, 4096)) ?? "";
      const firstRow = head.split("\n")[0]!.trim();
      const columns = firstRow.split(",");
      if (columns.length !== dim || columns.some((c) => !Number.isFinite(Number(c)) || c.trim() === "")) {
        throw new Error(
          `${s3Uri(s.curatedBucket, files[0].key)} starts with "${firstRow.slice(0, 80)}": expected ${dim} numbers per row (feature_dim) without a header; ` +
            "the curate job must render its training SQL with the model's features (anomalyFeatures, rcfShingleSize): run the ETL after a pulumi up that changed them",
        );
      }
    }
    let vectors: number | null = null;
    const perRoom = new Map<string, number>();
    if (trainingBytes <= (s.exactCountBytes ?? 64 * 1024 * 1024)) {
      vectors = 0;
      for (const f of files) {
        const lines = countLines((await readText(this.clients.s3, s.curatedBucket, f.key))?.text ?? "");
        vectors += lines;
        perRoom.set(f.room, (perRoom.get(f.room) ?? 0) + lines);
      }
    }
    const minimumVectors = s.model.hyperparameters.num_samples_per_tree;
    const name = `${sageMakerNamePrefix(s.deployment)}-rcf-${run}`;
    const models: RoomModelRun[] = [];
    const roomsWithoutEnoughData: { room: string; vectors: number | null }[] = [];
    if (s.model.scope === "room") {
      rooms.forEach((room, index) => {
        const count = vectors === null ? null : (perRoom.get(room) ?? 0);
        if (count !== null && count < minimumVectors) {
          roomsWithoutEnoughData.push({ room, vectors: count });
          return;
        }
        // SageMaker names allow no "_": rooms are numbered in their sorted order.
        const roomName = `${name}-r${index}`;
        models.push({
          room,
          vectors: count,
          trainingSetUri: s3Uri(s.curatedBucket, `${prefix}room_id=${room}/`),
          outputUri: s3Uri(s.artifactsBucket, MODEL_KEYS.trainingOutputPrefix(run)),
          scoresUri: s3Uri(s.artifactsBucket, MODEL_KEYS.trainingScoresPrefix(run, room)),
          trainingJobName: roomName,
          modelName: roomName,
          transformJobName: `${roomName}-s`,
        });
      });
    }
    const transformJobName = `${name}-scores`;
    // The training machine runs a job short of capacity again as <name>-a<attempt>: every job name must leave
    // room for that within SageMaker's limit. The run's names always do (53 characters at most, 60 with
    // "-scores"); a room's grow with its index: with the longest deployment prefix, past the limit only beyond
    // a thousand rooms.
    const jobNames =
      s.model.scope === "room"
        ? models.flatMap((m) => [m.trainingJobName, m.transformJobName])
        : [name, transformJobName];
    const tooLong = jobNames.find(
      (job) => jobAttemptName(job, SAGEMAKER_JOB_ATTEMPTS).length > SAGEMAKER_NAME_MAX_LENGTH,
    );
    if (tooLong !== undefined)
      throw new Error(
        `job name ${tooLong} is too long to retry: ${jobAttemptName(tooLong, SAGEMAKER_JOB_ATTEMPTS)} exceeds SageMaker's ${SAGEMAKER_NAME_MAX_LENGTH} characters; use a shorter deployment name or fewer rooms`,
      );
    const enough =
      s.model.scope === "room" ? models.length > 0 : vectors === null || vectors >= minimumVectors;
    this.clients.metrics?.publish({
      ...(vectors === null ? {} : { trainingVectors: vectors }),
      trainingSetTooSmall: enough ? 0 : 1,
    });
    return {
      runId: run,
      enough,
      vectors,
      minimumVectors,
      rooms,
      trainingBytes,
      trainingSetUri: s3Uri(s.curatedBucket, prefix),
      outputUri: s3Uri(s.artifactsBucket, MODEL_KEYS.trainingOutputPrefix(run)),
      scoresUri: s3Uri(s.artifactsBucket, MODEL_KEYS.trainingScoresPrefix(run)),
      trainingJobName: name,
      modelName: name,
      endpointConfigName: name,
      transformJobName,
      models,
      roomsWithoutEnoughData,
    };
  }

  /**
   * Mean + z sigma of the training set's scores, stored as the run's threshold.json (a room's model: of that
   * room's scores, as threshold-<room>.json).
   */
  async threshold(
    run: Pick<TrainingRun, "runId" | "vectors">,
    room?: string,
  ): Promise<ScoreThreshold & { readonly uri: string }> {
    const s = this.settings;
    const outputs = (
      await listObjects(this.clients.s3, s.artifactsBucket, MODEL_KEYS.trainingScoresPrefix(run.runId, room))
    )
      .filter((o) => o.key.endsWith(".out"))
      .sort((a, b) => a.key.localeCompare(b.key));
    const scores: number[] = [];
    for (const output of outputs)
      scores.push(
        ...parseScores((await readText(this.clients.s3, s.artifactsBucket, output.key))?.text ?? ""),
      );
    if (run.vectors !== null ? scores.length !== run.vectors : scores.length === 0) {
      throw new Error(
        `the training-set transform of run ${run.runId} returned ${scores.length} scores for ${run.vectors ?? "a non-empty set of"} vectors`,
      );
    }
    const threshold = scoreThreshold(scores, s.model.threshold.z);
    const key = MODEL_KEYS.threshold(run.runId, room);
    await writeJson(this.clients.s3, s.artifactsBucket, key, {
      rule: s.model.threshold.rule,
      ...(room ? { room } : {}),
      ...threshold,
    });
    // One score per training vector: as large as the training set and useless once summarized.
    await deleteObjects(
      this.clients.s3,
      s.artifactsBucket,
      outputs.map((o) => o.key),
    );
    return { ...threshold, uri: s3Uri(s.artifactsBucket, key) };
  }

  /**
   * Puts the run's model in service for scoring and cleans up old runs' SageMaker resources. A room-scoped run
   * passes its rooms' models (`models`) instead of one model: the pointer lists them per room, and its
   * one-model fields describe the room with the most training vectors.
   */
  async promote(input: PromoteInput): Promise<ModelPointer & { readonly deleted: readonly string[] }> {
    const s = this.settings;
    if (input.endpointName) {
      if (!this.clients.sagemaker) throw new Error("promote needs a SageMaker client to check the endpoint");
      const endpoint = await this.clients.sagemaker.send(
        new DescribeEndpointCommand({ EndpointName: input.endpointName }),
      );
      if (endpoint.EndpointConfigName !== input.endpointConfigName) {
        throw new Error(
          `endpoint ${input.endpointName} runs ${endpoint.EndpointConfigName}, not ${input.endpointConfigName}: the update was rolled back (see its alarms); the previous model stays in service`,
        );
      }
    }
    const rooms = input.models ?? [];
    const main =
      rooms.length > 0
        ? rooms.reduce((a, b) => (b.threshold.count > a.threshold.count ? b : a))
        : {
            modelName: input.run.modelName,
            trainingJobName: input.trainingJobName,
            modelDataUrl: input.modelDataUrl,
            threshold: input.threshold,
          };
    if (!main.modelDataUrl || !main.threshold)
      throw new Error(
        "promote needs the model (modelDataUrl and threshold) or, for a room-scoped run, its rooms' models",
      );
    for (const url of [main.modelDataUrl, ...rooms.map((r) => r.modelDataUrl)]) {
      if (parseS3Uri(url).bucket !== s.artifactsBucket)
        throw new Error(`model artifact ${url} is not in the artifacts bucket ${s.artifactsBucket}`);
    }
    const artifact = parseS3Uri(main.modelDataUrl);
    await copyObject(this.clients.s3, s.artifactsBucket, artifact.key, MODEL_KEYS.currentArtifact);
    const pointer: ModelPointer = {
      runId: input.run.runId,
      modelName: main.modelName,
      trainingJobName: main.trainingJobName ?? main.modelName,
      modelDataUrl: main.modelDataUrl,
      ...(input.endpointConfigName ? { endpointConfigName: input.endpointConfigName } : {}),
      threshold: main.threshold.threshold,
      mean: main.threshold.mean,
      sigma: main.threshold.sigma,
      z: main.threshold.z,
      trainingVectors:
        rooms.length > 0 ? rooms.reduce((n, r) => n + r.threshold.count, 0) : main.threshold.count,
      featureDim: s.model.hyperparameters.feature_dim,
      shingleSize: s.model.features.shingleSize,
      features: s.model.features,
      ...(rooms.length > 0
        ? {
            rooms: Object.fromEntries(
              rooms.map((r) => [
                r.room,
                {
                  modelName: r.modelName,
                  trainingJobName: r.trainingJobName ?? r.modelName,
                  modelDataUrl: r.modelDataUrl,
                  threshold: r.threshold.threshold,
                  mean: r.threshold.mean,
                  sigma: r.threshold.sigma,
                  trainingVectors: r.threshold.count,
                },
              ]),
            ),
          }
        : {}),
      promotedAt: input.promotedAt,
    };
    await writeJson(this.clients.s3, s.artifactsBucket, MODEL_KEYS.current, pointer);
    // Last, so the record never names a model whose stable artifact is not in place yet.
    await this.recordPromotion({
      runId: pointer.runId,
      modelName: pointer.modelName,
      promotedAt: pointer.promotedAt,
    });
    this.clients.metrics?.publish({ modelsPromoted: 1 });
    return { ...pointer, deleted: await this.deleteOldRuns(input.run.modelName, Math.max(1, rooms.length)) };
  }

  private async recordPromotion(promoted: PromotedModel): Promise<void> {
    const name = this.settings.promotedModelParameter;
    if (!name) return;
    if (!this.clients.ssm) throw new Error(`promote needs an SSM client to record the promotion in ${name}`);
    await this.clients.ssm.send(
      new PutParameterCommand({
        Name: name,
        Value: JSON.stringify(promoted),
        Type: "String",
        Overwrite: true,
      }),
    );
  }

  /**
   * Deletes run models and endpoint configs beyond the newest `keepModels` runs (`modelsPerRun` models each);
   * never the run just promoted.
   */
  private async deleteOldRuns(current: string, modelsPerRun: number): Promise<string[]> {
    const { sagemaker } = this.clients;
    if (!sagemaker) return [];
    const keep = (this.settings.keepModels ?? 3) * modelsPerRun;
    const prefix = `${sageMakerNamePrefix(this.settings.deployment)}-rcf-`;
    const deleted: string[] = [];
    // Every page: with many rooms (modelsPerRun models per run) the newest `keep` alone can exceed one page.
    const listing = {
      NameContains: prefix,
      SortBy: "CreationTime",
      SortOrder: "Descending",
      MaxResults: 100,
    } as const;
    const models = await allPages(async (NextToken) => {
      const page = await sagemaker.send(new ListModelsCommand({ ...listing, NextToken }));
      return { items: page.Models ?? [], next: page.NextToken };
    });
    for (const m of models.filter((m) => m.ModelName?.startsWith(prefix)).slice(keep)) {
      if (m.ModelName?.startsWith(current)) continue;
      await sagemaker.send(new DeleteModelCommand({ ModelName: m.ModelName }));
      deleted.push(`model/${m.ModelName}`);
    }
    const configs = await allPages(async (NextToken) => {
      const page = await sagemaker.send(new ListEndpointConfigsCommand({ ...listing, NextToken }));
      return { items: page.EndpointConfigs ?? [], next: page.NextToken };
    });
    for (const c of configs.filter((c) => c.EndpointConfigName?.startsWith(prefix)).slice(keep)) {
      if (c.EndpointConfigName === current) continue;
      await sagemaker.send(new DeleteEndpointConfigCommand({ EndpointConfigName: c.EndpointConfigName }));
      deleted.push(`endpoint-config/${c.EndpointConfigName}`);
    }
    return deleted;
  }
}

/** Every item of a paged list call: `page` fetches the page after `token` (the first one for `undefined`). */
async function allPages<T>(
  page: (token: string | undefined) => Promise<{ items: readonly T[]; next?: string | undefined }>,
): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const result = await page(token);
    items.push(...result.items);
    token = result.next;
  } while (token);
  return items;
}
