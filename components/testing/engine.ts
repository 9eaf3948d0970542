/**
 * An offline Pulumi engine and resource monitor: the two gRPC services (from `@pulumi/pulumi/proto`) a
 * Node.js program started by `@pulumi/pulumi/cmd/run` talks to. The monitor answers every registration,
 * read and invoke with {@link AwsMocks} (or any `pulumi.runtime.Mocks`), gives each resource the URN the
 * engine gives it (its parents' types chained with `$`), and records what the program registered; the engine
 * collects the program's log messages and its root (stack) resource.
 *
 * Like `pulumi up` with providers that answer at once: no `--dry-run`, so outputs are known values.
 */
import { createHash } from "crypto";
import * as grpc from "@grpc/grpc-js";
import type * as pulumi from "@pulumi/pulumi";
import { EngineService } from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as enginePb from "@pulumi/pulumi/proto/engine_pb";
import { ResourceMonitorService } from "@pulumi/pulumi/proto/resource_grpc_pb";
import * as resourcePb from "@pulumi/pulumi/proto/resource_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { JavaScriptValue, Struct } from "google-protobuf/google/protobuf/struct_pb";
import { RecordedResource, SECRET_SIG, SECRET_SIG_KEY } from "./recorded";

/** One message the program logged (`pulumi.log.*`, or an error it ended with). */
export interface Diagnostic {
  readonly severity: "debug" | "info" | "warning" | "error";
  readonly message: string;
  /** The resource the message is about, when it names one. */
  readonly urn?: string;
}

export interface OfflineEngineOptions {
  readonly project: string;
  readonly stack: string;
  readonly organization: string;
  readonly mocks: pulumi.runtime.Mocks;
}

const SEVERITIES = ["debug", "info", "warning", "error"] as const;
/** What the monitor supports: what the SDK's own mock monitor does (output values stay plain, as there). */
const FEATURES = [
  "RESOURCE_MONITOR_FEATURE_SECRETS",
  "RESOURCE_MONITOR_FEATURE_RESOURCE_REFERENCES",
  "RESOURCE_MONITOR_FEATURE_ALIAS_SPECS",
  "RESOURCE_MONITOR_FEATURE_DELETED_WITH",
  "RESOURCE_MONITOR_FEATURE_TRANSFORMS",
  "RESOURCE_MONITOR_FEATURE_INVOKE_TRANSFORMS",
  "RESOURCE_MONITOR_FEATURE_PARAMETERIZATION",
] as const satisfies readonly (keyof typeof resourcePb.ResourceMonitorFeature)[];
const FEATURE_IDS = new Set([
  "secrets",
  "resourceReferences",
  "aliasSpecs",
  "deletedWith",
  "transforms",
  "invokeTransforms",
  "parameterization",
]);

/** Signatures of the special values on the wire (sdk/nodejs/runtime/rpc.ts). */
const SIG = {
  asset: "c44067f5952c0a294b673a41bacd8c17",
  archive: "0def7320c3a5731c473e5ecbe6d01bc7",
  resource: "5cf8f73096256a8f31e491e813e4eb8e",
  outputValue: "d0e6a833031e9bbcd3f4e8bde6ca49a4",
  unknown: "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
} as const;

type Callback<T> = (error: grpc.ServiceError | null, response?: T) => void;
type Call<T> = { request: T };

/** The engine and monitor on one loopback port. */
export class OfflineEngine {
  readonly resources: RecordedResource[] = [];
  readonly diagnostics: Diagnostic[] = [];
  /** Outputs each resource registered (`registerOutputs`), by URN; the stack's are the program's outputs. */
  readonly outputs = new Map<string, Record<string, unknown>>();
  rootUrn: string | undefined;
  private readonly server = new grpc.Server({
    "grpc.max_receive_message_length": 400 * 1024 * 1024,
    "grpc.max_send_message_length": 400 * 1024 * 1024,
  });

