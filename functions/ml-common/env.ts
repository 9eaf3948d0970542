/** Reading a Lambda's settings from its environment, with errors that name the variable. */
import { ML_ENV } from "../../components/ml/ml-env";
import type { ModelSettings } from "../../components/ml/model-settings";

export function requiredEnv(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value === "")
    throw new Error(
      `environment variable ${name} is not set; the component that deploys this function sets it`,
    );
  return value;
}

export function numberEnv(env: NodeJS.ProcessEnv, name: string, fallback?: number): number {
  const text = env[name];
  if (text === undefined || text === "") {
    if (fallback === undefined) throw new Error(`environment variable ${name} is not set`);
    return fallback;
  }
  const value = Number(text);
  if (!Number.isFinite(value))
    throw new Error(`environment variable ${name} must be a number (got "${text}")`);
  return value;
}

/** The model settings object the component serialized into MODEL_SETTINGS. */
export function modelSettingsEnv(env: NodeJS.ProcessEnv): ModelSettings {
  const text = requiredEnv(env, ML_ENV.modelSettings);
  try {
    const settings = JSON.parse(text) as ModelSettings;
    if (settings.algorithm !== "randomcutforest" || !settings.hyperparameters || !settings.features)
      throw new Error("not a model settings object");
    return settings;
  } catch (err) {
    throw new Error(
      `environment variable MODEL_SETTINGS must be the JSON of buildModelSettings(...): ${(err as Error).message}`,
      { cause: err },
    );
  }
}
