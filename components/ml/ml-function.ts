import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AccountScope } from "../shared/aws-scope";
import { serviceFunction, type ServiceFunctionArgs } from "../shared/service-function";

export interface MlFunctionArgs extends Pick<
  ServiceFunctionArgs,
  "entry" | "description" | "documentName" | "environment" | "logGroupName" | "logRetentionDays" | "kmsKeyArn"
> {
  /** The role's permissions; receives the log group and dead-letter queue ARNs so it can scope to them. */
  readonly policy: (resources: {
    readonly logGroupArn: string;
    readonly deadLetterQueueArn: string;
    readonly scope: AccountScope;
  }) => pulumi.Input<aws.iam.PolicyDocument>;
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
    this.deadLetterQueue = new aws.sqs.Queue(
      `${name}-dlq`,
      { messageRetentionSeconds: 14 * 24 * 3600, sqsManagedSseEnabled: true, tags },
      child,
    );
    // The shared platform function (log group, scoped role, bundle), with this queue for failed invocations.
    const deadLetterQueueArn = this.deadLetterQueue.arn;
    const fn = serviceFunction(this, name, {
      ...args,
      policy: ({ logGroupArn, scope }) =>
        deadLetterQueueArn.apply((queueArn) =>
          pulumi.output(args.policy({ logGroupArn, deadLetterQueueArn: queueArn, scope })),
        ),
      timeoutSeconds: args.timeoutSeconds ?? 300,
      memorySize: args.memorySize ?? 1024,
      deadLetterQueueArn,
      tags,
    });
    this.function = fn.function;
    this.role = fn.role;
    this.logGroup = fn.logGroup;
    this.arn = this.function.arn;
    this.registerOutputs({ arn: this.arn, logGroupName: this.logGroup.name });
  }
}