  constructor(private readonly options: OfflineEngineOptions) {
    this.server.addService(EngineService, {
      log: (call: Call<enginePb.LogRequest>, done: Callback<Empty>) => {
        const { request } = call;
        this.diagnostics.push({
          severity: SEVERITIES[request.getSeverity()] ?? "info",
          message: request.getMessage(),
          ...(request.getUrn() ? { urn: request.getUrn() } : {}),
        });
        done(null, new Empty());
      },
      getRootResource: (
        _: Call<enginePb.GetRootResourceRequest>,
        done: Callback<enginePb.GetRootResourceResponse>,
      ) => done(null, new enginePb.GetRootResourceResponse().setUrn(this.rootUrn ?? "")),
      setRootResource: (
        call: Call<enginePb.SetRootResourceRequest>,
        done: Callback<enginePb.SetRootResourceResponse>,
      ) => {
        this.rootUrn = call.request.getUrn();
        done(null, new enginePb.SetRootResourceResponse());
      },
      requirePulumiVersion: (_: unknown, done: Callback<enginePb.RequirePulumiVersionResponse>) =>
        done(null, new enginePb.RequirePulumiVersionResponse()),
    });
    this.server.addService(ResourceMonitorService, {
      getDeploymentInfo: (_: unknown, done: Callback<resourcePb.DeploymentInfo>) =>
        done(
          null,
          new resourcePb.DeploymentInfo()
            .setProject(options.project)
            .setStack(options.stack)
            .setOrganization(options.organization)
            .setDryrun(false)
            .setSupportedfeaturesList(FEATURES.map((f) => resourcePb.ResourceMonitorFeature[f])),
        ),
      supportsFeature: (
        call: Call<resourcePb.SupportsFeatureRequest>,
        done: Callback<resourcePb.SupportsFeatureResponse>,
      ) =>
        done(
          null,
          new resourcePb.SupportsFeatureResponse().setHassupport(FEATURE_IDS.has(call.request.getId())),
        ),
      registerResource: handle((req: resourcePb.RegisterResourceRequest) => this.register(req)),
      registerResourceOutputs: handle(async (req: resourcePb.RegisterResourceOutputsRequest) => {
        this.outputs.set(req.getUrn(), decodeProperties(req.getOutputs()?.toJavaScript() ?? {}));
        return new Empty();
      }),
      readResource: handle((req: resourcePb.ReadResourceRequest) => this.read(req)),
      invoke: handle((req: resourcePb.ResourceInvokeRequest) => this.invoke(req)),
      registerPackage: handle(async (req: resourcePb.RegisterPackageRequest) =>
        new resourcePb.RegisterPackageResponse().setRef(`${req.getName()}@${req.getVersion()}`),
      ),
      registerStackTransform: handle(async () => new Empty()),
      registerStackInvokeTransform: handle(async () => new Empty()),
      signalAndWaitForShutdown: handle(async () => new Empty()),
    });
  }

