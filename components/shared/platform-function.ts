/**
 * The Lambda function settings every platform function shares: the handler's bundle the
 * package ships, Node.js 24 on arm64, X-Ray tracing, and JSON logs into a log group of its own (which the caller
 * creates, encrypted and with retention, so the role can be scoped to it).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { lambdaBundle } from "./lambda-bundle";
import type { LambdaHandlerName } from "./package-assets";

export interface PlatformFunctionArgs {
  /** The shipped handler bundle to run, e.g. `"etl-planner"` (`functions/etl-planner/handler.ts`). */
  readonly entry: LambdaHandlerName;
  /** The function's description (cut to Lambda's 256 characters). */
  readonly description: string;
  readonly roleArn: pulumi.Input<string>;
  /** The role's policy: the function must not run before it can write its logs. */
  readonly rolePolicy: pulumi.Resource;
  readonly timeoutSeconds: number;
  readonly memorySize: number;
  readonly environment: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Name of the function's own log group. */
  readonly logGroupName: pulumi.Input<string>;
  /** Where failed asynchronous invocations go. @default - none (the caller handles them otherwise) */
  readonly deadLetterQueueArn?: pulumi.Input<string>;
  /** Concurrent executions reserved (and allowed at most). @default - unreserved */
  readonly reservedConcurrency?: number;
  /** Subnets and security groups to run in, for a function that reaches into a VPC. @default - no VPC */
  readonly vpcConfig?: {
    readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
    readonly securityGroupIds: pulumi.Input<pulumi.Input<string>[]>;
  };
  readonly tags: Record<string, string>;
}

/** A bundled Node.js 24 arm64 Lambda function with tracing and JSON logs, child of `parent`. */
export function platformFunction(
  parent: pulumi.Resource,
  logicalName: string,
  args: PlatformFunctionArgs,
): aws.lambda.Function {
  const bundle = lambdaBundle(args.entry);
  return new aws.lambda.Function(
    logicalName,
    {
      description: args.description.slice(0, 256),
      runtime: "nodejs24.x",
      architectures: ["arm64"],
      code: bundle.archive,
      handler: bundle.handler,
      role: args.roleArn,
      timeout: args.timeoutSeconds,
      memorySize: args.memorySize,
      environment: { variables: args.environment },
      ...(args.deadLetterQueueArn === undefined
        ? {}
        : { deadLetterConfig: { targetArn: args.deadLetterQueueArn } }),
      ...(args.reservedConcurrency === undefined
        ? {}
        : { reservedConcurrentExecutions: args.reservedConcurrency }),
      ...(args.vpcConfig === undefined ? {} : { vpcConfig: args.vpcConfig }),
      tracingConfig: { mode: "Active" },
      loggingConfig: { logFormat: "JSON", logGroup: args.logGroupName },
      tags: args.tags,
    },
    { parent, dependsOn: [args.rolePolicy] },
  );
}
