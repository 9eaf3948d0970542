import { expect } from "chai";
import { mockClient } from "aws-sdk-client-mock";
import { GetJobRunsCommand, GlueClient, JobRun } from "@aws-sdk/client-glue";
import { ListObjectsV2Command, S3Client, _Object } from "@aws-sdk/client-s3";
import {
  HistoricalSourceMissingError,
  parseExecutionInput,
  planEtlRun,
  PlannerSettings,
} from "../../../functions/etl-planner/planner";
import { missingSourceTable } from "../../../components/sources/historical-schema";
import { lambdaBundle } from "../../../components/shared/lambda-bundle";
import {
  createPlannerHandler,
  handler,
  PLANNER_ENV,
  plannerSettingsFromEnv,
} from "../../../functions/etl-planner/handler";

const SETTINGS: PlannerSettings = {
  s3ImportJobName: "sensors-dev-s3-import",
  jdbcImportJobName: "sensors-dev-jdbc-import",
  landingBucket: "sensors-dev-raw",
  landingPrefix: "landing/historical/",
  jdbcRefreshHours: 24,
  trainingEnabled: true,
};
const NOW = new Date("2025-03-10T12:00:00Z");
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3_600_000);
const run = (state: string, startedHoursAgo: number, durationHours = 0.25): JobRun => ({
  Id: `jr_${state}_${startedHoursAgo}`,
  JobRunState: state as JobRun["JobRunState"],
  StartedOn: hoursAgo(startedHoursAgo),
  CompletedOn: state === "RUNNING" ? undefined : hoursAgo(startedHoursAgo - durationHours),
});
const file = (key: string, modifiedHoursAgo: number, size = 1024): _Object => ({
  Key: key,
  LastModified: hoursAgo(modifiedHoursAgo),
  Size: size,
});