  /** Starts serving on an ephemeral loopback port; resolves with `127.0.0.1:<port>`. */
  start(): Promise<string> {
    return new Promise((resolve, reject) =>
      this.server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) =>
        err ? reject(err) : resolve(`127.0.0.1:${port}`),
      ),
    );
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.tryShutdown(() => resolve()));
  }

  /** The URN the engine gives a resource: the parent's type chain, `$`, the type (the stack is no prefix). */
  urnOf(type: string, name: string, parent: string): string {
    const { project, stack } = this.options;
    if (!parent || parent.split("::")[2] === "pulumi:pulumi:Stack") {
      return `urn:pulumi:${stack}::${project}::${type}::${name}`;
    }
    return `${parent.slice(0, parent.lastIndexOf("::"))}$${type}::${name}`;
  }

  /**
   * The former URNs a registration names (what `pulumi up` matches against the stack's state before planning a
   * create): its own aliases, resolved against its type, name and parent, and the ones it inherits from its
   * parent's, derived as the engine's step generator does (the parent's former URN as parent; a name that
   * starts with the parent's name takes the parent's former name as that prefix). The engine inherits from the
   * one former URN its parent matched in the state; with no state here, from each the parent could match.
   */
  private aliasUrns(req: resourcePb.RegisterResourceRequest, type: string, name: string): string[] {
    const parent = req.getParent();
    const own = req.getAliasesList().map((alias) => {
      const spec = alias.getSpec();
      if (!spec) return { urn: alias.getUrn(), name, type };
      const formerName = spec.getName() || name;
      const formerType = spec.getType() || type;
      const formerParent = spec.getNoparent() ? "" : spec.hasParenturn() ? spec.getParenturn() : parent;
      return { urn: this.urnOf(formerType, formerName, formerParent), name: formerName, type: formerType };
    });
    const parentRecord = this.resources.find((r) => r.urn === parent);
    const parentName = parentRecord?.name ?? "";
    const inherited = (parentRecord?.aliases ?? []).flatMap((parentAlias) => {
      const parentAliasName = parentAlias.slice(parentAlias.lastIndexOf("::") + 2);
      return [{ name, type }, ...own].map((a) =>
        this.urnOf(
          a.type,
          parentName && a.name.startsWith(parentName)
            ? parentAliasName + a.name.slice(parentName.length)
            : a.name,
          parentAlias,
        ),
      );
    });
    return [...new Set([...own.map((a) => a.urn), ...inherited])];
  }

  private async register(
    req: resourcePb.RegisterResourceRequest,
  ): Promise<resourcePb.RegisterResourceResponse> {
    const wire = (req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>;
    const inputs = decodeProperties(wire);
    const type = req.getType();
    const name = req.getName();
    const custom = req.getCustom();
    const result = await this.options.mocks.newResource({
      type,
      name,
      inputs,
      provider: req.getProvider(),
      custom,
      id: req.getImportid(),
    });
    const urn = this.urnOf(type, name, req.getParent());
    const aliases = this.aliasUrns(req, type, name);
    const id = custom ? (result.id ?? "") : undefined;
    const dependencies: Record<string, string[]> = {};
    req.getPropertydependenciesMap().forEach((deps, key) => {
      dependencies[key] = deps.getUrnsList();
    });
    this.resources.push({
      type,
      name,
      urn,
      parent: req.getParent() || undefined,
      custom,
      ...(req.getProvider() ? { provider: req.getProvider() } : {}),
      inputs,
      state: result.state,
      ...(id ? { id } : {}),
      protect: req.getProtect() ?? false,
      retainOnDelete: req.getRetainondelete() ?? false,
      ignoreChanges: req.getIgnorechangesList(),
      dependsOn: req.getDependenciesList(),
      propertyDependencies: dependencies,
      ...(aliases.length > 0 ? { aliases } : {}),
    });
    return new resourcePb.RegisterResourceResponse()
      .setUrn(urn)
      .setId(id ?? "")
      .setObject(Struct.fromJavaScript(answer(wire, inputs, result.state)));
  }

  private async read(req: resourcePb.ReadResourceRequest): Promise<resourcePb.ReadResourceResponse> {
    const wire = (req.getProperties()?.toJavaScript() ?? {}) as Record<string, unknown>;
    const inputs = decodeProperties(wire);
    const result = await this.options.mocks.newResource({
      type: req.getType(),
      name: req.getName(),
      inputs,
      provider: req.getProvider(),
      custom: true,
      id: req.getId(),
    });
    return new resourcePb.ReadResourceResponse()
      .setUrn(this.urnOf(req.getType(), req.getName(), req.getParent()))
      .setProperties(Struct.fromJavaScript(answer(wire, inputs, result.state)));
  }

  private async invoke(req: resourcePb.ResourceInvokeRequest): Promise<resourcePb.ResourceInvokeResponse> {
    const inputs = decodeProperties(req.getArgs()?.toJavaScript() ?? {});
    const result = await this.options.mocks.call({
      token: req.getTok(),
      inputs,
      provider: req.getProvider(),
    });
    return new resourcePb.ResourceInvokeResponse().setReturn(Struct.fromJavaScript(plain(result)));
  }
}

