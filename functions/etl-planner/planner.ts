/**
 * Decides which historical imports an ETL run needs, from the execution input and the state of the data:
 *
 * - S3 import: runs when a file in the landing prefix is newer than the start of the last successful import
 *   (or there was none yet). No files at all, or none newer: skipped.
 * - JDBC import: the database cannot be asked cheaply from outside its VPC, so it runs when the last
 *   successful import finished longer ago than the refresh interval (or never); its job bookmark then reads
 *   only rows added since.
 * - Either is skipped while a run of its job is still going (a second would fail on the job's
 *   one-concurrent-run limit and read the same data); the next scheduled run picks it up.
 * - The input can force or skip each import (skip wins) and turn training off.
 * - A JDBC import that failed because the source table does not exist (the job reports it as
 *   `HistoricalSourceMissing`) is a configuration error: until the refresh interval has passed, the planner
 *   fails the run with that error (which the state machine notifies) instead of running the import again.
 *
 * AWS clients are injected, so tests drive it with aws-sdk-client-mock and the local backend with local
 * implementations.
 */
import { GetJobRunsCommand, GlueClient, JobRun } from "@aws-sdk/client-glue";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import type { EtlExecutionInput, EtlPlan, ImportDecisionReason } from "../../components/etl/plan";
import { HISTORICAL_SOURCE_MISSING } from "../../components/sources/historical-schema";

export interface PlannerSettings {
  readonly s3ImportJobName: string;
  readonly jdbcImportJobName: string;
  /** Bucket and prefix where historical CSV files land. */
  readonly landingBucket: string;
  readonly landingPrefix: string;
  /** Hours after which the JDBC import runs again. */
  readonly jdbcRefreshHours: number;
  /** Whether the state machine has a training step to start. */
  readonly trainingEnabled: boolean;
}

export interface PlannerClients {
  readonly glue: Pick<GlueClient, "send">;
  readonly s3: Pick<S3Client, "send">;
  /** The current time. @default - the system clock */
  readonly now?: () => Date;
}

/** Job run states in which a run still occupies the job. */
const ACTIVE_STATES = new Set(["STARTING", "RUNNING", "STOPPING", "WAITING"]);
/** Job run states of a run that ended without success. */
const FAILED_STATES = new Set(["FAILED", "ERROR", "TIMEOUT"]);

/** The historical database lacks the table the JDBC import reads: a configuration error, named for the fix. */
export class HistoricalSourceMissingError extends Error {
  override readonly name = HISTORICAL_SOURCE_MISSING;
}
/** Pages of job runs read at most (Glue keeps 90 days of runs; 10 × 200 covers hourly runs). */
const MAX_RUN_PAGES = 10;
const INPUT_KEYS: readonly (keyof EtlExecutionInput)[] = [
  "forceS3Import",
  "forceJdbcImport",
  "skipS3Import",
  "skipJdbcImport",
  "startTraining",
];

/**
 * Checks the execution input: an object whose known fields are booleans. An unknown field is an error
 * (`forceS3import` must not silently do nothing).
 */
export function parseExecutionInput(input: unknown): EtlExecutionInput {
  if (input === null || input === undefined) return {};
  if (typeof input !== "object" || Array.isArray(input)) {
    throw new Error(
      `ETL execution input must be a JSON object (got ${JSON.stringify(input)}); start the execution with {} or e.g. {"forceS3Import": true}`,
    );
  }
  const record = input as Record<string, unknown>;
  const unknown = Object.keys(record).filter((k) => !(INPUT_KEYS as readonly string[]).includes(k));
  if (unknown.length > 0) {
    throw new Error(
      `ETL execution input has unknown field${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}; allowed: ${INPUT_KEYS.join(", ")}`,
    );
  }
  for (const key of INPUT_KEYS) {
    if (record[key] !== undefined && typeof record[key] !== "boolean") {
      throw new Error(
        `ETL execution input field ${key} must be true or false (got ${JSON.stringify(record[key])})`,
      );
    }
  }
  return record as EtlExecutionInput;
}

interface JobHistory {
  readonly active: boolean;
  readonly lastSuccess?: JobRun;
  /** The latest run that ended, successfully or not. */
  readonly lastFinished?: JobRun;
}

