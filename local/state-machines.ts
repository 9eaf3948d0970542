/**
 * The three state machines the cloud deploys (ETL, model training, anomaly scoring), built by the very builders
 * the Pulumi components call and executed locally, every Task bound to a local service:
 *
 *   Lambda Tasks          the handler modules under `functions/` with local clients (`serveLocally`)
 *   glue:startJobRun.sync DuckDB runs the job spec and SQL files (`LocalGlue`)
 *   glue crawlers         schema and partitions into the local catalog (`LocalGlue`)
 *   sagemaker:*           the TypeScript Random Cut Forest (`LocalSageMaker`)
 *   athena:*              the named queries in DuckDB (`LocalAthena`)
 *   sns:publish           the log (`LocalSns`)
 *   states:startExecution / sfn:listExecutions   `LocalStepFunctions`
 *
 * Errors keep the names Step Functions gives them (`Glue.ConcurrentRunsExceededException`, `States.TaskFailed`),
 * so the machines' Retry and Catch rules behave as in the cloud.
 */
import type { DuckDBInstance } from "@duckdb/node-api";
import type { PlatformConfig } from "../components/config";
import { buildEtlStateMachine, ETL_CRAWL_STATES, ETL_STATES } from "../components/etl/asl/etl-machine";
import type { JsonValue } from "../components/shared/asl/types";
import { listTaskStates } from "../components/shared/asl/inspect";
import { etlSqlKey, glueJobSpec } from "../components/etl/job-spec";
import { PLANNER_ENV } from "../components/etl/plan";
import { ETL_JOBS, ETL_SQL_NAMES, EtlJobKey, renderEtlSql } from "../components/etl/transforms";
import { buildModelSettings } from "../components/ml/model-settings";
import {
  ingestDelaySeconds,
  scoringFunctionEnvironment,
  trainingFunctionEnvironment,
} from "../components/ml/ml-env";
import { buildScoringStateMachine, SCORING_STATES } from "../components/ml/scoring-asl";
import { buildTrainingStateMachine, TRAINING_STATES } from "../components/ml/training-asl";
import { createPlannerHandler, plannerSettingsFromEnv } from "../functions/etl-planner/handler";
import {
  dispatch as dispatchTraining,
  trainingSettingsFromEnv,
  type TrainingEvent,
} from "../functions/model-training/handler";
import { ModelTraining } from "../functions/model-training/training";
import {
  dispatch as dispatchScoring,
  scoringSettingsFromEnv,
  type ScoringEvent,
} from "../functions/anomaly-scoring/handler";
import { AnomalyScoring } from "../functions/anomaly-scoring/scoring";
import { emfPublisher } from "../functions/ml-common/metrics";
import { LocalAthena } from "./analytics/local-athena";
import { LocalSageMaker } from "./analytics/local-sagemaker";
import { createLocalS3Client } from "./aws/s3";
import { LocalSns } from "./aws/sns";
import { LocalCloudWatch } from "./aws/cloudwatch";
import { LocalParameterStore } from "./aws/ssm";
import { deployLocalEndpoint, LocalEndpointDeployment } from "./analytics/endpoint-deployment";
import { promotedModelParameterName } from "../components/ml/ml-layout";
import type { LocalObjectStore } from "./lake/object-store";
import { LocalGlue } from "./etl/local-glue";
import type { JdbcConnection } from "./etl/jdbc-source";
import { scoringClock } from "./scoring-clock";
import { LocalStepFunctions, type LocalExecution, type LocalTaskHandler } from "./etl/step-functions";

export interface PipelinesOptions {
  readonly config: PlatformConfig;
  readonly store: LocalObjectStore;
  readonly duckdb: DuckDBInstance;
  readonly dataDir: string;
  readonly speed: number;
  /** Simulated clock. */
  readonly now: () => number;
  /**
   * Receive time of the oldest reading taken but not yet in the lake (undefined: none). Scoring windows end
   * before it: see {@link scoringClock}. @default - scoring trusts the ingest delay alone, as in the cloud
   */
  readonly oldestUndeliveredArrivalMs?: () => number | undefined;
  /** The historical database's wire endpoint. */
  /** The historical database's port and the credentials its proxy requires (see `sources/pg-auth.ts`). */
  readonly jdbc: {
    readonly host: string;
    readonly port: number;
    readonly username: string;
    readonly password: string;
  };
  readonly log: (line: string) => void;
}

/** Account the local ARNs use (no AWS account is involved). */
export const LOCAL_ACCOUNT = "000000000000";

