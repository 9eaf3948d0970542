// The SageMaker, Lambda and CloudWatch Logs policy rules on hand-built resources.
import { expect } from "chai";
import { fakeResource, violationsOf } from "../../helpers/policy";
import {
  sageMakerEndpointConfigKms,
  sageMakerJobsEncrypted,
  sageMakerModelNetworkIsolation,
} from "../../../policies/rules/ml";
import {
  lambdaCurrentRuntime,
  lambdaDeadLetterOrDestination,
  runtimeProblem,
} from "../../../policies/rules/lambda";
import { logGroupKms, logGroupRetention } from "../../../policies/rules/logs";
import { buildTrainingStateMachine } from "../../../components/ml/training-asl";
import { buildModelSettings } from "../../../components/ml/model-settings";

const KEY = "arn:aws:kms:eu-west-1:111122223333:key/k";

describe("policy pack: ML, Lambda and logs rules", function () {
  it("sagemaker-endpoint-config-kms and sagemaker-model-network-isolation", async function () {
    const config = (kmsKeyArn?: string) =>
      fakeResource("aws:sagemaker/endpointConfiguration:EndpointConfiguration", "cfg", {
        productionVariants: [],
        ...(kmsKeyArn ? { kmsKeyArn } : {}),
      });
    expect(await violationsOf(sageMakerEndpointConfigKms, [config(KEY)])).to.deep.equal([]);
    expect(await violationsOf(sageMakerEndpointConfigKms, [config()])).to.deep.equal([
      "cfg: no kmsKeyArn; set it to the key that encrypts the endpoint's storage volumes",
    ]);
    const model = (isolated: boolean) =>
      fakeResource("aws:sagemaker/model:Model", "m", { enableNetworkIsolation: isolated });
    expect(await violationsOf(sageMakerModelNetworkIsolation, [model(true)])).to.deep.equal([]);
    expect(await violationsOf(sageMakerModelNetworkIsolation, [model(false)])).to.have.length(1);
  });

  it("sagemaker-jobs-encrypted reads the state machine definition", async function () {
    const definition = buildTrainingStateMachine(
      {
        trainingFunctionArn: "arn:aws:lambda:eu-west-1:111122223333:function:f",
        sageMakerRoleArn: "r",
        trainingImage: "i",
        kmsKeyArn: KEY,
        failureTopicArn: "t",
        endpointName: "e",
      },
      {
        label: "x",
        model: buildModelSettings({ numTrees: 50, samplesPerTree: 8, shingleSize: 1, z: 3 }),
        trainingInstanceType: "ml.m5.large",
        inferenceInstanceType: "ml.m5.large",
        inferenceInstanceCount: 1,
      },
    );
    const machine = (def: unknown) =>
      fakeResource("aws:sfn/stateMachine:StateMachine", "sm", { definition: JSON.stringify(def) });
    expect(await violationsOf(sageMakerJobsEncrypted, [machine(definition)])).to.deep.equal([]);
    const weakened = JSON.parse(JSON.stringify(definition).replaceAll(`"${KEY}"`, '""')) as unknown;
    expect(await violationsOf(sageMakerJobsEncrypted, [machine(weakened)])).to.deep.equal([
      "sm: Train model: training job without ResourceConfig.VolumeKmsKeyId; set it to the lake key",
      "sm: Train model: training job without OutputDataConfig.KmsKeyId; set it to the lake key",
      "sm: Score training set: transform job without TransformResources.VolumeKmsKeyId; set it to the lake key",
      "sm: Score training set: transform job without TransformOutput.KmsKeyId; set it to the lake key",
      "sm: Create endpoint config: endpoint config without KmsKeyId; set it to the lake key",
    ]);
  });

  it("lambda-current-runtime accepts current runtimes and names old ones", async function () {
    expect(runtimeProblem("nodejs24.x")).to.equal(undefined);
    expect(runtimeProblem("python3.13")).to.equal(undefined);
    expect(runtimeProblem("nodejs18.x")).to.equal(
      "runtime nodejs18.x is older than the oldest current nodejs runtime (nodejs22); upgrade it",
    );
    expect(runtimeProblem("python3.9")).to.include("older than the oldest current python runtime");
    expect(runtimeProblem("go1.x")).to.equal("runtime go1.x is not a current managed runtime");
    const fn = (runtime?: string, packageType?: string) =>
      fakeResource("aws:lambda/function:Function", "fn", {
        ...(runtime ? { runtime } : {}),
        ...(packageType ? { packageType } : {}),
      });
    expect(
      await violationsOf(lambdaCurrentRuntime, [fn("nodejs24.x"), fn(undefined, "Image")]),
    ).to.deep.equal([]);
    expect(await violationsOf(lambdaCurrentRuntime, [fn("nodejs16.x")])).to.have.length(1);
  });

  it("lambda-dead-letter-or-destination accepts a DLQ or an on-failure destination, and fails neither", async function () {
    const withDlq = fakeResource("aws:lambda/function:Function", "a", {
      name: "a-123",
      deadLetterConfig: { targetArn: "arn:aws:sqs:eu-west-1:111122223333:q" },
    });
    const withDestination = fakeResource("aws:lambda/function:Function", "b", { name: "b-123" });
    const invokeConfig = fakeResource(
      "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
      "b-async",
      {
        functionName: "b-123",
        destinationConfig: { onFailure: { destination: "arn:aws:sqs:eu-west-1:111122223333:q" } },
      },
      { functionName: [withDestination] },
    );
    const bare = fakeResource("aws:lambda/function:Function", "c", { name: "c-123" });
    const synchronous = fakeResource("aws:lambda/function:Function", "d", {
      name: "d-123",
      tags: { "sensor-analytics:invocation": "synchronous" },
    });
    const mislabelled = fakeResource("aws:lambda/function:Function", "e", {
      name: "e-123",
      tags: { "sensor-analytics:invocation": "async" },
    });
    expect(
      await violationsOf(lambdaDeadLetterOrDestination, [
        withDlq,
        withDestination,
        invokeConfig,
        bare,
        synchronous,
        mislabelled,
      ]),
    ).to.deep.equal([
      "c: failed asynchronous invocations are dropped; set deadLetterConfig { targetArn } or a FunctionEventInvokeConfig with destinationConfig.onFailure",
      "e: failed asynchronous invocations are dropped; set deadLetterConfig { targetArn } or a FunctionEventInvokeConfig with destinationConfig.onFailure",
    ]);
  });

  it("log-group-retention and log-group-kms", async function () {
    const group = (inputs: Record<string, unknown>) =>
      fakeResource("aws:cloudwatch/logGroup:LogGroup", "lg", inputs);
    expect(await violationsOf(logGroupRetention, [group({ retentionInDays: 14 })])).to.deep.equal([]);
    expect(await violationsOf(logGroupRetention, [group({}), group({ retentionInDays: 0 })])).to.deep.equal([
      "lg: retentionInDays is not set (kept forever); set it from logRetentionDays",
      "lg: retentionInDays is 0 (kept forever); set it from logRetentionDays",
    ]);
    expect(await violationsOf(logGroupKms, [group({ kmsKeyId: KEY })])).to.deep.equal([]);
    expect(await violationsOf(logGroupKms, [group({})])).to.deep.equal([
      "lg: no kmsKeyId; encrypt it with the lake key (whose policy admits CloudWatch Logs)",
    ]);
  });
});
