import { expect } from "chai";
import { DEFAULT_FEATURES, featureSettings } from "../../../components/ml/feature-sql";
import aslValidator from "asl-validator";
import { runEtl, EtlRun } from "./run-etl";
import { buildEtlStateMachine, ETL_STATES } from "../../../components/etl/asl/etl-machine";
import { listTaskStates } from "../../../components/shared/asl/inspect";
import type { StateMachineDefinition } from "../../../components/shared/asl/types";
import { ETL_SQL_NAMES, renderEtlSql } from "../../../components/etl/transforms";
import { evaluatePolicies } from "../../../policies/harness";
import { unknownActionReason } from "../../../policies/rules/iam";
import { parsePolicyDocument } from "../../../policies/lib/policy-statements";

const T = {
  job: "aws:glue/job:Job",
  crawler: "aws:glue/crawler:Crawler",
  securityConfiguration: "aws:glue/securityConfiguration:SecurityConfiguration",
  stateMachine: "aws:sfn/stateMachine:StateMachine",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  topic: "aws:sns/topic:Topic",
  subscription: "aws:sns/topicSubscription:TopicSubscription",
  schedule: "aws:scheduler/schedule:Schedule",
  fn: "aws:lambda/function:Function",
  object: "aws:s3/bucketObjectv2:BucketObjectv2",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  role: "aws:iam/role:Role",
};

const statementsOf = (run: EtlRun, name: string) =>
  parsePolicyDocument(run.named(T.rolePolicy, name).inputs.policy)!;

/** The ETL's planning function (the demo database's seed function is the other one in dev). */
const planner = (run: EtlRun) => run.named(T.fn, `${run.value.config.deployment}-etl-orchestration-planner`);

