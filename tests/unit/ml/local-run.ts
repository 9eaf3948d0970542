/**
 * The shared local Step Functions runner (`tests/helpers/local-sfn.ts`) with the context object the anomaly
 * machines read (`$$.Execution.Name`, `$$.StateMachine.Id` and `$$.State.EnteredTime`, which the library does
 * not invent).
 */
import { expect } from "chai";
import { listTaskStates } from "../../../components/shared/asl/inspect";
import type { JsonValue, StateMachineDefinition } from "../../../components/shared/asl/types";
import { LocalRun, runLocally as runWithOptions, TaskHandler } from "../../helpers/local-sfn";

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
 * Asserts what every anomaly-machine Task must have: a timeout, retries, and (except the failure notice
 * itself) every error caught into the failure notice `notifyState`; a Task inside a Map is caught by the Map.
 */
export function expectTasksGuarded(definition: StateMachineDefinition, notifyState: string): void {
  for (const task of listTaskStates(definition)) {
    expect(task.timeoutSeconds, task.name).to.be.greaterThan(0);
    expect(task.retry, task.name).to.not.be.empty;
    const enclosing = task.enclosedBy[0] ? definition.States[task.enclosedBy[0]] : undefined;
    const catchers = enclosing?.Type === "Map" ? (enclosing.Catch ?? []) : task.catch;
    if (enclosing?.Type === "Map") expect(task.catch, `${task.name} inside a Map`).to.deep.equal([]);
    if (task.name !== notifyState)
      expect(
        catchers.map((c) => c.Next),
        task.name,
      ).to.deep.equal([notifyState]);
  }
}