async function jobHistory(glue: PlannerClients["glue"], jobName: string): Promise<JobHistory> {
  let active = false;
  let lastSuccess: JobRun | undefined;
  let lastFinished: JobRun | undefined;
  let nextToken: string | undefined;
  const later = (run: JobRun, than?: JobRun) => !than?.StartedOn || run.StartedOn! > than.StartedOn;
  for (let page = 0; page < MAX_RUN_PAGES; page++) {
    const response = await glue.send(
      new GetJobRunsCommand({ JobName: jobName, MaxResults: 200, NextToken: nextToken }),
    );
    for (const run of response.JobRuns ?? []) {
      if (run.JobRunState && ACTIVE_STATES.has(run.JobRunState)) active = true;
      if (!run.StartedOn) continue;
      if (run.JobRunState === "SUCCEEDED" && later(run, lastSuccess)) lastSuccess = run;
      if (
        (run.JobRunState === "SUCCEEDED" || FAILED_STATES.has(run.JobRunState ?? "")) &&
        later(run, lastFinished)
      )
        lastFinished = run;
    }
    nextToken = response.NextToken;
    if (!nextToken) break;
  }
  return { active, lastSuccess, lastFinished };
}

/** Whether the landing prefix holds any file, and whether one is newer than `since`. */
async function landingState(
  s3: PlannerClients["s3"],
  bucket: string,
  prefix: string,
  since?: Date,
): Promise<{ any: boolean; newer: boolean }> {
  let any = false;
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) {
      // Folder markers and empty files carry no readings.
      if (!object.Key || object.Key.endsWith("/") || (object.Size ?? 0) === 0) continue;
      any = true;
      if (!since || (object.LastModified && object.LastModified >= since)) return { any, newer: true };
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return { any, newer: false };
}

type Decision = { readonly run: boolean; readonly reason: ImportDecisionReason };

async function decideS3(
  settings: PlannerSettings,
  clients: PlannerClients,
  input: EtlExecutionInput,
): Promise<Decision> {
  if (input.skipS3Import) return { run: false, reason: "skipped by input" };
  if (input.forceS3Import) return { run: true, reason: "forced" };
  const history = await jobHistory(clients.glue, settings.s3ImportJobName);
  if (history.active) return { run: false, reason: "import already running" };
  const since = history.lastSuccess?.StartedOn;
  const landing = await landingState(clients.s3, settings.landingBucket, settings.landingPrefix, since);
  if (!landing.any) return { run: false, reason: "no historical files" };
  if (!since) return { run: true, reason: "never imported" };
  return landing.newer
    ? { run: true, reason: "new files since last import" }
    : { run: false, reason: "no new files since last import" };
}

async function decideJdbc(
  settings: PlannerSettings,
  clients: PlannerClients,
  input: EtlExecutionInput,
): Promise<Decision> {
  if (input.skipJdbcImport) return { run: false, reason: "skipped by input" };
  if (input.forceJdbcImport) return { run: true, reason: "forced" };
  const history = await jobHistory(clients.glue, settings.jdbcImportJobName);
  if (history.active) return { run: false, reason: "import already running" };
  const now = (clients.now ?? (() => new Date()))();
  const refreshMs = settings.jdbcRefreshHours * 3_600_000;
  const ended = (run: JobRun) => run.CompletedOn ?? run.StartedOn!;
  const failed = history.lastFinished;
  const marker = failed?.ErrorMessage?.indexOf(`${HISTORICAL_SOURCE_MISSING}:`) ?? -1;
  if (
    failed &&
    failed.JobRunState !== "SUCCEEDED" &&
    marker >= 0 &&
    now.getTime() - ended(failed).getTime() < refreshMs
  ) {
    const retryAt = new Date(ended(failed).getTime() + refreshMs).toISOString();
    throw new HistoricalSourceMissingError(
      `${failed.ErrorMessage!.slice(marker + HISTORICAL_SOURCE_MISSING.length + 2).trim()} ` +
        `(JDBC import run ${failed.Id} of ${ended(failed).toISOString()} found no such table; the ETL tries the ` +
        `import again from ${retryAt}, or now when started with {"forceJdbcImport": true})`,
    );
  }
  const last = history.lastSuccess;
  if (!last) return { run: true, reason: "never imported" };
  return now.getTime() - ended(last).getTime() >= refreshMs
    ? { run: true, reason: "last import older than refresh interval" }
    : { run: false, reason: "last import within refresh interval" };
}

/** Plans one ETL run. */
export async function planEtlRun(
  settings: PlannerSettings,
  clients: PlannerClients,
  rawInput: unknown,
): Promise<EtlPlan> {
  const input = parseExecutionInput(rawInput);
  const [s3, jdbc] = await Promise.all([
    decideS3(settings, clients, input),
    decideJdbc(settings, clients, input),
  ]);
  return {
    runS3Import: s3.run,
    runJdbcImport: jdbc.run,
    startTraining: settings.trainingEnabled && (input.startTraining ?? true),
    reasons: { s3Import: s3.reason, jdbcImport: jdbc.reason },
  };
}
