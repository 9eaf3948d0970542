/**
 * Lambda entry point of the ETL planner (the state machine's "Plan imports" step): reads its settings from
 * the environment once per container and plans each run with real AWS clients.
 *
 * Environment (set by components/etl/etl-state-machine.ts): S3_IMPORT_JOB_NAME, JDBC_IMPORT_JOB_NAME,
 * LANDING_BUCKET, LANDING_PREFIX, JDBC_REFRESH_HOURS, TRAINING_ENABLED ("true" or "false").
 */
import { GlueClient } from "@aws-sdk/client-glue";
import { S3Client } from "@aws-sdk/client-s3";
import { EtlPlan, PLANNER_ENV } from "../../components/etl/plan";
import { planEtlRun, PlannerClients, PlannerSettings } from "./planner";

export { PLANNER_ENV };

/** Settings from the environment; every problem names the variable. */
export function plannerSettingsFromEnv(env: NodeJS.ProcessEnv): PlannerSettings {
  const required = (name: string): string => {
    const value = env[name];
    if (value === undefined || value === "")
      throw new Error(`environment variable ${name} is not set; the EtlStateMachine component sets it`);
    return value;
  };
  const hoursText = required(PLANNER_ENV.jdbcRefreshHours);
  const hours = Number(hoursText);
  if (!Number.isFinite(hours) || hours <= 0)
    throw new Error(
      `environment variable ${PLANNER_ENV.jdbcRefreshHours} must be a positive number of hours (got "${hoursText}")`,
    );
  const training = required(PLANNER_ENV.trainingEnabled);
  if (training !== "true" && training !== "false")
    throw new Error(
      `environment variable ${PLANNER_ENV.trainingEnabled} must be "true" or "false" (got "${training}")`,
    );
  const prefix = env[PLANNER_ENV.landingPrefix] ?? "";
  if (prefix !== "" && !prefix.endsWith("/"))
    throw new Error(`environment variable ${PLANNER_ENV.landingPrefix} must end with "/" (got "${prefix}")`);
  return {
    s3ImportJobName: required(PLANNER_ENV.s3ImportJobName),
    jdbcImportJobName: required(PLANNER_ENV.jdbcImportJobName),
    landingBucket: required(PLANNER_ENV.landingBucket),
    landingPrefix: required(PLANNER_ENV.landingPrefix),
    jdbcRefreshHours: hours,
    trainingEnabled: training === "true",
  };
}

/** Builds a handler around given settings and clients (tests and the local backend use this). */
export function createPlannerHandler(
  settings: PlannerSettings,
  clients: PlannerClients,
): (event: unknown) => Promise<EtlPlan> {
  return (event) => planEtlRun(settings, clients, event);
}

let planner: ((event: unknown) => Promise<EtlPlan>) | undefined;

export async function handler(event: unknown): Promise<EtlPlan> {
  planner ??= createPlannerHandler(plannerSettingsFromEnv(process.env), {
    glue: new GlueClient({}),
    s3: new S3Client({}),
  });
  return planner(event);
}
