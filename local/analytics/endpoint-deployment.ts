/**
 * The local backend's counterpart of what `pulumi up` does for the anomaly endpoint (see AnomalyDetection):
 * make sure the promoted-model parameter exists, read it, and once it names a model create the endpoint from
 * the promoted artifact, as RcfEndpoint's first model, endpoint config and endpoint do. Runs when the backend
 * starts, as a deployment runs before the pipelines; an endpoint that exists is left to retraining.
 */
import {
  EndpointPlan,
  MODEL_KEYS,
  NO_PROMOTED_MODEL,
  parsePromotedModel,
  planEndpoint,
  promotedModelParameterName,
  PromotedModel,
} from "../../components/ml/ml-layout";
import type { LocalParameterStore } from "../aws/ssm";
import type { LocalSageMaker } from "./local-sagemaker";

export interface LocalEndpointDeployment extends EndpointPlan {
  readonly promoted?: PromotedModel;
  /** Whether this start created the endpoint. */
  readonly created: boolean;
}

export function deployLocalEndpoint(args: {
  readonly deployment: string;
  readonly mode: "endpoint" | "batch";
  readonly artifactsBucket: string;
  readonly parameters: LocalParameterStore;
  readonly sagemaker: LocalSageMaker;
}): LocalEndpointDeployment {
  const parameterName = promotedModelParameterName(args.deployment);
  let recorded = args.parameters.get(parameterName);
  if (recorded === undefined) {
    recorded = NO_PROMOTED_MODEL;
    args.parameters.put({ Name: parameterName, Value: recorded, Type: "String" });
  }
  const promoted = parsePromotedModel(parameterName, recorded);
  const plan = planEndpoint(args.deployment, args.mode, promoted !== undefined);
  const { endpointName } = plan;
  if (!endpointName || args.sagemaker.hasEndpoint(endpointName)) return { ...plan, promoted, created: false };

  const modelName = `${args.deployment}-anomaly-endpoint-initial-model`;
  args.sagemaker.createModel({
    ModelName: modelName,
    PrimaryContainer: { ModelDataUrl: `s3://${args.artifactsBucket}/${MODEL_KEYS.currentArtifact}` },
  });
  const configName = `${args.deployment}-anomaly-endpoint-initial-config`;
  args.sagemaker.createEndpointConfig({
    EndpointConfigName: configName,
    ProductionVariants: [{ ModelName: modelName }],
  });
  args.sagemaker.createEndpoint({ EndpointName: endpointName, EndpointConfigName: configName });
  return { ...plan, promoted, created: true };
}
