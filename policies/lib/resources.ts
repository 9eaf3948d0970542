/** Helpers for stack-wide rules: find the resources that configure a given resource. */
import type { PolicyResource } from "@pulumi/policy";

/**
 * Resources of `type` whose `property` refers to `target`: through the engine's property dependencies
 * (works in a preview, where IDs are still unknown) or, failing that, by the resolved value.
 */
export function resourcesReferencing(
  all: readonly PolicyResource[],
  type: string,
  property: string,
  target: PolicyResource,
  targetValues: readonly unknown[],
): PolicyResource[] {
  return all.filter((r) => {
    if (r.type !== type) return false;
    const deps = r.propertyDependencies?.[property] ?? [];
    if (deps.some((d) => d.urn === target.urn)) return true;
    const value = r.props[property];
    return value !== undefined && targetValues.some((v) => v !== undefined && v === value);
  });
}