describe("ETL planner", () => {
  const glue = mockClient(GlueClient);
  const s3 = mockClient(S3Client);
  const clients = {
    glue: new GlueClient({ region: "eu-west-1" }),
    s3: new S3Client({ region: "eu-west-1" }),
    now: () => NOW,
  };

  function history(s3Runs: JobRun[], jdbcRuns: JobRun[]) {
    glue.on(GetJobRunsCommand, { JobName: SETTINGS.s3ImportJobName }).resolves({ JobRuns: s3Runs });
    glue.on(GetJobRunsCommand, { JobName: SETTINGS.jdbcImportJobName }).resolves({ JobRuns: jdbcRuns });
  }
  function landing(objects: _Object[]) {
    s3.on(ListObjectsV2Command, { Bucket: SETTINGS.landingBucket, Prefix: SETTINGS.landingPrefix }).resolves({
      Contents: objects,
      IsTruncated: false,
    });
  }

  beforeEach(() => {
    glue.reset();
    s3.reset();
  });

  it("imports files that arrived after the last successful S3 import started, and stale database history", async () => {
    history([run("SUCCEEDED", 30), run("FAILED", 5)], [run("SUCCEEDED", 26)]);
    landing([file("landing/historical/2024/plant.csv", 40), file("landing/historical/2025/hall.csv", 6)]);
    const plan = await planEtlRun(SETTINGS, clients, {});
    expect(plan).to.deep.equal({
      runS3Import: true,
      runJdbcImport: true,
      startTraining: true,
      reasons: {
        s3Import: "new files since last import",
        jdbcImport: "last import older than refresh interval",
      },
    });
    expect(s3.commandCalls(ListObjectsV2Command)[0]!.args[0].input).to.deep.include({
      Bucket: "sensors-dev-raw",
      Prefix: "landing/historical/",
    });
  });

  it("skips both imports when nothing is new: files older than the last import, database imported recently", async () => {
    history([run("SUCCEEDED", 3), run("SUCCEEDED", 50)], [run("SUCCEEDED", 2)]);
    landing([
      file("landing/historical/plant.csv", 10),
      file("landing/historical/new/", 1, 0),
      file("landing/historical/empty.csv", 1, 0),
    ]);
    const plan = await planEtlRun(SETTINGS, clients, {});
    expect(plan.runS3Import).to.equal(false);
    expect(plan.runJdbcImport).to.equal(false);
    expect(plan.reasons).to.deep.equal({
      s3Import: "no new files since last import",
      jdbcImport: "last import within refresh interval",
    });
  });

  it("runs never-run imports when there is something to import, and skips the S3 import when the prefix is empty", async () => {
    history([], []);
    landing([file("landing/historical/a.csv", 100)]);
    expect((await planEtlRun(SETTINGS, clients, {})).reasons).to.deep.equal({
      s3Import: "never imported",
      jdbcImport: "never imported",
    });
    s3.reset();
    landing([]);
    const plan = await planEtlRun(SETTINGS, clients, {});
    expect(plan.runS3Import).to.equal(false);
    expect(plan.reasons.s3Import).to.equal("no historical files");
  });

  it("does not start an import whose job is still running", async () => {
    history([run("SUCCEEDED", 30), run("RUNNING", 0.1)], [run("WAITING", 0.1), run("SUCCEEDED", 48)]);
    landing([file("landing/historical/a.csv", 1)]);
    const plan = await planEtlRun(SETTINGS, clients, {});
    expect(plan.reasons).to.deep.equal({
      s3Import: "import already running",
      jdbcImport: "import already running",
    });
    expect(plan.runS3Import || plan.runJdbcImport).to.equal(false);
  });

  it("reads every page of job runs and every page of the landing listing", async () => {
    glue
      .on(GetJobRunsCommand, { JobName: SETTINGS.s3ImportJobName, NextToken: undefined })
      .resolves({ JobRuns: [run("FAILED", 1)], NextToken: "p2" });
    glue
      .on(GetJobRunsCommand, { JobName: SETTINGS.s3ImportJobName, NextToken: "p2" })
      .resolves({ JobRuns: [run("SUCCEEDED", 20)] });
    glue
      .on(GetJobRunsCommand, { JobName: SETTINGS.jdbcImportJobName })
      .resolves({ JobRuns: [run("SUCCEEDED", 1)] });
    s3.on(ListObjectsV2Command, { ContinuationToken: undefined }).resolves({
      Contents: [file("landing/historical/old.csv", 30)],
      IsTruncated: true,
      NextContinuationToken: "c2",
    });
    s3.on(ListObjectsV2Command, { ContinuationToken: "c2" }).resolves({
      Contents: [file("landing/historical/new.csv", 2)],
      IsTruncated: false,
    });
    const plan = await planEtlRun(SETTINGS, clients, {});
    expect(plan.reasons.s3Import).to.equal("new files since last import");
    expect(glue.commandCalls(GetJobRunsCommand, { JobName: SETTINGS.s3ImportJobName })).to.have.length(2);
    expect(s3.commandCalls(ListObjectsV2Command)).to.have.length(2);
  });

  it("lets the input force or skip each import (skip wins) without asking AWS, and turn training off", async () => {
    const plan = await planEtlRun(SETTINGS, clients, {
      forceS3Import: true,
      forceJdbcImport: true,
      skipJdbcImport: true,
      startTraining: false,
    });
    expect(plan).to.deep.equal({
      runS3Import: true,
      runJdbcImport: false,
      startTraining: false,
      reasons: { s3Import: "forced", jdbcImport: "skipped by input" },
    });
    expect(glue.calls()).to.have.length(0);
    expect(s3.calls()).to.have.length(0);
  });

  it("never asks for training when the deployment has no training machine", async () => {
    const plan = await planEtlRun({ ...SETTINGS, trainingEnabled: false }, clients, {
      skipS3Import: true,
      skipJdbcImport: true,
      startTraining: true,
    });
    expect(plan.startTraining).to.equal(false);
  });

  describe("a JDBC import that found no source table", () => {
    const message = missingSourceTable("postgres", "sensors-dev-historical-jdbc").message;
    const missing = (startedHoursAgo: number): JobRun => ({
      ...run("FAILED", startedHoursAgo),
      ErrorMessage: `RuntimeError: ${message}`,
    });
    const planError = (input: object = {}) =>
      planEtlRun(SETTINGS, clients, input).then(
        () => undefined,
        (err: Error) => err,
      );

    it("fails the plan with a HistoricalSourceMissing configuration error until the refresh interval has passed", async () => {
      history([], [missing(2), run("SUCCEEDED", 50)]);
      landing([]);
      const err = await planError();
      expect(err).to.be.instanceOf(HistoricalSourceMissingError);
      expect(err!.name).to.equal("HistoricalSourceMissing");
      expect(err!.message).to.equal(
        `${message.slice("HistoricalSourceMissing: ".length)} (JDBC import run jr_FAILED_2 of 2025-03-10T10:15:00.000Z found no such table; the ETL tries the import again from 2025-03-11T10:15:00.000Z, or now when started with {"forceJdbcImport": true})`,
      );
    });

    it("tries again after the refresh interval, when forced, and never on other failures", async () => {
      landing([]);
      history([], [missing(30)]);
      expect((await planEtlRun(SETTINGS, clients, {})).reasons.jdbcImport).to.equal("never imported");
      history([], [missing(2)]);
      expect((await planEtlRun(SETTINGS, clients, { forceJdbcImport: true })).runJdbcImport).to.equal(true);
      expect((await planEtlRun(SETTINGS, clients, { skipJdbcImport: true })).runJdbcImport).to.equal(false);
      history(
        [],
        [{ ...run("FAILED", 2), ErrorMessage: "An error occurred while calling o91.getDynamicFrame" }],
      );
      expect((await planEtlRun(SETTINGS, clients, {})).reasons.jdbcImport).to.equal("never imported");
      history([], [run("SUCCEEDED", 1), missing(2)]);
      expect((await planEtlRun(SETTINGS, clients, {})).reasons.jdbcImport).to.equal(
        "last import within refresh interval",
      );
    });
  });

  it("rejects input it does not understand, naming the field", () => {
    expect(() => parseExecutionInput({ forceS3import: true })).to.throw(
      "ETL execution input has unknown field forceS3import; allowed: forceS3Import, forceJdbcImport, skipS3Import, skipJdbcImport, startTraining",
    );
    expect(() => parseExecutionInput({ skipS3Import: "yes" })).to.throw(
      'ETL execution input field skipS3Import must be true or false (got "yes")',
    );
    expect(() => parseExecutionInput([1])).to.throw("ETL execution input must be a JSON object (got [1])");
    expect(parseExecutionInput(null)).to.deep.equal({});
  });

  it("lets AWS errors through, so the state machine retries or reports them", async () => {
    glue
      .on(GetJobRunsCommand)
      .rejects(Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" }));
    landing([]);
    let caught: Error | undefined;
    await planEtlRun(SETTINGS, clients, {}).catch((e: Error) => (caught = e));
    expect(caught?.name).to.equal("ThrottlingException");
  });

  it("reads its settings from the environment, naming a missing or bad variable", () => {
    const env = {
      [PLANNER_ENV.s3ImportJobName]: "s3-job",
      [PLANNER_ENV.jdbcImportJobName]: "jdbc-job",
      [PLANNER_ENV.landingBucket]: "raw",
      [PLANNER_ENV.landingPrefix]: "landing/historical/",
      [PLANNER_ENV.jdbcRefreshHours]: "12",
      [PLANNER_ENV.trainingEnabled]: "false",
    };
    expect(plannerSettingsFromEnv(env)).to.deep.equal({
      s3ImportJobName: "s3-job",
      jdbcImportJobName: "jdbc-job",
      landingBucket: "raw",
      landingPrefix: "landing/historical/",
      jdbcRefreshHours: 12,
      trainingEnabled: false,
    });
    expect(() => plannerSettingsFromEnv({ ...env, LANDING_BUCKET: "" })).to.throw(
      "environment variable LANDING_BUCKET is not set",
    );
    expect(() => plannerSettingsFromEnv({ ...env, JDBC_REFRESH_HOURS: "soon" })).to.throw(
      'JDBC_REFRESH_HOURS must be a positive number of hours (got "soon")',
    );
    expect(() => plannerSettingsFromEnv({ ...env, TRAINING_ENABLED: "yes" })).to.throw(
      'TRAINING_ENABLED must be "true" or "false" (got "yes")',
    );
    expect(() => plannerSettingsFromEnv({ ...env, LANDING_PREFIX: "landing" })).to.throw(
      'LANDING_PREFIX must end with "/" (got "landing")',
    );
  });

  it("serves the state machine through the handler built from given settings and clients", async () => {
    history([], [run("SUCCEEDED", 1)]);
    landing([file("landing/historical/a.csv", 1)]);
    const plan = await createPlannerHandler(SETTINGS, clients)({ startTraining: false });
    expect(plan).to.deep.equal({
      runS3Import: true,
      runJdbcImport: false,
      startTraining: false,
      reasons: { s3Import: "never imported", jdbcImport: "last import within refresh interval" },
    });
  });

  it("fails the Lambda entry point with the missing variable when deployed without settings", async () => {
    const saved = process.env.S3_IMPORT_JOB_NAME;
    delete process.env.S3_IMPORT_JOB_NAME;
    try {
      let caught: Error | undefined;
      await handler({}).catch((e: Error) => (caught = e));
      expect(caught?.message).to.match(
        /environment variable (S3_IMPORT_JOB_NAME|JDBC_REFRESH_HOURS) is not set/,
      );
    } finally {
      if (saved !== undefined) process.env.S3_IMPORT_JOB_NAME = saved;
    }
  });

  it("bundles into one CommonJS file that loads with the runtime's SDK and exports the handler", () => {
    const bundle = lambdaBundle("etl-planner");
    expect(bundle.handler).to.equal("index.handler");
    // The SDK stays external (the Lambda runtime provides it); the planner's own code is inside.
    expect(bundle.code).to.contain('require("@aws-sdk/client-glue")');
    expect(bundle.code).to.contain("ETL execution input has unknown field");
    const module = { exports: {} as Record<string, unknown> };
    // Evaluates the bundle the way Lambda's CommonJS loader does.
    new Function("module", "exports", "require", bundle.code)(module, module.exports, require);
    expect(typeof module.exports.handler).to.equal("function");
  });
});
