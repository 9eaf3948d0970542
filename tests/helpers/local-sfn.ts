/**
 * Runs a state machine definition in aws-local-stepfunctions with every Task bound to a local handler by
 * state name, Wait states and retry pauses at 0 ms, and reports what happened: the outcome, the Task calls in
 * order, the retries and every state entered. Shared by the ETL and anomaly-pipeline tests.
 */
import { StateMachine } from "aws-local-stepfunctions";
import type { JsonValue, StateMachineDefinition } from "../../components/shared/asl/types";
import { listStateNames, listTaskStates } from "../../components/shared/asl/inspect";

/** The package's event type (not exported by name). */
type EventLog = ReturnType<StateMachine["run"]>["eventLogs"] extends AsyncGenerator<infer E> ? E : never;

/** A local stand-in for a Task: receives the Task's effective input (its evaluated Parameters). */
export type TaskHandler = (input: JsonValue, call: number) => JsonValue | Promise<JsonValue>;

export interface TaskCall {
  readonly state: string;
  readonly input: JsonValue;
}

/** Options of {@link runLocally}. */
export interface LocalRunOptions {
  /**
   * The context object (`$$`) the run sees, for definitions that read `$$.Execution.Name` and the like, which
   * the library does not invent. @default - the library's own (mostly empty) context
   */
  readonly context?: Record<string, unknown>;
}

export interface LocalRun {
  readonly status: "SUCCEEDED" | "FAILED";
  readonly output?: JsonValue;
  readonly error?: { readonly Error: string; readonly Cause: unknown };
  readonly calls: readonly TaskCall[];
  /** States retried, in order (one entry per retry). */
  readonly retries: readonly string[];
  /** Every state entered, in order (across branches). */
  readonly entered: readonly string[];
}

/** An error as Step Functions names it (`Glue.ConcurrentRunsExceededException`, `States.TaskFailed`...). */
export function awsError(name: string, cause: string): Error {
  const error = new Error(cause);
  error.name = name;
  return error;
}

/** The input of a Task state's first call in `run`, or `undefined` if the run never called it. */
export function inputOf(run: LocalRun, state: string): Record<string, JsonValue> | undefined {
  return run.calls.find((c) => c.state === state)?.input as Record<string, JsonValue> | undefined;
}

/**
 * Runs `definition` with `handlers`. A Task without a handler fails the run with a clear error, so a test
 * can never reach a real AWS endpoint.
 */
export async function runLocally(
  definition: StateMachineDefinition,
  handlers: Record<string, TaskHandler>,
  input: JsonValue = {},
  options: LocalRunOptions = {},
): Promise<LocalRun> {
  const calls: TaskCall[] = [];
  const counts = new Map<string, number>();
  const tasks = listTaskStates(definition);
  const bound = Object.fromEntries(
    tasks.map((t) => [
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
    ...(options.context ? { context: structuredClone(options.context) } : {}),
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
