/**
 * Lambda entry point of the ad-hoc scoring URL. Environment: ARTIFACTS_BUCKET, ENDPOINT_NAME, MODEL_SETTINGS.
 */
import { S3Client } from "@aws-sdk/client-s3";
import { SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import { modelSettingsEnv, requiredEnv } from "../ml-common/env";
import { AdHocDeps, scoreRequest, UrlEvent, UrlResponse } from "./scoring-url";

let deps: AdHocDeps | undefined;

export async function handler(event: UrlEvent): Promise<UrlResponse> {
  deps ??= {
    s3: new S3Client({}),
    runtime: new SageMakerRuntimeClient({}),
    artifactsBucket: requiredEnv(process.env, "ARTIFACTS_BUCKET"),
    endpointName: requiredEnv(process.env, "ENDPOINT_NAME"),
    model: modelSettingsEnv(process.env),
  };
  return scoreRequest(event, deps);
}
