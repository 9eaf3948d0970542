/**
 * Runs a Pulumi program in-process under `pulumi.runtime.setMocks`, answering with {@link AwsMocks}, and
 * records what would be deployed: every resource with its type, name, URN, parent, inputs and options.
 *
 * Fast, for unit tests of single components. It skips what `pulumi up` does before and around a program
 * (entry-point resolution, stack-config validation, Pulumi's TypeScript loading, the engine's URNs): a whole
 * stack goes through {@link runProgram} (`run-program.ts`) instead.
 */
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { clearDocuments, GeneratedDocument, registeredDocuments } from "../documents";
import { RawStackConfig } from "../config";
import { AwsMocks } from "./aws-mocks";
import { RecordedResource, SECRET_SIG, SECRET_SIG_KEY } from "./recorded";

/**
 * Records every resource registration with the options the mocks interface does not show (parent, protect,
 * retainOnDelete, ignoreChanges, dependencies). It wraps the monitor `setMocks` installed rather than
 * installing its own, because installing a monitor resets the runtime's feature flags (secrets among them).
 */
class ResourceRecorder implements pulumi.runtime.Mocks {
  readonly records: RecordedResource[] = [];
  private readonly pendingOptions = new Map<
    string,
    {
      parent?: string;
      custom: boolean;
      provider?: string;
      protect: boolean;
      retainOnDelete: boolean;
      ignoreChanges: string[];
      dependsOn: string[];
      propertyDependencies: Record<string, string[]>;
    }
  >();

  constructor(private readonly awsMocks: AwsMocks) {}

  call(args: pulumi.runtime.MockCallArgs) {
    return this.awsMocks.call(args);
  }

  /** Sees each registration request before the mock monitor turns it into a `newResource` call. */
  attach(monitor: MockMonitor): void {
    const register = monitor.registerResource.bind(monitor);
    // The request is the SDK's internal protobuf message; only its getters are used here.
    monitor.registerResource = (
      req: RegisterResourceRequest,
      callback: (err: unknown, response: unknown) => void,
    ) => {
      this.pendingOptions.set(`${req.getType()}::${req.getName()}`, {
        parent: req.getParent() || undefined,
        custom: req.getCustom(),
        provider: req.getProvider() || undefined,
        protect: req.getProtect() ?? false,
        retainOnDelete: req.getRetainondelete() ?? false,
        ignoreChanges: req.getIgnorechangesList(),
        dependsOn: req.getDependenciesList(),
        propertyDependencies: propertyDependencies(req),
      });
      return register(req, callback);
    };
  }

  newResource(args: pulumi.runtime.MockResourceArgs) {
    const result = this.awsMocks.newResource(args);
    const options = this.pendingOptions.get(`${args.type}::${args.name}`);
    if (!options) throw new Error(`no registration seen for ${args.type} ${args.name}`);
    this.records.push({
      type: args.type,
      name: args.name,
      urn: urnOf(pulumi.getProject(), pulumi.getStack(), options.parent, args.type, args.name),
      parent: options.parent,
      custom: options.custom,
      ...(options.provider ? { provider: options.provider } : {}),
      inputs: args.inputs as Record<string, unknown>,
      state: result.state,
      id: result.id,
      protect: options.protect,
      retainOnDelete: options.retainOnDelete,
      ignoreChanges: options.ignoreChanges,
      dependsOn: options.dependsOn,
      propertyDependencies: options.propertyDependencies,
    });
    return result;
  }
}

interface RegisterResourceRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getProvider(): string;
  getProtect(): boolean | undefined;
  getRetainondelete(): boolean | undefined;
  getIgnorechangesList(): string[];
  getDependenciesList(): string[];
  getPropertydependenciesMap(): {
    forEach(callback: (value: { getUrnsList(): string[] }, key: string) => void): void;
  };
}

