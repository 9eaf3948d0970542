import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { registerDocument } from "../documents";
import { serviceTrustPolicy } from "../etl/iam-documents";
import { bundleLambda } from "../iot/lambda-bundle";
import type { MlScope } from "./ml-iam";

export interface MlFunctionArgs {
  /** Handler module relative to the repository root, e.g. `functions/anomaly-scoring/handler.ts`. */
  readonly entry: string;
  readonly description: string;
  /** The role's permissions; receives the log group and dead-letter queue ARNs so it can scope to them. */
  readonly policy: (resources: {
    readonly logGroupArn: string;
    readonly deadLetterQueueArn: string;
    readonly scope: MlScope;
  }) => pulumi.Input<aws.iam.PolicyDocument>;
  /** Name of the generated IAM document (`iam-<name>`). */
  readonly documentName: string;
  readonly environment: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Log group name, e.g. `/sensor-analytics/sensors-dev/anomaly-scoring`. */
  readonly logGroupName: string;
  readonly logRetentionDays: number;
  /** Key of the log group (the lake key). */
  readonly kmsKeyArn: pulumi.Input<string>;
  /** @default 300 */
  readonly timeoutSeconds?: number;
  /** @default 1024 */
  readonly memorySize?: number;
  /** Tags merged into every taggable child. @default - none */
  readonly tags?: Record<string, string>;
}

/**
 * A Lambda function of the anomaly pipeline with what every one of them needs: the handler bundled from
 * `functions/`, Node.js 24 on arm64, its own KMS-encrypted log group with retention, a least-privilege role,
 * X-Ray tracing, and an encrypted dead-letter queue for failed asynchronous invocations.
 */
export class MlFunction extends pulumi.ComponentResource {
  public readonly function: aws.lambda.Function;
  public readonly role: aws.iam.Role;
  public readonly logGroup: aws.cloudwatch.LogGroup;
  public readonly deadLetterQueue: aws.sqs.Queue;
  public readonly arn: pulumi.Output<string>;

  constructor(name: string, args: MlFunctionArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:ml:MlFunction", name, {}, opts);
    const tags = { ...args.tags };
    const child = { parent: this };
    const scope = pulumi
      .all([
        aws.getPartitionOutput({}, child).partition,
        aws.getRegionOutput({}, child).region,
        aws.getCallerIdentityOutput({}, child).accountId,
      ])
      .apply(([partition, region, accountId]): MlScope => ({ partition, region, accountId }));

    this.logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      { name: args.logGroupName, retentionInDays: args.logRetentionDays, kmsKeyId: args.kmsKeyArn, tags },
      child,
    );
    this.deadLetterQueue = new aws.sqs.Queue(
      `${name}-dlq`,
      { messageRetentionSeconds: 14 * 24 * 3600, sqsManagedSseEnabled: true, tags },
      child,
    );
    const policy = pulumi
      .all([scope, this.logGroup.arn, this.deadLetterQueue.arn])
      .apply(([s, logGroupArn, deadLetterQueueArn]) =>
        pulumi.output(args.policy({ logGroupArn, deadLetterQueueArn, scope: s })),
      );
    registerDocument(`iam-${args.documentName}`, "json", policy);
    this.role = new aws.iam.Role(
      `${name}-role`,
      {
        description: args.description.slice(0, 1000),
        assumeRolePolicy: pulumi.jsonStringify(
          scope.apply((s) => serviceTrustPolicy("lambda.amazonaws.com", s)),
        ),
        tags,
      },
      child,
    );
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-policy`,
      { role: this.role.id, policy: pulumi.jsonStringify(policy) },
      child,
    );

    const bundle = bundleLambda(args.entry);
    this.function = new aws.lambda.Function(
      name,
      {
        description: args.description.slice(0, 256),
        runtime: aws.lambda.Runtime.NodeJS24dX,
        architectures: ["arm64"],
        code: bundle.archive,
        handler: bundle.handler,
        role: this.role.arn,
        timeout: args.timeoutSeconds ?? 300,
        memorySize: args.memorySize ?? 1024,
        environment: { variables: args.environment },
        deadLetterConfig: { targetArn: this.deadLetterQueue.arn },
        tracingConfig: { mode: "Active" },
        loggingConfig: { logFormat: "JSON", logGroup: this.logGroup.name },
        tags,
      },
      // The role must be able to write logs and reach the queue before the first invocation.
      { parent: this, dependsOn: [rolePolicy] },
    );
    this.arn = this.function.arn;
    this.registerOutputs({ arn: this.arn, logGroupName: this.logGroup.name });
  }
}
