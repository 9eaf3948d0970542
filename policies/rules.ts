/**
 * Every policy of the pack, in one list: imported by the PolicyPack (policies/index.ts, which starts the
 * policy server and so must not be imported by tests) and by the offline harness (policies/harness.ts).
 * Each area adds its rules here.
 */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { iamPolicies } from "./rules/iam";
import { kmsPolicies } from "./rules/kms";
import { s3Policies } from "./rules/s3";
import { iotPolicies } from "./rules/iot";
import { firehosePolicies } from "./rules/firehose";
import { gluePolicies } from "./rules/glue";
import { stepFunctionsPolicies } from "./rules/stepfunctions";
import { networkPolicies } from "./rules/network";
import { secretsPolicies } from "./rules/secrets";
import { analyticsPolicies } from "./rules/analytics";
import { mlPolicies } from "./rules/ml";
import { lambdaPolicies } from "./rules/lambda";
import { logsPolicies } from "./rules/logs";
import { containerPolicies } from "./rules/containers";
import { streamingPolicies } from "./rules/streaming";
import { operationsPolicies } from "./rules/operations";

export type PlatformPolicy = ResourceValidationPolicy | StackValidationPolicy;

export const platformPolicies: PlatformPolicy[] = [
  ...s3Policies,
  ...kmsPolicies,
  ...iamPolicies,
  ...iotPolicies,
  ...firehosePolicies,
  ...gluePolicies,
  ...stepFunctionsPolicies,
  ...networkPolicies,
  ...secretsPolicies,
  ...analyticsPolicies,
  ...mlPolicies,
  ...lambdaPolicies,
  ...logsPolicies,
  ...containerPolicies,
  ...streamingPolicies,
  ...operationsPolicies,
];
