// The log resource policy behind the Glue job failure alarm: EventBridge creates the log stream (a request that
// carries no source ARN) and writes the rule's events (narrowed to the rule by aws:SourceArn).
import { expect } from "chai";
import { glueFailureLogPolicy } from "../../../components/operations/glue-failures";

describe("Glue failure log policy", function () {
  const logGroup = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/events/sensors-dev-glue-failures";
  const rule = "arn:aws:events:eu-west-1:123456789012:rule/sensors-dev-glue-job-failures";
  const statements = glueFailureLogPolicy(logGroup, rule).Statement as {
    Action: string[];
    Resource: string;
    Condition?: unknown;
  }[];
  const granting = (action: string) => statements.filter((s) => s.Action.includes(action));

  it("lets EventBridge create log streams without a source-ARN condition", function () {
    expect(granting("logs:CreateLogStream")).to.have.length(1);
    expect(granting("logs:CreateLogStream")[0]).to.not.have.property("Condition");
  });

  it("lets only the rule write events into the group", function () {
    expect(granting("logs:PutLogEvents").map((s) => s.Condition)).to.deep.equal([
      { ArnEquals: { "aws:SourceArn": rule } },
    ]);
    for (const s of statements) expect(s.Resource).to.equal(`${logGroup}:*`);
  });
});
