/**
 * Test support for Pulumi programs built on these components, offline (no AWS account, no Pulumi CLI):
 *
 * - {@link runProgram}: runs a program the way `pulumi up` does (the CLI's stack-config validation and
 *   defaults, the entry point `@pulumi/pulumi/cmd/run` resolves, Pulumi's TypeScript loading) against an
 *   offline gRPC engine and resource monitor, and returns every resource it registered.
 * - {@link runUnderMocks}: runs a function in-process under `pulumi.runtime.setMocks`, for fast unit tests of
 *   single components.
 *
 * Both answer with {@link AwsMocks}: realistic IDs and ARNs for the account {@link MOCK_ACCOUNT_ID}.
 */
export { AwsMocks, MOCK_ACCOUNT_ID, MockNotImplementedError } from "./aws-mocks";
export { decode, decodeProperties, OfflineEngine } from "./engine";
export type { Diagnostic, OfflineEngineOptions } from "./engine";
export { resolve, runUnderMocks } from "./in-process";
export type { ProgramRun } from "./in-process";
export {
  fullTypeName,
  isValueOfType,
  loadProject,
  programLocation,
  ProjectError,
  resolveProgramEntry,
} from "./project";
export type { ProgramEntry, ProgramLocation, ProjectConfigType, PulumiProject } from "./project";
export { isSecretValue, recorded, redactSecrets, unwrapSecrets } from "./recorded";
export type { Recorded, RecordedResource } from "./recorded";
export { ProgramFailedError, runProgram } from "./run-program";
export type { ProgramRunResult, RunProgramOptions } from "./run-program";
export {
  applyProjectConfig,
  languageHostConfigEnv,
  loadStackConfig,
  PLACEHOLDER_SECRET,
  readStackValues,
  StackConfigError,
} from "./stack-config";
export type { ProgramConfig, StackValue } from "./stack-config";
