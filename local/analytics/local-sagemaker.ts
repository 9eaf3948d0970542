/**
 * Local SageMaker for the built-in Random Cut Forest, backed by the TypeScript forest in `local/rcf`:
 *
 * - training job: reads the training channel (headerless CSV, `feature_dim` values a row) and builds a forest
 *   with the job's hyperparameters (`fromSageMakerHyperparameters`), sampling the whole set uniformly as
 *   SageMaker's batch training does (time decay 0); the artifact at `<S3OutputPath>/<job>/output/model.tar.gz`
 *   records the hyperparameters, the seed and the training set, from which the forest is rebuilt exactly (the
 *   forest is deterministic by seed) when a later run needs it;
 * - models (CreateModel) and endpoint configs/endpoints, kept in `<data>/sagemaker/registry.json`;
 * - batch transform: scores every CSV row of the input prefix, writing `<input file>.out` JSON lines
 *   (`{"score": ...}`), as SageMaker does with `Accept: application/jsonlines`;
 * - runtime InvokeEndpoint: `text/csv` rows in, `{"scores":[{"score": ...}]}` out.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import {
  DeleteEndpointConfigCommandInput,
  DeleteModelCommandInput,
  DescribeEndpointCommandInput,
  ListEndpointConfigsCommandInput,
  ListModelsCommandInput,
  SageMakerClient,
} from "@aws-sdk/client-sagemaker";
import { InvokeEndpointCommandInput, SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import { RandomCutForest } from "../rcf/forest";
import { fromSageMakerHyperparameters } from "../rcf/settings";
import { writeFileDurably, type LocalObjectStore } from "../lake/object-store";
import { LOCAL_CLIENT_CONFIG, serveLocally } from "../aws/serve-locally";

/** What the local model artifact holds. */
interface ModelArtifact {
  readonly format: "sensor-analytics-local-rcf/1";
  readonly hyperParameters: Readonly<Record<string, string>>;
  readonly randomSeed: number;
  /** S3 URIs of the training files, in the order they were read. */
  readonly trainingFiles: readonly string[];
  readonly vectors: number;
}

interface Registry {
  models: Record<string, { modelDataUrl: string; createdAt: string }>;
  endpointConfigs: Record<string, { modelName: string; createdAt: string }>;
  endpoints: Record<string, { endpointConfigName: string }>;
}

/** Seed of every local forest, so a rebuilt model scores exactly as the trained one did. */
const FOREST_SEED = 42;

function sageMakerError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });
}

export class LocalSageMaker {
  private readonly registry: Registry;
  private readonly file: string;
  private readonly forests = new Map<string, RandomCutForest>();
  /** Counters for the summary. */
  readonly stats = { trainingJobs: 0, transformJobs: 0, rowsScored: 0 };

  constructor(
    private readonly store: LocalObjectStore,
    stateDir: string,
    private readonly now: () => number,
  ) {
    fs.mkdirSync(stateDir, { recursive: true });
    this.file = path.join(stateDir, "registry.json");
    this.registry = fs.existsSync(this.file)
      ? (JSON.parse(fs.readFileSync(this.file, "utf8")) as Registry)
      : { models: {}, endpointConfigs: {}, endpoints: {} };
  }

  /** `createTrainingJob.sync`: trains and writes the artifact; returns what DescribeTrainingJob would. */
  createTrainingJob(input: {
    TrainingJobName: string;
    HyperParameters: Record<string, string>;
    InputDataConfig: { ChannelName: string; DataSource: { S3DataSource: { S3Uri: string } } }[];
    OutputDataConfig: { S3OutputPath: string };
  }): {
    TrainingJobName: string;
    TrainingJobStatus: "Completed";
    ModelArtifacts: { S3ModelArtifacts: string };
  } {
    const channel = input.InputDataConfig.find((c) => c.ChannelName === "train");
    if (!channel)
      throw sageMakerError("ValidationException", "Random Cut Forest needs a channel named train");
    const files = this.objectsUnder(channel.DataSource.S3DataSource.S3Uri);
    const artifact: ModelArtifact = {
      format: "sensor-analytics-local-rcf/1",
      hyperParameters: input.HyperParameters,
      randomSeed: FOREST_SEED,
      trainingFiles: files,
      vectors: 0,
    };
    const { forest, vectors } = this.train(artifact);
    if (vectors === 0)
      throw Object.assign(
        new Error(
          `training job ${input.TrainingJobName}: the train channel ${channel.DataSource.S3DataSource.S3Uri} has no rows`,
        ),
        { name: "States.TaskFailed" },
      );
    const outputUri = `${input.OutputDataConfig.S3OutputPath.replace(/\/?$/, "/")}${input.TrainingJobName}/output/model.tar.gz`;
    const { bucket, key } = splitUri(outputUri);
    this.store.put(bucket, key, gzipSync(JSON.stringify({ ...artifact, vectors })));
    this.forests.set(outputUri, forest);
    this.stats.trainingJobs++;
    return {
      TrainingJobName: input.TrainingJobName,
      TrainingJobStatus: "Completed",
      ModelArtifacts: { S3ModelArtifacts: outputUri },
    };
  }

