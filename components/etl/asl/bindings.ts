/**
 * What each Task state of the ETL machine asks for, so a local runner (aws-local-stepfunctions'
 * `taskResourceLocalHandlers`, keyed by state name) can bind every Task to a local implementation without
 * knowing the machine's layout: run this job, start or read that crawler, plan, notify, start training.
 * Also the result shapes each integration returns, which a local handler must return too. Pure.
 */
import type { EtlPlan } from "../plan";
import type { EtlCrawlerKey, EtlJobKey } from "../transforms";
import type { EtlMachineResources } from "./etl-machine";
import { listTaskStates } from "../../shared/asl/inspect";
import { INTEGRATIONS } from "../../shared/asl/states";
import type { Branch } from "../../shared/asl/types";

/** One Task's meaning. */
export type EtlTaskBinding =
  | { readonly kind: "plan" }
  | { readonly kind: "runJob"; readonly job: EtlJobKey }
  | { readonly kind: "startCrawler"; readonly crawler: EtlCrawlerKey }
  | { readonly kind: "getCrawler"; readonly crawler: EtlCrawlerKey }
  | { readonly kind: "notify" }
  | { readonly kind: "startTraining" };

/** `lambda:invoke` returns the function's answer under `Payload`. */
export interface PlanTaskResult {
  readonly Payload: EtlPlan;
}
/** `glue:startJobRun.sync` returns the finished JobRun; a failed run is an error named `States.TaskFailed`. */
export interface JobRunTaskResult {
  readonly Id: string;
  readonly JobRunState: "SUCCEEDED";
}
/** `aws-sdk:glue:getCrawler` returns GetCrawler's response; `LastCrawl` is absent before the first crawl ends. */
export interface GetCrawlerTaskResult {
  readonly Crawler: {
    readonly State: "READY" | "RUNNING" | "STOPPING";
    readonly LastCrawl?: { readonly Status: "SUCCEEDED" | "FAILED" | "CANCELLED" };
  };
}
/** `states:startExecution` returns the new execution's ARN. */
export interface StartExecutionTaskResult {
  readonly ExecutionArn: string;
}

/**
 * Classifies every Task of a machine built by `buildEtlStateMachine(resources, ...)`, by state name.
 * Throws on a Task it cannot place (a definition built from other resources, or a new integration).
 */
export function bindEtlTasks(
  definition: Branch,
  resources: EtlMachineResources,
): Record<string, EtlTaskBinding> {
  const jobs: Record<string, EtlJobKey> = {
    [resources.s3ImportJobName]: "s3Import",
    [resources.jdbcImportJobName]: "jdbcImport",
    [resources.curateJobName]: "curate",
  };
  const crawlers: Record<string, EtlCrawlerKey> = {
    [resources.s3HistoryCrawlerName]: "s3History",
    [resources.jdbcHistoryCrawlerName]: "jdbcHistory",
    [resources.curatedCrawlerName]: "curated",
  };
  const bindings: Record<string, EtlTaskBinding> = {};
  for (const task of listTaskStates(definition)) {
    const lookup = <K extends string>(key: "JobName" | "Name", table: Record<string, K>): K => {
      const value = task.parameters[key];
      const found = typeof value === "string" ? table[value] : undefined;
      if (!found)
        throw new Error(
          `Task "${task.name}" names ${key} ${JSON.stringify(value)}, which is not among the given resources`,
        );
      return found;
    };
    switch (task.resource) {
      case INTEGRATIONS.lambdaInvoke:
        bindings[task.name] = { kind: "plan" };
        break;
      case INTEGRATIONS.glueStartJobRunSync:
        bindings[task.name] = { kind: "runJob", job: lookup("JobName", jobs) };
        break;
      case INTEGRATIONS.glueStartCrawler:
        bindings[task.name] = { kind: "startCrawler", crawler: lookup("Name", crawlers) };
        break;
      case INTEGRATIONS.glueGetCrawler:
        bindings[task.name] = { kind: "getCrawler", crawler: lookup("Name", crawlers) };
        break;
      case INTEGRATIONS.snsPublish:
        bindings[task.name] = { kind: "notify" };
        break;
      case INTEGRATIONS.sfnStartExecution:
        bindings[task.name] = { kind: "startTraining" };
        break;
      default:
        throw new Error(`Task "${task.name}" uses ${task.resource}, which no ETL binding covers`);
    }
  }
  return bindings;
}
