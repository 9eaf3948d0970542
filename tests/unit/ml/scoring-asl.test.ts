// The anomaly-scoring state machine: asl-validator, then every path in aws-local-stepfunctions.
import { expect } from "chai";
import aslValidator from "asl-validator";
import {
  buildScoringStateMachine,
  SCORING_STATES,
  ScoringMachineResources,
  ScoringMachineSettings,
} from "../../../components/ml/scoring-asl";
import { buildModelSettings } from "../../../components/ml/model-settings";
import { renderQuery } from "../../../components/analytics/queries";
import { awsError, expectTasksGuarded, inputOf, LOCAL_CONTEXT, runLocally, TaskHandler } from "./local-run";

const S = SCORING_STATES;
const BATCH: ScoringMachineResources = {
  scoringFunctionArn: "arn:aws:lambda:eu-west-1:111122223333:function:sensors-dev-scoring",
  workGroup: "sensors-dev-analytics",
  database: "sensors_dev",
  failureTopicArn: "arn:aws:sns:eu-west-1:111122223333:sensors-dev-ml-failures",
  kmsKeyArn: "arn:aws:kms:eu-west-1:111122223333:key/11111111-2222-4333-a444-555555555555",
};
const ENDPOINT: ScoringMachineResources = { ...BATCH, endpointName: "sensors-dev-rcf" };
const SETTINGS: ScoringMachineSettings = {
  label: "sensors-dev",
  model: buildModelSettings({ numTrees: 50, samplesPerTree: 512, shingleSize: 1, z: 3 }),
  inferenceInstanceType: "ml.m5.large",
};

const PLAN = {
  skip: false,
  windowId: "wlx2a-lx3b",
  sinceMs: 1,
  untilMs: 2,
  attempt: 1,
  athenaParameters: ["'2024-05-31'", "'2024-06-02'", "1", "2"],
  watermarkEtag: '"e1"',
  model: { name: "sensors-dev-rcf-20240601t030000-abc", version: "20240601t030000-abc", threshold: 2 },
  transformJobName: "sensors-dev-score-wlx2a-lx3b-a1",
};
const RESULTS = "s3://results/athena/q-1.csv";
const BATCH_INPUT = {
  rows: 3,
  inputUri: "s3://curated/state/anomaly-scoring/batches/w/input/features.csv",
  outputUri: "s3://curated/state/anomaly-scoring/batches/w/output/",
};
const OUTCOME = {
  windowId: PLAN.windowId,
  vectors: 3,
  anomalies: 1,
  incidents: 1,
  alerts: 1,
  anomalyObjects: [],
  scoredThroughMs: 2,
};

function healthy(overrides: Record<string, TaskHandler> = {}): Record<string, TaskHandler> {
  return {
    [S.checkRunning]: () => ({ Executions: [{ executionArn: LOCAL_CONTEXT.Execution.Id }] }),
    [S.plan]: () => PLAN,
    [S.query]: () => ({
      QueryExecution: {
        QueryExecutionId: "q-1",
        Status: { State: "SUCCEEDED" },
        ResultConfiguration: { OutputLocation: RESULTS },
      },
    }),
    [S.score]: () => OUTCOME,
    [S.prepareBatch]: () => BATCH_INPUT,
    [S.transform]: () => ({ TransformJobStatus: "Completed" }),
    [S.collect]: () => OUTCOME,
    [S.notify]: () => ({ MessageId: "m" }),
    ...overrides,
  };
}

