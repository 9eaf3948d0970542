/**
 * Amazon States Language (JSONPath flavour) as TypeScript types, so a state machine is built as a checked
 * object rather than a hand-written string. Only what the platform's machines use is modelled, but every
 * field keeps its ASL name and meaning (https://states-language.net/spec.html). Pure: no Pulumi.
 *
 * Two deliberate tightenings over the spec: every Task must carry `TimeoutSeconds` (a task without one can
 * hang for a year, the service maximum), and a transition is either `Next` or `End`, never both.
 */

/** Any JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A payload template: keys ending in `.$` hold paths or intrinsic functions, the rest are literals. */
export type PayloadTemplate = { [key: string]: JsonValue };

/** A retrier: which errors to retry, and the backoff. */
export interface Retrier {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds?: number;
  readonly MaxAttempts?: number;
  readonly BackoffRate?: number;
  readonly MaxDelaySeconds?: number;
  readonly JitterStrategy?: "FULL" | "NONE";
}

/** A catcher: which errors to catch, where the error output goes, and the state to continue at. */
export interface Catcher {
  readonly ErrorEquals: readonly string[];
  readonly Next: string;
  /** Where `{ Error, Cause }` is written into the state input. @default "$" (replaces the input) */
  readonly ResultPath?: string | null;
}

/** A state either names its successor or ends the machine (or branch). */
export type Transition =
  { readonly Next: string; readonly End?: never } | { readonly End: true; readonly Next?: never };

interface StateBase {
  readonly Comment?: string;
}

interface InputOutput {
  readonly InputPath?: string | null;
  readonly OutputPath?: string | null;
}

export type TaskState = StateBase &
  InputOutput &
  Transition & {
    readonly Type: "Task";
    readonly Resource: string;
    readonly Parameters?: PayloadTemplate;
    readonly ResultSelector?: PayloadTemplate;
    readonly ResultPath?: string | null;
    /** Required here (optional in ASL): see the module comment. */
    readonly TimeoutSeconds: number;
    readonly HeartbeatSeconds?: number;
    readonly Retry?: readonly Retrier[];
    readonly Catch?: readonly Catcher[];
  };

export type PassState = StateBase &
  InputOutput &
  Transition & {
    readonly Type: "Pass";
    readonly Result?: JsonValue;
    readonly Parameters?: PayloadTemplate;
    readonly ResultPath?: string | null;
  };

export type WaitState = StateBase &
  InputOutput &
  Transition & {
    readonly Type: "Wait";
    readonly Seconds?: number;
    readonly SecondsPath?: string;
    readonly Timestamp?: string;
    readonly TimestampPath?: string;
  };

/** Comparison operators of a Choice rule (the subset the platform uses, plus their common siblings). */
export interface ComparisonOperators {
  readonly StringEquals?: string;
  readonly StringMatches?: string;
  readonly NumericEquals?: number;
  readonly NumericGreaterThanEquals?: number;
  readonly NumericLessThan?: number;
  readonly BooleanEquals?: boolean;
  readonly IsPresent?: boolean;
  readonly IsNull?: boolean;
  readonly IsString?: boolean;
}

/** A data test on one variable. */
export type DataTest = { readonly Variable: string } & ComparisonOperators;

/** A Boolean combination of rules. */
export type BooleanRule =
  | { readonly And: readonly ChoiceCondition[] }
  | { readonly Or: readonly ChoiceCondition[] }
  | { readonly Not: ChoiceCondition };

export type ChoiceCondition = DataTest | BooleanRule;

/** A top-level Choice rule: a condition and the state to go to when it holds. */
export type ChoiceRule = ChoiceCondition & { readonly Next: string };

export interface ChoiceState extends StateBase, InputOutput {
  readonly Type: "Choice";
  readonly Choices: readonly ChoiceRule[];
  readonly Default?: string;
}

export type ParallelState = StateBase &
  InputOutput &
  Transition & {
    readonly Type: "Parallel";
    readonly Branches: readonly Branch[];
    readonly Parameters?: PayloadTemplate;
    readonly ResultSelector?: PayloadTemplate;
    readonly ResultPath?: string | null;
    readonly Retry?: readonly Retrier[];
    readonly Catch?: readonly Catcher[];
  };

/** An inline Map state: the same states run for each item of an array of the input. */
export type MapState = StateBase &
  InputOutput &
  Transition & {
    readonly Type: "Map";
    /** The array to iterate over. */
    readonly ItemsPath: string;
    /** Each iteration's input, built from the item (`$$.Map.Item.Value`) and the state's input. */
    readonly ItemSelector?: PayloadTemplate;
    readonly ItemProcessor: Branch & { readonly ProcessorConfig: { readonly Mode: "INLINE" } };
    /** Iterations at a time. @default 0 (as many as possible) */
    readonly MaxConcurrency?: number;
    readonly ResultPath?: string | null;
    readonly Retry?: readonly Retrier[];
    readonly Catch?: readonly Catcher[];
  };

export interface SucceedState extends StateBase, InputOutput {
  readonly Type: "Succeed";
}

export interface FailState extends StateBase {
  readonly Type: "Fail";
  readonly Error?: string;
  readonly ErrorPath?: string;
  readonly Cause?: string;
  readonly CausePath?: string;
}

export type State =
  TaskState | PassState | WaitState | ChoiceState | ParallelState | MapState | SucceedState | FailState;

/** A map of state names to states. */
export type States = Record<string, State>;

/** A branch of a Parallel state: a state machine without the top-level fields. */
export interface Branch {
  readonly Comment?: string;
  readonly StartAt: string;
  readonly States: States;
}

/** A whole state machine definition. */
export interface StateMachineDefinition extends Branch {
  /** Bound on the whole execution. @default - one year (the service maximum) */
  readonly TimeoutSeconds?: number;
  readonly QueryLanguage?: "JSONPath";
}
