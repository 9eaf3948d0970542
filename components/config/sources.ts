/** Historical sources and ETL: the Glue VPC and jobs, the historical database (demo or existing), the schedule. */
import { cidrsOverlap } from "../net/cidr";
import { checkCidr, checkSchedule, type ConfigReader } from "./reader";
import {
  DATABASE_ENGINES,
  DEFAULT_DATABASE_PORTS,
  GLUE_WORKER_TYPES,
  type ExistingDatabase,
  type PlatformConfig,
} from "./types";

const VPC_ID = /^vpc-[0-9a-f]{8,17}$/;
const RTB_ID = /^rtb-[0-9a-f]{8,17}$/;
const SG_ID = /^sg-[0-9a-f]{8,17}$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;
const DB_INSTANCE_CLASS = /^db\.[a-z0-9]+\.[a-z0-9]+$/;

export type SourcesConfig = Pick<PlatformConfig, "glue" | "database" | "etl">;

/**
 * Reads the Glue VPC and job settings, the historical database and the ETL schedule; problems go to `r` (the
 * result is meaningful only when there are none).
 */
export function readSourcesConfig(r: ConfigReader): SourcesConfig {
  const glueVpcCidr = r.string("glueVpcCidr");
  const glueCidr = checkCidr(r, "glueVpcCidr", glueVpcCidr);
  const mode = r.oneOf("databaseMode", ["demo", "existing"] as const);
  const engine = r.oneOf("databaseEngine", DATABASE_ENGINES);
  const databaseVpcCidr = r.string("databaseVpcCidr");
  const dbCidr = checkCidr(r, "databaseVpcCidr", databaseVpcCidr);
  if (glueCidr && dbCidr && cidrsOverlap(glueCidr, dbCidr)) {
    r.problem(
      "databaseVpcCidr",
      `must not overlap glueVpcCidr (${glueVpcCidr}): VPC peering cannot route between overlapping ranges`,
      `choose a different glueVpcCidr (e.g. ${glueCidr.first >>> 24 === 10 ? "192.168.100.0/24" : "10.20.0.0/24"}) so the two ranges are disjoint`,
    );
  }
  const portValue = r.integer("databasePort", 0, 65535, 0);
  const port = portValue === 0 ? DEFAULT_DATABASE_PORTS[engine] : portValue;
  const databaseName = r.string("databaseName", {
    pattern: /^[A-Za-z_][A-Za-z0-9_]{0,62}$/,
    describe: "a database name (letters, digits, '_')",
    example: "telemetry",
  });
  const instanceClass = r.string("databaseInstanceClass", {
    pattern: DB_INSTANCE_CLASS,
    describe: "an RDS instance class",
    example: "db.t4g.micro",
  });
  const existing = readExistingDatabase(r, mode);

  const glueVersion = r.oneOf("glueVersion", ["4.0", "5.0"] as const);
  const workerType = r.oneOf("glueWorkerType", GLUE_WORKER_TYPES);
  const workers = r.integer("glueWorkers", 2, 299, 2);
  const jobTimeoutMinutes = r.integer("glueJobTimeoutMinutes", 1, 2880, 30);
  const etlSchedule = checkSchedule(r, "etlSchedule");
  const crawlerPollSeconds = r.integer("crawlerPollSeconds", 5, 3600, 30);
  const crawlerMaxPolls = r.integer("crawlerMaxPolls", 1, 1000, 40);
  return {
    glue: { vpcCidr: glueVpcCidr, version: glueVersion, workerType, workers, jobTimeoutMinutes },
    database: { mode, engine, vpcCidr: databaseVpcCidr, port, name: databaseName, instanceClass, existing },
    etl: { schedule: etlSchedule!, crawlerPollSeconds, crawlerMaxPolls },
  };
}

function readExistingDatabase(r: ConfigReader, mode: "demo" | "existing"): ExistingDatabase | undefined {
  const existingKeys = [
    "databaseVpcId",
    "databaseRouteTableIds",
    "databaseSecurityGroupId",
    "databaseHost",
    "databaseSecretArn",
    "databasePassword",
  ];
  if (mode === "demo") {
    const stray = existingKeys.filter((k) => r.isSet(k));
    for (const key of stray) {
      r.problem(
        key,
        "applies only when databaseMode is existing (demo creates its own database VPC and database)",
        `remove it, or set ${r.full("databaseMode")} to existing`,
      );
    }
    return undefined;
  }
  const needed = "required when databaseMode is existing";
  const vpcId = r.string("databaseVpcId");
  if (!VPC_ID.test(vpcId))
    r.problem(
      "databaseVpcId",
      `must be a VPC ID (${needed})`,
      "set it to the database VPC's ID, e.g. vpc-0a1b2c3d4e5f60718",
    );
  const routeTableIds = r.stringArray("databaseRouteTableIds", {
    pattern: RTB_ID,
    describe: "route table IDs",
    example: "rtb-0123456789abcdef0",
  });
  if (routeTableIds.length === 0) {
    r.problem(
      "databaseRouteTableIds",
      `must list every route table of the database subnets (${needed}); without them the database cannot answer Glue across the peering`,
      "add each route table ID of the database VPC's subnets, e.g. - rtb-0123456789abcdef0",
      [],
    );
  }
  const securityGroupId = r.string("databaseSecurityGroupId");
  if (!SG_ID.test(securityGroupId))
    r.problem(
      "databaseSecurityGroupId",
      `must be a security group ID (${needed})`,
      "set it to the database's security group, e.g. sg-0123456789abcdef0",
    );
  const host = r.string("databaseHost");
  if (!/^[A-Za-z0-9.-]{1,253}$/.test(host))
    r.problem(
      "databaseHost",
      `must be a host name or IP address (${needed})`,
      "set it to the database's DNS name",
    );
  const secretArnValue = r.string("databaseSecretArn");
  const username = r.string("databaseUsername", {
    pattern: /^[A-Za-z_][A-Za-z0-9_]{0,62}$/,
    describe: "a database user name",
    example: "glue_reader",
  });
  const password = r.secret("databasePassword");
  if (secretArnValue !== "" && !SECRET_ARN.test(secretArnValue)) {
    r.problem(
      "databaseSecretArn",
      "must be a Secrets Manager secret ARN",
      "copy the ARN from the Secrets Manager console",
    );
  }
  if (secretArnValue === "" && !password) {
    r.problem(
      "databaseSecretArn",
      `or databasePassword is ${needed}`,
      `set databaseSecretArn to the secret holding the credentials, or \`pulumi config set --secret ${r.full("databasePassword")}\``,
    );
  }
  if (secretArnValue !== "" && password) {
    r.problem(
      "databasePassword",
      "must not be set together with databaseSecretArn (the secret already holds the password)",
      "remove one of them",
    );
  }
  return {
    vpcId,
    routeTableIds,
    securityGroupId,
    host,
    secretArn: secretArnValue === "" ? undefined : secretArnValue,
    username,
    password,
  };
}
