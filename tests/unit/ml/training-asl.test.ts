// The model-training state machine: validated by asl-validator, then executed path by path in
// aws-local-stepfunctions with every Task bound to a local handler.
import { expect } from "chai";
import aslValidator from "asl-validator";
import {
  buildTrainingStateMachine,
  TRAINING_STATES,
  TrainingMachineResources,
  TrainingMachineSettings,
} from "../../../components/ml/training-asl";
import { buildModelSettings } from "../../../components/ml/model-settings";
import { CAPACITY_RETRY } from "../../../components/ml/asl-common";
import type { JsonValue, StateMachineDefinition } from "../../../components/shared/asl/types";
import {
  awsError,
  capacityFailure,
  expectTasksGuarded,
  inputOf,
  LOCAL_CONTEXT,
  type LocalRun,
  runLocally,
  TaskHandler,
} from "./local-run";

const S = TRAINING_STATES;
const KMS = "arn:aws:kms:us-east-1:111122223333:key/11111111-2222-4333-a444-555555555555";
const BATCH: TrainingMachineResources = {
  trainingFunctionArn: "arn:aws:lambda:us-east-1:111122223333:function:sensors-prod-training",
  sageMakerRoleArn: "arn:aws:iam::111122223333:role/sensors-prod-sagemaker",
  trainingImage: "382416733822.dkr.ecr.us-east-1.amazonaws.com/randomcutforest:1",
  kmsKeyArn: KMS,
  failureTopicArn: "arn:aws:sns:us-east-1:111122223333:sensors-prod-ml-failures",
};
const ENDPOINT: TrainingMachineResources = {
  ...BATCH,
  endpointName: "sensors-prod-rcf",
  rollbackAlarmNames: ["sensors-prod-rcf-5xx", "sensors-prod-rcf-latency"],
};
/** Endpoint mode before the first promoted model: batch-shaped, announcing the endpoint after promotion. */
const AWAITING: TrainingMachineResources = { ...BATCH, awaitingEndpointName: "sensors-prod-rcf" };
const SETTINGS: TrainingMachineSettings = {
  label: "sensors-prod",
  model: buildModelSettings({ numTrees: 100, samplesPerTree: 512, shingleSize: 4, z: 3 }),
  trainingInstanceType: "ml.m5.xlarge",
  inferenceInstanceType: "ml.c5.xlarge",
  inferenceInstanceCount: 2,
  endpointMaxPolls: 3,
  tags: { environment: "prod" },
};

const RUN = {
  runId: "20240601t030000-2c3d4e5f",
  enough: true,
  vectors: 5000,
  minimumVectors: 512,
  rooms: ["hall_a"],
  trainingSetUri: "s3://artifacts/models/runs/20240601t030000-2c3d4e5f/training-set/",
  outputUri: "s3://artifacts/models/runs/20240601t030000-2c3d4e5f/output/",
  scoresUri: "s3://artifacts/models/runs/20240601t030000-2c3d4e5f/training-scores/",
  trainingJobName: "sensors-prod-rcf-20240601t030000-2c3d4e5f",
  modelName: "sensors-prod-rcf-20240601t030000-2c3d4e5f",
  endpointConfigName: "sensors-prod-rcf-20240601t030000-2c3d4e5f",
  transformJobName: "sensors-prod-rcf-20240601t030000-2c3d4e5f-scores",
};
/** The states every trained run passes before the endpoint (if any) and promotion, in order. */
const TRAIN_AND_THRESHOLD = [
  S.checkRunning,
  S.prepare,
  S.train,
  S.createModel,
  S.scoreTrainingSet,
  S.threshold,
];
const ARTIFACT = `${RUN.outputUri}${RUN.trainingJobName}/output/model.tar.gz`;
const THRESHOLD = { count: 5000, mean: 1.2, sigma: 0.3, z: 3, threshold: 2.1 };

/** A training job that completes, named as asked, its artifact under its own name. */
function trained(input: JsonValue): JsonValue {
  const { TrainingJobName } = input as { TrainingJobName: string };
  return {
    TrainingJobName,
    TrainingJobStatus: "Completed",
    ModelArtifacts: { S3ModelArtifacts: `${RUN.outputUri}${TrainingJobName}/output/model.tar.gz` },
  };
}
const jobNames = (run: LocalRun, state: string, field: "TrainingJobName" | "TransformJobName") =>
  run.calls.filter((c) => c.state === state).map((c) => (c.input as Record<string, string>)[field]);

