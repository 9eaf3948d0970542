import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ScheduleExpression } from "../schedule";
import type { LambdaFunction } from "../shared/lambda-function";
import { ownStateMachineArn, type StateMachine } from "../shared/state-machine";
import { adHocScoringEnvironment, scoringFunctionEnvironment } from "./ml-env";
import { adHocScoringPolicy, scoringFunctionPolicy } from "./function-iam";
import { scoringMachinePolicy } from "./machine-iam";
import {
  lakeArns,
  lakeFunctionAccess,
  mlFunction,
  mlStateMachine,
  PipelineContext,
  runTags,
} from "./pipeline-context";
import { buildScoringStateMachine } from "./scoring-asl";

export interface ScoringPipelineArgs {
  readonly context: PipelineContext;
  /** Topic for one alert per anomaly incident. */
  readonly alertTopicArn: pulumi.Input<string>;
  /** The alert topic's customer-managed key. @default - none: no `kms:*` statement for it */
  readonly alertTopicKeyArn?: pulumi.Input<string | undefined> | undefined;
  /** Where new readings are queried: the analytics workgroup and the lake database. */
  readonly athena: {
    readonly workGroupName: pulumi.Input<string>;
    readonly workGroupArn: pulumi.Input<string>;
    readonly databaseName: pulumi.Input<string>;
  };
  /** Batch mode: the transform's instance type. */
  readonly inferenceInstanceType: string;
  readonly schedule: ScheduleExpression;
  /** Seconds after arrival a reading may still be missing from the lake (Firehose buffering plus margin). */
  readonly ingestDelaySeconds: number;
  /** Endpoint mode: an HTTPS function URL with IAM auth for ad-hoc predictions. @default false */
  readonly adHocScoringUrl?: boolean;
}

/**
 * Anomaly scoring: the scoring-step function (plan the watermark window, score on the endpoint or through a
 * batch transform, write anomaly records, alert per incident) and the scoring state machine on its schedule;
 * in endpoint mode optionally an IAM-authenticated URL for ad-hoc predictions.
 */
export class ScoringPipeline extends pulumi.ComponentResource {
  public readonly function: LambdaFunction;
  public readonly machine: StateMachine;
  public readonly stateMachineArn: pulumi.Output<string>;
  /** The ad-hoc scoring URL, when enabled. */
  public readonly url?: pulumi.Output<string>;
  /** Endpoint mode with `adHocScoringUrl`: the function behind the URL. */
  public readonly adHocFunction?: LambdaFunction;

  constructor(name: string, args: ScoringPipelineArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:ml:ScoringPipeline", name, {}, opts);
    const { context: c } = args;
    const { deployment, namePrefix, endpointName } = c;
    const child = { parent: this };

    this.function = mlFunction(`${name}-fn`, this, c, {
      entry: "anomaly-scoring",
      description: `Anomaly scoring steps of ${deployment}: plan the window, score, record anomalies, alert`,
      documentName: "ml-scoring-function",
      logGroupName: `/sensor-analytics/${deployment}/anomaly-scoring`,
      policy: (r) =>
        pulumi
          .all([lakeArns(c), args.alertTopicArn, pulumi.output(args.alertTopicKeyArn)])
          .apply(([a, alertTopicArn, topicKeyArn]) =>
            scoringFunctionPolicy({
              ...lakeFunctionAccess(r, a),
              resultsBucketArn: a.results,
              alertTopicArn,
              topicKeyArn,
              endpointName,
            }),
          ),
      environment: scoringFunctionEnvironment<pulumi.Input<string>>({
        deployment,
        curatedBucket: c.buckets.curated.name,
        artifactsBucket: c.buckets.artifacts.name,
        alertTopicArn: args.alertTopicArn,
        model: c.model,
        ingestDelaySeconds: args.ingestDelaySeconds,
        endpointName,
      }),
    });

    const definition = pulumi
      .all([
        this.function.arn,
        args.athena.workGroupName,
        args.athena.databaseName,
        c.failureTopicArn,
        pulumi.output(c.kmsKeyArn),
      ])
      .apply(([scoringFunctionArn, workGroup, database, failureTopicArn, kmsKeyArn]) =>
        buildScoringStateMachine(
          { scoringFunctionArn, workGroup, database, failureTopicArn, kmsKeyArn, endpointName },
          {
            label: deployment,
            model: c.model,
            inferenceInstanceType: args.inferenceInstanceType,
            tags: runTags(c),
          },
        ),
      );
    this.machine = mlStateMachine(name, this, c, {
      nameSuffix: "anomaly-scoring",
      description: `Scores new ${deployment} readings for anomalies (${endpointName ? "endpoint" : "batch transform"})`,
      documentName: "ml-scoring-state-machine",
      schedule: args.schedule,
      definition,
      policy: (r) =>
        pulumi
          .all([
            this.function.arn,
            c.failureTopicArn,
            c.topicKeyArn,
            args.athena.workGroupArn,
            args.athena.databaseName,
            lakeArns(c),
          ])
          .apply(([functionArn, failureTopicArn, topicKeyArn, workGroupArn, database, a]) =>
            scoringMachinePolicy({
              scope: r.scope,
              stateMachineArn: ownStateMachineArn(r),
              functionArn,
              failureTopicArn,
              topicKeyArn,
              kmsKeyArn: a.kmsKeyArn,
              workGroupArn,
              database,
              rawBucketArn: a.raw,
              resultsBucketArn: a.results,
              namePrefix,
              batch: endpointName === undefined,
            }),
          ),
    });
    this.stateMachineArn = this.machine.arn;

    if (endpointName && args.adHocScoringUrl) {
      const adHoc = (this.adHocFunction = mlFunction(`${name}-adhoc-fn`, this, c, {
        entry: "adhoc-scoring",
        description: `Ad-hoc anomaly scores from the ${deployment} endpoint (IAM-authenticated URL)`,
        documentName: "ml-adhoc-scoring-function",
        logGroupName: `/sensor-analytics/${deployment}/adhoc-scoring`,
        policy: (r) =>
          lakeArns(c).apply((a) =>
            adHocScoringPolicy({
              ...lakeFunctionAccess(r, a),
              endpointName,
            }),
          ),
        environment: adHocScoringEnvironment<pulumi.Input<string>>({
          artifactsBucket: c.buckets.artifacts.name,
          endpointName,
          model: c.model,
        }),
        timeoutSeconds: 30,
        memorySize: 512,
      }));
      // AWS_IAM: only principals allowed lambda:InvokeFunctionUrl on this function can call it (SigV4 signed).
      const url = new aws.lambda.FunctionUrl(
        `${name}-url`,
        { functionName: adHoc.function.name, authorizationType: "AWS_IAM" },
        child,
      );
      this.url = url.functionUrl;
    }
    this.registerOutputs({
      stateMachineArn: this.stateMachineArn,
      functionArn: this.function.arn,
      url: this.url,
    });
  }
}
