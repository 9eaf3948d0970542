import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type AccountScope, accountScopeOutput } from "../shared/aws-scope";
import { platformFunction } from "../shared/platform-function";
import type { LambdaHandlerName } from "../shared/package-assets";
import { serviceRole } from "../shared/service-role";

export interface MlFunctionArgs {
  /** The shipped handler bundle to run, e.g. `"anomaly-scoring"` (`functions/anomaly-scoring/handler.ts`). */
  readonly entry: LambdaHandlerName;
  readonly description: string;
  /** The role's permissions; receives the log group and dead-letter queue ARNs so it can scope to them. */
  readonly policy: (resources: {
    readonly logGroupArn: string;
    readonly deadLetterQueueArn: string;
    readonly scope: AccountScope;
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
    const scope = accountScopeOutput(this);

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
    const access = serviceRole(this, {
      service: "lambda.amazonaws.com",
      scope,
      policy: pulumi
        .all([scope, this.logGroup.arn, this.deadLetterQueue.arn])
        .apply(([s, logGroupArn, deadLetterQueueArn]) =>
          pulumi.output(args.policy({ logGroupArn, deadLetterQueueArn, scope: s })),
        ),
      documentName: `iam-${args.documentName}`,
      roleName: `${name}-role`,
      policyName: `${name}-policy`,
      description: args.description,
      tags,
    });
    this.role = access.role;

    // The role must be able to write logs and reach the queue before the first invocation.
    this.function = platformFunction(this, name, {
      entry: args.entry,
      description: args.description,
      roleArn: this.role.arn,
      rolePolicy: access.policy,
      timeoutSeconds: args.timeoutSeconds ?? 300,
      memorySize: args.memorySize ?? 1024,
      environment: args.environment,
      logGroupName: this.logGroup.name,
      deadLetterQueueArn: this.deadLetterQueue.arn,
      tags,
    });
    this.arn = this.function.arn;
    this.registerOutputs({ arn: this.arn, logGroupName: this.logGroup.name });
  }
}