describe("anomaly scoring state machine", () => {
  const batch = buildScoringStateMachine(BATCH, SETTINGS);
  const endpoint = buildScoringStateMachine(ENDPOINT, SETTINGS);

  it("passes asl-validator in both modes; every Task has a timeout, retries and the failure path", () => {
    for (const definition of [batch, endpoint]) {
      const result = aslValidator(structuredClone(definition));
      expect(result.isValid, result.errorsText("\n")).to.equal(true);
      expectTasksGuarded(definition, S.notify);
    }
  });

  it("endpoint mode: plans, queries the window with the rendered scoring_input SQL, scores on the endpoint", async () => {
    const run = await runLocally(endpoint, healthy());
    expect(run.status).to.equal("SUCCEEDED");
    expect(run.calls.map((c) => c.state)).to.deep.equal([S.checkRunning, S.plan, S.query, S.score]);
    expect(inputOf(run, S.plan)).to.deep.equal({
      action: "plan",
      queryParameters: ["from_day", "to_day", "context_since_ms", "until_ms", "since_ms"],
    });
    expect(inputOf(run, S.query)).to.deep.equal({
      QueryString: renderQuery("scoring_input", "athena", SETTINGS.model).text,
      ExecutionParameters: PLAN.athenaParameters,
      QueryExecutionContext: { Catalog: "AwsDataCatalog", Database: "sensors_dev" },
      WorkGroup: "sensors-dev-analytics",
    });
    expect(inputOf(run, S.score)).to.deep.equal({ action: "score", plan: PLAN, resultsUri: RESULTS });
  });

  it("batch mode: writes the transform input, runs the transform on the model in service, collects the scores", async () => {
    const run = await runLocally(batch, healthy());
    expect(run.status).to.equal("SUCCEEDED");
    expect(run.calls.map((c) => c.state)).to.deep.equal([
      S.checkRunning,
      S.plan,
      S.query,
      S.prepareBatch,
      S.transform,
      S.collect,
    ]);
    const transform = inputOf(run, S.transform)!;
    expect(transform).to.deep.include({
      TransformJobName: PLAN.transformJobName,
      ModelName: PLAN.model.name,
      BatchStrategy: "MultiRecord",
    });
    expect(transform.TransformInput).to.deep.equal({
      DataSource: { S3DataSource: { S3DataType: "S3Prefix", S3Uri: BATCH_INPUT.inputUri } },
      ContentType: "text/csv",
      SplitType: "Line",
    });
    expect(transform.TransformResources).to.deep.equal({
      InstanceType: "ml.m5.large",
      InstanceCount: 1,
      VolumeKmsKeyId: BATCH.kmsKeyArn,
    });
    expect(inputOf(run, S.collect)).to.deep.equal({ action: "collectBatch", plan: PLAN, batch: BATCH_INPUT });
  });

  it("batch mode: an empty window skips the transform; a skipped plan ends without a query", async () => {
    const empty = await runLocally(batch, healthy({ [S.prepareBatch]: () => ({ ...BATCH_INPUT, rows: 0 }) }));
    expect(empty.status).to.equal("SUCCEEDED");
    expect(empty.calls.map((c) => c.state)).to.deep.equal([
      S.checkRunning,
      S.plan,
      S.query,
      S.prepareBatch,
      S.collect,
    ]);

    const skipped = await runLocally(
      endpoint,
      healthy({ [S.plan]: () => ({ skip: true, reason: "no model has been trained yet" }) }),
    );
    expect(skipped.status).to.equal("SUCCEEDED");
    expect(skipped.calls.map((c) => c.state)).to.deep.equal([S.checkRunning, S.plan]);
    expect(skipped.entered.at(-1)).to.equal(S.nothing);
  });

  it("retries a throttled Athena query; a failed query notifies and fails", async () => {
    const retried = await runLocally(
      endpoint,
      healthy({
        [S.query]: (_input, call) => {
          if (call === 1) throw awsError("Athena.TooManyRequestsException", "Rate exceeded");
          return {
            QueryExecution: { QueryExecutionId: "q-2", ResultConfiguration: { OutputLocation: RESULTS } },
          };
        },
      }),
    );
    expect(retried.status).to.equal("SUCCEEDED");
    expect(retried.retries).to.deep.equal([S.query]);

    const failed = await runLocally(
      endpoint,
      healthy({
        [S.query]: () => {
          throw awsError("States.TaskFailed", "Query exhausted the data scan limit of the workgroup");
        },
      }),
    );
    expect(failed.status).to.equal("FAILED");
    expect(failed.error).to.deep.equal({
      Error: "States.TaskFailed",
      Cause: "Query exhausted the data scan limit of the workgroup",
    });
    expect(inputOf(failed, S.notify)).to.deep.include({
      Subject: "[sensors-dev] Anomaly scoring failed",
      TopicArn: BATCH.failureTopicArn,
    });
  });

  it("a scoring function error (e.g. the watermark moved) is not retried and ends in the failure notice", async () => {
    const run = await runLocally(
      endpoint,
      healthy({
        [S.score]: () => {
          throw awsError("WatermarkMovedError", "the scoring watermark changed");
        },
      }),
    );
    expect(run.status).to.equal("FAILED");
    expect(run.retries).to.deep.equal([]);
    expect(run.calls.map((c) => c.state)).to.deep.equal([S.checkRunning, S.plan, S.query, S.score, S.notify]);
  });
});
