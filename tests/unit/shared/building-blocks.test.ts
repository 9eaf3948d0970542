/**
 * The two building blocks every area deploys with: LambdaFunction and StateMachine, with and without a key,
 * a dead-letter queue, a fixed name and a schedule. (That they keep the former URNs of the resources that
 * moved under them is checked on the shipped stacks by the synth suite.)
 */
import { expect } from "chai";
import { LambdaFunction, ownDeadLetterQueueArn } from "../../../components/shared/lambda-function";
import { ownStateMachineArn, StateMachine } from "../../../components/shared/state-machine";
import {
  executionLogDeliveryStatement,
  policyDocument,
  writeOwnLogsStatement,
  xrayStatement,
} from "../../../components/shared/iam-policy";
import type { StateMachineDefinition } from "../../../components/shared/asl/types";
import { recorded, Recorded, runUnderMocks, ProgramRun, stackConfig } from "../../helpers/mocks";

const KEY = "arn:aws:kms:us-east-1:111122223333:key/0f0f0f0f-1111-2222-3333-444444444444";
const T = {
  fn: "aws:lambda/function:Function",
  logs: "aws:cloudwatch/logGroup:LogGroup",
  role: "aws:iam/role:Role",
  policy: "aws:iam/rolePolicy:RolePolicy",
  queue: "aws:sqs/queue:Queue",
  invokeConfig: "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
  machine: "aws:sfn/stateMachine:StateMachine",
  schedule: "aws:scheduler/schedule:Schedule",
};
const DEFINITION: StateMachineDefinition = { StartAt: "Done", States: { Done: { Type: "Succeed" } } };

type Run = ProgramRun<unknown> & Recorded;
const statements = (run: Run, policyName: string) =>
  (
    JSON.parse(run.named(T.policy, policyName).inputs.policy as string) as {
      Statement: Record<string, unknown>[];
    }
  ).Statement;

