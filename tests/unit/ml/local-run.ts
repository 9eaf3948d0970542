/**
 * The shared local Step Functions runner (`tests/helpers/local-sfn.ts`) with the context object the anomaly
 * machines read (`$$.Execution.Name`, `$$.StateMachine.Id` and `$$.State.EnteredTime`, which the library does
 * not invent).
 */
import { expect } from "chai";
import { listTaskStates } from "../../../components/shared/asl/inspect";
import type { JsonValue, StateMachineDefinition } from "../../../components/shared/asl/types";
import { awsError, LocalRun, runLocally as runWithOptions, TaskHandler } from "../../helpers/local-sfn";

export { awsError, inputOf } from "../../helpers/local-sfn";
export type { LocalRun, TaskHandler } from "../../helpers/local-sfn";

export const LOCAL_CONTEXT = {
  Execution: {
    Id: "arn:aws:states:eu-west-1:111122223333:execution:machine:9f1c2d3e",
    Name: "9f1c2d3e-4b5a-6c7d-8e9f-0a1b2c3d4e5f",
  },
  StateMachine: { Id: "arn:aws:states:eu-west-1:111122223333:stateMachine:machine", Name: "machine" },
  State: { EnteredTime: "2024-06-01T03:40:00.000Z", Name: "state" },
};

/** Runs `definition` locally with {@link LOCAL_CONTEXT} as its context object. */
export function runLocally(
  definition: StateMachineDefinition,
  handlers: Record<string, TaskHandler>,
  input: JsonValue = {},
): Promise<LocalRun> {
  return runWithOptions(definition, handlers, input, { context: LOCAL_CONTEXT });
}

/**
 * What a `.sync` SageMaker Task reports for a job created and then left without instances: States.TaskFailed,
 * its Cause the DescribeTrainingJob (or DescribeTransformJob) JSON quoting the FailureReason.
 */
export function capacityFailure(input: JsonValue): Error {
  const { TrainingJobName, TransformJobName } = input as Record<string, string | undefined>;
  return awsError(
    "States.TaskFailed",
    JSON.stringify({
      ...(TrainingJobName
        ? { TrainingJobName, TrainingJobStatus: "Failed" }
        : { TransformJobName, TransformJobStatus: "Failed" }),
      FailureReason:
        "CapacityError: Unable to provision requested ML compute capacity. Please retry using a different ML instance type.",
    }),
  );
}

/**
 * Asserts what every anomaly-machine Task must have: a timeout, retries, and (except the failure notice
 * itself) every error caught into the failure notice `notifyState`; a Task inside a Map is caught by the Map.
 * A SageMaker job run again when short of capacity (`capacityRetried`) first catches `States.TaskFailed` into
 * its Choice, which leads back to the Task (through a Wait and a Pass naming the next job) or gives up: to the
 * failure notice through a Pass handing it the error or, inside a Map, to a Fail state the Map catches.
 */
export function expectTasksGuarded(definition: StateMachineDefinition, notifyState: string): void {
  for (const task of listTaskStates(definition)) {
    expect(task.timeoutSeconds, task.name).to.be.greaterThan(0);
    expect(task.retry, task.name).to.not.be.empty;
    const enclosing = task.enclosedBy[0] ? definition.States[task.enclosedBy[0]] : undefined;
    const inMap = enclosing?.Type === "Map";
    let own = task.catch;
    const first = own[0];
    if (first && first.ErrorEquals.length === 1 && first.ErrorEquals[0] === "States.TaskFailed") {
      const states = enclosing?.Type === "Map" ? enclosing.ItemProcessor.States : definition.States;
      expectCapacityRetry(states, task.name, first.Next, inMap ? undefined : notifyState);
      own = own.slice(1);
    }
    const catchers = enclosing?.Type === "Map" ? (enclosing.Catch ?? []) : own;
    if (inMap) expect(own, `${task.name} inside a Map`).to.deep.equal([]);
    if (task.name !== notifyState)
      expect(
        catchers.map((c) => c.Next),
        task.name,
      ).to.deep.equal([notifyState]);
  }
}

/** The capacity retry of `task`: Choice `choice` → Wait → Pass → `task`, or → give up (see expectTasksGuarded). */
function expectCapacityRetry(
  states: StateMachineDefinition["States"],
  task: string,
  choice: string,
  notifyState: string | undefined,
): void {
  const decide = states[choice];
  if (decide?.Type !== "Choice")
    return expect.fail(`${task}: its TaskFailed catcher goes to ${choice}, not a Choice`);
  expect(decide.Choices, choice).to.have.length(1);
  const wait = states[decide.Choices[0]!.Next];
  expect(wait?.Type, `${choice} → ${decide.Choices[0]!.Next}`).to.equal("Wait");
  const retry = wait?.Type === "Wait" && wait.Next ? states[wait.Next] : undefined;
  expect(retry?.Type, `${choice}: after the wait`).to.equal("Pass");
  expect(retry && "Next" in retry ? retry.Next : undefined, `${choice}: the retry`).to.equal(task);
  const giveUp = decide.Default ? states[decide.Default] : undefined;
  if (notifyState === undefined) expect(giveUp?.Type, `${choice} gives up`).to.equal("Fail");
  else
    expect(giveUp && "Next" in giveUp ? giveUp.Next : undefined, `${choice} gives up`).to.equal(notifyState);
}
