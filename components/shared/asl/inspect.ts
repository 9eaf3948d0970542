/**
 * Reading a built definition: every Task state with its integration and parameters, across Parallel
 * branches and Map iterations. The local backend uses it to bind each Task to a local handler by state name (the key
 * aws-local-stepfunctions' `taskResourceLocalHandlers` expects); tests use it to check every Task. Pure.
 */
import type { Branch, PayloadTemplate, Retrier, Catcher } from "./types";

export interface TaskStateInfo {
  /** State name, unique across the whole machine (ASL requires it). */
  readonly name: string;
  /** The integration ARN, e.g. `arn:aws:states:::glue:startJobRun.sync`. */
  readonly resource: string;
  readonly parameters: PayloadTemplate;
  readonly timeoutSeconds: number;
  readonly retry: readonly Retrier[];
  readonly catch: readonly Catcher[];
  /** Names of the Parallel and Map states enclosing this one, outermost first (empty at top level). */
  readonly enclosedBy: readonly string[];
}

/** Every Task state of a definition, in definition order. */
export function listTaskStates(definition: Branch, enclosedBy: readonly string[] = []): TaskStateInfo[] {
  const found: TaskStateInfo[] = [];
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type === "Task") {
      found.push({
        name,
        resource: state.Resource,
        parameters: state.Parameters ?? {},
        timeoutSeconds: state.TimeoutSeconds,
        retry: state.Retry ?? [],
        catch: state.Catch ?? [],
        enclosedBy,
      });
    } else if (state.Type === "Parallel") {
      for (const branch of state.Branches) found.push(...listTaskStates(branch, [...enclosedBy, name]));
    } else if (state.Type === "Map") {
      found.push(...listTaskStates(state.ItemProcessor, [...enclosedBy, name]));
    }
  }
  return found;
}

/** Every state name of a definition, across branches. */
export function listStateNames(definition: Branch): string[] {
  return Object.entries(definition.States).flatMap(([name, state]) =>
    state.Type === "Parallel"
      ? [name, ...state.Branches.flatMap(listStateNames)]
      : state.Type === "Map"
        ? [name, ...listStateNames(state.ItemProcessor)]
        : [name],
  );
}
