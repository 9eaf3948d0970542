/**
 * The CloudWatch log group every platform function, state machine, API stage and task writes into: its own,
 * with a retention, encrypted with a customer-managed key when one is given (CloudWatch Logs' own encryption
 * otherwise).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface PlatformLogGroupArgs {
  /** The log group's name. @default - auto-named by Pulumi from the logical name (or `namePrefix`) */
  readonly name?: pulumi.Input<string>;
  /** A name prefix Pulumi completes (ignored with `name`). @default - none */
  readonly namePrefix?: string;
  /** Days events are kept. */
  readonly retentionDays: number;
  /** Key that encrypts the events. @default - CloudWatch Logs' service-owned encryption */
  readonly kmsKeyArn?: pulumi.Input<string> | undefined;
  readonly tags: Record<string, string>;
}

/** A log group with retention and, when given a key, KMS encryption. */
export function platformLogGroup(
  logicalName: string,
  args: PlatformLogGroupArgs,
  opts: pulumi.CustomResourceOptions,
): aws.cloudwatch.LogGroup {
  return new aws.cloudwatch.LogGroup(
    logicalName,
    {
      ...(args.name !== undefined ? { name: args.name } : {}),
      ...(args.name === undefined && args.namePrefix !== undefined ? { namePrefix: args.namePrefix } : {}),
      retentionInDays: args.retentionDays,
      ...(args.kmsKeyArn !== undefined ? { kmsKeyId: args.kmsKeyArn } : {}),
      tags: args.tags,
    },
    opts,
  );
}
