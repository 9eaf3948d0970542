// AnomalyDetection under mocks: dev (batch transform scoring, no endpoint), prod (endpoint with autoscaling and
// alarms), and each override; the generated state machines checked by asl-validator.
import { expect } from "chai";
import aslValidator from "asl-validator";
import { runAnalyticsSlice, AnalyticsRun } from "./analytics-stack";
import { buildModelSettings } from "../../../components/ml/model-settings";
import { TRAINING_STATES } from "../../../components/ml/training-asl";
import { SCORING_STATES } from "../../../components/ml/scoring-asl";
import { validateAnomalyDetectionArgs } from "../../../components/ml/anomaly-detection";
import { validateRcfEndpointArgs } from "../../../components/ml/rcf-endpoint";
import { evaluatePolicies } from "../../../policies/harness";
import type { StateMachineDefinition } from "../../../components/shared/asl/types";

const SFN = "aws:sfn/stateMachine:StateMachine";
const ENDPOINT = "aws:sagemaker/endpoint:Endpoint";
const CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration";
const MODEL = "aws:sagemaker/model:Model";
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const TARGET = "aws:appautoscaling/target:Target";
const POLICY = "aws:appautoscaling/policy:Policy";
const FUNCTION = "aws:lambda/function:Function";
const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";

const definitionOf = (run: AnalyticsRun, name: string) =>
  JSON.parse(run.named(SFN, name).inputs.definition as string) as StateMachineDefinition & {
    States: Record<string, { Parameters?: Record<string, unknown> }>;
  };
const lakeKey = (run: AnalyticsRun) =>
  run.ofType("aws:kms/key:Key").find((k) => k.name.endsWith("-lake-key"))!.state.arn;

