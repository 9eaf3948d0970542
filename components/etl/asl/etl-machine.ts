/**
 * The ETL state machine, built as a typed ASL object from plain strings. The cloud component calls
 * {@link buildEtlStateMachine} inside `pulumi.all([...]).apply(...)` with the deployed ARNs and names; tests
 * and the local backend call it with any strings they like and bind the Task states to local handlers by
 * state name ({@link ETL_STATES}, {@link ETL_CRAWL_STATES}). Pure.
 *
 *   Plan imports (Lambda)
 *   → Import history (Parallel)
 *       ├ Is S3 import needed?   → Run S3 import job (.sync)   → crawl S3 history   → S3 import done
 *       │                        └ Skip S3 import
 *       └ Is JDBC import needed? → Run JDBC import job (.sync) → crawl JDBC history → JDBC import done
 *                                └ Skip JDBC import
 *   → Run curate job (.sync) → crawl curated → [Is training wanted? → Start model training] → ETL succeeded
 *
 * Every Task retries transient errors and has a timeout; every error ends in "Notify failure" (SNS) and
 * then "ETL failed", whose Error and Cause are the original ones.
 */
import { ETL_PATHS } from "../plan";
import { crawlStateNames, crawlStates, CRAWLER_API_TIMEOUT_SECONDS } from "./crawl";
import { catchAllTo, ERROR_PATH, INTEGRATIONS, next, RETRY, task } from "../../shared/asl/states";
import type {
  Branch,
  ChoiceState,
  FailState,
  ParallelState,
  PassState,
  StateMachineDefinition,
  States,
  SucceedState,
} from "../../shared/asl/types";

/** The deployed things the machine drives, as plain strings. */
export interface EtlMachineResources {
  readonly plannerFunctionArn: string;
  readonly s3ImportJobName: string;
  readonly jdbcImportJobName: string;
  readonly curateJobName: string;
  readonly s3HistoryCrawlerName: string;
  readonly jdbcHistoryCrawlerName: string;
  readonly curatedCrawlerName: string;
  readonly failureTopicArn: string;
  /** The model-training state machine to start after curation. @default - no training step */
  readonly trainingStateMachineArn?: string;
}

export interface EtlMachineSettings {
  /** Short name of the deployment, shown in the failure notice's subject (e.g. `sensors-dev`). */
  readonly label: string;
  /** Seconds between crawler status checks. */
  readonly crawlerPollSeconds: number;
  /** Status checks before a crawl counts as stuck. */
  readonly crawlerMaxPolls: number;
  /** The Glue jobs' own timeout, in minutes; the Task timeout adds a margin so Glue's fires first. */
  readonly jobTimeoutMinutes: number;
}

/** Names of the machine's own states (the crawl fragments' are in {@link ETL_CRAWL_STATES}). */
export const ETL_STATES = {
  plan: "Plan imports",
  imports: "Import history",
  s3Needed: "Is S3 import needed?",
  s3Import: "Run S3 import job",
  s3Skipped: "Skip S3 import",
  s3Done: "S3 import done",
  jdbcNeeded: "Is JDBC import needed?",
  jdbcImport: "Run JDBC import job",
  jdbcSkipped: "Skip JDBC import",
  jdbcDone: "JDBC import done",
  curate: "Run curate job",
  trainingWanted: "Is training wanted?",
  training: "Start model training",
  succeeded: "ETL succeeded",
  notify: "Notify failure",
  failed: "ETL failed",
} as const;

/** The three crawl fragments' state names. */
export const ETL_CRAWL_STATES = {
  s3History: crawlStateNames("S3 history crawler"),
  jdbcHistory: crawlStateNames("JDBC history crawler"),
  curated: crawlStateNames("curated crawler"),
} as const;

/** Margin added to a Glue job's own timeout for queueing and start-up before the Task gives up. */
export const JOB_TASK_MARGIN_SECONDS = 900;
/** Timeout of the planning function's Task (the function itself is configured shorter). */
export const PLANNER_TIMEOUT_SECONDS = 120;
const NOTIFY_TIMEOUT_SECONDS = 60;
/**
 * Cap of the whole execution: 23 days, far beyond any healthy run, and below 2^31 ms, the longest timer
 * Node.js honours (longer ones fire at once), so local runs keep the same bound.
 */
export const MAX_EXECUTION_SECONDS = 2_000_000;