/** Gives an error the name Step Functions reports for a failed service call (`<Service>.<Error>`). */
function serviceErrors(service: string, handler: LocalTaskHandler): LocalTaskHandler {
  return async (input) => {
    try {
      return await handler(input);
    } catch (err) {
      const error = err as Error;
      if (!error.name.includes("."))
        error.name = `${service}.${error.name === "Error" ? "ServiceException" : error.name}`;
      throw error;
    }
  };
}

/** JSON of a result, Dates as ISO strings (what a Task result is). */
const json = (value: unknown): JsonValue => JSON.parse(JSON.stringify(value)) as JsonValue;

export class LocalPipelines {
  readonly glue: LocalGlue;
  readonly sfn: LocalStepFunctions;
  readonly sns: LocalSns;
  /** The functions' log groups and the pipeline metrics extracted from their EMF lines. */
  readonly cloudwatch: LocalCloudWatch;
  readonly sagemaker: LocalSageMaker;
  readonly parameters: LocalParameterStore;
  /** What this start's local deployment did with the anomaly endpoint. */
  readonly endpoint: LocalEndpointDeployment;
  readonly athena: LocalAthena;
  readonly arns: {
    readonly etl: string;
    readonly training: string;
    readonly scoring: string;
    readonly failureTopic: string;
    readonly alertTopic: string;
  };
  /** Names of the local Glue jobs, for the dashboard. */
  readonly jobNames: Readonly<Record<EtlJobKey, string>>;
  private scoring: AnomalyScoring;
  private readonly drainScoring: AnomalyScoring;
  private drainUntil: number | undefined;

  private readonly now: () => number;
  private readonly log: (line: string) => void;