describe("AnomalyDetection", function () {
  let dev: AnalyticsRun;
  let prod: AnalyticsRun;
  before(async function () {
    dev = await runAnalyticsSlice("dev");
    prod = await runAnalyticsSlice("prod");
  });

  it("dev scores with batch transforms: no endpoint, model, endpoint config, alarms or autoscaling", function () {
    for (const type of [ENDPOINT, CONFIG, MODEL, ALARM, TARGET, POLICY])
      expect(dev.ofType(type), type).to.have.length(0);
    const scoring = definitionOf(dev, "sensors-dev-anomaly-scoring");
    expect(Object.keys(scoring.States)).to.include.members([
      SCORING_STATES.prepareBatch,
      SCORING_STATES.transform,
      SCORING_STATES.collect,
    ]);
    expect(Object.keys(scoring.States)).not.to.include(SCORING_STATES.score);
    expect(scoring.States[SCORING_STATES.transform]!.Parameters!.TransformResources).to.deep.equal({
      InstanceType: "ml.m5.large",
      InstanceCount: 1,
      VolumeKmsKeyId: lakeKey(dev),
    });
    const training = definitionOf(dev, "sensors-dev-anomaly-training");
    expect(Object.keys(training.States)).not.to.include(TRAINING_STATES.updateEndpoint);
    // Fixed names: the ETL starts the training machine, and each machine's role lists its own executions.
    expect(
      dev
        .ofType(SFN)
        .map((m) => m.inputs.name)
        .sort(),
    ).to.deep.equal(["sensors-dev-anomaly-scoring", "sensors-dev-rcf-training"]);
  });

  it("prod has the endpoint: a first model and KMS endpoint config, blue/green with alarm rollback, config changes ignored", function () {
    const [model] = prod.ofType(MODEL);
    const artifacts = prod.named("aws:s3/bucket:Bucket", "sensors-prod-lake-artifacts").state
      .bucket as string;
    expect(model!.inputs.primaryContainer).to.deep.equal({
      image: "382416733822.dkr.ecr.us-east-1.amazonaws.com/randomcutforest:1",
      modelDataUrl: `s3://${artifacts}/models/current/model.tar.gz`,
    });
    expect(model!.inputs.enableNetworkIsolation).to.equal(true);
    const [config] = prod.ofType(CONFIG);
    expect(config!.inputs.kmsKeyArn).to.equal(lakeKey(prod));
    expect(config!.inputs.productionVariants).to.deep.equal([
      {
        variantName: "AllTraffic",
        modelName: model!.state.name,
        instanceType: "ml.c5.xlarge",
        initialInstanceCount: 2,
      },
    ]);
    const [endpoint] = prod.ofType(ENDPOINT);
    expect(endpoint!.inputs.name).to.equal("sensors-prod-rcf");
    expect(endpoint!.ignoreChanges).to.deep.equal(["endpointConfigName"]);
    expect(
      (endpoint!.inputs.deploymentConfig as { autoRollbackConfiguration: unknown }).autoRollbackConfiguration,
    ).to.deep.equal({
      alarms: [{ alarmName: "sensors-prod-rcf-5xx" }, { alarmName: "sensors-prod-rcf-latency" }],
    });
  });

  it("prod scales on invocations per instance from 2 to 6 and alarms on latency and 5xx to the failure topic", function () {
    const [target] = prod.ofType(TARGET);
    expect(target!.inputs).to.deep.include({
      serviceNamespace: "sagemaker",
      resourceId: "endpoint/sensors-prod-rcf/variant/AllTraffic",
      scalableDimension: "sagemaker:variant:DesiredInstanceCount",
      minCapacity: 2,
      maxCapacity: 6,
    });
    const [policy] = prod.ofType(POLICY);
    expect(policy!.inputs.policyType).to.equal("TargetTrackingScaling");
    expect(policy!.inputs.targetTrackingScalingPolicyConfiguration).to.deep.include({
      predefinedMetricSpecification: { predefinedMetricType: "SageMakerVariantInvocationsPerInstance" },
      targetValue: 1000,
    });
    const failures = prod.named("aws:sns/topic:Topic", "sensors-prod-anomaly-failures").state.arn;
    const alarms = Object.fromEntries(prod.ofType(ALARM).map((a) => [a.inputs.name as string, a.inputs]));
    expect(alarms["sensors-prod-rcf-latency"]).to.deep.include({
      metricName: "ModelLatency",
      extendedStatistic: "p90",
      // Pulumi.prod.yaml's alarms.endpointLatencyMs (300 ms), in microseconds as SageMaker reports it.
      threshold: 300_000,
      alarmActions: [failures],
    });
    expect(alarms["sensors-prod-rcf-5xx"]).to.deep.include({
      metricName: "Invocation5XXErrors",
      statistic: "Sum",
      threshold: 0,
      alarmActions: [failures],
    });
    expect(alarms["sensors-prod-rcf-5xx"]!.dimensions).to.deep.equal({
      EndpointName: "sensors-prod-rcf",
      VariantName: "AllTraffic",
    });
  });

  it("trains with the config's hyperparameters, image and instance types, and updates the endpoint with the rollback alarms", function () {
    const training = definitionOf(prod, "sensors-prod-anomaly-training");
    const train = training.States[TRAINING_STATES.train]!.Parameters!;
    // prod: anomalyExpectedRate 0.001 sizes 1000 samples a tree; 2 features (deviation, step) x shingle 4.
    expect(train.HyperParameters).to.deep.equal({
      num_trees: "100",
      num_samples_per_tree: "1000",
      feature_dim: "8",
    });
    expect(train.AlgorithmSpecification).to.deep.equal({
      TrainingImage: "382416733822.dkr.ecr.us-east-1.amazonaws.com/randomcutforest:1",
      TrainingInputMode: "File",
    });
    expect((train.ResourceConfig as Record<string, unknown>).InstanceType).to.equal("ml.m5.xlarge");
    expect(train.RoleArn).to.equal(
      prod.named("aws:iam/role:Role", "sensors-prod-anomaly-sagemaker-role").state.arn,
    );
    const update = training.States[TRAINING_STATES.updateEndpoint]!.Parameters!;
    expect(update.EndpointName).to.equal("sensors-prod-rcf");
    expect(
      (update.DeploymentConfig as { AutoRollbackConfiguration: unknown }).AutoRollbackConfiguration,
    ).to.deep.equal({
      Alarms: [{ AlarmName: "sensors-prod-rcf-5xx" }, { AlarmName: "sensors-prod-rcf-latency" }],
    });
    const dev1 = definitionOf(dev, "sensors-dev-anomaly-training").States[TRAINING_STATES.train]!.Parameters!;
    expect(dev1.AlgorithmSpecification).to.deep.include({
      TrainingImage: "438346466558.dkr.ecr.eu-west-1.amazonaws.com/randomcutforest:1",
    });
    expect(dev1.HyperParameters).to.deep.equal({
      num_trees: "50",
      num_samples_per_tree: "500",
      feature_dim: "2",
    });
  });

  it("every generated state machine passes asl-validator and logs ALL with tracing; schedules come from config", function () {
    for (const run of [dev, prod]) {
      for (const doc of run.documents.filter((d) => d.kind === "asl" && d.name.startsWith("ml-"))) {
        const result = aslValidator(structuredClone(doc.content));
        expect(result.isValid, `${doc.name}: ${result.errorsText("\n")}`).to.equal(true);
      }
      for (const machine of run.ofType(SFN)) {
        expect(machine.inputs.loggingConfiguration).to.deep.include({
          level: "ALL",
          includeExecutionData: true,
        });
        expect(machine.inputs.tracingConfiguration).to.deep.equal({ enabled: true });
      }
    }
    expect(dev.documents.map((d) => d.name)).to.include.members([
      "ml-training-state-machine",
      "ml-scoring-state-machine",
      "ml-model-settings",
    ]);
    const schedules = Object.fromEntries(
      prod.ofType("aws:scheduler/schedule:Schedule").map((s) => [s.name, s.inputs.scheduleExpression]),
    );
    expect(schedules).to.deep.equal({
      "sensors-prod-anomaly-training-schedule": "cron(0 3 * * ? *)",
      "sensors-prod-anomaly-scoring-schedule": "rate(15 minutes)",
    });
  });

  it("runs the functions on Node.js 24 with a dead-letter queue, tracing, the model settings and an encrypted log group", function () {
    const functions = dev.ofType(FUNCTION);
    expect(functions).to.have.length(2);
    for (const fn of functions) {
      expect(fn.inputs).to.deep.include({
        runtime: "nodejs24.x",
        architectures: ["arm64"],
        tracingConfig: { mode: "Active" },
      });
      expect((fn.inputs.deadLetterConfig as { targetArn: string }).targetArn).to.match(/^arn:aws:sqs:/);
      const env = (fn.inputs.environment as { variables: Record<string, string> }).variables;
      expect(JSON.parse(env.MODEL_SETTINGS!)).to.deep.equal(buildModelSettings(dev.value.anomaly));
    }
    const scoringEnv = (
      dev.named(FUNCTION, "sensors-dev-anomaly-scoring-fn").inputs.environment as {
        variables: Record<string, string>;
      }
    ).variables;
    expect(scoringEnv.INGEST_DELAY_SECONDS).to.equal("360");
    expect(scoringEnv.ENDPOINT_NAME).to.equal(undefined);
    const prodEnv = (
      prod.named(FUNCTION, "sensors-prod-anomaly-scoring-fn").inputs.environment as {
        variables: Record<string, string>;
      }
    ).variables;
    expect(prodEnv.ENDPOINT_NAME).to.equal("sensors-prod-rcf");
    for (const group of dev.ofType(LOG_GROUP).filter((g) => g.name.startsWith("sensors-dev-anomaly"))) {
      expect(group.inputs).to.deep.include({ retentionInDays: 14, kmsKeyId: lakeKey(dev) });
    }
  });

  it("scopes the state machines' SageMaker permissions to the deployment's run names and endpoint", function () {
    const policy = (name: string) =>
      JSON.parse(prod.named("aws:iam/rolePolicy:RolePolicy", name).inputs.policy as string) as {
        Statement: { Sid: string; Action: string[]; Resource: string | string[] }[];
      };
    const training = Object.fromEntries(
      policy("sensors-prod-anomaly-training-policy").Statement.map((s) => [s.Sid, s.Resource]),
    );
    expect(training.RunTrainingAndTransformJobs).to.deep.equal([
      "arn:aws:sagemaker:us-east-1:111122223333:training-job/sensors-prod-rcf-*",
      "arn:aws:sagemaker:us-east-1:111122223333:transform-job/sensors-prod-rcf-*",
      "arn:aws:sagemaker:us-east-1:111122223333:model/sensors-prod-rcf-*",
    ]);
    // Step Functions' .sync integrations read the job's tags: its generated policy for them grants ListTags.
    const actions = (name: string, sid: string) =>
      policy(name).Statement.find((statement) => statement.Sid === sid)!.Action;
    expect(actions("sensors-prod-anomaly-training-policy", "RunTrainingAndTransformJobs")).to.include(
      "sagemaker:ListTags",
    );
    const devScoringStatements = (
      JSON.parse(
        dev.named("aws:iam/rolePolicy:RolePolicy", "sensors-dev-anomaly-scoring-policy").inputs
          .policy as string,
      ) as { Statement: { Sid: string; Action: string[] }[] }
    ).Statement;
    expect(devScoringStatements.find((st) => st.Sid === "RunScoringTransformJobs")!.Action).to.include(
      "sagemaker:ListTags",
    );
    expect(training.UpdateTheEndpoint).to.deep.equal([
      "arn:aws:sagemaker:us-east-1:111122223333:endpoint/sensors-prod-rcf",
      "arn:aws:sagemaker:us-east-1:111122223333:endpoint-config/sensors-prod-rcf-*",
    ]);
    expect(training.ListOwnExecutions).to.deep.equal([
      "arn:aws:states:us-east-1:111122223333:stateMachine:sensors-prod-rcf-training",
    ]);
    const devScoring = Object.fromEntries(
      JSON.parse(
        dev.named("aws:iam/rolePolicy:RolePolicy", "sensors-dev-anomaly-scoring-policy").inputs
          .policy as string,
      ).Statement.map((s: { Sid: string; Resource: unknown }) => [s.Sid, s.Resource]),
    );
    expect(devScoring.RunScoringTransformJobs).to.deep.equal([
      "arn:aws:sagemaker:eu-west-1:111122223333:transform-job/sensors-dev-score-*",
      "arn:aws:sagemaker:eu-west-1:111122223333:model/sensors-dev-rcf-*",
    ]);
  });

  it("overrides: no autoscaling at max = count; an endpoint in dev; QuickSight in dev; the ad-hoc scoring URL", async function () {
    const fixed = await runAnalyticsSlice("prod", { inferenceMaxInstances: 2 });
    expect(fixed.ofType(TARGET)).to.have.length(0);
    expect(fixed.ofType(ENDPOINT)).to.have.length(1);

    const devEndpoint = await runAnalyticsSlice(
      "dev",
      { anomalyMode: "endpoint" },
      { adHocScoringUrl: true },
    );
    expect(devEndpoint.ofType(ENDPOINT).map((e) => e.inputs.name)).to.deep.equal(["sensors-dev-rcf"]);
    expect(devEndpoint.ofType(TARGET)).to.have.length(0);
    expect(devEndpoint.ofType(MODEL)[0]!.inputs.primaryContainer).to.deep.include({
      image: "438346466558.dkr.ecr.eu-west-1.amazonaws.com/randomcutforest:1",
    });
    const [url] = devEndpoint.ofType("aws:lambda/functionUrl:FunctionUrl");
    expect(url!.inputs.authorizationType).to.equal("AWS_IAM");
    expect(devEndpoint.ofType(FUNCTION)).to.have.length(3);

    const devQuickSight = await runAnalyticsSlice("dev", {
      quicksightEnabled: true,
      quicksightPrincipals: ["arn:aws:quicksight:eu-west-1:111122223333:group/default/analysts"],
    });
    expect(devQuickSight.ofType("aws:quicksight/dataSource:DataSource")).to.have.length(1);

    let message = "";
    await runAnalyticsSlice("dev", {}, { adHocScoringUrl: true }).catch(
      (err: Error) => (message = err.message),
    );
    expect(message).to.include("adHocScoringUrl needs mode endpoint (batch mode has no endpoint to ask)");
  });

  it("prod before its first promoted model: no endpoint yet, batch scoring, and training announces the endpoint", async function () {
    const first = await runAnalyticsSlice("prod", {}, { modelPromoted: false });
    for (const type of [ENDPOINT, CONFIG, MODEL, ALARM, TARGET, POLICY])
      expect(first.ofType(type), type).to.have.length(0);

    const scoring = definitionOf(first, "sensors-prod-anomaly-scoring");
    expect(Object.keys(scoring.States)).to.include.members([
      SCORING_STATES.prepareBatch,
      SCORING_STATES.transform,
    ]);
    expect(Object.keys(scoring.States)).not.to.include(SCORING_STATES.score);
    const env = (name: string) =>
      (first.named(FUNCTION, name).inputs.environment as { variables: Record<string, string> }).variables;
    expect(env("sensors-prod-anomaly-scoring-fn").ENDPOINT_NAME).to.equal(undefined);

    const training = definitionOf(first, "sensors-prod-anomaly-training");
    expect(Object.keys(training.States)).not.to.include(TRAINING_STATES.updateEndpoint);
    expect(training.States[TRAINING_STATES.promote]).to.deep.include({ Next: TRAINING_STATES.announce });
    const announce = training.States[TRAINING_STATES.announce]!.Parameters!;
    expect(announce.TopicArn).to.equal(
      first.named("aws:sns/topic:Topic", "sensors-prod-anomaly-failures").state.arn,
    );
    expect(announce["Message.$"]).to.contain("create the real-time endpoint sensors-prod-rcf");

    // The record pulumi up reads next time: created holding none, left to the training function afterwards.
    const [parameter] = first.ofType("aws:ssm/parameter:Parameter");
    expect(parameter!.inputs).to.deep.include({
      name: "/sensor-analytics/sensors-prod/anomaly-model/promoted",
      type: "String",
      insecureValue: "none",
    });
    expect(parameter!.ignoreChanges).to.have.members(["insecureValue", "value"]);
    expect(env("sensors-prod-anomaly-training-fn").PROMOTED_MODEL_PARAMETER).to.equal(
      "/sensor-analytics/sensors-prod/anomaly-model/promoted",
    );
    const trainingFunctionPolicy = JSON.parse(
      first.named("aws:iam/rolePolicy:RolePolicy", "sensors-prod-anomaly-training-fn-policy").inputs
        .policy as string,
    ) as { Statement: { Sid: string; Action: string[]; Resource: string[] }[] };
    expect(trainingFunctionPolicy.Statement.find((s) => s.Sid === "RecordThePromotedModel")).to.deep.include({
      Action: ["ssm:PutParameter"],
      Resource: [parameter!.state.arn],
    });
    expect(parameter!.state.arn).to.equal(
      "arn:aws:ssm:us-east-1:111122223333:parameter/sensor-analytics/sensors-prod/anomaly-model/promoted",
    );

    // The ad-hoc URL asks the endpoint, so it comes with it.
    const firstWithUrl = await runAnalyticsSlice("prod", {}, { modelPromoted: false, adHocScoringUrl: true });
    expect(firstWithUrl.ofType("aws:lambda/functionUrl:FunctionUrl")).to.have.length(0);

    const report = await evaluatePolicies(first.resources);
    expect(report.mandatory.map((v) => `${v.policy}: ${v.message}`)).to.deep.equal([]);

    // Once promoted, the same stack has the endpoint and training updates it instead of announcing it.
    expect(prod.ofType(ENDPOINT)).to.have.length(1);
    expect(Object.keys(definitionOf(prod, "sensors-prod-anomaly-training").States)).not.to.include(
      TRAINING_STATES.announce,
    );
  });

  it("validates its args with messages that name the setting", function () {
    expect(
      validateAnomalyDetectionArgs({
        mode: "batch",
        adHocScoringUrl: true,
        ingestDelaySeconds: -1,
        logRetentionDays: 14,
      }),
    ).to.deep.equal([
      "adHocScoringUrl needs mode endpoint (batch mode has no endpoint to ask); set sensor-analytics:anomalyMode to endpoint or turn the URL off",
      "ingestDelaySeconds must be a whole number of seconds, 0 or more (got -1)",
    ]);
    expect(
      validateAnomalyDetectionArgs({ mode: "endpoint", ingestDelaySeconds: 0, logRetentionDays: 14 }),
    ).to.deep.equal([
      "modelPromoted must be set in endpoint mode: pass (await findPromotedModel(deployment)) !== undefined, since the endpoint can only be created once training has promoted a model for it to serve",
    ]);
    expect(
      validateRcfEndpointArgs({ endpointName: "sensors-prod-rcf", instanceCount: 3, maxInstances: 2 }),
    ).to.deep.equal([
      "maxInstances must be a whole number of at least instanceCount 3 (got 2); fix sensor-analytics:inferenceMaxInstances",
    ]);
  });

  it("passes the whole policy pack on both stacks (IAM actions checked against the service reference)", async function () {
    for (const run of [dev, prod]) {
      const report = await evaluatePolicies(run.resources);
      expect(report.mandatory.map((v) => `${v.policy}: ${v.message}`)).to.deep.equal([]);
      expect(report.results.find((r) => r.policy === "sagemaker-endpoint-config-kms")).to.not.equal(
        undefined,
      );
    }
  });
});
