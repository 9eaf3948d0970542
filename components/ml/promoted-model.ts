/**
 * What `pulumi up` finds of a deployment's promoted anomaly model: the deployment's promoted-model parameter
 * (see {@link promotedModelParameterName}), read before the program declares the endpoint.
 */
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import {
  parsePromotedModel,
  PromotedModel,
  promotedModelParameterName,
  promotedModelPath,
} from "./ml-layout";

/**
 * The model the deployment's training state machine promoted last, or `undefined` when none has been (a new
 * stack, or one whose parameter still holds `none`). Reads by path, which answers an empty list rather than
 * an error while the parameter does not exist yet.
 */
export async function findPromotedModel(
  deployment: string,
  opts?: pulumi.InvokeOptions,
): Promise<PromotedModel | undefined> {
  const name = promotedModelParameterName(deployment);
  const found = await aws.ssm.getParametersByPath(
    { path: promotedModelPath(deployment), withDecryption: false },
    opts,
  );
  const index = found.names.indexOf(name);
  return index < 0 ? undefined : parsePromotedModel(name, found.values[index] ?? "");
}
