// The model-training Lambda steps against aws-sdk-client-mock: building the training set from the curate job's
// per-room CSV, the threshold from the transform's scores, and promoting the model (pointer, stable artifact,
// cleanup of old runs).
import { gzipSync } from "zlib";
import { expect } from "chai";
import { AwsClientStub, mockClient } from "aws-sdk-client-mock";
import {
  DescribeEndpointCommand,
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  ListEndpointConfigsCommand,
  ListModelsCommand,
  SageMakerClient,
} from "@aws-sdk/client-sagemaker";
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { ModelTraining, TrainingRun } from "../../../functions/model-training/training";
import { dispatch, trainingSettingsFromEnv } from "../../../functions/model-training/handler";
import { buildModelSettings } from "../../../components/ml/model-settings";
import {
  jobAttemptName,
  MODEL_KEYS,
  ModelPointer,
  parsePromotedModel,
  promotedModelParameterName,
  SAGEMAKER_JOB_ATTEMPTS,
} from "../../../components/ml/ml-layout";
import type { PipelineMetricValues } from "../../../components/operations/pipeline-metrics";
import { S3Store } from "./scoring-s3-store";

const CURATED = "curated-bkt";
const ARTIFACTS = "artifacts-bkt";
// The raw temperature feature set keeps the vectors readable here (2 temperatures a row); the training
// function checks shapes, whatever the feature set.
const MODEL_OPTIONS = {
  numTrees: 50,
  samplesPerTree: 4,
  shingleSize: 2,
  z: 3,
  features: "temperature",
} as const;
const MODEL = buildModelSettings(MODEL_OPTIONS);
const START = "2024-06-01T03:00:00.000Z";
const EXECUTION = "9f1c2d3e-4b5a-6c7d-8e9f-0a1b2c3d4e5f";

/** The curate job's training CSV for one room: shingled vectors, one per line, no header (Spark's CSV writer). */
const trainingCsv = (rows: number[][]) => rows.map((r) => r.join(",")).join("\n") + "\n";

