/**
 * Local Step Functions: state machine definitions the cloud components generate, executed by
 * aws-local-stepfunctions with every Task bound to a local handler by state name. Wait states and retry
 * pauses are compressed by the backend's speed (a 20-second crawler poll at `--speed 60` waits a third of a
 * second), executions are recorded (status, error, timings, states entered) for ListExecutions, the dashboard
 * and the summary, and `$$` (the context object) carries the execution's ARN, name and simulated start time.
 */
import { randomUUID } from "node:crypto";
import { StateMachine } from "aws-local-stepfunctions";
import type { Branch, JsonValue, StateMachineDefinition } from "../../components/shared/asl/types";
import { listTaskStates } from "../../components/shared/asl/inspect";

/** A Task's local implementation: receives the Task's effective input (its evaluated Parameters). */
export type LocalTaskHandler = (input: JsonValue) => Promise<JsonValue> | JsonValue;

export type ExecutionStatus = "RUNNING" | "SUCCEEDED" | "FAILED" | "ABORTED";

export interface LocalExecution {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  status: ExecutionStatus;
  readonly startDate: Date;
  stopDate?: Date;
  /** Wall ms the execution took. */
  wallMs?: number;
  error?: string;
  cause?: string;
  output?: JsonValue;
  /** States entered, in order (across branches). */
  readonly states: string[];
  /** Resolves when the execution ends. */
  readonly done: Promise<void>;
}

interface RegisteredMachine {
  readonly arn: string;
  readonly name: string;
  readonly definition: StateMachineDefinition;
  readonly handlers: Readonly<Record<string, LocalTaskHandler>>;
  readonly waits: Readonly<Record<string, number>>;
  readonly retries: Readonly<Record<string, number[]>>;
}

type EventLog = ReturnType<StateMachine["run"]>["eventLogs"] extends AsyncGenerator<infer E> ? E : never;

/** Executions kept per machine (older ones are forgotten). */
const KEEP_EXECUTIONS = 50;

export class LocalStepFunctions {
  private readonly machines = new Map<string, RegisteredMachine>();
  private readonly executions: LocalExecution[] = [];
  private readonly aborts = new Map<string, () => void>();

  /**
   * @param speed simulated ms per wall ms (Wait and retry pauses are divided by it)
   * @param now simulated clock
   * @param arnPrefix `arn:aws:states:<region>:<account>:`
   */
  constructor(
    private readonly speed: number,
    private readonly now: () => number,
    private readonly arnPrefix: string,
  ) {}

  /** ARN a machine of this name has. */
  machineArn(name: string): string {
    return `${this.arnPrefix}stateMachine:${name}`;
  }

  /**
   * Registers a machine. Every Task state must have a handler and every handler must name a Task state, so a
   * renamed state fails here instead of reaching a real AWS endpoint.
   */
  register(
    name: string,
    definition: StateMachineDefinition,
    handlers: Readonly<Record<string, LocalTaskHandler>>,
  ): string {
    const tasks = listTaskStates(definition).map((t) => t.name);
    const unbound = tasks.filter((t) => !handlers[t]);
    const unknown = Object.keys(handlers).filter((h) => !tasks.includes(h));
    if (unbound.length > 0 || unknown.length > 0) {
      throw new Error(
        `state machine ${name}: ${unbound.length > 0 ? `no local handler for Task state(s) ${unbound.join(", ")}` : ""}${unbound.length > 0 && unknown.length > 0 ? "; " : ""}${unknown.length > 0 ? `handlers for states the definition does not have: ${unknown.join(", ")}` : ""}`,
      );
    }
    const waits: Record<string, number> = {};
    const retries: Record<string, number[]> = {};
    const visit = (branch: Branch): void => {
      for (const [stateName, state] of Object.entries(branch.States)) {
        if (state.Type === "Wait") {
          if (state.Seconds === undefined)
            throw new Error(`state machine ${name}: Wait state ${stateName} must use Seconds to run locally`);
          waits[stateName] = (state.Seconds * 1000) / this.speed;
        }
        if ((state.Type === "Task" || state.Type === "Parallel" || state.Type === "Map") && state.Retry) {
          retries[stateName] = state.Retry.map((r) => ((r.IntervalSeconds ?? 1) * 1000) / this.speed);
        }
        if (state.Type === "Parallel") state.Branches.forEach(visit);
        if (state.Type === "Map") visit(state.ItemProcessor);
      }
    };
    visit(definition);
    const arn = this.machineArn(name);
    this.machines.set(arn, { arn, name, definition, handlers, waits, retries });
    return arn;
  }

