/**
 * Amazon States Language (JSONPath query language) as TypeScript types, so state machines are built by
 * typed builder functions that return plain objects (`aws.sfn.StateMachine.definition` gets
 * `JSON.stringify(definition)`, aws-local-stepfunctions and asl-validator get the object itself).
 *
 * Shared by every state machine of the platform (ETL, model training, batch scoring). Types only, plus two
 * small pure helpers; no Pulumi inside. Reference: https://states-language.net/spec.html
 */

/** A JSON value as ASL carries it (payload templates, `Result`, execution input). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A payload template: keys ending in `.$` hold a JSONPath or intrinsic function, the rest are literals. */
export type PayloadTemplate = { [key: string]: JsonValue };

/** One `Retry` entry. */
export interface Retrier {
  readonly ErrorEquals: readonly string[];
  /** @default 1 */
  readonly IntervalSeconds?: number;
  /** @default 3 */
  readonly MaxAttempts?: number;
  /** @default 2 */
  readonly BackoffRate?: number;
  readonly MaxDelaySeconds?: number;
  readonly JitterStrategy?: "FULL" | "NONE";
}

/** One `Catch` entry. */
export interface Catcher {
  readonly ErrorEquals: readonly string[];
  readonly Next: string;
  /** Where the error output goes in the state's input; `$.error` keeps the input beside it. */
  readonly ResultPath?: string | null;
}

/** A state either names its successor or ends the execution. */
export type Transition = { readonly Next: string; readonly End?: never } | { readonly End: true; readonly Next?: never };

interface StateBase {
  readonly Comment?: string;
  readonly InputPath?: string | null;
  readonly OutputPath?: string | null;
}

export type TaskState = StateBase &
  Transition & {
    readonly Type: "Task";
    /** `arn:aws:states:::<service>:<api>[.sync|.waitForTaskToken]`, `arn:aws:states:::aws-sdk:<service>:<api>`, or a Lambda ARN. */
    readonly Resource: string;
    readonly Parameters?: PayloadTemplate;
    readonly ResultSelector?: PayloadTemplate;
    readonly ResultPath?: string | null;
    readonly TimeoutSeconds?: number;
    readonly HeartbeatSeconds?: number;
    readonly Retry?: readonly Retrier[];
    readonly Catch?: readonly Catcher[];
  };

export type PassState = StateBase &
  Transition & {
    readonly Type: "Pass";
    readonly Parameters?: PayloadTemplate;
    readonly Result?: JsonValue;
    readonly ResultPath?: string | null;
  };

export type WaitState = StateBase &
  Transition & {
    readonly Type: "Wait";
    readonly Seconds?: number;
    readonly SecondsPath?: string;
    readonly Timestamp?: string;
    readonly TimestampPath?: string;
  };

/** A Choice rule's comparison (the subset of operators the platform uses, plus the boolean combinators). */
export interface ChoiceExpression {
  readonly Variable?: string;
  readonly StringEquals?: string;
  readonly StringEqualsPath?: string;
  readonly StringMatches?: string;
  readonly NumericEquals?: number;
  readonly NumericGreaterThan?: number;
  readonly NumericGreaterThanEquals?: number;
  readonly NumericLessThan?: number;
  readonly NumericGreaterThanEqualsPath?: string;
  readonly NumericLessThanPath?: string;
  readonly BooleanEquals?: boolean;
  readonly IsPresent?: boolean;
  readonly IsNull?: boolean;
  readonly And?: readonly ChoiceExpression[];
  readonly Or?: readonly ChoiceExpression[];
  readonly Not?: ChoiceExpression;
}

export type ChoiceRule = ChoiceExpression & { readonly Next: string };

export interface ChoiceState extends StateBase {
  readonly Type: "Choice";
  readonly Choices: readonly ChoiceRule[];
  readonly Default?: string;
}

export interface SucceedState extends StateBase {
  readonly Type: "Succeed";
}

export interface FailState {
  readonly Type: "Fail";
  readonly Comment?: string;
  readonly Error?: string;
  readonly ErrorPath?: string;
  readonly Cause?: string;
  readonly CausePath?: string;
}

/** A branch of a Parallel state or the item processor of a Map state. */
export interface SubMachine {
  readonly StartAt: string;
  readonly States: Readonly<Record<string, State>>;
}

export type ParallelState = StateBase &
  Transition & {
    readonly Type: "Parallel";
    readonly Branches: readonly SubMachine[];
    readonly Parameters?: PayloadTemplate;
    readonly ResultSelector?: PayloadTemplate;
    readonly ResultPath?: string | null;
    readonly Retry?: readonly Retrier[];
    readonly Catch?: readonly Catcher[];
  };

export type MapState = StateBase &
  Transition & {
    readonly Type: "Map";
    readonly ItemsPath?: string;
    readonly ItemSelector?: PayloadTemplate;
    readonly ItemProcessor: SubMachine & {
      readonly ProcessorConfig?: { readonly Mode: "INLINE" };
    };
    readonly MaxConcurrency?: number;
    readonly ResultSelector?: PayloadTemplate;
    readonly ResultPath?: string | null;
    readonly Retry?: readonly Retrier[];
    readonly Catch?: readonly Catcher[];
  };

export type State = TaskState | PassState | WaitState | ChoiceState | SucceedState | FailState | ParallelState | MapState;

/** A whole state machine definition. */
export interface StateMachineDefinition extends SubMachine {
  readonly Comment?: string;
  /** Hard limit for the whole execution. @default - one year (the service maximum) */
  readonly TimeoutSeconds?: number;
}

/** The names each state can move to (Next, Default, Choices, Catch), for reachability checks. */
export function transitionsOf(state: State): string[] {
  const targets: string[] = [];
  if ("Next" in state && state.Next) targets.push(state.Next);
  if (state.Type === "Choice") {
    targets.push(...state.Choices.map((c) => c.Next));
    if (state.Default) targets.push(state.Default);
  }
  if ("Catch" in state && state.Catch) targets.push(...state.Catch.map((c) => c.Next));
  return targets;
}

/**
 * Structural problems asl-validator does not report as plainly: transitions to states that do not exist,
 * and states no path reaches. Empty when the machine is well formed. Checks sub-machines too.
 */
export function definitionProblems(machine: SubMachine, where = "StateMachine"): string[] {
  const problems: string[] = [];
  const names = new Set(Object.keys(machine.States));
  if (!names.has(machine.StartAt)) problems.push(`${where}: StartAt "${machine.StartAt}" is not a state`);
  const reached = new Set<string>();
  const queue = names.has(machine.StartAt) ? [machine.StartAt] : [];
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (reached.has(name)) continue;
    reached.add(name);
    for (const target of transitionsOf(machine.States[name]!)) {
      if (!names.has(target)) problems.push(`${where}: state "${name}" moves to "${target}", which is not a state`);
      else queue.push(target);
    }
  }
  for (const name of names) {
    if (!reached.has(name)) problems.push(`${where}: state "${name}" is unreachable`);
    const state = machine.States[name]!;
    if (state.Type === "Parallel") state.Branches.forEach((b, i) => problems.push(...definitionProblems(b, `${where}/${name}[${i}]`)));
    if (state.Type === "Map") problems.push(...definitionProblems(state.ItemProcessor, `${where}/${name}`));
  }
  return problems;
}
