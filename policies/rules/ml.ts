/**
 * SageMaker rules. Sources: cdk-nag AwsSolutions-SM2 (endpoint config KMS), SM3 (model network isolation),
 * Security Hub SageMaker.1-3, and SageMaker's guidance to encrypt job volumes and outputs with a customer key.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";

export const sageMakerEndpointConfigKms: ResourceValidationPolicy = {
  name: "sagemaker-endpoint-config-kms",
  description:
    "SageMaker endpoint configs encrypt the ML storage volumes of their instances with a customer-managed KMS key (kmsKeyArn). Advisory: without one SageMaker encrypts the volumes with an AWS-managed key.",
  enforcementLevel: "advisory",
  validateResource: (args, reportViolation) => {
    if (args.type !== "aws:sagemaker/endpointConfiguration:EndpointConfiguration") return;
    if (!args.props.kmsKeyArn)
      reportViolation(
        `${args.name}: no kmsKeyArn; set it to the key that encrypts the endpoint's storage volumes`,
      );
  },
};

export const sageMakerModelNetworkIsolation: ResourceValidationPolicy = {
  name: "sagemaker-model-network-isolation",
  description:
    "SageMaker models run with network isolation: the container makes no outbound calls (built-in algorithms need none).",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== "aws:sagemaker/model:Model") return;
    if (args.props.enableNetworkIsolation !== true)
      reportViolation(
        `${args.name}: enableNetworkIsolation is not true; turn it on unless the container must reach the network`,
      );
  },
};

interface AslTask {
  Type?: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  Branches?: { States?: Record<string, AslTask> }[];
}

/** SageMaker job Tasks in a definition that leave volumes or outputs without the customer key. */
export function unencryptedSageMakerJobs(states: Record<string, AslTask> | undefined): string[] {
  const problems: string[] = [];
  for (const [name, state] of Object.entries(states ?? {})) {
    for (const branch of state.Branches ?? []) problems.push(...unencryptedSageMakerJobs(branch.States));
    if (state.Type !== "Task" || typeof state.Resource !== "string") continue;
    const p = state.Parameters ?? {};
    const get = (path: string[]) =>
      path.reduce<unknown>(
        (v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined),
        p,
      );
    if (/:sagemaker:createTrainingJob/.test(state.Resource)) {
      if (!get(["ResourceConfig", "VolumeKmsKeyId"]))
        problems.push(`${name}: training job without ResourceConfig.VolumeKmsKeyId`);
      if (!get(["OutputDataConfig", "KmsKeyId"]))
        problems.push(`${name}: training job without OutputDataConfig.KmsKeyId`);
    }
    if (/:sagemaker:createTransformJob/.test(state.Resource)) {
      if (!get(["TransformResources", "VolumeKmsKeyId"]))
        problems.push(`${name}: transform job without TransformResources.VolumeKmsKeyId`);
      if (!get(["TransformOutput", "KmsKeyId"]))
        problems.push(`${name}: transform job without TransformOutput.KmsKeyId`);
    }
    if (/:sagemaker:createEndpointConfig/.test(state.Resource) && !p.KmsKeyId)
      problems.push(`${name}: endpoint config without KmsKeyId`);
  }
  return problems;
}

export const sageMakerJobsEncrypted: ResourceValidationPolicy = {
  name: "sagemaker-jobs-encrypted",
  description:
    "SageMaker jobs and endpoint configs that state machines create encrypt their volumes and outputs with a customer-managed KMS key (VolumeKmsKeyId, OutputDataConfig/TransformOutput KmsKeyId, endpoint config KmsKeyId). Advisory: without one SageMaker encrypts volumes and outputs with AWS-managed keys (`aws/s3` for outputs).",
  enforcementLevel: "advisory",
  validateResource: (args, reportViolation) => {
    if (args.type !== "aws:sfn/stateMachine:StateMachine" || typeof args.props.definition !== "string")
      return;
    let definition: { States?: Record<string, AslTask> };
    try {
      definition = JSON.parse(args.props.definition) as typeof definition;
    } catch {
      return; // sfn rules report a definition that is not JSON
    }
    for (const problem of unencryptedSageMakerJobs(definition.States))
      reportViolation(`${args.name}: ${problem}; set it to the lake key`);
  },
};

export const mlPolicies = [
  sageMakerEndpointConfigKms,
  sageMakerModelNetworkIsolation,
  sageMakerJobsEncrypted,
];