/** Wraps an async handler as a gRPC unary handler; a thrown error becomes the call's error. */
function handle<Req, Res>(fn: (request: Req) => Promise<Res>) {
  return (call: Call<Req>, done: Callback<Res>) => {
    fn(call.request).then(
      (response) => done(null, response),
      (err: unknown) =>
        done({
          name: "Error",
          message: err instanceof Error ? err.message : String(err),
          code: grpc.status.UNKNOWN,
          details: err instanceof Error ? err.message : String(err),
          metadata: new grpc.Metadata(),
        }),
    );
  };
}

/**
 * The answer to a registration: what the program sent, as sent (assets, secrets and references keep their
 * wire form), plus what the mock computed (IDs, ARNs).
 */
function answer(
  wire: Record<string, unknown>,
  inputs: Record<string, unknown>,
  state: Record<string, unknown>,
): JsonObject {
  const computed = Object.fromEntries(Object.entries(state).filter(([key, value]) => inputs[key] !== value));
  return plain({ ...wire, ...computed });
}

type JsonObject = { [key: string]: JavaScriptValue };

/** JSON-safe (a protobuf Struct cannot hold `undefined`). */
function plain(value: unknown): JsonObject {
  return JSON.parse(JSON.stringify(value ?? {})) as JsonObject;
}

const isSecret = (value: unknown): value is { value: unknown } =>
  typeof value === "object" &&
  value !== null &&
  (value as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG;
const unwrap = (value: unknown) => (isSecret(value) ? value.value : value);
const secret = (value: unknown) => ({ [SECRET_SIG_KEY]: SECRET_SIG, value });

/** A resource's properties: each decoded on its own (a secret marks its property, not the whole). */
export function decodeProperties(wire: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(wire).map(([key, value]) => [key, decode(value)]));
}

/**
 * Wire properties to recorded values, the way the SDK deserializes them (secrets inside a list or map mark
 * the whole value secret), except that a resource reference becomes the resource's ID (custom) or URN
 * (component), and an asset or archive a plain description, so nothing needs a Pulumi runtime to read.
 */
export function decode(value: unknown): unknown {
  if (value === SIG.unknown) return undefined;
  if (Array.isArray(value)) {
    const items = value.map(decode);
    return items.some(isSecret) ? secret(items.map(unwrap)) : items;
  }
  if (value === null || typeof value !== "object") return value;
  const record = value as Record<string, unknown>;
  switch (record[SECRET_SIG_KEY]) {
    case SECRET_SIG:
      return secret(decode(record.value));
    case SIG.resource:
      return typeof record.id === "string" && record.id !== "" ? record.id : record.urn;
    case SIG.outputValue: {
      const inner = decode(record.value);
      return record.secret === true ? secret(inner) : inner;
    }
    case SIG.asset:
      return describeAsset(record);
    case SIG.archive:
      return record.assets
        ? {
            archive: Object.fromEntries(
              Object.entries(record.assets as Record<string, Record<string, unknown>>).map(([k, a]) => [
                k,
                describeAsset(a),
              ]),
            ),
          }
        : { archive: record.path ?? record.uri };
  }
  const entries = Object.entries(record).map(([k, v]) => [k, decode(v)] as const);
  return entries.some(([, v]) => isSecret(v))
    ? secret(Object.fromEntries(entries.map(([k, v]) => [k, unwrap(v)])))
    : Object.fromEntries(entries);
}

/** An asset as `{ path }`, `{ uri }`, or `{ text: "<n> bytes, sha256 <hex>" }` (contents can be megabytes). */
function describeAsset(asset: Record<string, unknown>): Record<string, unknown> {
  if (typeof asset.text === "string") {
    const digest = createHash("sha256").update(asset.text).digest("hex");
    return { text: `${Buffer.byteLength(asset.text)} bytes, sha256 ${digest}` };
  }
  return asset.path !== undefined ? { path: asset.path } : { uri: asset.uri };
}