describe("ETL component (dev)", function () {
  let dev: EtlRun;
  let keyArn: unknown;
  before(async function () {
    // Pulumi.dev.yaml subscribes nobody (an address of the user's own is set with pulumi config set).
    dev = await runEtl("dev", { alertEmail: "iot-dev-alerts@acme-sensors.io" });
    keyArn = dev.ofType("aws:kms/key:Key")[0]!.state.arn;
  });

  it("encrypts Glue's S3 output, logs and bookmarks with the lake key, and every job and crawler uses that configuration", function () {
    const config = dev.ofType(T.securityConfiguration)[0]!;
    expect(config.inputs.encryptionConfiguration).to.deep.equal({
      s3Encryption: { s3EncryptionMode: "SSE-KMS", kmsKeyArn: keyArn },
      cloudwatchEncryption: { cloudwatchEncryptionMode: "SSE-KMS", kmsKeyArn: keyArn },
      jobBookmarksEncryption: { jobBookmarksEncryptionMode: "CSE-KMS", kmsKeyArn: keyArn },
    });
    const users = [...dev.ofType(T.job), ...dev.ofType(T.crawler)];
    expect(users).to.have.length(3 + 5);
    for (const r of users) expect(r.inputs.securityConfiguration, r.name).to.equal(config.state.name);
  });

  it("configures the three jobs from config: Glue version, workers, timeout, one run at a time, no Glue-side retries", function () {
    for (const job of dev.ofType(T.job)) {
      expect(job.inputs, job.name).to.include({
        glueVersion: "5.0",
        workerType: "G.1X",
        numberOfWorkers: 2,
        timeout: 30,
        maxRetries: 0,
      });
      expect(job.inputs.executionProperty).to.deep.equal({ maxConcurrentRuns: 1 });
      const spec = JSON.parse(
        (job.inputs.nonOverridableArguments as Record<string, string>)["--job_spec"]!,
      ) as { job: string };
      expect(job.name).to.equal(
        `sensors-dev-etl-jobs-${spec.job.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
      );
    }
    const args = (name: string) => dev.named(T.job, name).inputs.defaultArguments as Record<string, string>;
    expect(args("sensors-dev-etl-jobs-s3-import")["--job-bookmark-option"]).to.equal("job-bookmark-enable");
    expect(args("sensors-dev-etl-jobs-curate")["--job-bookmark-option"]).to.equal("job-bookmark-disable");
    // Only the JDBC import runs inside the Glue VPC.
    const connection = dev.ofType("aws:glue/connection:Connection")[0]!;
    expect(dev.named(T.job, "sensors-dev-etl-jobs-jdbc-import").inputs.connections).to.deep.equal([
      connection.state.name,
    ]);
    expect(dev.named(T.job, "sensors-dev-etl-jobs-curate").inputs.connections).to.equal(undefined);
  });

  it("uploads the job script and the rendered SQL (the text the local backend runs) encrypted to the artifacts bucket", function () {
    const artifacts = dev.named("aws:s3/bucket:Bucket", "sensors-dev-lake-artifacts").state.bucket;
    const objects = dev.ofType(T.object);
    expect(objects.map((o) => o.inputs.key).sort()).to.deep.equal(
      [
        "glue/scripts/etl_job.py",
        "glue/scripts/etl_spec.py",
        ...ETL_SQL_NAMES.map((n) => `glue/scripts/sql/${n}.sql`),
      ].sort(),
    );
    for (const o of objects)
      expect(o.inputs, String(o.inputs.key)).to.include({
        bucket: artifacts,
        serverSideEncryption: "aws:kms",
        kmsKeyId: keyArn,
      });
    for (const name of ETL_SQL_NAMES) {
      expect(dev.documents.find((d) => d.name === `etl-sql-${name.replace(/_/g, "-")}`)?.content).to.equal(
        renderEtlSql(name, { features: DEFAULT_FEATURES }),
      );
    }
    const script = dev.named(T.job, "sensors-dev-etl-jobs-curate").inputs.command as {
      scriptLocation: string;
      name: string;
    };
    expect(script).to.include({
      name: "glueetl",
      scriptLocation: `s3://${artifacts as string}/glue/scripts/etl_job.py`,
    });
  });

  it("catalogs the imports and curated readings into the lake database under the names the queries use", function () {
    const raw = dev.named("aws:s3/bucket:Bucket", "sensors-dev-lake-raw").state.bucket as string;
    const curated = dev.named("aws:s3/bucket:Bucket", "sensors-dev-lake-curated").state.bucket as string;
    const crawler = (key: string) => dev.named(T.crawler, `sensors-dev-etl-jobs-${key}-crawler`).inputs;
    const target = (inputs: Record<string, unknown>) => (inputs.s3Targets as { path: string }[])[0]!.path;
    expect([
      target(crawler("s3-history")),
      target(crawler("jdbc-history")),
      target(crawler("curated")),
    ]).to.deep.equal([
      `s3://${raw}/historical/s3/`,
      `s3://${raw}/historical/jdbc/`,
      `s3://${curated}/readings/`,
    ]);
    for (const key of ["s3-history", "jdbc-history", "curated"])
      expect(crawler(key).databaseName).to.equal("sensors_dev");
    expect(crawler("curated").tablePrefix).to.equal("curated_");
    expect(JSON.parse(crawler("curated").configuration as string).Grouping.TableLevelConfiguration).to.equal(
      2,
    );
    expect(
      JSON.parse(crawler("s3-history").configuration as string).Grouping.TableLevelConfiguration,
    ).to.equal(3);
    expect(crawler("curated").recrawlPolicy).to.deep.equal({ recrawlBehavior: "CRAWL_EVERYTHING" });
    expect(crawler("s3-history").recrawlPolicy).to.deep.equal({ recrawlBehavior: "CRAWL_NEW_FOLDERS_ONLY" });
  });

  it("deploys exactly the definition the builder makes from the deployed names, and that definition passes asl-validator", function () {
    const machine = dev.ofType(T.stateMachine)[0]!;
    const deployed = JSON.parse(machine.inputs.definition as string) as StateMachineDefinition;
    const name = (type: string, logical: string) => dev.named(type, logical).state.name as string;
    const expected = buildEtlStateMachine(
      {
        plannerFunctionArn: planner(dev).state.arn as string,
        s3ImportJobName: name(T.job, "sensors-dev-etl-jobs-s3-import"),
        jdbcImportJobName: name(T.job, "sensors-dev-etl-jobs-jdbc-import"),
        curateJobName: name(T.job, "sensors-dev-etl-jobs-curate"),
        s3HistoryCrawlerName: name(T.crawler, "sensors-dev-etl-jobs-s3-history-crawler"),
        jdbcHistoryCrawlerName: name(T.crawler, "sensors-dev-etl-jobs-jdbc-history-crawler"),
        curatedCrawlerName: name(T.crawler, "sensors-dev-etl-jobs-curated-crawler"),
        failureTopicArn: dev.ofType(T.topic)[0]!.state.arn as string,
      },
      { label: "sensors-dev", crawlerPollSeconds: 20, crawlerMaxPolls: 30, jobTimeoutMinutes: 30 },
    );
    expect(deployed).to.deep.equal(JSON.parse(JSON.stringify(expected)));
    expect(dev.documents.find((d) => d.name === "etl-state-machine")?.content).to.deep.equal(deployed);
    const result = aslValidator(structuredClone(deployed));
    expect(result.errorsText("\n")).to.equal("");
    expect(result.isValid).to.equal(true);
    // No training machine given: no training step.
    expect(deployed.States[ETL_STATES.training]).to.equal(undefined);
  });

  it("logs every execution event with data to a KMS-encrypted log group and traces with X-Ray", function () {
    const machine = dev.ofType(T.stateMachine)[0]!;
    const group = dev.named(T.logGroup, "sensors-dev-etl-orchestration-etl-executions");
    expect(machine.inputs).to.deep.include({
      type: "STANDARD",
      loggingConfiguration: {
        level: "ALL",
        includeExecutionData: true,
        logDestination: `${group.state.arn as string}:*`,
      },
      tracingConfiguration: { enabled: true },
    });
    expect(group.inputs).to.include({ kmsKeyId: keyArn, retentionInDays: 14 });
  });

  it("schedules the machine from config with a role that can start only that machine", function () {
    const machine = dev.ofType(T.stateMachine)[0]!;
    const schedule = dev.ofType(T.schedule)[0]!;
    expect(schedule.inputs).to.deep.include({
      scheduleExpression: "cron(0 */6 * * ? *)",
      scheduleExpressionTimezone: "UTC",
      state: "ENABLED",
      flexibleTimeWindow: { mode: "OFF" },
    });
    expect((schedule.inputs.target as Record<string, unknown>).arn).to.equal(machine.state.arn);
    expect(
      statementsOf(dev, "sensors-dev-etl-orchestration-etl-schedule-policy").map((s) => [
        s.actions,
        s.resources,
      ]),
    ).to.deep.equal([[["states:StartExecution"], [machine.state.arn]]]);
  });

  it("publishes failures to a KMS-encrypted topic with the configured address subscribed", function () {
    const topic = dev.ofType(T.topic)[0]!;
    expect(topic.inputs.kmsMasterKeyId).to.equal(keyArn);
    const subscription = dev.ofType(T.subscription)[0]!;
    expect(subscription.inputs).to.include({
      topic: topic.state.arn,
      protocol: "email",
      endpoint: "iot-dev-alerts@acme-sensors.io",
    });
  });

  it("reports a failed asynchronous planner invocation on the failure topic instead of dropping it", function () {
    const config = dev.ofType("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig")[0]!;
    expect(config.inputs).to.deep.include({
      functionName: planner(dev).state.name,
      maximumRetryAttempts: 0,
      destinationConfig: { onFailure: { destination: dev.ofType(T.topic)[0]!.state.arn } },
    });
    const publish = statementsOf(dev, "sensors-dev-etl-orchestration-planner-policy").find(
      (s) => s.sid === "ReportAsyncFailure",
    )!;
    expect(publish.resources).to.deep.equal([dev.ofType(T.topic)[0]!.state.arn]);
  });

  it("scopes the state machine role to the planner, the jobs, the crawlers and the topic it drives", function () {
    const statements = statementsOf(dev, "sensors-dev-etl-orchestration-etl-policy");
    const sid = (s: string) => statements.find((x) => x.sid === s)!;
    const fnArn = planner(dev).state.arn;
    expect(sid("InvokePlanner").resources).to.deep.equal([fnArn, `${fnArn as string}:*`]);
    expect(sid("RunGlueJobs").resources.sort()).to.deep.equal(
      dev
        .ofType(T.job)
        .map((j) => j.state.arn as string)
        .sort(),
    );
    expect(sid("RunCrawlers").resources.sort()).to.deep.equal(
      ["s3-history", "jdbc-history", "curated"]
        .map((k) => dev.named(T.crawler, `sensors-dev-etl-jobs-${k}-crawler`).state.arn as string)
        .sort(),
    );
    expect(sid("NotifyFailure").resources).to.deep.equal([dev.ofType(T.topic)[0]!.state.arn]);
    for (const s of statements)
      if (s.resources.includes("*")) expect(s.sid, s.actions.join()).to.match(/Wildcard$/);
  });

  it("runs the planner on Node 24 with its settings in the environment and rights to read only the import history and landing listing", function () {
    const fn = planner(dev);
    const raw = dev.named("aws:s3/bucket:Bucket", "sensors-dev-lake-raw").state.bucket;
    expect(fn.inputs).to.deep.include({
      runtime: "nodejs24.x",
      handler: "index.handler",
      tracingConfig: { mode: "Active" },
    });
    expect((fn.inputs.environment as { variables: Record<string, string> }).variables).to.deep.equal({
      S3_IMPORT_JOB_NAME: dev.named(T.job, "sensors-dev-etl-jobs-s3-import").state.name,
      JDBC_IMPORT_JOB_NAME: dev.named(T.job, "sensors-dev-etl-jobs-jdbc-import").state.name,
      LANDING_BUCKET: raw,
      LANDING_PREFIX: "landing/historical/",
      JDBC_REFRESH_HOURS: "24",
      TRAINING_ENABLED: "false",
    });
    const statements = statementsOf(dev, "sensors-dev-etl-orchestration-planner-policy");
    expect(statements.find((s) => s.sid === "ReadImportRuns")!.resources.sort()).to.deep.equal(
      ["s3-import", "jdbc-import"]
        .map((k) => dev.named(T.job, `sensors-dev-etl-jobs-${k}`).state.arn as string)
        .sort(),
    );
    expect(statements.find((s) => s.sid === "ListLandingPrefix")!.condition).to.deep.equal({
      StringLike: { "s3:prefix": ["landing/historical/*"] },
    });
  });

  it("names only real IAM actions, never glue:*, in every policy it writes", async function () {
    const documents = dev.ofType(T.rolePolicy).map((p) => parsePolicyDocument(p.inputs.policy)!);
    const actions = [...new Set(documents.flatMap((d) => d.flatMap((s) => s.actions)))];
    expect(actions).to.not.include("glue:*");
    const reasons = (await Promise.all(actions.map(unknownActionReason))).filter(Boolean);
    expect(reasons).to.deep.equal([]);
    const glue = statementsOf(dev, "sensors-dev-etl-glue-access");
    expect(glue.find((s) => s.sid === "ReadDatabaseSecret")!.resources).to.deep.equal([
      (dev.ofType("aws:rds/instance:Instance")[0]!.state.masterUserSecrets as { secretArn: string }[])[0]!
        .secretArn,
    ]);
  });

  it("passes the whole policy pack with no violation", async function () {
    const report = await evaluatePolicies(dev.resources);
    expect(report.violations.map((v) => `${v.policy}: ${v.message}`)).to.deep.equal([]);
  });
});

