/**
 * Lambda entry point of anomaly scoring: builds the clients and settings from the environment once per
 * container and dispatches each state machine step to {@link AnomalyScoring}.
 *
 * Environment: {@link ML_ENV} (components/ml/ml-env.ts), as scoringFunctionEnvironment builds it.
 */
import { S3Client } from "@aws-sdk/client-s3";
import { SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import { SNSClient } from "@aws-sdk/client-sns";
import { ML_ENV } from "../../components/ml/ml-env";
import { modelSettingsEnv, numberEnv, requiredEnv } from "../ml-common/env";
import { emfPublisher } from "../ml-common/metrics";
import { AnomalyScoring, BatchInput } from "./scoring";
import type { ScoringOutcome, ScoringPlan, ScoringSettings } from "./scoring-contract";

export type ScoringEvent =
  | { readonly action: "plan"; readonly queryParameters: readonly string[] }
  | { readonly action: "score"; readonly plan: ScoringPlan; readonly resultsUri: string }
  | { readonly action: "prepareBatch"; readonly plan: ScoringPlan; readonly resultsUri: string }
  | { readonly action: "collectBatch"; readonly plan: ScoringPlan; readonly batch: BatchInput };

/** Settings from the environment (exported for tests). */
export function scoringSettingsFromEnv(env: NodeJS.ProcessEnv): ScoringSettings {
  return {
    deployment: requiredEnv(env, ML_ENV.deployment),
    curatedBucket: requiredEnv(env, ML_ENV.curatedBucket),
    artifactsBucket: requiredEnv(env, ML_ENV.artifactsBucket),
    alertTopicArn: requiredEnv(env, ML_ENV.alertTopicArn),
    endpointName: env[ML_ENV.endpointName] || undefined,
    model: modelSettingsEnv(env),
    ingestDelayMs: numberEnv(env, ML_ENV.ingestDelaySeconds) * 1000,
    maxWindowMs: numberEnv(env, ML_ENV.maxWindowSeconds, 6 * 3600) * 1000,
  };
}

/** Dispatches one event (exported for tests, which pass their own scoring object). */
export async function dispatch(
  scoring: AnomalyScoring,
  event: ScoringEvent,
): Promise<ScoringPlan | ScoringOutcome | BatchInput> {
  switch (event.action) {
    case "plan":
      return scoring.plan(event.queryParameters);
    case "score":
      return scoring.score(event.plan, event.resultsUri);
    case "prepareBatch":
      return scoring.prepareBatch(event.plan, event.resultsUri);
    case "collectBatch":
      return scoring.collectBatch(event.plan, event.batch);
    default:
      throw new Error(
        `unknown scoring action ${JSON.stringify((event as { action?: unknown }).action)}; expected plan, score, prepareBatch or collectBatch`,
      );
  }
}

let scoring: AnomalyScoring | undefined;

export async function handler(event: ScoringEvent): Promise<ScoringPlan | ScoringOutcome | BatchInput> {
  if (!scoring) {
    const settings = scoringSettingsFromEnv(process.env);
    scoring = new AnomalyScoring(settings, {
      s3: new S3Client({}),
      sns: new SNSClient({}),
      runtime: process.env[ML_ENV.endpointName] ? new SageMakerRuntimeClient({}) : undefined,
      // EMF lines in the function's log: CloudWatch Logs extracts them as the pipeline metrics.
      metrics: emfPublisher(settings.deployment),
    });
  }
  return dispatch(scoring, event);
}