function propertyDependencies(req: RegisterResourceRequest): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  req.getPropertydependenciesMap().forEach((value, key) => {
    out[key] = value.getUrnsList();
  });
  return out;
}

/** The URN the mock monitor gives a resource (parent's type qualifies the child's, as the engine does). */
function urnOf(
  project: string,
  stack: string,
  parent: string | undefined,
  type: string,
  name: string,
): string {
  let qualified = type;
  if (parent) {
    const parentType = (parent.split("::")[2] ?? "").split("$").pop();
    qualified = `${parentType}$${type}`;
  }
  return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

/** What a program run under mocks produced. */
export interface ProgramRun<T> {
  readonly resources: RecordedResource[];
  /** The program's return value with every Output resolved (secrets stay wrapped, see {@link isSecretValue}). */
  readonly outputs: unknown;
  readonly documents: { name: string; kind: GeneratedDocument["kind"]; content: unknown }[];
  readonly mocks: AwsMocks;
  readonly value: T;
}

/**
 * Runs `program` under mocks with a stack's configuration and waits until every resource is registered.
 * Errors from the program (including asynchronous ones inside `apply`) reject the returned promise.
 */
export async function runUnderMocks<T>(
  config: RawStackConfig,
  program: () => T | Promise<T>,
  opts: { project?: string; accountId?: string; ssmParameters?: Readonly<Record<string, string>> } = {},
): Promise<ProgramRun<T>> {
  const project = opts.project ?? "sensor-analytics";
  const region = config.values["aws:region"] ?? "us-east-1";
  const awsMocks = new AwsMocks(region, opts.accountId, opts.ssmParameters);
  const recorder = new ResourceRecorder(awsMocks);
  await pulumi.runtime.setMocks(recorder, project, config.stack, false);
  recorder.attach(pulumi.runtime.getMonitor() as unknown as MockMonitor);
  pulumi.runtime.setAllConfig({ ...config.values }, [...config.secretKeys]);
  clearDocuments();

  const asyncErrors: unknown[] = [];
  const onRejection = (reason: unknown) => asyncErrors.push(reason);
  process.on("unhandledRejection", onRejection);
  try {
    const value = await program();
    const outputs = await resolve(value);
    // Registration continues after the program returns (inside applies); wait for the queue to drain.
    // waitForRPCs is what the SDK itself awaits before a program exits; exported at run time, untyped.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    await (require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> }).waitForRPCs();
    const documents = await Promise.all(
      registeredDocuments().map(async (d) => ({
        name: d.fileName,
        kind: d.kind,
        content: await resolve(d.content),
      })),
    );
    await new Promise((r) => setImmediate(r));
    if (asyncErrors.length > 0) throw asyncErrors[0];
    return { resources: recorder.records, outputs, documents, mocks: awsMocks, value };
  } finally {
    process.off("unhandledRejection", onRejection);
  }
}

/** Resolves every Output inside a value (secrets wrapped so callers can redact them). */
export async function resolve(value: unknown): Promise<unknown> {
  if (pulumi.Output.isInstance(value)) {
    const output = value as pulumi.Output<unknown>;
    const [inner, secret] = await Promise.all([
      new Promise<unknown>((r) => output.apply((v) => r(v))),
      (output as unknown as { isSecret: Promise<boolean> }).isSecret,
    ]);
    const resolved = await resolve(inner);
    return secret ? { [SECRET_SIG_KEY]: SECRET_SIG, value: resolved } : resolved;
  }
  if (value instanceof Promise) return resolve(await value);
  if (pulumi.Resource.isInstance(value)) return `[resource ${await resolve((value as pulumi.Resource).urn)}]`;
  if (Array.isArray(value)) return Promise.all(value.map(resolve));
  if (typeof value === "object" && value !== null) {
    const entries = await Promise.all(
      Object.entries(value).map(async ([k, v]) => [k, await resolve(v)] as const),
    );
    return Object.fromEntries(entries);
  }
  return value;
}
