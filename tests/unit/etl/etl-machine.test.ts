import { expect } from "chai";
import aslValidator from "asl-validator";
import {
  buildEtlStateMachine,
  ETL_CRAWL_STATES,
  ETL_STATES,
  EtlMachineResources,
  EtlMachineSettings,
  failureSubject,
  JOB_TASK_MARGIN_SECONDS,
  MAX_EXECUTION_SECONDS,
} from "../../../components/etl/asl/etl-machine";
import { CRAWL_ERRORS } from "../../../components/etl/asl/crawl";
import { bindEtlTasks, EtlTaskBinding } from "../../../components/etl/asl/bindings";
import { listStateNames, listTaskStates } from "../../../components/shared/asl/inspect";
import { INTEGRATIONS } from "../../../components/shared/asl/states";
import type { JsonValue, StateMachineDefinition } from "../../../components/shared/asl/types";
import type { EtlPlan } from "../../../components/etl/plan";
import { awsError, runLocally, TaskHandler } from "../../helpers/local-sfn";

const RESOURCES: EtlMachineResources = {
  plannerFunctionArn: "arn:aws:lambda:eu-west-1:111122223333:function:etl-planner",
  s3ImportJobName: "sensors-dev-s3-import",
  jdbcImportJobName: "sensors-dev-jdbc-import",
  curateJobName: "sensors-dev-curate",
  s3HistoryCrawlerName: "sensors-dev-s3-history",
  jdbcHistoryCrawlerName: "sensors-dev-jdbc-history",
  curatedCrawlerName: "sensors-dev-curated",
  failureTopicArn: "arn:aws:sns:eu-west-1:111122223333:etl-failures",
  trainingStateMachineArn: "arn:aws:states:eu-west-1:111122223333:stateMachine:training",
};
const SETTINGS: EtlMachineSettings = {
  label: "sensors-dev",
  crawlerPollSeconds: 20,
  crawlerMaxPolls: 5,
  jobTimeoutMinutes: 30,
};
const S = ETL_STATES;
const C = ETL_CRAWL_STATES;

function plan(overrides: Partial<EtlPlan> = {}): EtlPlan {
  return {
    runS3Import: true,
    runJdbcImport: true,
    startTraining: true,
    reasons: {
      s3Import: "new files since last import",
      jdbcImport: "last import older than refresh interval",
    },
    ...overrides,
  };
}

/** Handlers under which every Task succeeds at once: a healthy run. */
function healthy(definition: StateMachineDefinition, etlPlan: EtlPlan = plan()): Record<string, TaskHandler> {
  const handlers: Record<string, TaskHandler> = {};
  for (const t of listTaskStates(definition)) {
    handlers[t.name] = (input): JsonValue => {
      const params = input as Record<string, JsonValue>;
      switch (t.resource) {
        case INTEGRATIONS.lambdaInvoke:
          return { StatusCode: 200, Payload: etlPlan as unknown as JsonValue };
        case INTEGRATIONS.glueStartJobRunSync:
          return {
            Id: `jr_${String(params.JobName)}`,
            JobName: params.JobName ?? null,
            JobRunState: "SUCCEEDED",
          };
        case INTEGRATIONS.glueStartCrawler:
          return {};
        case INTEGRATIONS.glueGetCrawler:
          return {
            Crawler: { Name: params.Name ?? null, State: "READY", LastCrawl: { Status: "SUCCEEDED" } },
          };
        case INTEGRATIONS.snsPublish:
          return { MessageId: "m-1" };
        case INTEGRATIONS.sfnStartExecution:
          return {
            ExecutionArn: `${RESOURCES.trainingStateMachineArn}:run-1`,
            StartDate: "2025-01-01T00:00:00Z",
          };
        default:
          throw new Error(`unexpected resource ${t.resource}`);
      }
    };
  }
  return handlers;
}