/** Handlers for a run where everything works; the endpoint is Updating once, then InService. */
function healthy(overrides: Record<string, TaskHandler> = {}): Record<string, TaskHandler> {
  return {
    [S.checkRunning]: () => ({
      Executions: [{ executionArn: LOCAL_CONTEXT.Execution.Id, status: "RUNNING" }],
    }),
    [S.prepare]: () => RUN,
    [S.train]: () => ({
      TrainingJobName: RUN.trainingJobName,
      TrainingJobStatus: "Completed",
      ModelArtifacts: { S3ModelArtifacts: ARTIFACT },
    }),
    [S.createModel]: () => ({ ModelArn: "arn:aws:sagemaker:us-east-1:111122223333:model/m" }),
    [S.scoreTrainingSet]: () => ({ TransformJobStatus: "Completed" }),
    [S.threshold]: () => THRESHOLD,
    [S.createEndpointConfig]: () => ({ EndpointConfigArn: "arn" }),
    [S.updateEndpoint]: () => ({ EndpointArn: "arn" }),
    [S.checkEndpoint]: (_input, call) => ({
      EndpointStatus: call === 1 ? "Updating" : "InService",
      EndpointName: "sensors-prod-rcf",
    }),
    [S.promote]: () => ({ runId: RUN.runId, modelName: RUN.modelName }),
    [S.announce]: () => ({ MessageId: "a-1" }),
    [S.notify]: () => ({ MessageId: "m-1" }),
    ...overrides,
  };
}

