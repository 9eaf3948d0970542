import * as pulumi from "@pulumi/pulumi";
import type { ScheduleExpression } from "../schedule";
import type { LambdaFunction } from "../shared/lambda-function";
import { ownStateMachineArn, type StateMachine } from "../shared/state-machine";
import { trainingFunctionEnvironment } from "./ml-env";
import { trainingFunctionPolicy } from "./function-iam";
import { trainingMachinePolicy } from "./machine-iam";
import {
  lakeArns,
  lakeFunctionAccess,
  mlFunction,
  mlStateMachine,
  PipelineContext,
  runTags,
} from "./pipeline-context";
import { buildTrainingStateMachine } from "./training-asl";

export interface TrainingPipelineArgs {
  readonly context: PipelineContext;
  /** Role SageMaker assumes for the training job, the models and the transform jobs. */
  readonly sageMakerRoleArn: pulumi.Input<string>;
  /** The region's Random Cut Forest image. */
  readonly image: pulumi.Input<string>;
  readonly trainingInstanceType: string;
  readonly inferenceInstanceType: string;
  readonly inferenceInstanceCount: number;
  readonly schedule: ScheduleExpression;
  /** Endpoint mode: alarms that roll an endpoint update back. @default - none */
  readonly rollbackAlarmNames?: readonly string[];
  /**
   * Endpoint mode before the first promoted model: the endpoint the next `pulumi up` creates, announced after
   * the first promotion. @default - none
   */
  readonly awaitingEndpointName?: string;
  /** The SSM parameter each promotion records the model in (see `findPromotedModel`). */
  readonly promotedModelParameter: {
    readonly name: pulumi.Input<string>;
    readonly arn: pulumi.Input<string>;
  };
}

/**
 * Model training: the training-step function (check the curate job's training set, compute the threshold,
 * promote) and the training state machine on its schedule, also started by the ETL after curation.
 */
export class TrainingPipeline extends pulumi.ComponentResource {
  public readonly function: LambdaFunction;
  public readonly machine: StateMachine;
  public readonly stateMachineArn: pulumi.Output<string>;

  constructor(name: string, args: TrainingPipelineArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:ml:TrainingPipeline", name, {}, opts);
    const { context: c } = args;
    const { deployment, namePrefix, endpointName } = c;

    this.function = mlFunction(`${name}-fn`, this, c, {
      entry: "model-training",
      description: `Model training steps of ${deployment}: check the training set, compute the threshold, promote the model`,
      documentName: "ml-training-function",
      logGroupName: `/sensor-analytics/${deployment}/model-training`,
      policy: (r) =>
        pulumi.all([lakeArns(c), args.promotedModelParameter.arn]).apply(([a, promotedModelParameterArn]) =>
          trainingFunctionPolicy({
            ...lakeFunctionAccess(r, a),
            namePrefix,
            endpointName,
            promotedModelParameterArn,
          }),
        ),
      environment: trainingFunctionEnvironment<pulumi.Input<string>>({
        deployment,
        curatedBucket: c.buckets.curated.name,
        artifactsBucket: c.buckets.artifacts.name,
        model: c.model,
        promotedModelParameter: args.promotedModelParameter.name,
      }),
    });

    const definition = pulumi
      .all([
        this.function.arn,
        args.sageMakerRoleArn,
        args.image,
        pulumi.output(c.kmsKeyArn),
        c.failureTopicArn,
      ])
      .apply(([trainingFunctionArn, sageMakerRoleArn, trainingImage, kmsKeyArn, failureTopicArn]) =>
        buildTrainingStateMachine(
          {
            trainingFunctionArn,
            sageMakerRoleArn,
            trainingImage,
            kmsKeyArn,
            failureTopicArn,
            endpointName,
            rollbackAlarmNames: args.rollbackAlarmNames,
            awaitingEndpointName: args.awaitingEndpointName,
          },
          {
            label: deployment,
            model: c.model,
            trainingInstanceType: args.trainingInstanceType,
            inferenceInstanceType: args.inferenceInstanceType,
            inferenceInstanceCount: args.inferenceInstanceCount,
            tags: runTags(c),
          },
        ),
      );
    this.machine = mlStateMachine(name, this, c, {
      nameSuffix: "rcf-training",
      description: `Trains the ${deployment} Random Cut Forest and puts it in service`,
      documentName: "ml-training-state-machine",
      schedule: args.schedule,
      definition,
      policy: (r) =>
        pulumi
          .all([this.function.arn, c.failureTopicArn, c.topicKeyArn, args.sageMakerRoleArn, c.kmsKeyArn])
          .apply(([functionArn, failureTopicArn, topicKeyArn, sageMakerRoleArn, kmsKeyArn]) =>
            trainingMachinePolicy({
              scope: r.scope,
              stateMachineArn: ownStateMachineArn(r),
              functionArn,
              failureTopicArn,
              topicKeyArn,
              sageMakerRoleArn,
              kmsKeyArn,
              namePrefix,
              endpointName,
            }),
          ),
    });
    this.stateMachineArn = this.machine.arn;
    this.registerOutputs({ stateMachineArn: this.stateMachineArn, functionArn: this.function.arn });
  }
}