const calledStates = (run: { calls: readonly { state: string }[] }) => run.calls.map((c) => c.state);
const crawler = (state: string, lastStatus?: string): JsonValue => ({
  Crawler: { State: state, ...(lastStatus ? { LastCrawl: { Status: lastStatus } } : {}) },
});

describe("ETL state machine definition", () => {
  const definition = buildEtlStateMachine(RESOURCES, SETTINGS);

  it("passes asl-validator, with and without the training step", () => {
    for (const def of [
      definition,
      buildEtlStateMachine({ ...RESOURCES, trainingStateMachineArn: undefined }, SETTINGS),
    ]) {
      const result = aslValidator(structuredClone(def));
      expect(result.errorsText("\n")).to.equal("");
      expect(result.isValid).to.equal(true);
    }
  });

  it("gives every Task a timeout and a retry policy, and Glue jobs retry on concurrent runs and throttling", () => {
    const tasks = listTaskStates(definition);
    expect(tasks).to.have.length(12);
    for (const t of tasks) {
      expect(t.timeoutSeconds, t.name).to.be.a("number").and.to.be.greaterThan(0);
      expect(t.retry, t.name).to.not.be.empty;
    }
    const jobs = tasks.filter((t) => t.resource === INTEGRATIONS.glueStartJobRunSync);
    expect(jobs.map((j) => j.parameters.JobName)).to.deep.equal([
      RESOURCES.s3ImportJobName,
      RESOURCES.jdbcImportJobName,
      RESOURCES.curateJobName,
    ]);
    for (const job of jobs) {
      expect(job.timeoutSeconds).to.equal(30 * 60 + JOB_TASK_MARGIN_SECONDS);
      expect(job.retry[0]!.ErrorEquals).to.include.members([
        "Glue.ConcurrentRunsExceededException",
        "Glue.ThrottlingException",
      ]);
      expect(job.retry[0]!.ErrorEquals).to.not.include("States.TaskFailed");
    }
    const lambda = tasks.find((t) => t.resource === INTEGRATIONS.lambdaInvoke)!;
    expect(lambda.retry[0]!.ErrorEquals).to.include.members([
      "Lambda.ServiceException",
      "Lambda.TooManyRequestsException",
    ]);
  });

  it("catches every top-level Task's errors into the notify path (branch Tasks are caught by the Parallel state)", () => {
    for (const t of listTaskStates(definition)) {
      if (t.name === S.notify) continue;
      if (t.enclosedBy.length > 0) {
        expect(t.enclosedBy, t.name).to.deep.equal([S.imports]);
        continue;
      }
      const catchAll = t.catch.find((c) => c.ErrorEquals.includes("States.ALL"));
      expect(catchAll?.Next, t.name).to.equal(S.notify);
      expect(catchAll?.ResultPath, t.name).to.equal("$.error");
    }
    const parallel = definition.States[S.imports]!;
    expect(parallel.Type).to.equal("Parallel");
    expect(parallel.Type === "Parallel" && parallel.Catch).to.deep.equal([
      { ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: S.notify },
    ]);
  });

  it("bounds the whole execution, and caps the bound below Node's longest timer", () => {
    expect(definition.TimeoutSeconds).to.be.greaterThan(2 * (30 * 60 + JOB_TASK_MARGIN_SECONDS) + 2 * 20 * 5);
    const huge = buildEtlStateMachine(RESOURCES, {
      ...SETTINGS,
      jobTimeoutMinutes: 2880,
      crawlerMaxPolls: 1000,
      crawlerPollSeconds: 3600,
    });
    expect(huge.TimeoutSeconds).to.equal(MAX_EXECUTION_SECONDS);
  });

  it("leaves out the training states when no training machine is given", () => {
    const names = listStateNames(
      buildEtlStateMachine({ ...RESOURCES, trainingStateMachineArn: undefined }, SETTINGS),
    );
    expect(names).to.not.include(S.training);
    expect(names).to.not.include(S.trainingWanted);
    expect(listStateNames(definition)).to.include.members([S.training, S.trainingWanted]);
  });

  it("rejects an empty resource name and a non-integer timeout with the field named", () => {
    expect(() => buildEtlStateMachine({ ...RESOURCES, curateJobName: "" }, SETTINGS)).to.throw(
      'ETL state machine resource curateJobName must be a non-empty string (got "")',
    );
    expect(() => buildEtlStateMachine(RESOURCES, { ...SETTINGS, jobTimeoutMinutes: 0.5 })).to.throw(
      "jobTimeoutMinutes must be a positive integer (got 0.5)",
    );
    expect(() => buildEtlStateMachine(RESOURCES, { ...SETTINGS, crawlerMaxPolls: 0 })).to.throw(
      "crawl maxPolls must be a positive integer (got 0)",
    );
  });

  it("keeps the failure subject within SNS's 100 printable ASCII characters", () => {
    expect(failureSubject("sensors-dev")).to.equal("ETL failed: sensors-dev");
    const long = failureSubject(`x${"é".repeat(200)}`);
    expect(long).to.have.length(100);
    expect(long).to.match(/^[\x20-\x7e]+$/);
  });
});