describe("model training functions", () => {
  let s3: S3Store;
  let sagemaker: AwsClientStub<SageMakerClient>;
  let training: ModelTraining;
  /** What the function published as pipeline metrics, in order. */
  let published: PipelineMetricValues[];

  const build = (exactCountBytes?: number) => {
    const client = new SageMakerClient({ region: "eu-west-1" });
    sagemaker = mockClient(client);
    training = new ModelTraining(
      {
        deployment: "sensors-dev",
        curatedBucket: CURATED,
        artifactsBucket: ARTIFACTS,
        model: MODEL,
        exactCountBytes,
      },
      { s3: s3.client, sagemaker: client, metrics: { publish: (values) => void published.push(values) } },
    );
  };

  beforeEach(() => {
    published = [];
    s3 = new S3Store();
    build();
  });

  it("prepare: counts the curate job's vectors in every room (plain and gzipped files) and names the run", async () => {
    s3.put(
      CURATED,
      "training/room_id=lab/part-00000-c000.csv",
      trainingCsv([
        [20, 21],
        [21, 22],
        [22, 23],
      ]),
    );
    s3.put(
      CURATED,
      "training/room_id=lab/part-00001-c000.csv.gz",
      gzipSync(
        trainingCsv([
          [30, 31],
          [31, 32],
        ]),
      ),
    );
    s3.put(CURATED, "training/room_id=lab/_SUCCESS", "");
    s3.put(CURATED, "training/room_id=office/part-00000-c000.csv", trainingCsv([[18, 18.5]]));
    const run = await training.prepare({ executionName: EXECUTION, startTime: START });
    expect(run).to.deep.include({
      runId: "20240601t030000-2c3d4e5f",
      enough: true,
      vectors: 6,
      minimumVectors: 4,
      rooms: ["lab", "office"],
      trainingSetUri: `s3://${CURATED}/training/`,
      outputUri: `s3://${ARTIFACTS}/models/runs/20240601t030000-2c3d4e5f/output/`,
      scoresUri: `s3://${ARTIFACTS}/models/runs/20240601t030000-2c3d4e5f/training-scores/`,
    });
    expect(run.trainingJobName).to.equal("sensors-dev-rcf-20240601t030000-2c3d4e5f");
    expect(run.transformJobName).to.equal(`${run.trainingJobName}-scores`);
    expect(run.trainingJobName).to.match(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/);
    expect(s3.keys(ARTIFACTS)).to.deep.equal([]); // the training set is read in place, not copied
    expect(published).to.deep.equal([{ trainingVectors: 6, trainingSetTooSmall: 0 }]);
  });

  it("prepare: with too little data says so; above the counting limit trusts the size", async () => {
    s3.put(CURATED, "training/room_id=lab/part-00000.csv", trainingCsv([[20, 21]]));
    expect(await training.prepare({ executionName: EXECUTION, startTime: START })).to.deep.include({
      enough: false,
      vectors: 1,
      minimumVectors: 4,
    });
    expect(published).to.deep.equal([{ trainingVectors: 1, trainingSetTooSmall: 1 }]);
    build(4);
    expect(await training.prepare({ executionName: EXECUTION, startTime: START })).to.deep.include({
      enough: true,
      vectors: null,
      trainingBytes: 6,
    });
  });

  it("prepare: a training set shingled differently from the settings is an error naming the file and the fix", async () => {
    s3.put(CURATED, "training/room_id=lab/part-00000.csv", trainingCsv([[20], [21]]));
    let message = "";
    await training
      .prepare({ executionName: EXECUTION, startTime: START })
      .catch((err: Error) => (message = err.message));
    expect(message).to.equal(
      's3://curated-bkt/training/room_id=lab/part-00000.csv starts with "20": expected 2 numbers per row (feature_dim) without a header; the curate job must render its training SQL with the model\'s features (anomalyFeatures, rcfShingleSize): run the ETL after a pulumi up that changed them',
    );
    s3.put(CURATED, "training/room_id=lab/part-00000.csv", "temperature_c_lag1,temperature_c\n1,2\n");
    await training
      .prepare({ executionName: EXECUTION, startTime: START })
      .catch((err: Error) => (message = err.message));
    expect(message).to.include('starts with "temperature_c_lag1,temperature_c"');
  });

  it("prepare: its longest job names leave room for the last capacity retry's -a4 within SageMaker's 63 characters", async () => {
    // The longest prefix (24 characters), a full run ID (8 characters from the execution name).
    const deployment = "sensors-production-eu-west-1";
    const execution = { executionName: "0f1e2d3c-4b5a-6978-8a9b-acbdcedfe0f1", startTime: START };
    const sageMakerName = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
    const preparing = (model: typeof MODEL) =>
      new ModelTraining(
        { deployment, curatedBucket: CURATED, artifactsBucket: ARTIFACTS, model, exactCountBytes: 0 },
        { s3: s3.client },
      );
    s3.put(CURATED, "training/room_id=lab/part-00000.csv", trainingCsv([[20, 21]]));
    const fleet = await preparing(MODEL).prepare(execution);
    expect(fleet.trainingJobName).to.equal("sensors-production-eu-we-rcf-20240601t030000-cedfe0f1");
    expect(fleet.trainingJobName).to.have.length(53);
    expect(jobAttemptName(fleet.transformJobName, SAGEMAKER_JOB_ATTEMPTS)).to.equal(
      `${fleet.trainingJobName}-scores-a4`,
    );
    expect(jobAttemptName(fleet.transformJobName, SAGEMAKER_JOB_ATTEMPTS)).to.have.length(63);
    for (const job of [fleet.trainingJobName, fleet.transformJobName])
      expect(jobAttemptName(job, SAGEMAKER_JOB_ATTEMPTS)).to.match(sageMakerName);

    // Room scope: a room's names grow with its index. A thousand rooms fit (the last, r999, exactly)...
    const roomModel = buildModelSettings({ ...MODEL_OPTIONS, modelScope: "room" });
    for (let i = 1; i < 1000; i++)
      s3.put(
        CURATED,
        `training/room_id=room${String(i).padStart(4, "0")}/part-00000.csv`,
        trainingCsv([[20, 21]]),
      );
    const rooms = await preparing(roomModel).prepare(execution);
    expect(rooms.models).to.have.length(1000);
    const last = rooms.models.at(-1)!;
    expect(last.transformJobName).to.equal(`${rooms.trainingJobName}-r999-s`);
    for (const m of rooms.models)
      for (const job of [m.trainingJobName, m.transformJobName])
        expect(jobAttemptName(job, SAGEMAKER_JOB_ATTEMPTS)).to.match(sageMakerName);
    expect(jobAttemptName(last.transformJobName, SAGEMAKER_JOB_ATTEMPTS)).to.have.length(63);
    // ...a thousand and first would not: the run stops at prepare rather than at its first capacity retry.
    s3.put(CURATED, "training/room_id=room1000/part-00000.csv", trainingCsv([[20, 21]]));
    let message = "";
    await preparing(roomModel)
      .prepare(execution)
      .catch((err: Error) => (message = err.message));
    expect(message).to.equal(
      `job name ${rooms.trainingJobName}-r1000-s is too long to retry: ${rooms.trainingJobName}-r1000-s-a4 exceeds SageMaker's 63 characters; use a shorter deployment name or fewer rooms`,
    );
  });

  const run = (): TrainingRun => ({
    runId: "20240601t030000-2c3d4e5f",
    enough: true,
    vectors: 4,
    minimumVectors: 4,
    rooms: ["lab"],
    trainingBytes: 40,
    trainingSetUri: `s3://${CURATED}/training/`,
    outputUri: `s3://${ARTIFACTS}/models/runs/20240601t030000-2c3d4e5f/output/`,
    scoresUri: `s3://${ARTIFACTS}/models/runs/20240601t030000-2c3d4e5f/training-scores/`,
    trainingJobName: "sensors-dev-rcf-20240601t030000-2c3d4e5f",
    modelName: "sensors-dev-rcf-20240601t030000-2c3d4e5f",
    endpointConfigName: "sensors-dev-rcf-20240601t030000-2c3d4e5f",
    transformJobName: "sensors-dev-rcf-20240601t030000-2c3d4e5f-scores",
    models: [],
    roomsWithoutEnoughData: [],
  });

  it("threshold: mean + 3 sigma (population) of the transform's scores, stored beside the model", async () => {
    s3.put(
      ARTIFACTS,
      `${MODEL_KEYS.trainingScoresPrefix(run().runId)}features.csv.out`,
      '{"score":1}\n{"score":2}\n{"score":3}\n{"score":4}\n',
    );
    const result = await training.threshold(run());
    const sigma = Math.sqrt(1.25);
    expect(result).to.deep.include({ count: 4, mean: 2.5, z: 3 });
    expect(result.sigma).to.be.closeTo(sigma, 1e-12);
    expect(result.threshold).to.be.closeTo(2.5 + 3 * sigma, 1e-12);
    expect(s3.json<Record<string, unknown>>(ARTIFACTS, MODEL_KEYS.threshold(run().runId))).to.deep.include({
      rule: "mean_plus_z_sigma",
      count: 4,
      mean: 2.5,
    });
    // The scores are deleted once summarized (as large as the training set).
    expect(s3.keys(ARTIFACTS, MODEL_KEYS.trainingScoresPrefix(run().runId))).to.deep.equal([]);
  });

  it("threshold: refuses a transform output that does not cover the training set", async () => {
    s3.put(ARTIFACTS, `${MODEL_KEYS.trainingScoresPrefix(run().runId)}features.csv.out`, '{"score":1}\n');
    let message = "";
    await training.threshold(run()).catch((err: Error) => (message = err.message));
    expect(message).to.equal(
      "the training-set transform of run 20240601t030000-2c3d4e5f returned 1 scores for 4 vectors",
    );
  });

  it("promote: copies the artifact to the stable key, writes the pointer, keeps the newest three runs", async () => {
    const artifact = `models/runs/${run().runId}/output/${run().trainingJobName}/output/model.tar.gz`;
    s3.put(ARTIFACTS, artifact, "model-bytes");
    const names = [
      run().modelName,
      "sensors-dev-rcf-20240531t030000-aaaa",
      "sensors-dev-rcf-20240530t030000-bbbb",
      "sensors-dev-rcf-20240529t030000-cccc",
      "sensors-dev-rcf-20240528t030000-dddd",
    ];
    const models = (page: string[]) =>
      page.map((ModelName) => ({
        ModelName,
        ModelArn: `arn:aws:sagemaker:eu-west-1:111122223333:model/${ModelName}`,
        CreationTime: new Date(),
      }));
    // Two pages: the old runs are on the second.
    sagemaker
      .on(ListModelsCommand)
      .resolvesOnce({ Models: models(names.slice(0, 3)), NextToken: "page-2" })
      .resolvesOnce({ Models: models(names.slice(3)) });
    sagemaker.on(ListEndpointConfigsCommand).resolves({
      EndpointConfigs: names.slice(0, 4).map((EndpointConfigName) => ({
        EndpointConfigName,
        EndpointConfigArn: "arn",
        CreationTime: new Date(),
      })),
    });
    sagemaker.on(DeleteModelCommand).resolves({});
    sagemaker.on(DeleteEndpointConfigCommand).resolves({});

    const threshold = { count: 4, mean: 2.5, sigma: 1.1, z: 3, threshold: 5.8 };
    const result = await training.promote({
      run: run(),
      modelDataUrl: `s3://${ARTIFACTS}/${artifact}`,
      threshold,
      endpointConfigName: run().endpointConfigName,
      promotedAt: "2024-06-01T03:40:00.000Z",
    });
    expect(s3.text(ARTIFACTS, MODEL_KEYS.currentArtifact)).to.equal("model-bytes");
    const pointer = s3.json<ModelPointer>(ARTIFACTS, MODEL_KEYS.current)!;
    expect(pointer).to.deep.equal({
      runId: run().runId,
      modelName: run().modelName,
      trainingJobName: run().trainingJobName,
      modelDataUrl: `s3://${ARTIFACTS}/${artifact}`,
      endpointConfigName: run().endpointConfigName,
      threshold: 5.8,
      mean: 2.5,
      sigma: 1.1,
      z: 3,
      trainingVectors: 4,
      featureDim: 2,
      shingleSize: 2,
      features: MODEL.features,
      promotedAt: "2024-06-01T03:40:00.000Z",
    });
    expect(result.deleted).to.deep.equal([
      "model/sensors-dev-rcf-20240529t030000-cccc",
      "model/sensors-dev-rcf-20240528t030000-dddd",
      "endpoint-config/sensors-dev-rcf-20240529t030000-cccc",
    ]);
    expect(published).to.deep.equal([{ modelsPromoted: 1 }]);
    expect(sagemaker.commandCalls(ListModelsCommand)[0]!.args[0].input).to.include({
      NameContains: "sensors-dev-rcf-",
      SortBy: "CreationTime",
      SortOrder: "Descending",
    });
    expect(sagemaker.commandCalls(ListModelsCommand).map((c) => c.args[0].input.NextToken)).to.deep.equal([
      undefined,
      "page-2",
    ]);
  });

  it("promote: in endpoint mode, refuses when the endpoint does not run the new config (the update rolled back)", async () => {
    sagemaker.on(DescribeEndpointCommand).resolves({
      EndpointName: "sensors-dev-rcf",
      EndpointConfigName: "sensors-dev-rcf-20240531t030000-aaaa",
      EndpointStatus: "InService",
    } as never);
    let message = "";
    await training
      .promote({
        run: run(),
        modelDataUrl: `s3://${ARTIFACTS}/a.tar.gz`,
        threshold: { count: 1, mean: 0, sigma: 0, z: 3, threshold: 0 },
        endpointConfigName: run().endpointConfigName,
        endpointName: "sensors-dev-rcf",
        promotedAt: "x",
      })
      .catch((err: Error) => (message = err.message));
    expect(message).to.equal(
      `endpoint sensors-dev-rcf runs sensors-dev-rcf-20240531t030000-aaaa, not ${run().endpointConfigName}: the update was rolled back (see its alarms); the previous model stays in service`,
    );
    expect(s3.keys(ARTIFACTS, MODEL_KEYS.current)).to.deep.equal([]);
  });

  it("promote: refuses an artifact outside the artifacts bucket", async () => {
    let message = "";
    await training
      .promote({
        run: run(),
        modelDataUrl: "s3://elsewhere/model.tar.gz",
        threshold: { count: 1, mean: 0, sigma: 0, z: 3, threshold: 0 },
        promotedAt: "x",
      })
      .catch((err: Error) => (message = err.message));
    expect(message).to.equal(
      "model artifact s3://elsewhere/model.tar.gz is not in the artifacts bucket artifacts-bkt",
    );
  });

  it("promote: records the promotion in the deployment's parameter, after the pointer and the stable artifact", async () => {
    const parameter = promotedModelParameterName("sensors-dev");
    const ssmClient = new SSMClient({ region: "eu-west-1" });
    const ssm = mockClient(ssmClient);
    const sageMakerClient = new SageMakerClient({ region: "eu-west-1" });
    mockClient(sageMakerClient)
      .on(ListModelsCommand)
      .resolves({})
      .on(ListEndpointConfigsCommand)
      .resolves({});
    let pointerAtRecord: ModelPointer | undefined;
    ssm.on(PutParameterCommand).callsFake(() => {
      pointerAtRecord = s3.json<ModelPointer>(ARTIFACTS, MODEL_KEYS.current);
      return { Version: 2 };
    });
    const recording = new ModelTraining(
      {
        deployment: "sensors-dev",
        curatedBucket: CURATED,
        artifactsBucket: ARTIFACTS,
        model: MODEL,
        promotedModelParameter: parameter,
      },
      { s3: s3.client, sagemaker: sageMakerClient, ssm: ssmClient },
    );
    s3.put(ARTIFACTS, "models/runs/x/model.tar.gz", "model-bytes");
    const promote = {
      run: run(),
      modelDataUrl: `s3://${ARTIFACTS}/models/runs/x/model.tar.gz`,
      threshold: { count: 4, mean: 2.5, sigma: 1.1, z: 3, threshold: 5.8 },
      promotedAt: "2024-06-01T03:40:00.000Z",
    };
    await recording.promote(promote);

    const [call] = ssm.commandCalls(PutParameterCommand);
    expect(call!.args[0].input).to.deep.equal({
      Name: "/sensor-analytics/sensors-dev/anomaly-model/promoted",
      Value: JSON.stringify({
        runId: run().runId,
        modelName: run().modelName,
        promotedAt: "2024-06-01T03:40:00.000Z",
      }),
      Type: "String",
      Overwrite: true,
    });
    // What pulumi up reads back is the model just promoted, whose pointer and artifact were already in place.
    expect(parsePromotedModel(parameter, call!.args[0].input.Value!)).to.deep.equal({
      runId: run().runId,
      modelName: run().modelName,
      promotedAt: "2024-06-01T03:40:00.000Z",
    });
    expect(pointerAtRecord?.runId).to.equal(run().runId);
    expect(s3.text(ARTIFACTS, MODEL_KEYS.currentArtifact)).to.equal("model-bytes");
    // The pointer names the job that made the model: the run's own name, or a capacity retry's.
    expect(pointerAtRecord?.trainingJobName).to.equal(run().trainingJobName);
    await recording.promote({ ...promote, trainingJobName: `${run().trainingJobName}-a2` });
    expect(s3.json<ModelPointer>(ARTIFACTS, MODEL_KEYS.current)!.trainingJobName).to.equal(
      `${run().trainingJobName}-a2`,
    );
    ssm.resetHistory();

    // A promotion that fails before the pointer (the artifact is elsewhere) records nothing.
    ssm.resetHistory();
    await recording
      .promote({ ...promote, modelDataUrl: "s3://elsewhere/model.tar.gz" })
      .catch(() => undefined);
    expect(ssm.commandCalls(PutParameterCommand)).to.have.length(0);

    // Without the parameter setting (the local backend's tests, say) nothing is recorded; with it, a client is needed.
    sagemaker.on(ListModelsCommand).resolves({}).on(ListEndpointConfigsCommand).resolves({});
    await training.promote(promote);
    expect(ssm.commandCalls(PutParameterCommand)).to.have.length(0);
    const clientless = new ModelTraining(
      {
        deployment: "sensors-dev",
        curatedBucket: CURATED,
        artifactsBucket: ARTIFACTS,
        model: MODEL,
        promotedModelParameter: parameter,
      },
      { s3: s3.client },
    );
    let message = "";
    await clientless.promote(promote).catch((err: Error) => (message = err.message));
    expect(message).to.equal(`promote needs an SSM client to record the promotion in ${parameter}`);
  });

  it("handler: settings from the environment, unknown actions rejected", async () => {
    const env = {
      DEPLOYMENT: "sensors-dev",
      CURATED_BUCKET: CURATED,
      ARTIFACTS_BUCKET: ARTIFACTS,
      MODEL_SETTINGS: JSON.stringify(MODEL),
    };
    expect(trainingSettingsFromEnv(env)).to.deep.include({
      exactCountBytes: 64 * 1024 * 1024,
      keepModels: 3,
    });
    expect(trainingSettingsFromEnv(env)).to.not.have.property("promotedModelParameter");
    expect(
      trainingSettingsFromEnv({
        ...env,
        PROMOTED_MODEL_PARAMETER: "/sensor-analytics/sensors-dev/anomaly-model/promoted",
      }),
    ).to.deep.include({ promotedModelParameter: "/sensor-analytics/sensors-dev/anomaly-model/promoted" });
    expect(() => trainingSettingsFromEnv({ ...env, KEEP_MODELS: "many" })).to.throw(
      'environment variable KEEP_MODELS must be a number (got "many")',
    );
    let message = "";
    await dispatch(training, { action: "train" } as never).catch((err: Error) => (message = err.message));
    expect(message).to.equal('unknown training action "train"; expected prepare, threshold or promote');
  });
});