describe("ETL component (prod and overrides)", function () {
  it("passes the whole policy pack for prod too", async function () {
    const prod = await runEtl("prod");
    const report = await evaluatePolicies(prod.resources);
    expect(report.violations.map((v) => `${v.policy}: ${v.message}`)).to.deep.equal([]);
    expect(prod.ofType(T.schedule)[0]!.inputs.scheduleExpression).to.equal("cron(15 1 * * ? *)");
    for (const job of prod.ofType(T.job))
      expect(job.inputs).to.include({ workerType: "G.2X", numberOfWorkers: 10, timeout: 120 });
    const deployed = JSON.parse(
      prod.ofType(T.stateMachine)[0]!.inputs.definition as string,
    ) as StateMachineDefinition;
    const wait = deployed.States["Wait for curated crawler"] as { Seconds: number };
    expect(wait.Seconds).to.equal(60);
  });

  it("adds the training step and its permission when given a training state machine, and renders the shingled feature SQL", async function () {
    const training = "arn:aws:states:eu-west-1:111122223333:stateMachine:sensors-dev-training";
    const run = await runEtl(
      "dev",
      {},
      { trainingStateMachineArn: training, features: featureSettings("deviation", 30, 4) },
    );
    const deployed = JSON.parse(
      run.ofType(T.stateMachine)[0]!.inputs.definition as string,
    ) as StateMachineDefinition;
    const start = listTaskStates(deployed).find((t) => t.name === ETL_STATES.training)!;
    expect(start.parameters.StateMachineArn).to.equal(training);
    expect(
      statementsOf(run, "sensors-dev-etl-orchestration-etl-policy").find((s) => s.sid === "StartTraining")!
        .resources,
    ).to.deep.equal([training]);
    expect(
      (planner(run).inputs.environment as { variables: Record<string, string> }).variables.TRAINING_ENABLED,
    ).to.equal("true");
    expect(run.documents.find((d) => d.name === "etl-sql-training")?.content).to.contain(
      "SELECT room_id, deviation_c_lag3, step_c_lag3, deviation_c_lag2, step_c_lag2, deviation_c_lag1, step_c_lag1, deviation_c, step_c",
    );
  });

  it("subscribes nobody when no alert address is configured (Pulumi.dev.yaml as shipped)", async function () {
    const run = await runEtl("dev");
    expect(run.ofType(T.subscription)).to.have.length(0);
    expect(run.ofType(T.topic)).to.have.length(1);
  });
});