describe("ETL state machine executed in aws-local-stepfunctions", () => {
  const definition = buildEtlStateMachine(RESOURCES, SETTINGS);

  it("runs both imports, every crawler, curation and training on a healthy run", async () => {
    const run = await runLocally(definition, healthy(definition), {});
    expect(run.status).to.equal("SUCCEEDED");
    const calls = calledStates(run);
    expect(calls[0]).to.equal(S.plan);
    expect(calls).to.include.members([S.s3Import, S.jdbcImport, C.s3History.start, C.jdbcHistory.start]);
    // The branches run concurrently, but within each the job comes before its crawler.
    expect(calls.indexOf(S.s3Import)).to.be.lessThan(calls.indexOf(C.s3History.start));
    expect(calls.indexOf(S.jdbcImport)).to.be.lessThan(calls.indexOf(C.jdbcHistory.start));
    expect(calls.slice(-4)).to.deep.equal([S.curate, C.curated.start, C.curated.get, S.training]);
    const output = run.output as Record<string, JsonValue>;
    expect(output.imports).to.deep.equal({
      s3: { ran: true, jobRunId: `jr_${RESOURCES.s3ImportJobName}` },
      jdbc: { ran: true, jobRunId: `jr_${RESOURCES.jdbcImportJobName}` },
    });
    expect(output.training).to.deep.equal({ ExecutionArn: `${RESOURCES.trainingStateMachineArn}:run-1` });
    // The planner receives the execution input; the training machine learns which curate run fed it.
    expect(run.calls[0]!.input).to.deep.equal({ FunctionName: RESOURCES.plannerFunctionArn, Payload: {} });
    expect(run.calls.find((c) => c.state === S.training)!.input).to.deep.equal({
      StateMachineArn: RESOURCES.trainingStateMachineArn,
      Input: { trigger: "etl", curateJobRunId: `jr_${RESOURCES.curateJobName}` },
    });
    expect(calls).to.not.include(S.notify);
  });

  const combos: [boolean, boolean][] = [
    [true, false],
    [false, true],
    [false, false],
  ];
  for (const [s3, jdbc] of combos) {
    it(`skips what the plan skips (S3 import ${s3 ? "runs" : "skipped"}, JDBC import ${jdbc ? "runs" : "skipped"})`, async () => {
      const etlPlan = plan({
        runS3Import: s3,
        runJdbcImport: jdbc,
        reasons: {
          s3Import: s3 ? "forced" : "no new files since last import",
          jdbcImport: jdbc ? "forced" : "skipped by input",
        },
      });
      const run = await runLocally(definition, healthy(definition, etlPlan), { skipJdbcImport: !jdbc });
      expect(run.status).to.equal("SUCCEEDED");
      const calls = calledStates(run);
      expect(calls.includes(S.s3Import)).to.equal(s3);
      expect(calls.includes(C.s3History.start)).to.equal(s3);
      expect(calls.includes(S.jdbcImport)).to.equal(jdbc);
      expect(calls.includes(C.jdbcHistory.start)).to.equal(jdbc);
      expect(run.entered.includes(S.s3Skipped)).to.equal(!s3);
      expect(run.entered.includes(S.jdbcSkipped)).to.equal(!jdbc);
      // Curation always runs: live readings change even when the history does not.
      expect(calls).to.include(S.curate);
      const imports = (run.output as Record<string, Record<string, JsonValue>>).imports!;
      expect(imports.s3).to.deep.equal(
        s3
          ? { ran: true, jobRunId: `jr_${RESOURCES.s3ImportJobName}` }
          : { ran: false, reason: "no new files since last import" },
      );
      expect(imports.jdbc).to.deep.equal(
        jdbc
          ? { ran: true, jobRunId: `jr_${RESOURCES.jdbcImportJobName}` }
          : { ran: false, reason: "skipped by input" },
      );
    });
  }

  it("does not start training when the plan says not to", async () => {
    const run = await runLocally(definition, healthy(definition, plan({ startTraining: false })));
    expect(run.status).to.equal("SUCCEEDED");
    expect(calledStates(run)).to.not.include(S.training);
    expect(run.entered).to.include(S.succeeded);
  });

  it("polls a crawler that reports RUNNING several times until it is READY", async () => {
    const handlers = healthy(definition);
    handlers[C.curated.get] = (_input, call) =>
      call <= 3
        ? crawler("RUNNING", "SUCCEEDED")
        : call === 4
          ? crawler("STOPPING")
          : crawler("READY", "SUCCEEDED");
    const run = await runLocally(definition, handlers);
    expect(run.status).to.equal("SUCCEEDED");
    expect(calledStates(run).filter((s) => s === C.curated.get)).to.have.length(5);
    expect(run.entered.filter((s) => s === C.curated.wait)).to.have.length(5);
    const crawls = (run.output as { crawls: { curated: { polls: number } } }).crawls;
    expect(crawls.curated.polls).to.equal(5);
  });

  it("waits for a crawl already running instead of failing on CrawlerRunningException", async () => {
    const handlers = healthy(definition);
    handlers[C.curated.start] = () => {
      throw awsError(
        "Glue.CrawlerRunningException",
        "Crawler with name sensors-dev-curated has already started",
      );
    };
    handlers[C.curated.get] = (_input, call) =>
      call === 1 ? crawler("RUNNING") : crawler("READY", "SUCCEEDED");
    const run = await runLocally(definition, handlers);
    expect(run.status).to.equal("SUCCEEDED");
    expect(calledStates(run).filter((s) => s === C.curated.get)).to.have.length(2);
  });

  it("fails through the notice when the curated crawler is still running at the poll limit", async () => {
    const handlers = healthy(definition);
    handlers[C.curated.get] = () => crawler("RUNNING");
    const run = await runLocally(definition, handlers);
    expect(run.status).to.equal("FAILED");
    expect(calledStates(run).filter((s) => s === C.curated.get)).to.have.length(SETTINGS.crawlerMaxPolls);
    expect(run.entered).to.include(C.curated.pollLimit);
    expect(run.error?.Error).to.equal(CRAWL_ERRORS.pollLimit);
    const notice = run.calls.find((c) => c.state === S.notify)!.input as Record<string, string>;
    expect(notice.TopicArn).to.equal(RESOURCES.failureTopicArn);
    expect(notice.Subject).to.equal("ETL failed: sensors-dev");
    expect(notice.Message).to.match(
      /^The ETL state machine of sensors-dev failed \(execution started \d{4}-\d\d-\d\dT[^)]+\)\. Error: Etl\.CrawlerPollLimitReached\. Cause: Glue crawler sensors-dev-curated was still running after 5 checks 20 s apart/,
    );
    expect(run.entered.at(-1)).to.equal(S.failed);
  });

  it("fails through the notice when a history crawler inside the Parallel state hits the poll limit", async () => {
    const handlers = healthy(definition);
    handlers[C.jdbcHistory.get] = () => crawler("RUNNING", "SUCCEEDED");
    const run = await runLocally(definition, handlers);
    expect(run.status).to.equal("FAILED");
    expect(run.error?.Error).to.equal(CRAWL_ERRORS.pollLimit);
    expect(String(run.error?.Cause)).to.contain(RESOURCES.jdbcHistoryCrawlerName);
    expect(calledStates(run)).to.include(S.notify);
    expect(calledStates(run)).to.not.include(S.curate);
  });

  it("fails through the notice when a crawl ends FAILED", async () => {
    const handlers = healthy(definition);
    handlers[C.s3History.get] = (_input, call) =>
      call === 1 ? crawler("RUNNING", "SUCCEEDED") : crawler("READY", "FAILED");
    const run = await runLocally(definition, handlers);
    expect(run.status).to.equal("FAILED");
    expect(run.error?.Error).to.equal(CRAWL_ERRORS.failed);
    expect(calledStates(run)).to.include(S.notify);
  });

  it("treats a crawler READY before its first crawl ever ended as failed, without a path error", async () => {
    const handlers = healthy(definition);
    handlers[C.curated.get] = () => crawler("READY");
    const run = await runLocally(definition, handlers);
    expect(run.error?.Error).to.equal(CRAWL_ERRORS.failed);
  });

  it("retries a Glue job refused for concurrent runs, and succeeds on the retry", async () => {
    const handlers = healthy(definition);
    const healthyCurate = handlers[S.curate]!;
    handlers[S.curate] = (input, call) => {
      if (call === 1)
        throw awsError(
          "Glue.ConcurrentRunsExceededException",
          "Concurrent runs exceeded for sensors-dev-curate",
        );
      return healthyCurate(input, call);
    };
    const run = await runLocally(definition, handlers);
    expect(run.status).to.equal("SUCCEEDED");
    expect(run.retries).to.deep.equal([S.curate]);
    expect(calledStates(run).filter((s) => s === S.curate)).to.have.length(2);
  });

  it("retries a throttled planner invocation", async () => {
    const handlers = healthy(definition);
    const healthyPlan = handlers[S.plan]!;
    handlers[S.plan] = (input, call) => {
      if (call < 3) throw awsError("Lambda.TooManyRequestsException", "Rate exceeded");
      return healthyPlan(input, call);
    };
    const run = await runLocally(definition, handlers);
    expect(run.status).to.equal("SUCCEEDED");
    expect(run.retries).to.deep.equal([S.plan, S.plan]);
  });

  it("ends a failing Glue job in the SNS notice and the Fail state, keeping the job's error", async () => {
    const handlers = healthy(definition);
    const cause = JSON.stringify({
      JobRunState: "FAILED",
      ErrorMessage: "AnalysisException: Table or view not found: live_readings",
    });
    handlers[S.jdbcImport] = () => {
      throw awsError("States.TaskFailed", cause);
    };
    const run = await runLocally(definition, handlers);
    expect(run.status).to.equal("FAILED");
    expect(run.retries).to.deep.equal([]);
    expect(run.error).to.deep.equal({ Error: "States.TaskFailed", Cause: cause });
    const notice = run.calls.find((c) => c.state === S.notify)!.input as Record<string, string>;
    expect(notice.Message).to.contain("Error: States.TaskFailed. Cause: ");
    expect(notice.Message).to.contain("Table or view not found: live_readings");
    expect(run.entered.slice(-2)).to.deep.equal([S.notify, S.failed]);
    expect(calledStates(run)).to.not.include(S.curate);
  });

  it("still fails with the original error when the notice itself cannot be sent", async () => {
    const handlers = healthy(definition);
    handlers[S.curate] = () => {
      throw awsError("States.TaskFailed", "curate failed");
    };
    handlers[S.notify] = () => {
      throw awsError("SNS.AuthorizationErrorException", "not allowed");
    };
    const run = await runLocally(definition, handlers);
    expect(run.status).to.equal("FAILED");
    expect(run.error).to.deep.equal({ Error: "States.TaskFailed", Cause: "curate failed" });
  });

  // The reviewer's check: a failure injected into any Task reaches the notice and the Fail state.
  for (const t of listTaskStates(definition).filter((t) => t.name !== S.notify)) {
    it(`routes a failure of "${t.name}" to the notice and the Fail state`, async () => {
      const handlers = healthy(definition);
      handlers[t.name] = () => {
        throw awsError("Injected.Failure", `injected into ${t.name}`);
      };
      const run = await runLocally(definition, handlers);
      expect(run.status).to.equal("FAILED");
      expect(run.error).to.deep.equal({ Error: "Injected.Failure", Cause: `injected into ${t.name}` });
      expect(calledStates(run).filter((s) => s === S.notify)).to.have.length(1);
      expect(run.entered.at(-1)).to.equal(S.failed);
    });
  }
});

