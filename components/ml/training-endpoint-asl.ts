/**
 * The training machine's endpoint-mode states (blue/green update of the real-time endpoint, polled until it
 * serves the new model) and the first-model announcement. Pure; used by training-asl.ts.
 */
import type { ChoiceState, PassState, PayloadTemplate, States, WaitState } from "../shared/asl/types";
import { escapeIntrinsic, kmsKeyField, ML_INTEGRATIONS, ML_RETRY, mlTask } from "./asl-common";
import { VARIANT_NAME } from "./ml-layout";
import {
  TRAINING_STATES,
  type TrainingMachineResources,
  type TrainingMachineSettings,
} from "./training-states";

/**
 * The announcement that the endpoint can now be created. An operator action is needed (Pulumi owns the
 * endpoint), so it goes to the topic operators watch. The model is already in service for batch scoring, so a
 * failed announcement does not fail the run.
 */
export function announceStates(endpointName: string, topicArn: string, label: string): States {
  const S = TRAINING_STATES;
  const publish = mlTask(
    ML_INTEGRATIONS.snsPublish,
    {
      parameters: {
        TopicArn: topicArn,
        Subject: `[${label}] First anomaly model promoted: run pulumi up`.slice(0, 100),
        "Message.$": `States.Format('Model {} (run {}) is promoted and scores readings in batch transforms. Run pulumi up for deployment ${escapeIntrinsic(label)} to create the real-time endpoint ${escapeIntrinsic(endpointName)}; scoring moves to it then.', $.promoted.modelName, $.promoted.runId)`,
      },
      resultPath: null,
      timeoutSeconds: 30,
      retry: [ML_RETRY.sns],
    },
    { Next: S.succeeded },
  );
  return {
    [S.announce]: {
      ...publish,
      Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.announceError", Next: S.succeeded }],
    },
  };
}

export function endpointStates(
  resources: TrainingMachineResources,
  settings: TrainingMachineSettings,
  withTags: PayloadTemplate,
): States {
  const S = TRAINING_STATES;
  const onError = S.notify;
  const alarms = resources.rollbackAlarmNames ?? [];
  return {
    [S.createEndpointConfig]: mlTask(
      ML_INTEGRATIONS.createEndpointConfig,
      {
        parameters: {
          "EndpointConfigName.$": "$.run.endpointConfigName",
          ProductionVariants: [
            {
              VariantName: VARIANT_NAME,
              "ModelName.$": "$.run.modelName",
              InstanceType: settings.inferenceInstanceType,
              InitialInstanceCount: settings.inferenceInstanceCount,
            },
          ],
          ...kmsKeyField("KmsKeyId", resources.kmsKeyArn),
          ...withTags,
        },
        resultPath: null,
        timeoutSeconds: 120,
        retry: [ML_RETRY.sageMakerApi],
        onError,
      },
      { Next: S.updateEndpoint },
    ),
    [S.updateEndpoint]: mlTask(
      ML_INTEGRATIONS.updateEndpoint,
      {
        comment:
          "Blue/green: SageMaker brings up the new fleet, shifts traffic, and rolls back if an alarm fires",
        parameters: {
          EndpointName: resources.endpointName!,
          "EndpointConfigName.$": "$.run.endpointConfigName",
          // Keep the instance count autoscaling chose instead of resetting it to the config's initial count.
          RetainAllVariantProperties: true,
          DeploymentConfig: {
            BlueGreenUpdatePolicy: {
              TrafficRoutingConfiguration: { Type: "ALL_AT_ONCE", WaitIntervalInSeconds: 0 },
              TerminationWaitInSeconds: 300,
              MaximumExecutionTimeoutInSeconds: 3600,
            },
            ...(alarms.length > 0
              ? { AutoRollbackConfiguration: { Alarms: alarms.map((AlarmName) => ({ AlarmName })) } }
              : {}),
          },
        },
        resultPath: null,
        timeoutSeconds: 120,
        retry: [ML_RETRY.sageMakerApi],
        onError,
      },
      { Next: S.startPolls },
    ),
    [S.startPolls]: {
      Type: "Pass",
      Result: { count: 0 },
      ResultPath: "$.polls",
      Next: S.waitForEndpoint,
    } satisfies PassState,
    [S.waitForEndpoint]: {
      Type: "Wait",
      Seconds: settings.endpointPollSeconds ?? 60,
      Next: S.checkEndpoint,
    } satisfies WaitState,
    [S.checkEndpoint]: mlTask(
      ML_INTEGRATIONS.describeEndpoint,
      {
        parameters: { EndpointName: resources.endpointName! },
        resultSelector: { "status.$": "$.EndpointStatus" },
        resultPath: "$.endpoint",
        timeoutSeconds: 30,
        retry: [ML_RETRY.sageMakerApi],
        onError,
      },
      { Next: S.endpointUpdated },
    ),
    [S.endpointUpdated]: {
      Type: "Choice",
      Comment: "InService after a rollback runs the old config: Promote model checks which config is live",
      Choices: [
        { Variable: "$.endpoint.status", StringEquals: "InService", Next: S.promote },
        {
          Or: [
            { Variable: "$.endpoint.status", StringEquals: "Failed" },
            { Variable: "$.endpoint.status", StringEquals: "UpdateRollbackFailed" },
            { Variable: "$.endpoint.status", StringEquals: "OutOfService" },
          ],
          Next: S.endpointFailed,
        },
      ],
      Default: S.countPoll,
    } satisfies ChoiceState,
    [S.countPoll]: {
      Type: "Pass",
      Parameters: { "count.$": "States.MathAdd($.polls.count, 1)" },
      ResultPath: "$.polls",
      Next: S.pollsLeft,
    } satisfies PassState,
    [S.pollsLeft]: {
      Type: "Choice",
      Choices: [
        {
          Variable: "$.polls.count",
          NumericGreaterThanEquals: settings.endpointMaxPolls ?? 60,
          Next: S.endpointTimedOut,
        },
      ],
      Default: S.waitForEndpoint,
    } satisfies ChoiceState,
    [S.endpointFailed]: {
      Type: "Pass",
      Parameters: {
        Error: "EndpointUpdateFailed",
        "Cause.$": `States.Format('Endpoint ${escapeIntrinsic(resources.endpointName!)} is {} after the update to {}', $.endpoint.status, $.run.endpointConfigName)`,
      },
      ResultPath: "$.error",
      Next: S.notify,
    } satisfies PassState,
    [S.endpointTimedOut]: {
      Type: "Pass",
      Parameters: {
        Error: "EndpointUpdateTimedOut",
        "Cause.$": `States.Format('Endpoint ${escapeIntrinsic(resources.endpointName!)} still {} after {} status checks', $.endpoint.status, $.polls.count)`,
      },
      ResultPath: "$.error",
      Next: S.notify,
    } satisfies PassState,
  };
}
