/**
 * Step Functions rules. Sources: cdk-nag AwsSolutions-SF1 (log ALL events) and SF2 (X-Ray tracing), Security
 * Hub StepFunctions.1, and the Step Functions best practice "use timeouts to avoid stuck executions".
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";

const STATE_MACHINE = "aws:sfn/stateMachine:StateMachine";

export const sfnLoggingAll: ResourceValidationPolicy = {
  name: "sfn-logging-all",
  description: "State machines log every event (level ALL) with execution data to a CloudWatch log group.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== STATE_MACHINE) return;
    const logging = args.props.loggingConfiguration as
      { level?: string; includeExecutionData?: boolean; logDestination?: string } | undefined;
    if (logging?.level !== "ALL")
      reportViolation(
        `${args.name}: loggingConfiguration.level is ${logging?.level ?? "not set"}; set it to ALL`,
      );
    if (logging?.includeExecutionData !== true)
      reportViolation(
        `${args.name}: loggingConfiguration.includeExecutionData is not true; without it a failed execution's input and error are not in the log`,
      );
    if (!logging?.logDestination)
      reportViolation(
        `${args.name}: loggingConfiguration.logDestination is not set; point it at an encrypted log group ("<arn>:*")`,
      );
  },
};

export const sfnTracing: ResourceValidationPolicy = {
  name: "sfn-tracing",
  description:
    "State machines send X-Ray traces, so a slow or failing step is visible across the services it calls.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== STATE_MACHINE) return;
    const tracing = args.props.tracingConfiguration as { enabled?: boolean } | undefined;
    if (tracing?.enabled !== true)
      reportViolation(`${args.name}: tracingConfiguration.enabled is not true; turn X-Ray tracing on`);
  },
};

interface AslState {
  Type?: string;
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  Branches?: { States?: Record<string, AslState> }[];
  ItemProcessor?: { States?: Record<string, AslState> };
  Iterator?: { States?: Record<string, AslState> };
}

function tasksWithoutTimeout(states: Record<string, AslState> | undefined, path: string[] = []): string[] {
  const found: string[] = [];
  for (const [name, state] of Object.entries(states ?? {})) {
    if (state.Type === "Task" && state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined)
      found.push([...path, name].join(" > "));
    for (const branch of state.Branches ?? [])
      found.push(...tasksWithoutTimeout(branch.States, [...path, name]));
    const inner = state.ItemProcessor ?? state.Iterator;
    if (inner) found.push(...tasksWithoutTimeout(inner.States, [...path, name]));
  }
  return found;
}

export const sfnTaskTimeouts: ResourceValidationPolicy = {
  name: "sfn-task-timeouts",
  description:
    "Every Task state of a state machine has a TimeoutSeconds (a Task without one waits up to a year for an answer).",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== STATE_MACHINE || typeof args.props.definition !== "string") return;
    let definition: { States?: Record<string, AslState> };
    try {
      definition = JSON.parse(args.props.definition) as typeof definition;
    } catch {
      reportViolation(`${args.name}: definition is not JSON`);
      return;
    }
    const missing = tasksWithoutTimeout(definition.States);
    if (missing.length > 0)
      reportViolation(`${args.name}: Task states without TimeoutSeconds: ${missing.join(", ")}`);
  },
};

export const stepFunctionsPolicies = [sfnLoggingAll, sfnTracing, sfnTaskTimeouts];