  /** Starts an execution (StartExecution); returns at once. */
  start(stateMachineArn: string, input: JsonValue = {}, name: string = randomUUID()): LocalExecution {
    const machine = this.machines.get(stateMachineArn);
    if (!machine)
      throw Object.assign(new Error(`state machine ${stateMachineArn} does not exist locally`), {
        name: "StateMachineDoesNotExist",
      });
    const executionArn = `${this.arnPrefix}execution:${machine.name}:${name}`;
    const startDate = new Date(this.now());
    const states: string[] = [];
    const wallStart = performance.now();
    const handlers = Object.fromEntries(
      Object.entries(machine.handlers).map(([state, handler]) => [
        state,
        async (taskInput: JsonValue) => handler(taskInput),
      ]),
    );
    const run = new StateMachine(structuredClone(machine.definition) as never).run(input as never, {
      context: {
        Execution: { Id: executionArn, Name: name, StartTime: startDate.toISOString() },
        StateMachine: { Id: machine.arn, Name: machine.name },
        State: { EnteredTime: startDate.toISOString(), Name: machine.definition.StartAt, RetryCount: 0 },
      } as never,
      overrides: {
        taskResourceLocalHandlers: handlers as never,
        waitTimeOverrides: machine.waits,
        retryIntervalOverrides: machine.retries,
      },
    });
    const execution: { -readonly [K in keyof LocalExecution]: LocalExecution[K] } = {
      executionArn,
      stateMachineArn,
      name,
      status: "RUNNING",
      startDate,
      states,
      done: Promise.resolve(),
    };
    execution.done = this.follow(run, execution, wallStart);
    this.aborts.set(executionArn, run.abort);
    this.executions.unshift(execution);
    const ofMachine = this.executions.filter((e) => e.stateMachineArn === stateMachineArn);
    for (const old of ofMachine.slice(KEEP_EXECUTIONS))
      this.executions.splice(this.executions.indexOf(old), 1);
    return execution;
  }

  /** Records the events and the outcome of a running execution. */
  private async follow(
    run: ReturnType<StateMachine["run"]>,
    execution: LocalExecution,
    wallStart: number,
  ): Promise<void> {
    const failure: { error?: string; cause?: string } = {};
    const collect = (async () => {
      for await (const event of run.eventLogs as AsyncGenerator<EventLog>) {
        if (event.type === "StateEntered") execution.states.push(event.state.name);
        if (event.type === "ExecutionFailed" && "Error" in event)
          Object.assign(failure, { error: event.Error, cause: String(event.Cause ?? "") });
      }
    })();
    let caught: Error | undefined;
    try {
      execution.output = (await run.result) as JsonValue;
    } catch (err) {
      caught = err as Error;
    }
    // The event log ends with the execution; its ExecutionFailed event has the machine's own Error and Cause.
    await collect.catch(() => undefined);
    if (caught) {
      execution.status = caught.name === "ExecutionAbortedError" ? "ABORTED" : "FAILED";
      execution.error = failure.error ?? caught.name;
      execution.cause = failure.cause ?? caught.message;
    } else {
      execution.status = "SUCCEEDED";
    }
    execution.stopDate = new Date(this.now());
    execution.wallMs = Math.round(performance.now() - wallStart);
    this.aborts.delete(execution.executionArn);
  }

  /** Runs an execution to its end. */
  async run(stateMachineArn: string, input: JsonValue = {}): Promise<LocalExecution> {
    const execution = this.start(stateMachineArn, input);
    await execution.done;
    return execution;
  }

  /** Executions, newest first (ListExecutions). */
  list(stateMachineArn?: string, status?: ExecutionStatus): LocalExecution[] {
    return this.executions.filter(
      (e) => (!stateMachineArn || e.stateMachineArn === stateMachineArn) && (!status || e.status === status),
    );
  }

  /** Waits for every running execution, up to `timeoutMs`; then aborts what is left. */
  async drain(timeoutMs: number): Promise<void> {
    // Executions may start others while they finish (the ETL starts training): wait for those too.
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const running = this.executions.filter((e) => e.status === "RUNNING").map((e) => e.done);
      const left = deadline - Date.now();
      if (running.length === 0 || left <= 0) break;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(running),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, left))),
      ]);
      clearTimeout(timer);
    }
    for (const abort of this.aborts.values()) abort();
    await Promise.all(this.executions.map((e) => e.done));
  }
}
