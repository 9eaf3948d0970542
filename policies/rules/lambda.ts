/**
 * Lambda rules. Sources: Security Hub Lambda.2 (supported runtimes), cdk-nag AwsSolutions-L1 (latest runtime),
 * and the Lambda guidance that asynchronous invocations which fail must land somewhere (a dead-letter queue or
 * an on-failure destination) instead of vanishing after two retries.
 */
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { resourcesReferencing } from "../lib/resources";

const FUNCTION = "aws:lambda/function:Function";
/** Tag a function invoked only synchronously carries: there is no asynchronous failure to keep. */
export const SYNCHRONOUS_TAG = "sensor-analytics:invocation";

/** The oldest runtime of each family that is current (not deprecated or near its end of support). */
export const CURRENT_RUNTIMES: Readonly<Record<string, string>> = {
  nodejs: "22",
  python: "3.12",
  java: "21",
  dotnet: "8",
  ruby: "3.3",
};

/** Compares dotted versions part by part ("3.9" < "3.12"). */
function versionAtLeast(version: string, oldest: string): boolean {
  const a = version.split(".").map(Number);
  const b = oldest.split(".").map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

/** Why a runtime is not current, or undefined when it is. */
export function runtimeProblem(runtime: string): string | undefined {
  if (runtime === "provided.al2023") return undefined;
  const match = /^(nodejs|python|java|dotnet|ruby)(\d+(?:\.\d+)?)(?:\.x)?$/.exec(runtime);
  if (!match) return `runtime ${runtime} is not a current managed runtime`;
  const [, family, version] = match as unknown as [string, string, string];
  const oldest = CURRENT_RUNTIMES[family]!;
  return versionAtLeast(version, oldest)
    ? undefined
    : `runtime ${runtime} is older than the oldest current ${family} runtime (${family}${oldest}); upgrade it`;
}

export const lambdaCurrentRuntime: ResourceValidationPolicy = {
  name: "lambda-current-runtime",
  description:
    "Zip-packaged Lambda functions run on a current managed runtime (Node.js 22+, Python 3.12+, Java 21+, .NET 8+, Ruby 3.3+, or provided.al2023).",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== FUNCTION || args.props.packageType === "Image") return;
    const runtime = args.props.runtime;
    if (typeof runtime !== "string") {
      reportViolation(`${args.name}: no runtime; set one (e.g. nodejs24.x)`);
      return;
    }
    const problem = runtimeProblem(runtime);
    if (problem) reportViolation(`${args.name}: ${problem}`);
  },
};

function hasFailureDestination(fn: PolicyResource, all: readonly PolicyResource[]): boolean {
  const configs = resourcesReferencing(
    all,
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
    "functionName",
    fn,
    [fn.props.name, fn.props.arn],
  );
  return configs.some((c) => {
    const onFailure = (c.props.destinationConfig as { onFailure?: { destination?: string } } | undefined)
      ?.onFailure;
    return typeof onFailure?.destination === "string" && onFailure.destination !== "";
  });
}

export const lambdaDeadLetterOrDestination: StackValidationPolicy = {
  name: "lambda-dead-letter-or-destination",
  description:
    "Every Lambda function has a dead-letter queue (deadLetterConfig.targetArn) or an on-failure destination (FunctionEventInvokeConfig), so a failed asynchronous invocation is kept for inspection and replay. A function only ever invoked synchronously (its caller sees the error, e.g. an IoT pre-provisioning hook) says so with the tag sensor-analytics:invocation=synchronous.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    for (const fn of args.resources.filter((r) => r.type === FUNCTION)) {
      const tags = fn.props.tags as Record<string, string> | undefined;
      if (tags?.[SYNCHRONOUS_TAG] === "synchronous") continue;
      const dlq = (fn.props.deadLetterConfig as { targetArn?: string } | undefined)?.targetArn;
      if (dlq || hasFailureDestination(fn, args.resources)) continue;
      reportViolation(
        `${fn.name}: failed asynchronous invocations are dropped; set deadLetterConfig { targetArn } or a FunctionEventInvokeConfig with destinationConfig.onFailure`,
        fn.urn,
      );
    }
  },
};

export const lambdaPolicies = [lambdaCurrentRuntime, lambdaDeadLetterOrDestination];
