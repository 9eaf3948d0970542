/**
 * The queue where failed asynchronous invocations and deliveries of a platform function are kept for
 * inspection and replay.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/**
 * An SQS queue for failed deliveries and invocations, messages kept 14 days: encrypted with `kmsKeyArn`, or with
 * SQS-managed keys (SSE-SQS, which senders use without any `kms:*` permission) without one.
 */
export function deadLetterQueue(
  parent: pulumi.Resource,
  name: string,
  kmsKeyArn: pulumi.Input<string> | undefined,
  tags: Record<string, string>,
): aws.sqs.Queue {
  return new aws.sqs.Queue(
    name,
    {
      ...(kmsKeyArn === undefined
        ? { sqsManagedSseEnabled: true }
        : // One data key per 5 minutes keeps KMS requests (and their cost) low for a queue that is rarely written.
          { kmsMasterKeyId: kmsKeyArn, kmsDataKeyReusePeriodSeconds: 300 }),
      messageRetentionSeconds: 14 * 24 * 3600,
      tags,
    },
    { parent },
  );
}