describe("model training state machine", () => {
  const batch = buildTrainingStateMachine(BATCH, SETTINGS);
  const endpoint = buildTrainingStateMachine(ENDPOINT, SETTINGS);
  const awaiting = buildTrainingStateMachine(AWAITING, SETTINGS);

  it("passes asl-validator in both modes and while the endpoint awaits its first model", () => {
    for (const definition of [batch, endpoint, awaiting]) {
      const result = aslValidator(structuredClone(definition));
      expect(result.isValid, result.errorsText("\n")).to.equal(true);
    }
  });

  it("gives every Task a timeout, retries, and a path to the failure notice", () => {
    for (const definition of [batch, endpoint]) {
      expectTasksGuarded(definition, S.notify);
    }
  });

  it("batch mode: prepare, train, model, score the training set, threshold, promote", async () => {
    const run = await runLocally(batch, healthy());
    expect(run.status).to.equal("SUCCEEDED");
    expect(run.calls.map((c) => c.state)).to.deep.equal([...TRAIN_AND_THRESHOLD, S.promote]);
    expect(inputOf(run, S.prepare)).to.deep.equal({
      action: "prepare",
      executionName: LOCAL_CONTEXT.Execution.Name,
      startTime: inputOf(run, S.prepare)!.startTime as string,
    });

    const train = inputOf(run, S.train)!;
    expect(train.HyperParameters).to.deep.equal({
      num_trees: "100",
      num_samples_per_tree: "512",
      feature_dim: "8",
    });
    expect(train).to.deep.include({
      TrainingJobName: RUN.trainingJobName,
      RoleArn: BATCH.sageMakerRoleArn,
      EnableNetworkIsolation: true,
    });
    expect(train.AlgorithmSpecification).to.deep.equal({
      TrainingImage: BATCH.trainingImage,
      TrainingInputMode: "File",
    });
    expect(train.InputDataConfig).to.deep.equal([
      {
        ChannelName: "train",
        ContentType: "text/csv;label_size=0",
        DataSource: {
          S3DataSource: {
            S3DataType: "S3Prefix",
            S3Uri: RUN.trainingSetUri,
            S3DataDistributionType: "ShardedByS3Key",
          },
        },
      },
    ]);
    expect(train.OutputDataConfig).to.deep.equal({ S3OutputPath: RUN.outputUri, KmsKeyId: KMS });
    expect(train.ResourceConfig).to.deep.include({ InstanceType: "ml.m5.xlarge", VolumeKmsKeyId: KMS });
    expect(train.Tags).to.deep.equal([{ Key: "environment", Value: "prod" }]);

    expect(inputOf(run, S.createModel)).to.deep.include({
      ModelName: RUN.modelName,
      PrimaryContainer: { Image: BATCH.trainingImage, ModelDataUrl: ARTIFACT },
    });
    const transform = inputOf(run, S.scoreTrainingSet)!;
    expect(transform.TransformOutput).to.deep.equal({
      S3OutputPath: RUN.scoresUri,
      Accept: "application/jsonlines",
      AssembleWith: "Line",
      KmsKeyId: KMS,
    });
    expect(inputOf(run, S.threshold)).to.deep.equal({ action: "threshold", run: RUN });
    expect(inputOf(run, S.promote)).to.deep.equal({
      action: "promote",
      run: RUN,
      modelDataUrl: ARTIFACT,
      trainingJobName: RUN.trainingJobName,
      threshold: THRESHOLD,
      promotedAt: LOCAL_CONTEXT.State.EnteredTime,
    });
  });

  it("endpoint mode: a new endpoint config with KMS, a blue/green update with alarm rollback, polled until InService", async () => {
    const run = await runLocally(endpoint, healthy());
    expect(run.status).to.equal("SUCCEEDED");
    expect(run.calls.map((c) => c.state)).to.deep.equal([
      ...TRAIN_AND_THRESHOLD,
      S.createEndpointConfig,
      S.updateEndpoint,
      S.checkEndpoint,
      S.checkEndpoint,
      S.promote,
    ]);
    expect(inputOf(run, S.createEndpointConfig)).to.deep.include({
      EndpointConfigName: RUN.endpointConfigName,
      KmsKeyId: KMS,
      ProductionVariants: [
        {
          VariantName: "AllTraffic",
          ModelName: RUN.modelName,
          InstanceType: "ml.c5.xlarge",
          InitialInstanceCount: 2,
        },
      ],
    });
    const update = inputOf(run, S.updateEndpoint)!;
    expect(update).to.deep.include({
      EndpointName: "sensors-prod-rcf",
      EndpointConfigName: RUN.endpointConfigName,
      RetainAllVariantProperties: true,
    });
    expect((update.DeploymentConfig as Record<string, JsonValue>).AutoRollbackConfiguration).to.deep.equal({
      Alarms: [{ AlarmName: "sensors-prod-rcf-5xx" }, { AlarmName: "sensors-prod-rcf-latency" }],
    });
    expect(inputOf(run, S.promote)).to.deep.include({
      endpointConfigName: RUN.endpointConfigName,
      endpointName: "sensors-prod-rcf",
    });
  });

  it("endpoint awaiting its first model: trains and promotes as in batch mode, then tells operators to run pulumi up", async () => {
    expect(Object.keys(awaiting.States)).to.not.include.members([
      S.createEndpointConfig,
      S.updateEndpoint,
      S.checkEndpoint,
    ]);
    const run = await runLocally(awaiting, healthy());
    expect(run.status).to.equal("SUCCEEDED");
    expect(run.calls.map((c) => c.state)).to.deep.equal([...TRAIN_AND_THRESHOLD, S.promote, S.announce]);
    // Promotion itself is batch-shaped: no endpoint to check yet.
    expect(inputOf(run, S.promote)).to.not.have.any.keys("endpointName", "endpointConfigName");
    expect(inputOf(run, S.announce)).to.deep.equal({
      TopicArn: BATCH.failureTopicArn,
      Subject: "[sensors-prod] First anomaly model promoted: run pulumi up",
      Message: `Model ${RUN.modelName} (run ${RUN.runId}) is promoted and scores readings in batch transforms. Run pulumi up for deployment sensors-prod to create the real-time endpoint sensors-prod-rcf; scoring moves to it then.`,
    });
    expect(run.entered.at(-1)).to.equal(S.succeeded);

    // Every other Task still fails through the notice; the announcement's own failure does not undo the promotion.
    const guarded = structuredClone(awaiting);
    delete guarded.States[S.announce];
    (guarded.States[S.promote] as { Next?: string }).Next = S.succeeded;
    expectTasksGuarded(guarded, S.notify);
    const unannounced = await runLocally(
      awaiting,
      healthy({
        [S.announce]: () => {
          throw awsError("SNS.AuthorizationErrorException", "denied");
        },
      }),
    );
    expect(unannounced.status).to.equal("SUCCEEDED");
    expect(unannounced.entered.at(-1)).to.equal(S.succeeded);
    expect(unannounced.calls.map((c) => c.state)).to.not.include(S.notify);
  });

  it("refuses an endpoint that is both served and awaited", () => {
    expect(() =>
      buildTrainingStateMachine({ ...ENDPOINT, awaitingEndpointName: "sensors-prod-rcf" }, SETTINGS),
    ).to.throw(
      "endpointName (sensors-prod-rcf) and awaitingEndpointName (sensors-prod-rcf) exclude each other",
    );
  });

  it("a failed training job notifies and fails with the original error, without retrying it", async () => {
    const run = await runLocally(
      endpoint,
      healthy({
        [S.train]: () => {
          throw awsError("States.TaskFailed", "AlgorithmError: feature_dim does not match the data");
        },
      }),
    );
    expect(run.status).to.equal("FAILED");
    expect(run.error).to.deep.equal({
      Error: "States.TaskFailed",
      Cause: "AlgorithmError: feature_dim does not match the data",
    });
    expect(run.calls.map((c) => c.state)).to.deep.equal([S.checkRunning, S.prepare, S.train, S.notify]);
    expect(run.entered).to.not.include(S.waitTrainCapacity);
    const notice = inputOf(run, S.notify)!;
    expect(notice).to.deep.include({
      TopicArn: BATCH.failureTopicArn,
      Subject: "[sensors-prod] Model training failed",
    });
    expect(notice.Message).to.equal(
      `Model training failed in execution ${LOCAL_CONTEXT.Execution.Id}. Error: States.TaskFailed. Cause: AlgorithmError: feature_dim does not match the data`,
    );
    expect(run.entered.at(-1)).to.equal(S.failed);
  });

  it("retries the account's instance limit (ResourceLimitExceeded at CreateTrainingJob), then succeeds", async () => {
    const run = await runLocally(
      batch,
      healthy({
        [S.train]: (_input, call) => {
          if (call === 1)
            throw awsError("SageMaker.ResourceLimitExceededException", "no ml.m5.xlarge capacity");
          return { TrainingJobName: RUN.trainingJobName, ModelArtifacts: { S3ModelArtifacts: ARTIFACT } };
        },
      }),
    );
    expect(run.status).to.equal("SUCCEEDED");
    expect(run.retries).to.deep.equal([S.train]);
    expect(run.calls.filter((c) => c.state === S.train)).to.have.length(2);
  });

  it("runs a training job left without instances (CapacityError) again under a new name after a wait, then goes on", async () => {
    const run = await runLocally(
      batch,
      healthy({
        [S.train]: (input, call) => {
          if (call === 1) throw capacityFailure(input);
          return trained(input);
        },
      }),
    );
    expect(run.status, JSON.stringify(run.error)).to.equal("SUCCEEDED");
    expect(jobNames(run, S.train, "TrainingJobName")).to.deep.equal([
      RUN.trainingJobName,
      `${RUN.trainingJobName}-a2`,
    ]);
    expect(run.calls.map((c) => c.state)).to.deep.equal([
      S.checkRunning,
      S.prepare,
      S.train,
      S.train,
      S.createModel,
      S.scoreTrainingSet,
      S.threshold,
      S.promote,
    ]);
    expect(run.entered.slice(run.entered.indexOf(S.nameJobs), -5)).to.deep.equal([
      S.nameJobs,
      S.train,
      S.trainShortage,
      S.waitTrainCapacity,
      S.retryTrain,
      S.train,
    ]);
    expect(run.retries).to.deep.equal([]); // a new job, not a Retrier's second call of the same one
    // Only the job's name changed: the later states get the run as prepared and the retried job's artifact.
    const artifact = `${RUN.outputUri}${RUN.trainingJobName}-a2/output/model.tar.gz`;
    expect(inputOf(run, S.createModel)).to.deep.include({
      ModelName: RUN.modelName,
      PrimaryContainer: { Image: BATCH.trainingImage, ModelDataUrl: artifact },
    });
    expect(inputOf(run, S.scoreTrainingSet)).to.deep.include({ TransformJobName: RUN.transformJobName });
    expect(inputOf(run, S.threshold)).to.deep.equal({ action: "threshold", run: RUN });
    // Promote records the job that made the model, not the first attempt's name.
    expect(inputOf(run, S.promote)).to.deep.equal({
      action: "promote",
      run: RUN,
      modelDataUrl: artifact,
      trainingJobName: `${RUN.trainingJobName}-a2`,
      threshold: THRESHOLD,
      promotedAt: LOCAL_CONTEXT.State.EnteredTime,
    });
    const output = run.output as Record<string, JsonValue>;
    expect(output).to.not.have.property("error");
    expect(output.training).to.deep.equal({
      trainingJobName: `${RUN.trainingJobName}-a2`,
      modelDataUrl: artifact,
    });
  });

  it(`gives up after ${CAPACITY_RETRY.attempts} attempts short of capacity, ${CAPACITY_RETRY.waitSeconds} s apart, with the last failure in the notice`, async () => {
    expect(batch.States[S.waitTrainCapacity]).to.deep.include({ Type: "Wait", Seconds: 600 });
    expect(CAPACITY_RETRY.attempts).to.equal(4);
    const run = await runLocally(
      batch,
      healthy({ [S.train]: (input) => Promise.reject(capacityFailure(input)) }),
    );
    expect(run.status).to.equal("FAILED");
    expect(jobNames(run, S.train, "TrainingJobName")).to.deep.equal([
      RUN.trainingJobName,
      `${RUN.trainingJobName}-a2`,
      `${RUN.trainingJobName}-a3`,
      `${RUN.trainingJobName}-a4`,
    ]);
    expect(run.entered.filter((s) => s === S.waitTrainCapacity)).to.have.length(3);
    expect(run.calls.map((c) => c.state).slice(-2)).to.deep.equal([S.train, S.notify]);
    const last = capacityFailure({ TrainingJobName: `${RUN.trainingJobName}-a4` }).message;
    expect(run.error).to.deep.equal({ Error: "States.TaskFailed", Cause: last });
    expect(inputOf(run, S.notify)!.Message).to.equal(
      `Model training failed in execution ${LOCAL_CONTEXT.Execution.Id}. Error: States.TaskFailed. Cause: ${last}`,
    );
    expect(run.entered.slice(-3)).to.deep.equal([S.jobFailed, S.notify, S.failed]);
  });

  it("a job that fails on its data after a capacity retry, or at once, is not run again", async () => {
    const dataFailure = awsError("States.TaskFailed", "AlgorithmError: feature_dim does not match the data");
    const afterRetry = await runLocally(
      batch,
      healthy({
        [S.train]: (input, call) => Promise.reject(call === 1 ? capacityFailure(input) : dataFailure),
      }),
    );
    expect(afterRetry.status).to.equal("FAILED");
    expect(jobNames(afterRetry, S.train, "TrainingJobName")).to.have.length(2);
    expect(afterRetry.error).to.deep.equal({ Error: "States.TaskFailed", Cause: dataFailure.message });

    // The training-set transform: a data failure once, to the notice; a capacity failure retried under a new name.
    const failed = await runLocally(
      batch,
      healthy({ [S.scoreTrainingSet]: () => Promise.reject(dataFailure) }),
    );
    expect(failed.status).to.equal("FAILED");
    expect(failed.calls.map((c) => c.state)).to.deep.equal([...TRAIN_AND_THRESHOLD.slice(0, -1), S.notify]);
    expect(failed.error).to.deep.equal({ Error: "States.TaskFailed", Cause: dataFailure.message });
    expect(failed.entered).to.not.include(S.waitScoreCapacity);

    const retried = await runLocally(
      endpoint,
      healthy({
        [S.scoreTrainingSet]: (input, call) => {
          if (call < 3) throw capacityFailure(input);
          return { TransformJobStatus: "Completed" };
        },
      }),
    );
    expect(retried.status, JSON.stringify(retried.error)).to.equal("SUCCEEDED");
    expect(jobNames(retried, S.scoreTrainingSet, "TransformJobName")).to.deep.equal([
      RUN.transformJobName,
      `${RUN.transformJobName}-a2`,
      `${RUN.transformJobName}-a3`,
    ]);
    expect(jobNames(retried, S.train, "TrainingJobName")).to.deep.equal([RUN.trainingJobName]);
    expect(inputOf(retried, S.promote)).to.deep.include({
      run: RUN,
      endpointConfigName: RUN.endpointConfigName,
    });
  });

  it("the machine's timeout covers every attempt of both jobs and the waits between them", () => {
    // Training: 60 min MaxRuntime + 30 min margin; scoring: an hour; 4 hours for everything else.
    const training = 4 * (3600 + 1800) + 3 * 600;
    const scoring = 4 * 3600 + 3 * 600;
    for (const definition of [batch, endpoint, awaiting])
      expect(definition.TimeoutSeconds).to.equal(training + scoring + 4 * 3600);
    expect(
      buildTrainingStateMachine(BATCH, { ...SETTINGS, maxTrainingMinutes: 120 }).TimeoutSeconds,
    ).to.equal(4 * (7200 + 1800) + 3 * 600 + scoring + 4 * 3600);
  });

  it("ends at once when another training is running, and when there is too little data", async () => {
    const overlapping = await runLocally(
      batch,
      healthy({ [S.checkRunning]: () => ({ Executions: [{ executionArn: "a" }, { executionArn: "b" }] }) }),
    );
    expect(overlapping.status).to.equal("SUCCEEDED");
    expect(overlapping.calls.map((c) => c.state)).to.deep.equal([S.checkRunning]);
    expect(overlapping.entered.at(-1)).to.equal(S.skipRunning);

    const sparse = await runLocally(
      batch,
      healthy({ [S.prepare]: () => ({ ...RUN, enough: false, vectors: 10 }) }),
    );
    expect(sparse.status).to.equal("SUCCEEDED");
    expect(sparse.calls.map((c) => c.state)).to.deep.equal([S.checkRunning, S.prepare]);
    expect(sparse.entered.at(-1)).to.equal(S.notEnoughData);
  });

  it("a failed endpoint update and an endpoint that never settles both end in the failure notice", async () => {
    const failed = await runLocally(
      endpoint,
      healthy({ [S.checkEndpoint]: () => ({ EndpointStatus: "Failed" }) }),
    );
    expect(failed.status).to.equal("FAILED");
    expect(failed.error).to.deep.equal({
      Error: "EndpointUpdateFailed",
      Cause: `Endpoint sensors-prod-rcf is Failed after the update to ${RUN.endpointConfigName}`,
    });

    const stuck = await runLocally(
      endpoint,
      healthy({ [S.checkEndpoint]: () => ({ EndpointStatus: "Updating" }) }),
    );
    expect(stuck.status).to.equal("FAILED");
    expect(stuck.error).to.deep.equal({
      Error: "EndpointUpdateTimedOut",
      Cause: "Endpoint sensors-prod-rcf still Updating after 3 status checks",
    });
    expect(stuck.calls.filter((c) => c.state === S.checkEndpoint)).to.have.length(3);
    expect(stuck.calls.at(-1)!.state).to.equal(S.notify);
  });

  it("a rolled-back update (the promote step finds the old config) and a failing notification still end in Fail", async () => {
    const rolledBack = await runLocally(
      endpoint,
      healthy({
        [S.promote]: () => {
          throw awsError(
            "Error",
            "endpoint sensors-prod-rcf runs old-config, not new: the update was rolled back",
          );
        },
      }),
    );
    expect(rolledBack.status).to.equal("FAILED");
    expect(rolledBack.calls.at(-1)!.state).to.equal(S.notify);

    const silent = await runLocally(
      batch,
      healthy({
        [S.prepare]: () => {
          throw awsError("Error", "boom");
        },
        [S.notify]: () => {
          throw awsError("SNS.AuthorizationErrorException", "denied");
        },
      }),
    );
    expect(silent.status).to.equal("FAILED");
    expect(silent.entered.at(-1)).to.equal(S.failed);
  });

  it("sends every state to a defined state (definition sanity)", () => {
    const check = (definition: StateMachineDefinition) => {
      const names = new Set(Object.keys(definition.States));
      for (const [name, state] of Object.entries(definition.States)) {
        const targets = [
          ...("Next" in state && state.Next ? [state.Next] : []),
          ...(state.Type === "Choice"
            ? [...state.Choices.map((c) => c.Next), ...(state.Default ? [state.Default] : [])]
            : []),
          ...("Catch" in state && state.Catch ? state.Catch.map((c) => c.Next) : []),
        ];
        for (const t of targets) expect(names.has(t), `${name} → ${t}`).to.equal(true);
      }
    };
    check(batch);
    check(endpoint);
    check(awaiting);
    expect(Object.keys(batch.States)).to.not.include(S.updateEndpoint);
  });
});
