/** The EventBridge pattern and log resource policy behind the Glue job failure alarm. Pure. */
import type * as aws from "@pulumi/aws";

/** Glue's job state changes that end a run without success, for the given jobs only. */
export function glueFailureEventPattern(jobNames: readonly string[]): Record<string, unknown> {
  return {
    source: ["aws.glue"],
    "detail-type": ["Glue Job State Change"],
    detail: { jobName: [...jobNames], state: ["FAILED", "TIMEOUT", "ERROR"] },
  };
}

/**
 * Lets EventBridge write the matched events into the log group (CloudWatch Logs needs a resource policy for an
 * EventBridge target; the console creates a broader one). The rule's ARN narrows the events written
 * (PutLogEvents); creating the stream carries no source ARN, so that grant has no condition (as in AWS's
 * serverless-patterns eventbridge-cloudwatch sample, which split its policy this way).
 */
export function glueFailureLogPolicy(logGroupArn: string, ruleArn: string): aws.iam.PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "EventBridgeCreatesGlueFailureStreams",
        Effect: "Allow",
        Principal: { Service: ["events.amazonaws.com", "delivery.logs.amazonaws.com"] },
        Action: ["logs:CreateLogStream"],
        Resource: `${logGroupArn}:*`,
      },
      {
        Sid: "EventBridgeWritesGlueFailures",
        Effect: "Allow",
        Principal: { Service: ["events.amazonaws.com", "delivery.logs.amazonaws.com"] },
        Action: ["logs:PutLogEvents"],
        Resource: `${logGroupArn}:*`,
        Condition: { ArnEquals: { "aws:SourceArn": ruleArn } },
      },
    ],
  };
}
