/** Historical sources and ETL: the Glue VPC and jobs, the historical database (demo or existing), the schedule. */
import { cidrsOverlap, parseCidr, type Cidr } from "../net/cidr";
import { checkCidr, checkSchedule, closestKey, type ConfigReader } from "./reader";
import {
  DATABASE_ENGINES,
  DEFAULT_DATABASE_PORTS,
  GLUE_WORKER_TYPES,
  type ExistingDatabase,
  type ExistingGlueVpc,
  type PlatformConfig,
} from "./types";

const VPC_ID = /^vpc-[0-9a-f]{8,17}$/;
const RTB_ID = /^rtb-[0-9a-f]{8,17}$/;
const SG_ID = /^sg-[0-9a-f]{8,17}$/;
const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;
const AVAILABILITY_ZONE = /^[a-z]{2}(-[a-z]+)+-\d[a-z]$/;
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
  const { vpc: existingGlueVpc, block: existingGlueBlock } = readExistingGlueVpc(r) ?? {};
  // The Glue side of the peering: the existing VPC's block when there is one, else the block to create.
  const glueSide = existingGlueVpc
    ? { key: "existingGlueVpc.cidrBlock", text: existingGlueVpc.cidrBlock, cidr: existingGlueBlock }
    : { key: "glueVpcCidr", text: glueVpcCidr, cidr: glueCidr };
  // An existing database in the Glue VPC itself is reached without peering: its block is Glue's, no overlap.
  const sameVpc = mode === "existing" && existingGlueVpc?.vpcId === r.string("databaseVpcId");
  if (!sameVpc && glueSide.cidr && dbCidr && cidrsOverlap(glueSide.cidr, dbCidr)) {
    r.problem(
      "databaseVpcCidr",
      `must not overlap ${glueSide.key} (${glueSide.text}): VPC peering cannot route between overlapping ranges`,
      existingGlueVpc
        ? "set databaseVpcCidr to the database VPC's own block; if it really overlaps the Glue VPC, place Glue in another VPC (or drop existingGlueVpc to create one)"
        : `choose a different glueVpcCidr (e.g. ${glueSide.cidr.first >>> 24 === 10 ? "192.168.100.0/24" : "10.20.0.0/24"}) so the two ranges are disjoint`,
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
    glue: {
      vpcCidr: glueVpcCidr,
      ...(existingGlueVpc ? { existingVpc: existingGlueVpc } : {}),
      version: glueVersion,
      workerType,
      workers,
      jobTimeoutMinutes,
    },
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

const GLUE_VPC_FIELDS = ["vpcId", "cidrBlock", "routeTableIds", "privateSubnets"];

/**
 * `existingGlueVpc`: the VPC the Glue connection runs in, when the network team provides one instead of the
 * stack creating the dedicated Glue VPC. `{}` (the default) creates it. Every field is required: the Glue
 * connection runs in the first private subnet, and the peering to the database VPC adds a route to each route
 * table and names the block on the database side. Problems are reported as `existingGlueVpc.<field>`.
 */
function readExistingGlueVpc(r: ConfigReader): { vpc: ExistingGlueVpc; block: Cidr | undefined } | undefined {
  const value = r.object("existingGlueVpc");
  if (value === undefined || Object.keys(value).length === 0) return undefined;
  const problem = (field: string, message: string, fix: string, given?: unknown) =>
    r.problem(`existingGlueVpc.${field}`, message, fix, given);
  for (const field of Object.keys(value).filter((f) => !GLUE_VPC_FIELDS.includes(f))) {
    const near = closestKey(field, GLUE_VPC_FIELDS);
    problem(
      field,
      "is not a field of existingGlueVpc",
      near ? `did you mean ${near}?` : `use only ${GLUE_VPC_FIELDS.join(", ")}`,
      value[field],
    );
  }
  const text = (field: string): string => (typeof value[field] === "string" ? (value[field] as string) : "");
  const vpcId = text("vpcId");
  if (!VPC_ID.test(vpcId))
    problem("vpcId", "must be a VPC ID", "set it to the VPC's ID, e.g. vpc-0a1b2c3d4e5f60718", value.vpcId);
  const cidrBlock = text("cidrBlock");
  const list = (field: string): unknown[] => (Array.isArray(value[field]) ? (value[field] as unknown[]) : []);
  const routeTableIds = list("routeTableIds");
  const badTables = routeTableIds.filter((id) => typeof id !== "string" || !RTB_ID.test(id));
  if (routeTableIds.length === 0 || badTables.length > 0)
    problem(
      "routeTableIds",
      routeTableIds.length === 0
        ? "must list the route tables of the Glue subnets: the peering adds a route to the database VPC to each"
        : `must contain only route table IDs (bad: ${badTables.map((t) => JSON.stringify(t)).join(", ")})`,
      "write them as a YAML list, e.g. routeTableIds: [rtb-0123456789abcdef0]",
      value.routeTableIds,
    );
  const subnets = list("privateSubnets");
  const subnetOk = (s: unknown): s is { id: string; availabilityZone: string } =>
    typeof s === "object" &&
    s !== null &&
    SUBNET_ID.test(String((s as { id?: unknown }).id)) &&
    AVAILABILITY_ZONE.test(String((s as { availabilityZone?: unknown }).availabilityZone));
  const badSubnets = subnets.filter((s) => !subnetOk(s));
  if (subnets.length === 0 || badSubnets.length > 0)
    problem(
      "privateSubnets",
      subnets.length === 0
        ? "must list the VPC's private subnets, each as { id, availabilityZone }: the Glue connection runs in the first"
        : `must contain only { id: subnet-..., availabilityZone: <zone> } entries (bad: ${badSubnets.map((b) => JSON.stringify(b)).join(", ")})`,
      "e.g. privateSubnets: [{ id: subnet-0123456789abcdef0, availabilityZone: eu-west-1a }]",
      value.privateSubnets,
    );
  const parsed: ExistingGlueVpc = {
    vpcId,
    cidrBlock,
    routeTableIds: routeTableIds.map(String),
    privateSubnets: subnets.filter(subnetOk).map(({ id, availabilityZone }) => ({ id, availabilityZone })),
  };
  // glueVpcCidr is not refused here: the Pulumi CLI hands the program Pulumi.yaml's default for it whether the
  // stack file sets it or not, so it cannot tell "set" from "left alone". It only sizes a created Glue VPC.
  // The block is checked here (named by its field) and returned parsed, for the overlap check.
  const parsedBlock = parseCidr(cidrBlock);
  const block =
    typeof parsedBlock === "string" || parsedBlock.prefix < 16 || parsedBlock.prefix > 28
      ? undefined
      : parsedBlock;
  if (block === undefined)
    problem(
      "cidrBlock",
      "must be the VPC's primary IPv4 block, /16 to /28",
      "copy it from the VPC console, e.g. 10.40.0.0/24",
      value.cidrBlock,
    );
  return { vpc: parsed, block };
}
