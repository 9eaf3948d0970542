/**
 * Lambda entry point of the model-training steps: clients and settings from the environment, one
 * {@link ModelTraining} method per state machine step.
 *
 * Environment: {@link ML_ENV} (components/ml/ml-env.ts), as trainingFunctionEnvironment builds it.
 */
import { S3Client } from "@aws-sdk/client-s3";
import { SageMakerClient } from "@aws-sdk/client-sagemaker";
import { SSMClient } from "@aws-sdk/client-ssm";
import { ML_ENV } from "../../components/ml/ml-env";
import { modelSettingsEnv, numberEnv, requiredEnv } from "../ml-common/env";
import { emfPublisher } from "../ml-common/metrics";
import { ModelTraining, type PromoteInput, TrainingRun, TrainingSettings } from "./training";

export type TrainingEvent =
  | { readonly action: "prepare"; readonly executionName: string; readonly startTime: string }
  | { readonly action: "threshold"; readonly run: TrainingRun; readonly room?: string }
  | ({ readonly action: "promote" } & PromoteInput);

export function trainingSettingsFromEnv(env: NodeJS.ProcessEnv): TrainingSettings {
  return {
    deployment: requiredEnv(env, ML_ENV.deployment),
    curatedBucket: requiredEnv(env, ML_ENV.curatedBucket),
    artifactsBucket: requiredEnv(env, ML_ENV.artifactsBucket),
    model: modelSettingsEnv(env),
    exactCountBytes: numberEnv(env, ML_ENV.exactCountBytes, 64 * 1024 * 1024),
    keepModels: numberEnv(env, ML_ENV.keepModels, 3),
    ...(env[ML_ENV.promotedModelParameter]
      ? { promotedModelParameter: env[ML_ENV.promotedModelParameter] }
      : {}),
  };
}

export async function dispatch(training: ModelTraining, event: TrainingEvent): Promise<unknown> {
  switch (event.action) {
    case "prepare":
      return training.prepare(event);
    case "threshold":
      return training.threshold(event.run, event.room);
    case "promote":
      return training.promote(event);
    default:
      throw new Error(
        `unknown training action ${JSON.stringify((event as { action?: unknown }).action)}; expected prepare, threshold or promote`,
      );
  }
}

let training: ModelTraining | undefined;

export async function handler(event: TrainingEvent): Promise<unknown> {
  if (!training) {
    const settings = trainingSettingsFromEnv(process.env);
    training = new ModelTraining(settings, {
      s3: new S3Client({}),
      sagemaker: new SageMakerClient({}),
      ssm: new SSMClient({}),
      // EMF lines in the function's log: CloudWatch Logs extracts them as the pipeline metrics.
      metrics: emfPublisher(settings.deployment),
    });
  }
  return dispatch(training, event);
}
