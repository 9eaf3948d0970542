/**
 * The anomaly-scoring state machine as a typed ASL object. Pure, like the training machine.
 *
 *   guard (no overlapping runs) → Plan scoring window (Lambda) → Anything to score?
 *   → Query new readings (Athena scoring_input, parameterized by the plan's window)
 *   → endpoint mode: Score readings (Lambda → InvokeEndpoint)
 *     batch mode:    Write transform input (Lambda) → Any readings? → Score in batch transform (.sync)
 *                    → Collect batch scores (Lambda)
 *   → Scoring succeeded
 *
 * The query text is the rendered `scoring_input.sql`, the same file DuckDB runs locally; its `?` markers get
 * the plan's values through Athena `ExecutionParameters`, in the order the renderer reported.
 */
import type {
  ChoiceState,
  MapState,
  StateMachineDefinition,
  States,
  SucceedState,
} from "../shared/asl/types";
import { catchAllTo } from "../shared/asl/states";
import { renderQuery } from "../analytics/queries";
import {
  type BatchTransformPaths,
  batchTransformParameters,
  lambdaStep,
  ML_INTEGRATIONS,
  ML_RETRY,
  mlTask,
  notifyAndFail,
  overlapGuard,
  type TaskOptions,
} from "./asl-common";
import type { ModelSettings } from "./model-settings";

export const SCORING_STATES = {
  checkRunning: "Check for a running scoring",
  anotherRunning: "Is another scoring running?",
  skipRunning: "Skip: scoring already running",
  plan: "Plan scoring window",
  anything: "Anything to score?",
  nothing: "Nothing to score",
  query: "Query new readings",
  score: "Score readings",
  prepareBatch: "Write transform input",
  anyRows: "Any readings?",
  transform: "Score in batch transform",
  transformRooms: "Score rooms in batch transforms",
  transformRoom: "Score room in batch transform",
  collect: "Collect batch scores",
  succeeded: "Scoring succeeded",
  notify: "Notify failure",
  failed: "Scoring failed",
} as const;

export interface ScoringMachineResources {
  readonly scoringFunctionArn: string;
  readonly workGroup: string;
  readonly database: string;
  readonly failureTopicArn: string;
  /** Endpoint mode: score on this endpoint (through the function). @default - batch mode */
  readonly endpointName?: string;
  /** Batch mode: KMS key for the transform's output and volume. @default - none: AWS-managed encryption */
  readonly kmsKeyArn?: string | undefined;
}