  private constructor(options: PipelinesOptions, athena: LocalAthena) {
    const { config, store, now } = options;
    this.now = now;
    this.log = options.log;
    const d = config.deployment;
    const arn = (service: string, resource: string) =>
      `arn:aws:${service}:${config.region}:${LOCAL_ACCOUNT}:${resource}`;
    const buckets = store.bucketNames;
    this.athena = athena;
    this.sns = new LocalSns(options.log, now);
    this.cloudwatch = new LocalCloudWatch(`${options.dataDir}/logs`);
    this.sfn = new LocalStepFunctions(
      options.speed,
      now,
      `arn:aws:states:${config.region}:${LOCAL_ACCOUNT}:`,
    );
    this.sagemaker = new LocalSageMaker(store, `${options.dataDir}/sagemaker`, now);
    this.parameters = new LocalParameterStore(`${options.dataDir}/ssm`);
    const s3 = createLocalS3Client(store);
    const model = buildModelSettings(config.anomaly);

    // The ETL's SQL files, rendered and "deployed" to the artifacts bucket where the jobs read them.
    for (const name of ETL_SQL_NAMES)
      store.put(buckets.artifacts, etlSqlKey(name), renderEtlSql(name, { features: model.features }));
    const connection: JdbcConnection = {
      name: `${d}-historical-db`,
      url: `jdbc:postgresql://${options.jdbc.host}:${options.jdbc.port}/${config.database.name}`,
      // The Glue connection's credentials: the generated password in the local PKI folder.
      username: options.jdbc.username,
      password: options.jdbc.password,
    };
    this.jobNames = { s3Import: `${d}-s3-import`, jdbcImport: `${d}-jdbc-import`, curate: `${d}-curate` };
    const locations = {
      buckets: { raw: buckets.raw, curated: buckets.curated, artifacts: buckets.artifacts },
      historicalPrefix: config.lake.historicalPrefix,
      jdbc: { connectionName: connection.name, engine: "postgres" as const },
    };
    const crawlerNames = {
      s3History: `${d}-s3-history-crawler`,
      jdbcHistory: `${d}-jdbc-history-crawler`,
      curated: `${d}-curated-crawler`,
    };
    this.glue = new LocalGlue({
      store,
      duckdb: options.duckdb,
      stateDir: `${options.dataDir}/glue`,
      now,
      jobs: Object.fromEntries(
        (Object.keys(ETL_JOBS) as EtlJobKey[]).map((key) => [
          this.jobNames[key],
          { spec: glueJobSpec(key, locations), bookmarks: ETL_JOBS[key].bookmarks },
        ]),
      ),
      // The cloud's crawlers: one table per zone, named by the table prefix and the zone folder.
      crawlers: {
        [crawlerNames.s3History]: { zone: "historicalS3", table: "historical_s3" },
        [crawlerNames.jdbcHistory]: { zone: "historicalJdbc", table: "historical_jdbc" },
        [crawlerNames.curated]: { zone: "curatedReadings", table: "curated_readings" },
      },
      connections: new Map([[connection.name, connection]]),
    });

    const functionArn = (name: string) => arn("lambda", `function:${d}-${name}`);
    this.arns = {
      etl: this.sfn.machineArn(`${d}-etl`),
      training: this.sfn.machineArn(`${d}-training`),
      scoring: this.sfn.machineArn(`${d}-scoring`),
      failureTopic: arn("sns", `${d}-pipeline-failures`),
      alertTopic: arn("sns", `${d}-anomaly-alerts`),
    };
    // As `pulumi up` does: the endpoint exists (and the pipelines use it) once a model has been promoted.
    this.endpoint = deployLocalEndpoint({
      deployment: d,
      mode: config.anomaly.mode,
      artifactsBucket: buckets.artifacts,
      parameters: this.parameters,
      sagemaker: this.sagemaker,
    });
    const { endpointName, awaitingEndpointName } = this.endpoint;

    // Function settings from the environment the components set on the Lambdas, built by the same functions.
    const scoringEnv = {
      deployment: d,
      curatedBucket: buckets.curated,
      artifactsBucket: buckets.artifacts,
      alertTopicArn: this.arns.alertTopic,
      model,
      endpointName: endpointName || undefined,
    };
    // The functions' metrics as in Lambda: EMF lines into their log groups, timestamped in simulated time.
    const scoringClients = {
      s3,
      sns: this.sns.client(),
      runtime: endpointName ? this.sagemaker.runtimeClient() : undefined,
      now: scoringClock(
        now,
        ingestDelaySeconds(config.firehose.bufferSeconds),
        options.oldestUndeliveredArrivalMs,
      ),
      metrics: emfPublisher(d, this.cloudwatch.logSink(`${d}-anomaly-scoring`), now),
    };
    this.scoring = new AnomalyScoring(
      scoringSettingsFromEnv(
        scoringFunctionEnvironment({
          ...scoringEnv,
          ingestDelaySeconds: ingestDelaySeconds(config.firehose.bufferSeconds),
        }),
      ),
      scoringClients,
    );
    // At shutdown everything is delivered, so the last windows need not wait for Firehose.
    // Its clock stops where the drain starts, so the windows end there instead of chasing the running clock.
    this.drainScoring = new AnomalyScoring(
      scoringSettingsFromEnv(scoringFunctionEnvironment({ ...scoringEnv, ingestDelaySeconds: 0 })),
      {
        ...scoringClients,
        now: () => this.drainUntil ?? now(),
      },
    );
    const training = new ModelTraining(
      trainingSettingsFromEnv(
        trainingFunctionEnvironment({
          deployment: d,
          curatedBucket: buckets.curated,
          artifactsBucket: buckets.artifacts,
          model,
          promotedModelParameter: promotedModelParameterName(d),
        }),
      ),
      {
        s3,
        sagemaker: this.sagemaker.client(),
        ssm: this.parameters.client(),
        metrics: emfPublisher(d, this.cloudwatch.logSink(`${d}-model-training`), now),
      },
    );
    const planner = createPlannerHandler(
      plannerSettingsFromEnv({
        [PLANNER_ENV.s3ImportJobName]: this.jobNames.s3Import,
        [PLANNER_ENV.jdbcImportJobName]: this.jobNames.jdbcImport,
        [PLANNER_ENV.landingBucket]: buckets.raw,
        [PLANNER_ENV.landingPrefix]: config.lake.historicalPrefix,
        [PLANNER_ENV.jdbcRefreshHours]: "24",
        [PLANNER_ENV.trainingEnabled]: "true",
      }),
      { glue: this.glue.client(), s3, now: () => new Date(now()) },
    );

    const glueTask = (run: (input: Record<string, string>) => unknown): LocalTaskHandler =>
      serviceErrors("Glue", async (input) => json(await run(input as Record<string, string>)));
    const sns: LocalTaskHandler = serviceErrors("SNS", (input) =>
      json(this.sns.publish(input as Record<string, string>)),
    );
    const listExecutions: LocalTaskHandler = serviceErrors("Sfn", (input) => {
      const { StateMachineArn, StatusFilter } = input as {
        StateMachineArn: string;
        StatusFilter?: "RUNNING";
      };
      return json({ Executions: this.sfn.list(StateMachineArn, StatusFilter).map(executionSummary) });
    });
    const sageMaker = (run: (input: never) => unknown): LocalTaskHandler =>
      serviceErrors("SageMaker", (input) => json(run(input as never)));

    // ETL
    const crawl = (names: { start: string; get: string }): Record<string, LocalTaskHandler> => ({
      [names.start]: glueTask((input) => (this.glue.startCrawler(input.Name!), {})),
      [names.get]: glueTask(async (input) => ({
        Crawler: await this.glue.getCrawlerAfterCrawl(input.Name!),
      })),
    });
    const etlDefinition = buildEtlStateMachine(
      {
        plannerFunctionArn: functionArn("etl-planner"),
        s3ImportJobName: this.jobNames.s3Import,
        jdbcImportJobName: this.jobNames.jdbcImport,
        curateJobName: this.jobNames.curate,
        s3HistoryCrawlerName: crawlerNames.s3History,
        jdbcHistoryCrawlerName: crawlerNames.jdbcHistory,
        curatedCrawlerName: crawlerNames.curated,
        failureTopicArn: this.arns.failureTopic,
        trainingStateMachineArn: this.arns.training,
      },
      {
        label: d,
        crawlerPollSeconds: config.etl.crawlerPollSeconds,
        crawlerMaxPolls: config.etl.crawlerMaxPolls,
        jobTimeoutMinutes: config.glue.jobTimeoutMinutes,
      },
    );
    const runJob = glueTask((input) => this.glue.startJobRunSync(input.JobName!));
    this.sfn.register(`${d}-etl`, etlDefinition, {
      [ETL_STATES.plan]: async (input) =>
        json({ Payload: await planner((input as { Payload: unknown }).Payload), StatusCode: 200 }),
      [ETL_STATES.s3Import]: runJob,
      [ETL_STATES.jdbcImport]: runJob,
      [ETL_STATES.curate]: runJob,
      ...crawl(ETL_CRAWL_STATES.s3History),
      ...crawl(ETL_CRAWL_STATES.jdbcHistory),
      ...crawl(ETL_CRAWL_STATES.curated),
      [ETL_STATES.training]: serviceErrors("StepFunctions", (input) => {
        const { StateMachineArn, Input } = input as { StateMachineArn: string; Input: JsonValue };
        const execution = this.sfn.start(StateMachineArn, Input);
        return json({ ExecutionArn: execution.executionArn, StartDate: execution.startDate });
      }),
      [ETL_STATES.notify]: sns,
    });

    // Model training
    const trainingDefinition = buildTrainingStateMachine(
      {
        trainingFunctionArn: functionArn("model-training"),
        sageMakerRoleArn: arn("iam", "role/local-sagemaker").replace(`:${config.region}:`, "::"),
        trainingImage: "local/randomcutforest:1",
        kmsKeyArn: arn("kms", "key/local"),
        failureTopicArn: this.arns.failureTopic,
        ...(endpointName ? { endpointName } : {}),
        ...(awaitingEndpointName ? { awaitingEndpointName } : {}),
      },
      {
        label: d,
        model,
        trainingInstanceType: config.anomaly.trainingInstanceType,
        inferenceInstanceType: config.anomaly.inferenceInstanceType,
        inferenceInstanceCount: config.anomaly.inferenceInstanceCount,
      },
    );
    const trainingLambda: LocalTaskHandler = async (input) =>
      json(await dispatchTraining(training, input as unknown as TrainingEvent));
    this.sfn.register(
      `${d}-training`,
      trainingDefinition,
      bindPresent(trainingDefinition, {
        [TRAINING_STATES.checkRunning]: listExecutions,
        [TRAINING_STATES.prepare]: trainingLambda,
        [TRAINING_STATES.train]: sageMaker((input) => this.sagemaker.createTrainingJob(input)),
        [TRAINING_STATES.createModel]: sageMaker((input) => this.sagemaker.createModel(input)),
        [TRAINING_STATES.scoreTrainingSet]: sageMaker((input) => this.sagemaker.createTransformJob(input)),
        [TRAINING_STATES.threshold]: trainingLambda,
        [TRAINING_STATES.roomTrain]: sageMaker((input) => this.sagemaker.createTrainingJob(input)),
        [TRAINING_STATES.roomCreateModel]: sageMaker((input) => this.sagemaker.createModel(input)),
        [TRAINING_STATES.roomScore]: sageMaker((input) => this.sagemaker.createTransformJob(input)),
        [TRAINING_STATES.roomThreshold]: trainingLambda,
        [TRAINING_STATES.createEndpointConfig]: sageMaker((input) =>
          this.sagemaker.createEndpointConfig(input),
        ),
        [TRAINING_STATES.updateEndpoint]: sageMaker((input) => this.sagemaker.updateEndpoint(input)),
        [TRAINING_STATES.checkEndpoint]: sageMaker((input: { EndpointName: string }) =>
          this.sagemaker.describeEndpoint(input.EndpointName),
        ),
        [TRAINING_STATES.promote]: trainingLambda,
        [TRAINING_STATES.announce]: sns,
        [TRAINING_STATES.notify]: sns,
      }),
    );

    // Anomaly scoring
    const scoringDefinition = buildScoringStateMachine(
      {
        scoringFunctionArn: functionArn("anomaly-scoring"),
        workGroup: `${d}-analytics`,
        database: config.lake.catalogDatabase,
        failureTopicArn: this.arns.failureTopic,
        kmsKeyArn: arn("kms", "key/local"),
        ...(endpointName ? { endpointName } : {}),
      },
      { label: d, model, inferenceInstanceType: config.anomaly.inferenceInstanceType },
    );
    const scoringLambda: LocalTaskHandler = async (input) =>
      json(await dispatchScoring(this.scoring, input as unknown as ScoringEvent));
    this.sfn.register(
      `${d}-scoring`,
      scoringDefinition,
      bindPresent(scoringDefinition, {
        [SCORING_STATES.checkRunning]: listExecutions,
        [SCORING_STATES.plan]: scoringLambda,
        [SCORING_STATES.query]: serviceErrors("Athena", async (input) =>
          json(
            await this.athena.startQueryExecutionSync(
              input as { QueryString: string; ExecutionParameters?: string[] },
            ),
          ),
        ),
        [SCORING_STATES.score]: scoringLambda,
        [SCORING_STATES.prepareBatch]: scoringLambda,
        [SCORING_STATES.transform]: sageMaker((input) => this.sagemaker.createTransformJob(input)),
        [SCORING_STATES.transformRoom]: sageMaker((input) => this.sagemaker.createTransformJob(input)),
        [SCORING_STATES.collect]: scoringLambda,
        [SCORING_STATES.notify]: sns,
      }),
    );
  }