  createModel(input: { ModelName: string; PrimaryContainer: { ModelDataUrl: string } }): {
    ModelArn: string;
  } {
    this.registry.models[input.ModelName] = {
      modelDataUrl: input.PrimaryContainer.ModelDataUrl,
      createdAt: new Date(this.now()).toISOString(),
    };
    this.save();
    return { ModelArn: `arn:aws:sagemaker:local:000000000000:model/${input.ModelName}` };
  }

  createEndpointConfig(input: { EndpointConfigName: string; ProductionVariants: { ModelName: string }[] }): {
    EndpointConfigArn: string;
  } {
    const modelName = input.ProductionVariants[0]?.ModelName;
    if (!modelName || !this.registry.models[modelName])
      throw sageMakerError(
        "ValidationException",
        `endpoint config ${input.EndpointConfigName} names no known model`,
      );
    this.registry.endpointConfigs[input.EndpointConfigName] = {
      modelName,
      createdAt: new Date(this.now()).toISOString(),
    };
    this.save();
    return {
      EndpointConfigArn: `arn:aws:sagemaker:local:000000000000:endpoint-config/${input.EndpointConfigName}`,
    };
  }

  /** CreateEndpoint (what Pulumi does once a model is promoted): the endpoint serves the config's model at once. */
  createEndpoint(input: { EndpointName: string; EndpointConfigName: string }): { EndpointArn: string } {
    if (this.registry.endpoints[input.EndpointName])
      throw sageMakerError(
        "ValidationException",
        `Cannot create already existing endpoint "${input.EndpointName}"`,
      );
    return this.serve(input);
  }

  /** UpdateEndpoint: like SageMaker, only for an endpoint that exists; the new config serves at once. */
  updateEndpoint(input: { EndpointName: string; EndpointConfigName: string }): { EndpointArn: string } {
    if (!this.registry.endpoints[input.EndpointName])
      throw sageMakerError("ValidationException", `Could not find endpoint "${input.EndpointName}"`);
    return this.serve(input);
  }

  /** Whether an endpoint of this name exists. */
  hasEndpoint(name: string): boolean {
    return this.registry.endpoints[name] !== undefined;
  }

  private serve(input: { EndpointName: string; EndpointConfigName: string }): { EndpointArn: string } {
    if (!this.registry.endpointConfigs[input.EndpointConfigName])
      throw sageMakerError(
        "ValidationException",
        `endpoint config ${input.EndpointConfigName} does not exist`,
      );
    this.registry.endpoints[input.EndpointName] = { endpointConfigName: input.EndpointConfigName };
    this.save();
    return { EndpointArn: `arn:aws:sagemaker:local:000000000000:endpoint/${input.EndpointName}` };
  }

  describeEndpoint(name: string): {
    EndpointName: string;
    EndpointStatus: string;
    EndpointConfigName: string;
  } {
    const endpoint = this.registry.endpoints[name];
    if (!endpoint) throw sageMakerError("ValidationException", `Could not find endpoint "${name}"`);
    return {
      EndpointName: name,
      EndpointStatus: "InService",
      EndpointConfigName: endpoint.endpointConfigName,
    };
  }

  /** `createTransformJob.sync`: scores every row of every input file. */
  createTransformJob(input: {
    TransformJobName: string;
    ModelName: string;
    TransformInput: { DataSource: { S3DataSource: { S3Uri: string } } };
    TransformOutput: { S3OutputPath: string };
  }): { TransformJobName: string; TransformJobStatus: "Completed" } {
    const forest = this.forestOfModel(input.ModelName);
    const inputPrefix = input.TransformInput.DataSource.S3DataSource.S3Uri;
    const outputPrefix = input.TransformOutput.S3OutputPath.replace(/\/?$/, "/");
    for (const file of this.objectsUnder(inputPrefix)) {
      const { bucket, key } = splitUri(file);
      const rows = parseRows(this.store.get(bucket, key).body.toString("utf8"), file, forest.dimensions);
      const lines = rows.map((row) => JSON.stringify({ score: forest.getAnomalyScore(row) }));
      // SageMaker keeps the input's path below the input prefix: `<output prefix><relative key>.out`.
      const relative = key.startsWith(splitUri(inputPrefix).key)
        ? key.slice(splitUri(inputPrefix).key.length)
        : key.slice(key.lastIndexOf("/") + 1);
      const out = splitUri(`${outputPrefix}${relative}.out`);
      this.store.put(out.bucket, out.key, `${lines.join("\n")}\n`);
      this.stats.rowsScored += rows.length;
    }
    this.stats.transformJobs++;
    return { TransformJobName: input.TransformJobName, TransformJobStatus: "Completed" };
  }

