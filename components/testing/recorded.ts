/**
 * What a program run offline produced, in one shape for both ways of running it (in-process under
 * `pulumi.runtime.setMocks`, or through `@pulumi/pulumi/cmd/run` against a gRPC engine and monitor), and the
 * helpers to read secret values in it.
 */

/** One resource the program registered. */
export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  /** URN of the parent; `undefined` for resources at the top of the program. */
  readonly parent?: string;
  /** Whether this is a custom (cloud) resource, as opposed to a component. */
  readonly custom: boolean;
  /**
   * The explicit provider of a custom resource, as `<provider URN>::<provider ID>` (`opts.provider`, or one
   * inherited from a parent's `providers`); `undefined` for the default provider.
   */
  readonly provider?: string;
  /** Inputs as the provider would receive them; secret values are wrapped (see {@link isSecretValue}). */
  readonly inputs: Record<string, unknown>;
  /** State the mock answered with (inputs plus computed IDs and ARNs). */
  readonly state: Record<string, unknown>;
  readonly id?: string;
  readonly protect: boolean;
  readonly retainOnDelete: boolean;
  readonly ignoreChanges: readonly string[];
  readonly dependsOn: readonly string[];
  /** URNs each input property depends on (what the engine tells policy packs). */
  readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
  /** Former URNs (`aliases`, own and inherited from the parent's): state under them is this resource's. */
  readonly aliases?: readonly string[];
}

/** The wire form of a Pulumi secret: `{ [SECRET_SIG_KEY]: SECRET_SIG, value }`. */
export const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** Whether a recorded input value is a Pulumi secret. */
export function isSecretValue(value: unknown): value is { value: unknown } {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG
  );
}

/** Replaces every secret in a recorded value with "[secret]" (for files people read). */
export function redactSecrets(value: unknown): unknown {
  if (isSecretValue(value)) return "[secret]";
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactSecrets(v)]));
  }
  return value;
}

/** Removes the secret wrappers, keeping the values (for tests that check a secret's content). */
export function unwrapSecrets(value: unknown): unknown {
  if (isSecretValue(value)) return unwrapSecrets(value.value);
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
  }
  return value;
}

/** Queries over recorded resources. */
export interface Recorded {
  /** Custom resources of a type token, e.g. `aws:s3/bucket:Bucket`. */
  ofType(type: string): RecordedResource[];
  /** The one resource with this type and logical name; throws when missing. */
  named(type: string, name: string): RecordedResource;
  /** Resource counts by type. */
  countByType(): Record<string, number>;
}

export function recorded(resources: readonly RecordedResource[]): Recorded {
  return {
    ofType: (type) => resources.filter((r) => r.type === type),
    named: (type, name) => {
      const found = resources.find((r) => r.type === type && r.name === name);
      if (!found) {
        const names = resources.filter((r) => r.type === type).map((r) => r.name);
        throw new Error(`no ${type} named ${name}; have: ${names.join(", ") || "none"}`);
      }
      return found;
    },
    countByType: () => {
      const counts: Record<string, number> = {};
      for (const r of resources) counts[r.type] = (counts[r.type] ?? 0) + 1;
      return counts;
    },
  };
}