describe("building blocks: LambdaFunction and StateMachine", function () {
  let run: Run;
  before(async function () {
    const program = await runUnderMocks(stackConfig("dev"), () => {
      new LambdaFunction("plain", {
        entry: "etl-planner",
        description: "A function invoked synchronously, without a key",
        policy: ({ logGroupArn }) => policyDocument([writeOwnLogsStatement(logGroupArn), xrayStatement()]),
      });
      new LambdaFunction("keyed", {
        entry: "etl-planner",
        description: "A function with a key, its own queue and an on-failure destination",
        kmsKeyArn: KEY,
        logGroupName: "/sensor-analytics/test/keyed",
        logRetentionDays: 7,
        deadLetterQueue: "own",
        onFailure: { destinationArn: "arn:aws:sns:us-east-1:111122223333:failures", maximumRetryAttempts: 1 },
        policy: (r) =>
          policyDocument([
            writeOwnLogsStatement(r.logGroupArn),
            { Sid: "Dlq", Effect: "Allow", Action: "sqs:SendMessage", Resource: ownDeadLetterQueueArn(r) },
          ]),
      });
      new StateMachine("auto", {
        definition: DEFINITION,
        policy: (r) =>
          policyDocument([
            executionLogDeliveryStatement(),
            {
              Sid: "Own",
              Effect: "Allow",
              Action: "states:ListExecutions",
              Resource: r.stateMachineArn ?? "none",
            },
          ]),
      });
      new StateMachine("named", {
        definition: DEFINITION,
        machineName: "named-machine",
        description: "A named machine",
        kmsKeyArn: KEY,
        schedule: { expression: "rate(1 hour)", description: "Hourly" },
        policy: (r) =>
          policyDocument([
            { Sid: "Own", Effect: "Allow", Action: "states:ListExecutions", Resource: ownStateMachineArn(r) },
          ]),
      });
    });
    run = Object.assign(program, recorded(program.resources));
  });

  it("gives a function its own log group, encrypted only when given a key, and JSON logs into it", function () {
    const plain = run.named(T.logs, "plain-logs");
    expect(plain.inputs.retentionInDays).to.equal(30);
    expect(plain.inputs).not.to.have.property("kmsKeyId");
    const keyed = run.named(T.logs, "keyed-logs");
    expect(keyed.inputs).to.deep.include({
      name: "/sensor-analytics/test/keyed",
      retentionInDays: 7,
      kmsKeyId: KEY,
    });
    expect(run.named(T.fn, "keyed").inputs.loggingConfig).to.deep.equal({
      logFormat: "JSON",
      logGroup: "/sensor-analytics/test/keyed",
    });
  });

  it("runs the bundle on Node 24 arm64, traced, with a role scoped to the ARNs it was given", function () {
    const fn = run.named(T.fn, "plain");
    expect(fn.inputs).to.deep.include({
      runtime: "nodejs24.x",
      architectures: ["arm64"],
      handler: "index.handler",
    });
    expect(fn.inputs.tracingConfig).to.deep.equal({ mode: "Active" });
    expect(fn.inputs.role).to.equal(run.named(T.role, "plain-role").state.arn);
    const logs = statements(run, "plain-policy").find((s) => s.Sid === "WriteOwnLogs")!;
    const arn = run.named(T.logs, "plain-logs").state.arn as string;
    expect(logs.Resource).to.deep.equal([arn, `${arn}:*`]);
    const trust = JSON.parse(run.named(T.role, "plain-role").inputs.assumeRolePolicy as string) as {
      Statement: { Principal: unknown }[];
    };
    expect(trust.Statement[0]!.Principal).to.deep.equal({ Service: "lambda.amazonaws.com" });
  });

  it("tags a function without a queue or destination as invoked synchronously; keeps failures of the other", function () {
    expect(
      (run.named(T.fn, "plain").inputs.tags as Record<string, string>)["sensor-analytics:invocation"],
    ).to.equal("synchronous");
    const keyed = run.named(T.fn, "keyed");
    expect(keyed.inputs.tags ?? {}).not.to.have.property("sensor-analytics:invocation");
    const queue = run.named(T.queue, "keyed-dlq");
    expect(keyed.inputs.deadLetterConfig).to.deep.equal({ targetArn: queue.state.arn });
    expect(statements(run, "keyed-policy").find((s) => s.Sid === "Dlq")!.Resource).to.equal(queue.state.arn);
    expect(run.named(T.invokeConfig, "keyed-async").inputs).to.deep.include({
      maximumRetryAttempts: 1,
      destinationConfig: { onFailure: { destination: "arn:aws:sns:us-east-1:111122223333:failures" } },
    });
    expect(run.ofType(T.queue)).to.have.length(1);
    expect(run.ofType(T.invokeConfig)).to.have.length(1);
  });

  it("logs every execution with data into a vended-logs group, encrypted only when given a key, traced", function () {
    const auto = run.named(T.logs, "auto-executions");
    expect(auto.inputs.namePrefix).to.equal("/aws/vendedlogs/states/auto-");
    expect(auto.inputs).not.to.have.property("kmsKeyId");
    const named = run.named(T.logs, "named-executions");
    expect(named.inputs).to.deep.include({ name: "/aws/vendedlogs/states/named-machine", kmsKeyId: KEY });
    const machine = run.named(T.machine, "named");
    expect(machine.inputs).to.deep.include({ name: "named-machine", type: "STANDARD" });
    expect(machine.inputs.loggingConfiguration).to.deep.equal({
      level: "ALL",
      includeExecutionData: true,
      logDestination: `${named.state.arn as string}:*`,
    });
    expect(machine.inputs.tracingConfiguration).to.deep.equal({ enabled: true });
  });

  it("gives a named machine's policy its own ARN (an auto-named one has none yet) and schedules it", function () {
    const ownStatement = statements(run, "named-policy").find((s) => s.Sid === "Own")!;
    expect(ownStatement.Resource).to.match(/:stateMachine:named-machine$/);
    expect(statements(run, "auto-policy").find((s) => s.Sid === "Own")!.Resource).to.equal("none");
    const schedule = run.named(T.schedule, "named-schedule");
    expect(schedule.inputs).to.deep.include({
      scheduleExpression: "rate(1 hour)",
      scheduleExpressionTimezone: "UTC",
    });
    expect((schedule.inputs.target as { input: string }).input).to.equal("{}");
    const start = statements(run, "named-schedule-policy");
    expect(start.map((s) => [s.Action, s.Resource])).to.deep.equal([
      [["states:StartExecution"], [ownStatement.Resource]],
    ]);
    expect(run.ofType(T.schedule)).to.have.length(1);
  });

  it("refuses a machine name Step Functions would refuse, naming it", async function () {
    let error: unknown;
    try {
      await runUnderMocks(stackConfig("dev"), () => {
        new StateMachine("bad", {
          definition: DEFINITION,
          machineName: "has spaces",
          policy: () => policyDocument([]),
        });
      });
    } catch (err) {
      error = err;
    }
    expect(String(error)).to.contain(
      'state machine name "has spaces" must be 1-80 letters, digits, "-" or "_"',
    );
  });
});
