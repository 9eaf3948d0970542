/**
 * What a deployed fleet runner tells `npm run fleet:cloud` (the stack output `fleetRunner`): everything ECS
 * RunTask needs, so a run starts without another `pulumi up`. Pure; the same type is read back by the CLI.
 */

/** Name of the simulator's container in every shard's task definition. */
export const SIMULATOR_CONTAINER = "simulator";

/** The environment variable ECS fills with the claim-only fleet file from Secrets Manager. */
export const FLEET_FILE_VARIABLE = "SENSOR_FLEET_FILE";

export interface FleetRunnerOutput {
  readonly region: string;
  readonly clusterArn: string;
  readonly containerName: string;
  /** One task definition per shard: `[i - 1]` runs `--shard i/n`. */
  readonly taskDefinitionArns: readonly string[];
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
  readonly assignPublicIp: boolean;
  /** `s3://bucket/runs/`: each run's summaries are under `<runsUri><run>/`. */
  readonly runsUri: string;
  readonly logGroupName: string;
}

/** Checks a `fleetRunner` stack output read back as JSON; throws naming the first missing or wrong field. */
export function parseFleetRunnerOutput(value: unknown, source = "the fleetRunner output"): FleetRunnerOutput {
  if (typeof value !== "object" || value === null) {
    throw new Error(`${source} is not an object: is the fleet runner on in this stack (fleetRunner.shards)?`);
  }
  const v = value as Record<string, unknown>;
  const strings = ["region", "clusterArn", "containerName", "runsUri", "logGroupName"] as const;
  for (const key of strings) {
    if (typeof v[key] !== "string" || v[key] === "") throw new Error(`${source} has no ${key}`);
  }
  for (const key of ["taskDefinitionArns", "subnetIds", "securityGroupIds"] as const) {
    const list = v[key];
    if (!Array.isArray(list) || list.length === 0 || !list.every((x) => typeof x === "string")) {
      throw new Error(`${source}: ${key} must be a non-empty list of strings`);
    }
  }
  if (typeof v.assignPublicIp !== "boolean")
    throw new Error(`${source}: assignPublicIp must be true or false`);
  return v as unknown as FleetRunnerOutput;
}