  /** A SageMakerClient for the functions (model clean-up, endpoint checks). */
  client(): SageMakerClient {
    const list = <T extends { createdAt: string }>(entries: Record<string, T>, nameContains?: string) =>
      Object.entries(entries)
        .filter(([name]) => !nameContains || name.includes(nameContains))
        .sort(([, a], [, b]) => b.createdAt.localeCompare(a.createdAt));
    return serveLocally(new SageMakerClient(LOCAL_CLIENT_CONFIG), "SageMaker", {
      ListModelsCommand: (input: ListModelsCommandInput) => ({
        Models: list(this.registry.models, input.NameContains).map(([ModelName, m]) => ({
          ModelName,
          CreationTime: new Date(m.createdAt),
        })),
      }),
      DeleteModelCommand: (input: DeleteModelCommandInput) => {
        delete this.registry.models[input.ModelName!];
        this.save();
        return {};
      },
      ListEndpointConfigsCommand: (input: ListEndpointConfigsCommandInput) => ({
        EndpointConfigs: list(this.registry.endpointConfigs, input.NameContains).map(
          ([EndpointConfigName, c]) => ({ EndpointConfigName, CreationTime: new Date(c.createdAt) }),
        ),
      }),
      DeleteEndpointConfigCommand: (input: DeleteEndpointConfigCommandInput) => {
        delete this.registry.endpointConfigs[input.EndpointConfigName!];
        this.save();
        return {};
      },
      DescribeEndpointCommand: (input: DescribeEndpointCommandInput) =>
        this.describeEndpoint(input.EndpointName!),
    });
  }

  /** A SageMakerRuntimeClient whose InvokeEndpoint scores on the endpoint's local forest. */
  runtimeClient(): SageMakerRuntimeClient {
    return serveLocally(new SageMakerRuntimeClient(LOCAL_CLIENT_CONFIG), "SageMaker Runtime", {
      InvokeEndpointCommand: (input: InvokeEndpointCommandInput) => {
        const endpoint = this.registry.endpoints[input.EndpointName!];
        if (!endpoint) throw sageMakerError("ValidationError", `Endpoint ${input.EndpointName} not found`);
        const modelName = this.registry.endpointConfigs[endpoint.endpointConfigName]!.modelName;
        const forest = this.forestOfModel(modelName);
        const body = Buffer.from(input.Body as Uint8Array).toString("utf8");
        const scores = parseRows(body, `InvokeEndpoint ${input.EndpointName}`, forest.dimensions).map(
          (row) => ({ score: forest.getAnomalyScore(row) }),
        );
        this.stats.rowsScored += scores.length;
        return {
          Body: new Uint8Array(Buffer.from(JSON.stringify({ scores }))),
          ContentType: "application/json",
        };
      },
    });
  }

  private forestOfModel(modelName: string): RandomCutForest {
    const model = this.registry.models[modelName];
    if (!model) throw sageMakerError("ValidationException", `Could not find model "${modelName}"`);
    let forest = this.forests.get(model.modelDataUrl);
    if (!forest) {
      // A model trained by an earlier run: rebuild its forest from the artifact (same seed, same data).
      const { bucket, key } = splitUri(model.modelDataUrl);
      const artifact = JSON.parse(
        gunzipSync(this.store.get(bucket, key).body).toString("utf8"),
      ) as ModelArtifact;
      forest = this.train(artifact).forest;
      this.forests.set(model.modelDataUrl, forest);
    }
    return forest;
  }

  private train(artifact: ModelArtifact): { forest: RandomCutForest; vectors: number } {
    // Rows arrive already shingled (feature_dim values), so the forest itself does not shingle again.
    const options = fromSageMakerHyperparameters(artifact.hyperParameters as { feature_dim: string }, {
      timeDecay: 0,
      randomSeed: artifact.randomSeed,
      outputAfter: 1,
    });
    const forest = new RandomCutForest(options);
    let vectors = 0;
    for (const file of artifact.trainingFiles) {
      const { bucket, key } = splitUri(file);
      for (const row of parseRows(
        this.store.get(bucket, key).body.toString("utf8"),
        file,
        forest.dimensions,
      )) {
        forest.update(row);
        vectors++;
      }
    }
    return { forest, vectors };
  }

  /** S3 URIs of the objects under a prefix URI (or the object itself). */
  private objectsUnder(prefixUri: string): string[] {
    const { bucket, key } = splitUri(prefixUri);
    return this.store
      .list(bucket, key)
      .filter((o) => o.size > 0)
      .map((o) => `s3://${bucket}/${o.key}`);
  }

  private save(): void {
    writeFileDurably(this.file, Buffer.from(JSON.stringify(this.registry, null, 1)));
  }
}

function splitUri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri);
  if (!match) throw new Error(`"${uri}" is not an s3:// URI`);
  return { bucket: match[1]!, key: match[2]! };
}

/** Headerless CSV rows of numbers, each with `dimensions` values (`text/csv;label_size=0`). */
function parseRows(text: string, source: string, dimensions: number): Float64Array[] {
  const rows: Float64Array[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === "") return;
    const values = line.split(",").map(Number);
    if (values.length !== dimensions || values.some((v) => !Number.isFinite(v))) {
      throw sageMakerError(
        "ClientError",
        `${source}: row ${i + 1} must have ${dimensions} numbers (feature_dim), got "${line.slice(0, 80)}"`,
      );
    }
    rows.push(Float64Array.from(values));
  });
  return rows;
}
