import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { deliveryEnvironment } from "../ingest/delivery-targets";
import { accountScopeOutput } from "../shared/aws-scope";
import { deadLetterQueue } from "../shared/dead-letter-queue";
import { LambdaFunction } from "../shared/lambda-function";
import { keyValueTable } from "../streaming/key-value-table";
import { serviceRole } from "../shared/service-role";
import {
  deliveryArnsOutput,
  deliveryTargetsOutput,
  type DeliveryResources,
} from "../streaming/delivery-resources";
import { pollerFunctionPolicy, pollerSchedulePolicy } from "../streaming/iam-documents";
import { POLLER_INVOCATION_RETRIES, pollerEnvironment, type PollerSettings } from "./poller-settings";

export interface RestPollersArgs {
  /** `<app>-<stack>`: names the log groups. */
  readonly deployment: string;
  /** The pollers (`PlatformConfig.pollers`); at least one. */
  readonly pollers: readonly PollerSettings[];
  /** Rooms a polled reading may name. @default - any room */
  readonly rooms?: readonly string[];
  /** Where valid and rejected readings go. */
  readonly delivery: DeliveryResources;
  /** Key of the de-duplication table, the dead-letter queues and the log groups (the lake key). */
  /** @default - DynamoDB's AWS-owned key, SSE-SQS, CloudWatch Logs' own encryption: no `kms:*` statement */
  readonly kmsKeyArn?: pulumi.Input<string> | undefined;
  /** @default 30 */
  readonly logRetentionDays?: number;
  /** Deletion protection on the de-duplication table. @default false */
  readonly protectData?: boolean;
  /** Tags merged into every taggable child. @default - none */
  readonly tags?: Record<string, string>;
}

/** What one poller deploys. */
export interface DeployedPoller {
  readonly function: aws.lambda.Function;
  readonly schedule: aws.scheduler.Schedule;
  readonly deadLetterQueue: aws.sqs.Queue;
}

/**
 * Scheduled REST pollers: per poller an EventBridge Scheduler schedule invoking its function (retried, then into
 * the poller's KMS-encrypted dead-letter queue), the function (one poll at a time: reserved concurrency 1; its
 * own failed asynchronous invocations retried, then into the same queue), read access to its one credentials
 * secret; and one de-duplication table (KMS, TTL) for all of them.
 */
export class RestPollers extends pulumi.ComponentResource {
  public readonly dedupTable: aws.dynamodb.Table;
  public readonly pollers: Readonly<Record<string, DeployedPoller>>;

  constructor(name: string, args: RestPollersArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:pollers:RestPollers", name, {}, opts);
    if (args.pollers.length === 0)
      throw new pulumi.ResourceError(`${name}: pollers is empty; give at least one poller`, this);
    const tags = { ...args.tags };
    const scope = accountScopeOutput(this);
    this.dedupTable = keyValueTable(this, `${name}-dedup`, {
      kmsKeyArn: args.kmsKeyArn,
      protectData: args.protectData ?? false,
      tags,
    });
    const targets = deliveryTargetsOutput(args.delivery);
    const deliveryArns = deliveryArnsOutput(args.delivery);
    const pollers: Record<string, DeployedPoller> = {};
    for (const poller of args.pollers) {
      const base = `${name}-${poller.name}`;
      const queue = deadLetterQueue(this, `${base}-dlq`, args.kmsKeyArn, tags);
      // Every HTTP attempt may take the whole timeout, plus its backoff (at most 10 s), plus time to deliver.
      const timeoutSeconds = Math.min(900, (poller.retries + 1) * (poller.timeoutSeconds + 10) + 30);
      const fn = new LambdaFunction(
        base,
        {
          entry: "rest-poller",
          description: `Polls ${poller.url.split("?")[0]} for ${args.deployment} (${poller.schedule.expression})`,
          documentName: `poller-${poller.name}-function`,
          logGroupName: `/sensor-analytics/${args.deployment}/poller-${poller.name}`,
          logRetentionDays: args.logRetentionDays ?? 30,
          kmsKeyArn: args.kmsKeyArn,
          policy: ({ logGroupArn, scope: s }) =>
            pulumi
              .all([deliveryArns, this.dedupTable.arn, pulumi.output(args.kmsKeyArn), queue.arn])
              .apply(([delivery, dedupTableArn, kmsKeyArn, deadLetterQueueArn]) =>
                pollerFunctionPolicy({
                  scope: s,
                  logGroupArn,
                  delivery,
                  dedupTableArn,
                  kmsKeyArn,
                  deadLetterQueueArn,
                  secretArn: poller.secretArn,
                }),
              ),
          environment: pulumi.all([targets, this.dedupTable.name]).apply(([t, dedupTable]) => ({
            ...pollerEnvironment({ poller, dedupTable, rooms: args.rooms ?? [] }),
            ...deliveryEnvironment(t),
          })),
          timeoutSeconds,
          memorySize: 256,
          deadLetterQueue: { arn: queue.arn },
          onFailure: {
            destinationArn: queue.arn,
            maximumRetryAttempts: POLLER_INVOCATION_RETRIES,
            maximumEventAgeSeconds: 3600,
          },
          // One poll at a time: overlapping polls would race for the same readings' sequence numbers.
          reservedConcurrency: 1,
          formerly: { parent: this },
          tags,
        },
        { parent: this },
      );
      const schedulerAccess = serviceRole(this, {
        service: "scheduler.amazonaws.com",
        scope,
        policy: pulumi
          .all([scope, fn.function.arn, queue.arn, pulumi.output(args.kmsKeyArn)])
          .apply(([s, functionArn, deadLetterQueueArn, kmsKeyArn]) =>
            pollerSchedulePolicy({ scope: s, functionArn, deadLetterQueueArn, kmsKeyArn }),
          ),
        documentName: `iam-poller-${poller.name}-schedule`,
        roleName: `${base}-schedule-role`,
        policyName: `${base}-schedule-policy`,
        description: `Invokes the ${poller.name} poller of ${args.deployment} on its schedule`,
        tags,
      });
      const schedule = new aws.scheduler.Schedule(
        `${base}-schedule`,
        {
          description: `Polls ${poller.name} for ${args.deployment} (${poller.schedule.expression})`,
          scheduleExpression: poller.schedule.expression,
          scheduleExpressionTimezone: "UTC",
          flexibleTimeWindow: { mode: "OFF" },
          target: {
            arn: fn.function.arn,
            roleArn: schedulerAccess.role.arn,
            input: JSON.stringify({ poller: poller.name }),
            retryPolicy: { maximumRetryAttempts: POLLER_INVOCATION_RETRIES, maximumEventAgeInSeconds: 3600 },
            deadLetterConfig: { arn: queue.arn },
          },
          state: "ENABLED",
        },
        { parent: this, dependsOn: [schedulerAccess.policy] },
      );
      pollers[poller.name] = { function: fn.function, schedule, deadLetterQueue: queue };
    }
    this.pollers = pollers;
    this.registerOutputs({
      dedupTableName: this.dedupTable.name,
      functionNames: Object.fromEntries(Object.entries(pollers).map(([k, p]) => [k, p.function.name])),
    });
  }
}