export interface ScoringMachineSettings {
  readonly label: string;
  readonly model: ModelSettings;
  /** Batch mode: transform instance type. */
  readonly inferenceInstanceType: string;
  /** Tags for the transform jobs. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

export function buildScoringStateMachine(
  resources: ScoringMachineResources,
  settings: ScoringMachineSettings,
): StateMachineDefinition {
  const S = SCORING_STATES;
  const onError = S.notify;
  const fn = resources.scoringFunctionArn;
  const endpointMode = resources.endpointName !== undefined;
  const roomScope = settings.model.scope === "room";
  if (roomScope && endpointMode)
    throw new Error(
      "scoring machine: modelScope room needs batch mode (a real-time endpoint serves one model); set anomalyMode to batch or anomalyModelScope to fleet",
    );
  const query = renderQuery("scoring_input", "athena", settings.model);

  const batchStates: States = {
    [S.prepareBatch]: lambdaStep(
      fn,
      { action: "prepareBatch", "plan.$": "$.plan", "resultsUri.$": "$.query.resultsUri" },
      "$.batch",
      onError,
      { Next: S.anyRows },
    ),
    [S.anyRows]: {
      Type: "Choice",
      Choices: [{ Variable: "$.batch.rows", NumericEquals: 0, Next: S.collect }],
      Default: roomScope ? S.transformRooms : S.transform,
    } satisfies ChoiceState,
    ...(roomScope
      ? roomTransformStates(resources, settings)
      : {
          [S.transform]: mlTask(
            ML_INTEGRATIONS.createTransformJobSync,
            {
              ...transformTask(resources, settings, {
                jobName: "$.plan.transformJobName",
                modelName: "$.plan.model.name",
                inputUri: "$.batch.inputUri",
                outputUri: "$.batch.outputUri",
              }),
              onError,
            },
            { Next: S.collect },
          ),
        }),
    [S.collect]: lambdaStep(
      fn,
      { action: "collectBatch", "plan.$": "$.plan", "batch.$": "$.batch" },
      "$.outcome",
      onError,
      { Next: S.succeeded },
    ),
  };

  const states: States = {
    ...overlapGuard(S, S.plan),
    [S.plan]: lambdaStep(fn, { action: "plan", queryParameters: [...query.parameters] }, "$.plan", onError, {
      Next: S.anything,
    }),
    [S.anything]: {
      Type: "Choice",
      Choices: [{ Variable: "$.plan.skip", BooleanEquals: true, Next: S.nothing }],
      Default: S.query,
    } satisfies ChoiceState,
    [S.nothing]: {
      Type: "Succeed",
      Comment: "No model yet, or no readings since the watermark",
    } satisfies SucceedState,
    [S.query]: mlTask(
      ML_INTEGRATIONS.athenaStartQueryExecutionSync,
      {
        comment: "components/analytics/sql/scoring_input.sql, rendered for Athena",
        parameters: {
          QueryString: query.text,
          "ExecutionParameters.$": "$.plan.athenaParameters",
          QueryExecutionContext: { Catalog: "AwsDataCatalog", Database: resources.database },
          WorkGroup: resources.workGroup,
        },
        resultSelector: {
          "resultsUri.$": "$.QueryExecution.ResultConfiguration.OutputLocation",
          "queryExecutionId.$": "$.QueryExecution.QueryExecutionId",
        },
        resultPath: "$.query",
        timeoutSeconds: 900,
        retry: [ML_RETRY.athena],
        onError,
      },
      { Next: endpointMode ? S.score : S.prepareBatch },
    ),
    ...(endpointMode
      ? {
          [S.score]: lambdaStep(
            fn,
            { action: "score", "plan.$": "$.plan", "resultsUri.$": "$.query.resultsUri" },
            "$.outcome",
            onError,
            { Next: S.succeeded },
          ),
        }
      : batchStates),
    [S.succeeded]: { Type: "Succeed" } satisfies SucceedState,
    ...notifyAndFail(
      S,
      resources.failureTopicArn,
      `[${settings.label}] Anomaly scoring failed`,
      "Anomaly scoring",
    ),
  };

  return {
    Comment: `Anomaly scoring (${settings.label}, ${endpointMode ? "endpoint" : "batch transform"}): plan a window from the watermark, query it with Athena, score, record anomalies, alert`,
    StartAt: S.checkRunning,
    TimeoutSeconds: 2 * 3600,
    States: states,
  };
}

/** modelScope room: one transform per room with vectors in the window, each on its room's model. */
function roomTransformStates(resources: ScoringMachineResources, settings: ScoringMachineSettings): States {
  const S = SCORING_STATES;
  return {
    [S.transformRooms]: {
      Type: "Map",
      Comment: "One batch transform per room (modelScope room), on the room's model",
      ItemsPath: "$.batch.transforms",
      ItemSelector: { "transform.$": "$$.Map.Item.Value" },
      MaxConcurrency: 4,
      ItemProcessor: {
        ProcessorConfig: { Mode: "INLINE" },
        StartAt: S.transformRoom,
        States: {
          [S.transformRoom]: mlTask(
            ML_INTEGRATIONS.createTransformJobSync,
            transformTask(resources, settings, {
              jobName: "$.transform.jobName",
              modelName: "$.transform.modelName",
              inputUri: "$.transform.inputUri",
              outputUri: "$.transform.outputUri",
            }),
            { End: true },
          ),
        },
      },
      ResultPath: null,
      Catch: catchAllTo(S.notify),
      Next: S.collect,
    } satisfies MapState,
  };
}

/** The batch-transform Task of the scoring input on the paths given (JSONPath), with the machine's settings. */
function transformTask(
  resources: ScoringMachineResources,
  settings: ScoringMachineSettings,
  paths: BatchTransformPaths,
): TaskOptions {
  return {
    parameters: batchTransformParameters(paths, settings, resources.kmsKeyArn),
    resultPath: null,
    timeoutSeconds: 3600,
    retry: [ML_RETRY.sageMakerCapacity, ML_RETRY.sageMakerApi],
  };
}