describe("ETL task bindings (for local runners)", () => {
  const definition = buildEtlStateMachine(RESOURCES, SETTINGS);

  it("tells what every Task does, by state name", () => {
    const bindings = bindEtlTasks(definition, RESOURCES);
    expect(Object.keys(bindings).sort()).to.deep.equal(
      listTaskStates(definition)
        .map((t) => t.name)
        .sort(),
    );
    expect(bindings[S.plan]).to.deep.equal({ kind: "plan" });
    expect(bindings[S.s3Import]).to.deep.equal({ kind: "runJob", job: "s3Import" });
    expect(bindings[S.jdbcImport]).to.deep.equal({ kind: "runJob", job: "jdbcImport" });
    expect(bindings[S.curate]).to.deep.equal({ kind: "runJob", job: "curate" });
    expect(bindings[C.jdbcHistory.start]).to.deep.equal({ kind: "startCrawler", crawler: "jdbcHistory" });
    expect(bindings[C.curated.get]).to.deep.equal({ kind: "getCrawler", crawler: "curated" });
    expect(bindings[S.notify]).to.deep.equal({ kind: "notify" });
    expect(bindings[S.training]).to.deep.equal({ kind: "startTraining" });
  });

  it("refuses a definition built from other resources", () => {
    expect(() => bindEtlTasks(definition, { ...RESOURCES, curateJobName: "another-job" })).to.throw(
      `Task "${S.curate}" names JobName "${RESOURCES.curateJobName}", which is not among the given resources`,
    );
  });

  it("is enough to run the machine with one handler per kind", async () => {
    const bindings = bindEtlTasks(definition, RESOURCES);
    const jobsRun: string[] = [];
    const byKind = (binding: EtlTaskBinding): TaskHandler => {
      switch (binding.kind) {
        case "plan":
          return () => ({ Payload: plan({ runJdbcImport: false }) as unknown as JsonValue });
        case "runJob":
          return () => {
            jobsRun.push(binding.job);
            return { Id: `jr_${binding.job}`, JobRunState: "SUCCEEDED" };
          };
        case "getCrawler":
          return () => crawler("READY", "SUCCEEDED");
        case "startTraining":
          return () => ({ ExecutionArn: "arn:aws:states:eu-west-1:111122223333:execution:training:1" });
        default:
          return () => ({});
      }
    };
    const handlers = Object.fromEntries(
      Object.entries(bindings).map(([state, binding]) => [state, byKind(binding)]),
    );
    const run = await runLocally(definition, handlers);
    expect(run.status).to.equal("SUCCEEDED");
    expect(jobsRun).to.deep.equal(["s3Import", "curate"]);
  });
});
