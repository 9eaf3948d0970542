// modelScope room: the training machine trains one model per room (a Map over the rooms the prepare step found
// with enough data) and the scoring machine scores each room on its own model in a batch transform. Both
// definitions pass asl-validator and run in aws-local-stepfunctions; the training and scoring functions name,
// threshold, promote and read back the rooms' models.
import { expect } from "chai";
import aslValidator from "asl-validator";
import { buildTrainingStateMachine, TRAINING_STATES } from "../../../components/ml/training-asl";
import { buildScoringStateMachine, SCORING_STATES } from "../../../components/ml/scoring-asl";
import { buildModelSettings } from "../../../components/ml/model-settings";
import { MODEL_KEYS, ModelPointer, SCORING_KEYS } from "../../../components/ml/ml-layout";
import { scoringInputColumns, renderQuery } from "../../../components/analytics/queries";
import { ModelTraining } from "../../../functions/model-training/training";
import { AnomalyScoring } from "../../../functions/anomaly-scoring/scoring";
import { SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { PublishCommand } from "@aws-sdk/client-sns";
import { S3Store } from "../functions/scoring-s3-store";
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

const MODEL = buildModelSettings({
  numTrees: 50,
  samplesPerTree: 4,
  shingleSize: 1,
  z: 3,
  modelScope: "room",
});
const RESOURCES = {
  trainingFunctionArn: "arn:aws:lambda:eu-west-1:111122223333:function:training",
  scoringFunctionArn: "arn:aws:lambda:eu-west-1:111122223333:function:scoring",
  sageMakerRoleArn: "arn:aws:iam::111122223333:role/sagemaker",
  trainingImage: "438346466558.dkr.ecr.eu-west-1.amazonaws.com/randomcutforest:1",
  kmsKeyArn: "arn:aws:kms:eu-west-1:111122223333:key/11111111-2222-4333-a444-555555555555",
  failureTopicArn: "arn:aws:sns:eu-west-1:111122223333:failures",
  workGroup: "wg",
  database: "db",
};
const SETTINGS = {
  label: "sensors-dev",
  model: MODEL,
  trainingInstanceType: "ml.m5.large",
  inferenceInstanceType: "ml.m5.large",
  inferenceInstanceCount: 1,
};

describe("model scope room", () => {
  const training = buildTrainingStateMachine(RESOURCES, SETTINGS);
  const scoring = buildScoringStateMachine(RESOURCES, SETTINGS);

  it("builds valid machines whose every Task is guarded (inside a Map, by the Map's Catch)", () => {
    for (const definition of [training, scoring]) {
      const result = aslValidator(structuredClone(definition));
      expect(result.isValid, result.errorsText("\n")).to.equal(true);
      expectTasksGuarded(definition, TRAINING_STATES.notify);
    }
    expect(() => buildTrainingStateMachine({ ...RESOURCES, endpointName: "e" }, SETTINGS)).to.throw(
      "training machine: modelScope room needs batch mode",
    );
    expect(() => buildScoringStateMachine({ ...RESOURCES, endpointName: "e" }, SETTINGS)).to.throw(
      "scoring machine: modelScope room needs batch mode",
    );
  });

  /**
   * Runs the training machine on three rooms (store without enough data) with the training function behind its
   * Lambda steps; `override` replaces some of the fake SageMaker jobs, given them all (a room's job is told by
   * its name).
   */
  async function trainRooms(
    override: (handlers: Record<string, TaskHandler>) => Record<string, TaskHandler> = () => ({}),
  ) {
    const s3 = new S3Store();
    const lines = (n: number) => Array.from({ length: n }, (_, i) => `${i / 10},0.1`).join("\n") + "\n";
    s3.put("curated", "training/room_id=lab/part-0.csv", lines(6));
    s3.put("curated", "training/room_id=office/part-0.csv", lines(5));
    s3.put("curated", "training/room_id=store/part-0.csv", lines(2)); // fewer than num_samples_per_tree (4)
    const functions = new ModelTraining(
      { deployment: "sensors-dev", curatedBucket: "curated", artifactsBucket: "artifacts", model: MODEL },
      { s3: s3.client },
    );
    const handlers: Record<string, TaskHandler> = {
      [TRAINING_STATES.checkRunning]: () => ({ Executions: [{ executionArn: LOCAL_CONTEXT.Execution.Id }] }),
      [TRAINING_STATES.prepare]: (input) =>
        functions.prepare(input as { executionName: string; startTime: string }) as never,
      [TRAINING_STATES.roomTrain]: (input) => {
        const job = input as { TrainingJobName: string; OutputDataConfig: { S3OutputPath: string } };
        const artifact = `${job.OutputDataConfig.S3OutputPath}${job.TrainingJobName}/model.tar.gz`;
        s3.put("artifacts", artifact.replace("s3://artifacts/", ""), "model-bytes");
        return { TrainingJobName: job.TrainingJobName, ModelArtifacts: { S3ModelArtifacts: artifact } };
      },
      [TRAINING_STATES.roomCreateModel]: () => ({ ModelArn: "arn" }),
      [TRAINING_STATES.roomScore]: (input) => {
        // The transform's scores of the room's vectors: one line per vector, 1 + the row's first value.
        const { S3Uri } = (input as { TransformInput: { DataSource: { S3DataSource: { S3Uri: string } } } })
          .TransformInput.DataSource.S3DataSource;
        const out = (input as { TransformOutput: { S3OutputPath: string } }).TransformOutput.S3OutputPath;
        const room = /room_id=(\w+)/.exec(S3Uri)![1]!;
        const rows = s3.text("curated", `training/room_id=${room}/part-0.csv`)!.trim().split("\n");
        const key = out.replace("s3://artifacts/", "");
        s3.put(
          "artifacts",
          `${key}part-0.csv.out`,
          rows.map((r) => JSON.stringify({ score: 1 + Number(r.split(",")[0]) })).join("\n"),
        );
        return { TransformJobStatus: "Completed" };
      },
      [TRAINING_STATES.roomThreshold]: (input) => {
        const { run, room } = input as { run: { runId: string; vectors: number }; room: string };
        return functions.threshold(run, room) as never;
      },
      [TRAINING_STATES.promote]: (input) => functions.promote(input as never) as never,
      [TRAINING_STATES.notify]: () => ({}),
    };
    return { run: await runLocally(training, { ...handlers, ...override(handlers) }), s3 };
  }

  it("trains, scores and thresholds one model per room with data, then promotes them together", async () => {
    const { run, s3 } = await trainRooms();
    expect(run.status, JSON.stringify(run.error)).to.equal("SUCCEEDED");
    expect(run.calls.filter((c) => c.state === TRAINING_STATES.roomTrain)).to.have.length(2);
    const prepared = inputOf(run, TRAINING_STATES.promote)!.run as {
      models: { room: string; modelName: string }[];
    };
    expect(prepared.models.map((m) => [m.room, m.modelName.slice(-3)])).to.deep.equal([
      ["lab", "-r0"],
      ["office", "-r1"],
    ]);
    const pointer = s3.json<ModelPointer>("artifacts", MODEL_KEYS.current)!;
    expect(Object.keys(pointer.rooms!)).to.deep.equal(["lab", "office"]);
    // lab's scores are 1.0 .. 1.5: mean 1.25; the one-model fields describe the largest room (lab).
    expect(pointer.rooms!.lab!.mean).to.be.closeTo(1.25, 1e-9);
    expect(pointer.rooms!.office!.trainingVectors).to.equal(5);
    expect(pointer).to.include({ modelName: pointer.rooms!.lab!.modelName, trainingVectors: 11 });
    expect(s3.keys("artifacts", MODEL_KEYS.runPrefix(pointer.runId))).to.include.members([
      MODEL_KEYS.threshold(pointer.runId, "lab"),
      MODEL_KEYS.threshold(pointer.runId, "office"),
    ]);
  });

  /** The job names a room's Task ran with, in order (a room's jobs are named `<run's name>-r<index>...`). */
  const roomJobs = (run: LocalRun, state: string, field: string, index: number) =>
    run.calls
      .map((c) => (c.state === state ? (c.input as Record<string, string>)[field]! : ""))
      .filter((name) => name.includes(`-r${index}`));
  const S = TRAINING_STATES;

  it("runs a room's job left without instances again under a new name; the other rooms and promotion carry on", async () => {
    const { run, s3 } = await trainRooms((handlers) => ({
      // lab (room 0): its first training job finds no capacity.
      [S.roomTrain]: (input, call) => {
        const name = (input as { TrainingJobName: string }).TrainingJobName;
        if (name.endsWith("-r0")) throw capacityFailure(input);
        return handlers[S.roomTrain]!(input, call);
      },
    }));
    expect(run.status, JSON.stringify(run.error)).to.equal("SUCCEEDED");
    const [lab, labRetry] = roomJobs(run, S.roomTrain, "TrainingJobName", 0);
    expect(labRetry).to.equal(`${lab}-a2`);
    expect(roomJobs(run, S.roomTrain, "TrainingJobName", 1)).to.have.length(1);
    expect(run.entered.filter((name) => name === S.waitRoomTrainCapacity)).to.have.length(1);
    // The room's model keeps its name; its artifact is the retried job's.
    const pointer = s3.json<ModelPointer>("artifacts", MODEL_KEYS.current)!;
    expect(pointer.rooms!.lab).to.deep.include({ modelName: lab, trainingJobName: labRetry });
    expect(pointer.rooms!.lab!.modelDataUrl).to.match(new RegExp(`/${labRetry}/model\\.tar\\.gz$`));
    expect(pointer.rooms!.lab!.trainingVectors).to.equal(6);
    expect(inputOf(run, S.promote)!.models).to.have.length(2);
  });

  it("a room's job short of capacity at every attempt, or failing on its data, ends the run in the failure notice", async () => {
    const short = await trainRooms((handlers) => ({
      // office (room 1): its training-set transform never finds capacity.
      [S.roomScore]: (input, call) => {
        const name = (input as { TransformJobName: string }).TransformJobName;
        if (name.includes("-r1-")) throw capacityFailure(input);
        return handlers[S.roomScore]!(input, call);
      },
    }));
    expect(short.run.status).to.equal("FAILED");
    const office = roomJobs(short.run, S.roomScore, "TransformJobName", 1);
    expect(office).to.deep.equal([office[0], `${office[0]}-a2`, `${office[0]}-a3`, `${office[0]}-a4`]);
    expect(short.run.error).to.deep.equal({
      Error: "States.TaskFailed",
      Cause: capacityFailure({ TransformJobName: `${office[0]}-a4` }).message,
    });
    expect(short.run.calls.filter((c) => c.state === S.notify)).to.have.length(1);
    expect(short.run.calls.map((c) => c.state)).to.not.include(S.promote);
    // The room's Fail state hands the Map its job's error; the Map's catcher takes it to the notice.
    expect(inputOf(short.run, S.notify)!.Message).to.include(
      `Error: States.TaskFailed. Cause: {"TransformJobName"`,
    );
    expect(short.run.entered.at(-1)).to.equal(S.failed);

    const dataFailure = awsError("States.TaskFailed", "AlgorithmError: feature_dim does not match the data");
    const broken = await trainRooms((handlers) => ({
      [S.roomTrain]: (input, call) => {
        const name = (input as { TrainingJobName: string }).TrainingJobName;
        if (name.endsWith("-r0")) throw dataFailure;
        return handlers[S.roomTrain]!(input, call);
      },
    }));
    expect(broken.run.status).to.equal("FAILED");
    expect(roomJobs(broken.run, S.roomTrain, "TrainingJobName", 0)).to.have.length(1);
    expect(broken.run.entered).to.not.include(S.waitRoomTrainCapacity);
    expect(broken.run.error).to.deep.equal({ Error: "States.TaskFailed", Cause: dataFailure.message });
    expect(broken.run.calls.map((c) => c.state).at(-1)).to.equal(S.notify);
  });

  it("scores each room with its own model in a batch transform, judged against its room's floor", async () => {
    const s3 = new S3Store();
    const NOW = Date.UTC(2024, 5, 1, 12);
    const pointer: ModelPointer = {
      runId: "20240601t030000-room",
      modelName: "m-r0",
      trainingJobName: "m-r0",
      modelDataUrl: "s3://artifacts/m0.tar.gz",
      threshold: 2,
      mean: 1,
      sigma: 0.2,
      z: 3,
      trainingVectors: 10,
      featureDim: 2,
      shingleSize: 1,
      features: MODEL.features,
      rooms: {
        lab: {
          modelName: "m-r0",
          modelDataUrl: "s3://artifacts/m0.tar.gz",
          threshold: 2,
          mean: 1,
          sigma: 0.2,
          trainingVectors: 5,
        },
        office: {
          modelName: "m-r1",
          modelDataUrl: "s3://artifacts/m1.tar.gz",
          threshold: 9,
          mean: 1,
          sigma: 0.2,
          trainingVectors: 5,
        },
      },
      promotedAt: "2024-06-01T03:30:00.000Z",
    };
    s3.put("artifacts", MODEL_KEYS.current, JSON.stringify(pointer));
    const sns = new SNSClient({ region: "eu-west-1" });
    mockClient(sns).on(PublishCommand).resolves({});
    const functions = new AnomalyScoring(
      {
        deployment: "sensors-dev",
        curatedBucket: "curated",
        artifactsBucket: "artifacts",
        alertTopicArn: "arn:aws:sns:eu-west-1:111122223333:alerts",
        model: MODEL,
        ingestDelayMs: 0,
        maxWindowMs: 2 * 86_400_000,
      },
      { s3: s3.client, sns, now: () => NOW },
    );
    // Each room's last reading scores 5: above lab's floor (2), below office's (9).
    const header = scoringInputColumns(MODEL).map((c) => c.name);
    const rows = ["lab", "office"].flatMap((room) =>
      [1, 2, 3].map((i) => [
        `${room}-1`,
        room,
        NOW - 3_600_000 + i * 60_000,
        i,
        20,
        NOW - 3_600_000 + i * 60_000,
        i === 3 ? 5 : 1,
        0,
        0,
        0,
      ]),
    );
    s3.put(
      "results",
      "q.csv",
      [header, ...rows].map((r) => r.map((v) => `"${v}"`).join(",")).join("\n") + "\n",
    );
    const handlers: Record<string, TaskHandler> = {
      [SCORING_STATES.checkRunning]: () => ({ Executions: [{ executionArn: LOCAL_CONTEXT.Execution.Id }] }),
      [SCORING_STATES.plan]: (input) =>
        functions.plan((input as { queryParameters: string[] }).queryParameters) as never,
      [SCORING_STATES.query]: () => ({
        QueryExecution: {
          QueryExecutionId: "q",
          ResultConfiguration: { OutputLocation: "s3://results/q.csv" },
        },
      }),
      [SCORING_STATES.prepareBatch]: (input) => {
        const { plan, resultsUri } = input as { plan: never; resultsUri: string };
        return functions.prepareBatch(plan, resultsUri) as never;
      },
      [SCORING_STATES.transformRoom]: (input) => {
        // The fake model: a row's first value is its score.
        const job = input as {
          TransformInput: { DataSource: { S3DataSource: { S3Uri: string } } };
          TransformOutput: { S3OutputPath: string };
          ModelName: string;
        };
        const key = job.TransformInput.DataSource.S3DataSource.S3Uri.replace("s3://curated/", "");
        const lines = s3.text("curated", key)!.trim().split("\n");
        const out = job.TransformOutput.S3OutputPath.replace("s3://curated/", "");
        s3.put(
          "curated",
          `${out}features.csv.out`,
          lines.map((l) => JSON.stringify({ score: Number(l.split(",")[0]) })).join("\n"),
        );
        return { TransformJobStatus: "Completed" };
      },
      [SCORING_STATES.collect]: (input) => {
        const { plan, batch } = input as { plan: never; batch: never };
        return functions.collectBatch(plan, batch) as never;
      },
      [SCORING_STATES.notify]: () => ({}),
    };
    const run = await runLocally(scoring, handlers);
    expect(run.status, JSON.stringify(run.error)).to.equal("SUCCEEDED");
    const transforms = run.calls.filter((c) => c.state === SCORING_STATES.transformRoom);
    expect(transforms.map((c) => (c.input as { ModelName: string }).ModelName).sort()).to.deep.equal([
      "m-r0",
      "m-r1",
    ]);
    expect(inputOf(run, SCORING_STATES.plan)).to.deep.equal({
      action: "plan",
      queryParameters: renderQuery("scoring_input", "athena", MODEL).parameters,
    });
    const records = s3
      .keys("curated", "anomalies/")
      .flatMap((key) => s3.text("curated", key)!.trim().split("\n"))
      .map((line) => JSON.parse(line) as { device_id: string; threshold: number });
    expect(records.map((r) => [r.device_id, r.threshold])).to.deep.equal([["lab-1", 2]]);
    expect(s3.keys("curated", SCORING_KEYS.batchPrefix(""))).to.deep.equal([]);
  });
});
