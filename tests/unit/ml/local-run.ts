/**
 * Runs an anomaly state machine in aws-local-stepfunctions with every Task bound to a local handler by state
 * name, Wait states and retry pauses at 0 ms, and a context object (the machines read `$$.Execution.Name`,
 * `$$.StateMachine.Id` and `$$.State.EnteredTime`, which the library does not invent). Reports the outcome,
 * the Task calls in order, the retries and every state entered.
 */
import { StateMachine } from "aws-local-stepfunctions";
import type { JsonValue, StateMachineDefinition } from "../../../components/etl/asl/types";
import { listStateNames, listTaskStates } from "../../../components/etl/asl/inspect";

type EventLog = ReturnType<StateMachine["run"]>["eventLogs"] extends AsyncGenerator<infer E> ? E : never;

export type TaskHandler = (input: JsonValue, call: number) => JsonValue | Promise<JsonValue>;

export interface LocalRun {
  readonly status: "SUCCEEDED" | "FAILED";
  readonly output?: JsonValue;
  readonly error?: { readonly Error: string; readonly Cause: unknown };
  readonly calls: readonly { readonly state: string; readonly input: JsonValue }[];
  readonly retries: readonly string[];
  readonly entered: readonly string[];
}

/** An error as Step Functions names it (`SageMaker.ResourceLimitExceededException`, `States.TaskFailed`...). */
export function awsError(name: string, cause: string): Error {
  return Object.assign(new Error(cause), { name });
}

export const LOCAL_CONTEXT = {
  Execution: {
    Id: "arn:aws:states:eu-west-1:111122223333:execution:machine:9f1c2d3e",
    Name: "9f1c2d3e-4b5a-6c7d-8e9f-0a1b2c3d4e5f",
  },
  StateMachine: { Id: "arn:aws:states:eu-west-1:111122223333:stateMachine:machine", Name: "machine" },
  State: { EnteredTime: "2024-06-01T03:40:00.000Z", Name: "state" },
};

export async function runLocally(
  definition: StateMachineDefinition,
  handlers: Record<string, TaskHandler>,
  input: JsonValue = {},
): Promise<LocalRun> {
  const calls: { state: string; input: JsonValue }[] = [];
  const counts = new Map<string, number>();
  const bound = Object.fromEntries(
    listTaskStates(definition).map((t) => [
      t.name,
      async (taskInput: JsonValue) => {
        calls.push({ state: t.name, input: taskInput });
        const call = (counts.get(t.name) ?? 0) + 1;
        counts.set(t.name, call);
        const handler = handlers[t.name];
        if (!handler) throw new Error(`test bound no handler to Task "${t.name}"`);
        return handler(taskInput, call);
      },
    ]),
  );
  const names = listStateNames(definition);
  const machine = new StateMachine(structuredClone(definition) as never);
  const execution = machine.run(input as never, {
    context: structuredClone(LOCAL_CONTEXT),
    overrides: {
      taskResourceLocalHandlers: bound as never,
      waitTimeOverrides: Object.fromEntries(names.map((n) => [n, 0])),
      retryIntervalOverrides: Object.fromEntries(names.map((n) => [n, 0])),
    },
  });
  const events: EventLog[] = [];
  const collecting = (async () => {
    for await (const event of execution.eventLogs) events.push(event);
  })();
  let output: JsonValue | undefined;
  let failed = false;
  try {
    output = (await execution.result) as JsonValue;
  } catch {
    failed = true;
  }
  await collecting;
  const failure = events.find((e) => e.type === "ExecutionFailed");
  return {
    status: failed ? "FAILED" : "SUCCEEDED",
    output,
    error: failure && "Error" in failure ? { Error: failure.Error, Cause: failure.Cause } : undefined,
    calls,
    retries: events.flatMap((e) => (e.type === "StateRetried" ? [e.state.name] : [])),
    entered: events.flatMap((e) => (e.type === "StateEntered" ? [e.state.name] : [])),
  };
}
