/**
 * Evaluates the policy pack offline, on the resources a program registered under mocks, the way
 * `pulumi preview --policy-pack policies` evaluates it against the engine: resource policies once per
 * resource, stack policies once with every resource.
 */
import type {
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  StackValidationArgs,
  EnforcementLevel,
} from "@pulumi/policy";
import type { RecordedResource } from "../components/testing/recorded";
import { unwrapSecrets } from "../components/testing/recorded";
import { platformPolicies, PlatformPolicy } from "./rules";

export interface PolicyViolation {
  readonly policy: string;
  readonly enforcementLevel: EnforcementLevel;
  readonly message: string;
  readonly urn?: string;
}

export interface PolicyReport {
  readonly violations: PolicyViolation[];
  readonly mandatory: PolicyViolation[];
  readonly advisory: PolicyViolation[];
  /** Policies evaluated, with how many violations each found. */
  readonly results: { policy: string; enforcementLevel: EnforcementLevel; violations: number }[];
}

type ResourceClass = { __pulumiType?: string };

function policyResources(resources: readonly RecordedResource[]): PolicyResource[] {
  const byUrn = new Map<string, PolicyResource>();
  const views = resources.map((r) => {
    const view: PolicyResource = {
      type: r.type,
      name: r.name,
      urn: r.urn,
      props: unwrapSecrets(r.inputs) as Record<string, unknown>,
      opts: {
        protect: r.protect,
        ignoreChanges: [...r.ignoreChanges],
        aliases: [],
        additionalSecretOutputs: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
      },
      dependencies: [],
      propertyDependencies: {},
      isType: (cls: ResourceClass) => cls.__pulumiType === r.type,
      asType: (cls: ResourceClass) => (cls.__pulumiType === r.type ? unwrapSecrets(r.inputs) : undefined),
    } as unknown as PolicyResource;
    byUrn.set(r.urn, view);
    return view;
  });
  resources.forEach((r, i) => {
    const view = views[i]!;
    view.parent = r.parent ? byUrn.get(r.parent) : undefined;
    view.dependencies = r.dependsOn
      .map((u) => byUrn.get(u))
      .filter((v): v is PolicyResource => v !== undefined);
    view.propertyDependencies = Object.fromEntries(
      Object.entries(r.propertyDependencies).map(([k, urns]) => [
        k,
        urns.map((u) => byUrn.get(u)).filter((v): v is PolicyResource => v !== undefined),
      ]),
    );
  });
  return views;
}

/** Runs every policy (or the given ones) over the recorded resources. */
export async function evaluatePolicies(
  resources: readonly RecordedResource[],
  policies: readonly PlatformPolicy[] = platformPolicies,
): Promise<PolicyReport> {
  const views = policyResources(resources.filter((r) => r.custom));
  const violations: PolicyViolation[] = [];
  const results: PolicyReport["results"] = [];
  for (const policy of policies) {
    const level = policy.enforcementLevel ?? "advisory";
    if (level === "disabled") continue;
    const before = violations.length;
    const report =
      (urnDefault?: string): ReportViolation =>
      (message: string, urn?: string) =>
        violations.push({ policy: policy.name, enforcementLevel: level, message, urn: urn ?? urnDefault });
    if ("validateStack" in policy) {
      const args: StackValidationArgs = {
        resources: views,
        stackTags: new Map(),
        getConfig: <T extends object>() => ({}) as T,
        notApplicable: (reason?: string): never => {
          throw new NotApplicable(reason);
        },
      };
      try {
        await policy.validateStack(args, report());
      } catch (err) {
        if (!(err instanceof NotApplicable)) throw err;
      }
    } else if (policy.validateResource) {
      const validators = Array.isArray(policy.validateResource)
        ? policy.validateResource
        : [policy.validateResource];
      for (const view of views) {
        const args = {
          ...view,
          stackTags: new Map(),
          getConfig: <T extends object>() => ({}) as T,
          notApplicable: (reason?: string): never => {
            throw new NotApplicable(reason);
          },
        } as unknown as ResourceValidationArgs;
        for (const validate of validators) {
          try {
            await validate(args, report(view.urn));
          } catch (err) {
            if (!(err instanceof NotApplicable)) throw err;
          }
        }
      }
    }
    results.push({ policy: policy.name, enforcementLevel: level, violations: violations.length - before });
  }
  return {
    violations,
    mandatory: violations.filter((v) => v.enforcementLevel === "mandatory"),
    advisory: violations.filter((v) => v.enforcementLevel !== "mandatory"),
    results,
  };
}

class NotApplicable extends Error {}
