/**
 * Address plans for the Glue VPC and the demo database VPC, and the checks that only make sense once the
 * plan is known (config.ts already rejects overlapping CIDRs, a missing route table and unknown engines).
 * Pure: no Pulumi, so the rules are tested without mocks and read the same in a stack and in a test.
 */
import type { DatabaseEngine, PlatformConfig } from "../config";
import { parseCidr, splitCidr } from "../net/cidr";

/** Availability zones each VPC spreads its subnets over (an RDS subnet group needs two). */
export const SUBNETS_PER_VPC = 2;

/**
 * Interface endpoints the Glue VPC needs, because a Glue job or crawler attached to a connection runs
 * entirely inside the connection's subnet and the VPC has no NAT: the Glue API (catalog, job bookmarks),
 * Secrets Manager (the connection's SECRET_ID), CloudWatch Logs (job and crawler logs) and KMS (bookmark
 * and log encryption). S3 is reached through a gateway endpoint, which is free and needs no address.
 */
export const GLUE_INTERFACE_ENDPOINTS = ["glue", "secretsmanager", "logs", "kms"] as const;

/** Addresses AWS reserves in every subnet (network, router, DNS, future use, broadcast). */
const RESERVED_PER_SUBNET = 5;
/** Network interfaces a JDBC crawler run may hold in the subnet at once. */
const CRAWLER_INTERFACES = 2;

export interface SubnetPlan {
  readonly cidr: string;
  /** Index into the region's available zones. */
  readonly zoneIndex: number;
}

export interface VpcPlan {
  readonly cidr: string;
  readonly subnets: readonly SubnetPlan[];
}

/** Splits a VPC's block into {@link SUBNETS_PER_VPC} equal private subnets, one per zone. */
export function planVpc(cidr: string): VpcPlan {
  return {
    cidr,
    subnets: splitCidr(cidr, SUBNETS_PER_VPC).map((subnet, zoneIndex) => ({ cidr: subnet, zoneIndex })),
  };
}

/** Usable addresses of a subnet. */
export function usableAddresses(cidr: string): number {
  const parsed = parseCidr(cidr);
  if (typeof parsed === "string") throw new Error(parsed);
  return parsed.last - parsed.first + 1 - RESERVED_PER_SUBNET;
}

/** Addresses the JDBC import needs in the Glue connection's subnet while it runs. */
export function glueSubnetDemand(workers: number): number {
  // One network interface per worker (Glue 2.0 and later), one per interface endpoint, and the crawler's.
  return workers + GLUE_INTERFACE_ENDPOINTS.length + CRAWLER_INTERFACES;
}

/** What {@link validateSourceNetwork} reads from the configuration. */
export type SourceNetworkInput = Pick<PlatformConfig, "stackFile"> & {
  /** The Glue VPC to create. @default - none: Glue goes into an existing VPC, whose plan is its owner's */
  readonly glue?: Pick<PlatformConfig["glue"], "vpcCidr" | "workers"> | undefined;
  readonly database: Pick<PlatformConfig["database"], "mode" | "engine" | "instanceClass"> & {
    /** The demo database's VPC block. @default - none: the demo database goes into an existing VPC */
    readonly vpcCidr?: string | undefined;
  };
};

/**
 * Problems with the historical source's network and database settings, each naming the key, the value and
 * the fix (empty when there are none). Run before any resource is created.
 */
export function validateSourceNetwork(input: SourceNetworkInput): string[] {
  const problems: string[] = [];
  const where = `in ${input.stackFile}`;
  if (input.glue) problems.push(...glueNetworkProblems(input.glue, where));

  if (input.database.mode === "demo") {
    const databaseCidr = input.database.vpcCidr;
    try {
      if (databaseCidr !== undefined) planVpc(databaseCidr);
    } catch {
      problems.push(
        `sensor-analytics:databaseVpcCidr ${databaseCidr} is too small for the demo database's ${SUBNETS_PER_VPC} subnets (RDS needs two zones) ${where}; use a /27 or larger, e.g. 10.30.0.0/24`,
      );
    }
    const engineProblem = demoInstanceClassProblem(input.database.engine, input.database.instanceClass);
    if (engineProblem) problems.push(`sensor-analytics:databaseInstanceClass ${engineProblem} ${where}`);
  }
  return problems;
}

/** Problems of the Glue VPC to create: its block must split into subnets and hold the import's interfaces. */
function glueNetworkProblems(
  glue: Pick<PlatformConfig["glue"], "vpcCidr" | "workers">,
  where: string,
): string[] {
  const problems: string[] = [];
  const { vpcCidr, workers } = glue;

  let glueSubnet: string | undefined;
  try {
    glueSubnet = planVpc(vpcCidr).subnets[0]!.cidr;
  } catch {
    problems.push(
      `sensor-analytics:glueVpcCidr ${vpcCidr} is too small to split into ${SUBNETS_PER_VPC} subnets of at least /28 ${where}; use a /27 or larger, e.g. 10.20.0.0/24`,
    );
  }
  if (glueSubnet !== undefined) {
    const available = usableAddresses(glueSubnet);
    const needed = glueSubnetDemand(workers);
    if (available < needed) {
      problems.push(
        `sensor-analytics:glueVpcCidr ${vpcCidr} leaves ${available} usable addresses in the Glue connection's subnet ${glueSubnet}, ` +
          `but a JDBC import with ${workers} workers needs ${needed} (one per worker, ${GLUE_INTERFACE_ENDPOINTS.length} for interface endpoints, ` +
          `${CRAWLER_INTERFACES} for the crawler) ${where}; use a larger block (each subnet is half of it) or fewer glueWorkers`,
      );
    }
  }

  return problems;
}

/**
 * Why an instance class cannot run the demo engine (undefined when it can). Graviton classes (`db.*g.*`)
 * run PostgreSQL and MySQL but not SQL Server, and SQL Server Express starts at `small`.
 */
export function demoInstanceClassProblem(engine: DatabaseEngine, instanceClass: string): string | undefined {
  if (engine !== "sqlserver") return undefined;
  const family = /^db\.([a-z0-9]+)\.([a-z0-9]+)$/.exec(instanceClass);
  if (!family) return undefined;
  const [, generation, size] = family as unknown as [string, string, string];
  if (/^[a-z]+\d+g/.test(generation)) {
    return `${instanceClass} is a Graviton class, which cannot run SQL Server; use an Intel class such as db.t3.small`;
  }
  if (size === "micro")
    return `${instanceClass} is too small for SQL Server Express (at least small); use db.t3.small`;
  return undefined;
}
