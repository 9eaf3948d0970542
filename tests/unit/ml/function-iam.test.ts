// The scoring functions read objects that may not exist yet (the model pointer before the first training, the
// scoring watermark before the first run) and treat "missing" as "skip". S3 answers a GET of a missing object
// with 404 only to a caller allowed s3:ListBucket on the bucket, and with 403 otherwise (GetObject,
// "Permissions"); a grant narrowed by s3:prefix does not count, as a GET carries no prefix.
import { expect } from "chai";
import type * as aws from "@pulumi/aws";
import { adHocScoringPolicy, scoringFunctionPolicy } from "../../../components/ml/function-iam";

const BASE = {
  scope: { partition: "aws", region: "eu-west-1", accountId: "123456789012" },
  logGroupArn: "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/scoring",
  deadLetterQueueArn: "arn:aws:sqs:eu-west-1:123456789012:dead-letters",
  curatedBucketArn: "arn:aws:s3:::curated",
  artifactsBucketArn: "arn:aws:s3:::artifacts",
};

/** The buckets a policy allows s3:ListBucket on without any condition. */
function unconditionalListBuckets(policy: aws.iam.PolicyDocument): string[] {
  return (policy.Statement as aws.iam.PolicyStatement[])
    .filter((s) => s.Effect === "Allow" && s.Condition === undefined)
    .filter((s) => ([] as string[]).concat(s.Action as string | string[]).includes("s3:ListBucket"))
    .flatMap((s) => ([] as string[]).concat(s.Resource as string | string[]));
}

describe("ML function policies: a missing object reads as 404, not 403", function () {
  it("lets the scoring function list the artifacts and curated buckets (model pointer, watermark)", function () {
    const policy = scoringFunctionPolicy({
      ...BASE,
      resultsBucketArn: "arn:aws:s3:::results",
      alertTopicArn: "arn:aws:sns:eu-west-1:123456789012:alerts",
    });
    expect(unconditionalListBuckets(policy)).to.include.members([
      BASE.artifactsBucketArn,
      BASE.curatedBucketArn,
    ]);
  });

  it("lets the ad-hoc scoring function list the artifacts bucket (model pointer)", function () {
    const policy = adHocScoringPolicy({ ...BASE, endpointName: "sensors-dev-rcf" });
    expect(unconditionalListBuckets(policy)).to.include(BASE.artifactsBucketArn);
  });
});