/** Builds the ETL definition. Throws on settings the service would reject. */
export function buildEtlStateMachine(
  resources: EtlMachineResources,
  settings: EtlMachineSettings,
): StateMachineDefinition {
  for (const [key, value] of Object.entries(resources)) {
    if (value !== undefined && (typeof value !== "string" || value === "")) {
      throw new Error(
        `ETL state machine resource ${key} must be a non-empty string (got ${JSON.stringify(value)})`,
      );
    }
  }
  if (!Number.isInteger(settings.jobTimeoutMinutes) || settings.jobTimeoutMinutes < 1) {
    throw new Error(`jobTimeoutMinutes must be a positive integer (got ${settings.jobTimeoutMinutes})`);
  }
  const jobTaskTimeout = settings.jobTimeoutMinutes * 60 + JOB_TASK_MARGIN_SECONDS;
  const crawl = { pollSeconds: settings.crawlerPollSeconds, maxPolls: settings.crawlerMaxPolls };
  const notify = { kind: "notify", state: ETL_STATES.notify } as const;
  const catchAll = catchAllTo(ETL_STATES.notify);
  const S = ETL_STATES;

  const runJob = (jobName: string, resultPath: string, then: string) =>
    task(
      {
        resource: INTEGRATIONS.glueStartJobRunSync,
        parameters: { JobName: jobName },
        resultSelector: { "JobRunId.$": "$.Id", "JobRunState.$": "$.JobRunState" },
        resultPath,
        timeoutSeconds: jobTaskTimeout,
        retry: [RETRY.glueJob],
      },
      next(then),
    );

  const importBranch = (b: {
    needed: string;
    planFlag: string;
    reason: string;
    run: string;
    jobName: string;
    skipped: string;
    done: string;
    crawl: { key: string; label: string; crawlerName: string; names: ReturnType<typeof crawlStateNames> };
  }): Branch => {
    const needed: ChoiceState = {
      Type: "Choice",
      Choices: [{ Variable: `${ETL_PATHS.plan}.${b.planFlag}`, BooleanEquals: true, Next: b.run }],
      Default: b.skipped,
    };
    const skipped: PassState = {
      Type: "Pass",
      Parameters: { ran: false, "reason.$": `${ETL_PATHS.plan}.reasons.${b.reason}` },
      End: true,
    };
    const done: PassState = {
      Type: "Pass",
      Parameters: { ran: true, "jobRunId.$": "$.jobRun.JobRunId" },
      End: true,
    };
    return {
      StartAt: b.needed,
      States: {
        [b.needed]: needed,
        [b.run]: runJob(b.jobName, "$.jobRun", b.crawl.names.reset),
        // Inside a branch a failure ends the branch; the Parallel state's Catch reports it.
        ...crawlStates({
          key: b.crawl.key,
          label: b.crawl.label,
          crawlerName: b.crawl.crawlerName,
          ...crawl,
          next: b.done,
          onFailure: { kind: "fail" },
        }),
        [b.done]: done,
        [b.skipped]: skipped,
      },
    };
  };

  const imports: ParallelState = {
    Type: "Parallel",
    Branches: [
      importBranch({
        needed: S.s3Needed,
        planFlag: "runS3Import",
        reason: "s3Import",
        run: S.s3Import,
        jobName: resources.s3ImportJobName,
        skipped: S.s3Skipped,
        done: S.s3Done,
        crawl: {
          key: "s3History",
          label: "S3 history crawler",
          crawlerName: resources.s3HistoryCrawlerName,
          names: ETL_CRAWL_STATES.s3History,
        },
      }),
      importBranch({
        needed: S.jdbcNeeded,
        planFlag: "runJdbcImport",
        reason: "jdbcImport",
        run: S.jdbcImport,
        jobName: resources.jdbcImportJobName,
        skipped: S.jdbcSkipped,
        done: S.jdbcDone,
        crawl: {
          key: "jdbcHistory",
          label: "JDBC history crawler",
          crawlerName: resources.jdbcHistoryCrawlerName,
          names: ETL_CRAWL_STATES.jdbcHistory,
        },
      }),
    ],
    ResultSelector: { "s3.$": "$[0]", "jdbc.$": "$[1]" },
    ResultPath: ETL_PATHS.imports,
    Catch: catchAll,
    Next: S.curate,
  };

  const training = resources.trainingStateMachineArn;
  const afterCuratedCrawl = training ? S.trainingWanted : S.succeeded;
  const trainingStates: States = training
    ? {
        [S.trainingWanted]: {
          Type: "Choice",
          Choices: [{ Variable: `${ETL_PATHS.plan}.startTraining`, BooleanEquals: true, Next: S.training }],
          Default: S.succeeded,
        },
        // Fire and forget: training has its own machine, alarms and failure path.
        [S.training]: task(
          {
            resource: INTEGRATIONS.sfnStartExecution,
            parameters: {
              StateMachineArn: training,
              Input: { trigger: "etl", "curateJobRunId.$": `${ETL_PATHS.curate}.JobRunId` },
            },
            resultSelector: { "ExecutionArn.$": "$.ExecutionArn" },
            resultPath: ETL_PATHS.training,
            timeoutSeconds: CRAWLER_API_TIMEOUT_SECONDS,
            retry: [RETRY.stepFunctions],
            catch: catchAll,
          },
          next(S.succeeded),
        ),
      }
    : {};

  const notifyFailure = task(
    {
      resource: INTEGRATIONS.snsPublish,
      parameters: {
        TopicArn: resources.failureTopicArn,
        Subject: failureSubject(settings.label),
        "Message.$": `States.Format('The ETL state machine of ${escapeIntrinsic(settings.label)} failed (execution started {}). Error: {}. Cause: {}', $$.Execution.StartTime, ${ERROR_PATH}.Error, ${ERROR_PATH}.Cause)`,
      },
      timeoutSeconds: NOTIFY_TIMEOUT_SECONDS,
      retry: [RETRY.sns],
      // A notice that cannot be sent must not hide the original error: go on to the Fail state with it.
      catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.notifyError", Next: S.failed }],
    },
    next(S.failed),
  );
  const failed: FailState = {
    Type: "Fail",
    ErrorPath: `${ERROR_PATH}.Error`,
    CausePath: `${ERROR_PATH}.Cause`,
  };
  const succeeded: SucceedState = { Type: "Succeed" };

  const crawlPhase = settings.crawlerPollSeconds * settings.crawlerMaxPolls + 2 * CRAWLER_API_TIMEOUT_SECONDS;
  const budget =
    PLANNER_TIMEOUT_SECONDS + 2 * (jobTaskTimeout + crawlPhase) + 2 * NOTIFY_TIMEOUT_SECONDS + 3600;
  return {
    Comment: `Sensor analytics ETL (${settings.label}): plan, import history from S3 and JDBC in parallel, crawl, curate, crawl curated${training ? ", start training" : ""}`,
    StartAt: S.plan,
    // Bounds a run that is stuck somewhere no Task timeout covers; generous so it never cuts a healthy run.
    TimeoutSeconds: Math.min(budget, MAX_EXECUTION_SECONDS),
    States: {
      [S.plan]: task(
        {
          resource: INTEGRATIONS.lambdaInvoke,
          parameters: { FunctionName: resources.plannerFunctionArn, "Payload.$": "$" },
          resultSelector: {
            "runS3Import.$": "$.Payload.runS3Import",
            "runJdbcImport.$": "$.Payload.runJdbcImport",
            "startTraining.$": "$.Payload.startTraining",
            "reasons.$": "$.Payload.reasons",
          },
          resultPath: ETL_PATHS.plan,
          timeoutSeconds: PLANNER_TIMEOUT_SECONDS,
          retry: [RETRY.lambda],
          catch: catchAll,
        },
        next(S.imports),
      ),
      [S.imports]: imports,
      [S.curate]: {
        ...runJob(resources.curateJobName, ETL_PATHS.curate, ETL_CRAWL_STATES.curated.reset),
        Catch: catchAll,
      },
      ...crawlStates({
        key: "curated",
        label: "curated crawler",
        crawlerName: resources.curatedCrawlerName,
        ...crawl,
        next: afterCuratedCrawl,
        onFailure: notify,
      }),
      ...trainingStates,
      [S.succeeded]: succeeded,
      [S.notify]: notifyFailure,
      [S.failed]: failed,
    },
  };
}

/** SNS subjects: at most 100 printable ASCII characters, no line breaks. */
export function failureSubject(label: string): string {
  const subject = `ETL failed: ${label}`.replace(/[^\x20-\x7e]/g, "?");
  return subject.length <= 100 ? subject : `${subject.slice(0, 97)}...`;
}

/** Escapes the characters intrinsic-function string literals reserve (`'{}\`). */
function escapeIntrinsic(text: string): string {
  return text.replace(/[\\'{}]/g, (c) => `\\${c}`);
}
