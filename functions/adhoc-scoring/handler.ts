/**
 * Lambda entry point of the ad-hoc scoring URL. Environment: {@link ML_ENV}, as adHocScoringEnvironment builds it.
 */
import { S3Client } from "@aws-sdk/client-s3";
import { SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import { ML_ENV } from "../../components/ml/ml-env";
import { modelSettingsEnv, requiredEnv } from "../ml-common/env";
import { AdHocDeps, scoreRequest, UrlEvent, UrlResponse } from "./scoring-url";

let deps: AdHocDeps | undefined;

export async function handler(event: UrlEvent): Promise<UrlResponse> {
  deps ??= {
    s3: new S3Client({}),
    runtime: new SageMakerRuntimeClient({}),
    artifactsBucket: requiredEnv(process.env, ML_ENV.artifactsBucket),
    endpointName: requiredEnv(process.env, ML_ENV.endpointName),
    model: modelSettingsEnv(process.env),
  };
  return scoreRequest(event, deps);
}