  static async create(options: PipelinesOptions): Promise<LocalPipelines> {
    const model = buildModelSettings(options.config.anomaly);
    return new LocalPipelines(options, await LocalAthena.open(options.duckdb, options.store, model));
  }

  /** The running execution of a machine, if any. */
  running(machineArn: string): LocalExecution | undefined {
    return this.sfn.list(machineArn, "RUNNING")[0];
  }

  /** Starts the ETL unless one is running (a second would collide on Glue's one-run-per-job limit). */
  startEtl(input: JsonValue = {}): LocalExecution | undefined {
    if (this.running(this.arns.etl)) return undefined;
    return this.sfn.start(this.arns.etl, input);
  }

  /**
   * Scores until the watermark has caught up with the clock. `drain`: at shutdown, when every reading is in
   * the lake, windows may end at the clock itself rather than one ingest delay before it.
   * @returns the executions run
   */
  async scoreUntilCaughtUp(drain: boolean, maxRuns = 20): Promise<LocalExecution[]> {
    const regular = this.scoring;
    if (drain) {
      this.scoring = this.drainScoring;
      this.drainUntil = this.now();
    }
    const runs: LocalExecution[] = [];
    try {
      for (let i = 0; i < maxRuns; i++) {
        const execution = await this.sfn.run(this.arns.scoring, {});
        runs.push(execution);
        if (execution.status !== "SUCCEEDED" || !execution.states.includes(SCORING_STATES.query)) {
          const plan = (execution.output as { plan?: { reason?: string } } | undefined)?.plan;
          if (execution.states.includes(SCORING_STATES.skipRunning))
            this.log("scoring: another scoring execution is still running; catch-up stops");
          else if (plan?.reason) this.log(`scoring: ${plan.reason}`);
          break;
        }
      }
    } finally {
      this.scoring = regular;
    }
    return runs;
  }

  /** Waits for executions and crawls in flight (shutdown), aborting executions still running after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<void> {
    await this.sfn.drain(timeoutMs);
    await this.glue.idle();
  }

  close(): void {
    this.athena.close();
  }
}

/** ListExecutions' summary of an execution, as the aws-sdk integration returns it (PascalCase). */
function executionSummary(e: LocalExecution) {
  return {
    ExecutionArn: e.executionArn,
    StateMachineArn: e.stateMachineArn,
    Name: e.name,
    Status: e.status,
    StartDate: e.startDate,
    StopDate: e.stopDate,
  };
}

/** Keeps the handlers of the Task states this definition has (endpoint and batch mode differ). */
function bindPresent(
  definition: Parameters<typeof listTaskStates>[0],
  handlers: Record<string, LocalTaskHandler>,
): Record<string, LocalTaskHandler> {
  const present = new Set(listTaskStates(definition).map((t) => t.name));
  return Object.fromEntries(Object.entries(handlers).filter(([name]) => present.has(name)));
}
