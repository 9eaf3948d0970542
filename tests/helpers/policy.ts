/**
 * Fixtures for policy tests: hand-built resources (as the mocks would record them) and a one-policy runner.
 */
import type { RecordedResource } from "../../components/testing/recorded";
import { evaluatePolicies } from "../../policies/harness";
import type { PlatformPolicy } from "../../policies/rules";

/** A custom resource as recorded under mocks. `deps` maps an input property to the resources it refers to. */
export function fakeResource(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  deps: Record<string, RecordedResource[]> = {},
): RecordedResource {
  return {
    type,
    name,
    urn: `urn:pulumi:test::sensor-analytics::${type}::${name}`,
    custom: true,
    inputs,
    state: inputs,
    protect: false,
    retainOnDelete: false,
    ignoreChanges: [],
    dependsOn: [],
    propertyDependencies: Object.fromEntries(
      Object.entries(deps).map(([k, rs]) => [k, rs.map((r) => r.urn)]),
    ),
  };
}

/** Messages one policy reports for a set of resources. */
export async function violationsOf(policy: PlatformPolicy, resources: RecordedResource[]): Promise<string[]> {
  const report = await evaluatePolicies(resources, [policy]);
  return report.violations.map((v) => v.message);
}
