import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { jdbcUrl, validateJdbcTarget } from "../../../components/sources/jdbc-url";
import {
  demoInstanceClassProblem,
  glueSubnetDemand,
  planVpc,
  SourceNetworkInput,
  usableAddresses,
  validateSourceNetwork,
} from "../../../components/sources/network-plan";
import {
  historicalCrawlPath,
  historicalTableDdl,
  historicalTableName,
} from "../../../components/sources/historical-schema";
import { parsePlatformConfig } from "../../../components/config";
import { stackConfig } from "../../helpers/mocks";
import { freshDataDir } from "../local/helpers";

describe("JDBC URLs", () => {
  it("use each engine's own syntax", () => {
    expect(
      jdbcUrl({ engine: "sqlserver", host: "historian.corp.internal", port: 1433, database: "historian" }),
    ).to.equal("jdbc:sqlserver://historian.corp.internal:1433;databaseName=historian");
    expect(
      jdbcUrl({
        engine: "postgres",
        host: "db.abc.eu-west-1.rds.amazonaws.com",
        port: 5432,
        database: "telemetry",
      }),
    ).to.equal("jdbc:postgresql://db.abc.eu-west-1.rds.amazonaws.com:5432/telemetry");
    expect(jdbcUrl({ engine: "mysql", host: "10.30.0.12", port: 3307, database: "telemetry" })).to.equal(
      "jdbc:mysql://10.30.0.12:3307/telemetry",
    );
  });

  it("refuse a target that would make a broken URL, listing every problem", () => {
    expect(
      validateJdbcTarget({ engine: "postgres", host: "db;drop", port: 0, database: "tele-metry" }),
    ).to.deep.equal([
      'host must be a DNS name or IPv4 address (got "db;drop")',
      "port must be an integer from 1 to 65535 (got 0)",
      'database must be a name of letters, digits and "_" (got "tele-metry")',
    ]);
    expect(() => jdbcUrl({ engine: "oracle" as never, host: "h", port: 1521, database: "d" })).to.throw(
      'cannot build a JDBC URL: engine must be one of postgres, mysql, sqlserver (got "oracle")',
    );
  });
});

describe("source network plan", () => {
  const input = (
    overrides: {
      glue?: Partial<SourceNetworkInput["glue"]>;
      database?: Partial<SourceNetworkInput["database"]>;
    } = {},
  ): SourceNetworkInput => ({
    stackFile: "Pulumi.dev.yaml",
    glue: { vpcCidr: "10.20.0.0/24", workers: 2, ...overrides.glue },
    database: {
      mode: "demo",
      engine: "postgres",
      vpcCidr: "10.30.0.0/24",
      instanceClass: "db.t4g.micro",
      ...overrides.database,
    },
  });

  it("splits each VPC into two subnets, one per zone", () => {
    expect(planVpc("10.20.0.0/24")).to.deep.equal({
      cidr: "10.20.0.0/24",
      subnets: [
        { cidr: "10.20.0.0/25", zoneIndex: 0 },
        { cidr: "10.20.0.128/25", zoneIndex: 1 },
      ],
    });
    expect(usableAddresses("10.20.0.0/25")).to.equal(123);
    expect(glueSubnetDemand(10)).to.equal(16);
  });

  it("accepts the dev and prod stacks as they are", () => {
    for (const stack of ["dev", "prod"]) {
      const config = parsePlatformConfig(stackConfig(stack));
      expect(validateSourceNetwork(config), stack).to.deep.equal([]);
    }
  });

  it("refuses a Glue VPC whose connection subnet cannot hold the JDBC import's workers", () => {
    expect(validateSourceNetwork(input({ glue: { vpcCidr: "10.20.0.0/26", workers: 40 } }))).to.deep.equal([
      "sensor-analytics:glueVpcCidr 10.20.0.0/26 leaves 27 usable addresses in the Glue connection's subnet 10.20.0.0/27, but a JDBC import with 40 workers needs 46 (one per worker, 4 for interface endpoints, 2 for the crawler) in Pulumi.dev.yaml; use a larger block (each subnet is half of it) or fewer glueWorkers",
    ]);
    expect(validateSourceNetwork(input({ glue: { vpcCidr: "10.20.0.0/26", workers: 21 } }))).to.deep.equal(
      [],
    );
  });

  it("refuses blocks too small to split into two subnets", () => {
    expect(
      validateSourceNetwork(
        input({ glue: { vpcCidr: "10.20.0.0/28" }, database: { vpcCidr: "10.30.0.0/28" } }),
      ),
    ).to.deep.equal([
      "sensor-analytics:glueVpcCidr 10.20.0.0/28 is too small to split into 2 subnets of at least /28 in Pulumi.dev.yaml; use a /27 or larger, e.g. 10.20.0.0/24",
      "sensor-analytics:databaseVpcCidr 10.30.0.0/28 is too small for the demo database's 2 subnets (RDS needs two zones) in Pulumi.dev.yaml; use a /27 or larger, e.g. 10.30.0.0/24",
    ]);
    // An existing database's VPC is not split by this stack, so its size is its owner's business.
    expect(
      validateSourceNetwork(input({ database: { mode: "existing", vpcCidr: "172.16.0.0/28" } })),
    ).to.deep.equal([]);
  });

  it("refuses a demo SQL Server on a class that cannot run it", () => {
    expect(
      validateSourceNetwork(input({ database: { engine: "sqlserver", instanceClass: "db.t4g.micro" } })),
    ).to.deep.equal([
      "sensor-analytics:databaseInstanceClass db.t4g.micro is a Graviton class, which cannot run SQL Server; use an Intel class such as db.t3.small in Pulumi.dev.yaml",
    ]);
    expect(demoInstanceClassProblem("sqlserver", "db.t3.micro")).to.equal(
      "db.t3.micro is too small for SQL Server Express (at least small); use db.t3.small",
    );
    expect(demoInstanceClassProblem("sqlserver", "db.m6gd.large")).to.match(/Graviton/);
    expect(demoInstanceClassProblem("sqlserver", "db.t3.small")).to.equal(undefined);
    expect(demoInstanceClassProblem("postgres", "db.t4g.micro")).to.equal(undefined);
  });
});

describe("historical readings table", () => {
  it("is addressed per engine by the JDBC reader and the crawler", () => {
    expect(historicalTableName("postgres")).to.equal("public.readings");
    expect(historicalTableName("sqlserver")).to.equal("dbo.readings");
    expect(historicalTableName("mysql")).to.equal("readings");
    expect(historicalCrawlPath("postgres", "telemetry")).to.equal("telemetry/public/readings");
    expect(historicalCrawlPath("sqlserver", "historian")).to.equal("historian/dbo/readings");
    expect(historicalCrawlPath("mysql", "telemetry")).to.equal("telemetry/readings");
  });

  it("has PostgreSQL DDL that PostgreSQL (PGlite) runs twice, with an increasing identity", async () => {
    // A new, empty database: a copy of the initialised one the local tests share (an in-memory PGlite would
    // run initdb again, about 3 CPU-seconds).
    const dataDir = await freshDataDir("source-plans-");
    const db = await PGlite.create(path.join(dataDir, "pglite"));
    try {
      for (let i = 0; i < 2; i++)
        for (const statement of historicalTableDdl("postgres")) await db.exec(statement);
      await db.exec(
        "INSERT INTO public.readings (device_id, room_id, reading_time, temperature_c) VALUES ('d', 'lab', '2024-05-01 00:00:00', 21), (NULL, 'lab', '2024-05-01 00:05:00', 21.5)",
      );
      const rows = await db.query<{ reading_id: number; humidity_pct: number | null }>(
        "SELECT reading_id, humidity_pct FROM public.readings ORDER BY reading_id",
      );
      expect(rows.rows.map((r) => Number(r.reading_id))).to.deep.equal([1, 2]);
      let refused = false;
      await db
        .exec("INSERT INTO public.readings (room_id, reading_time) VALUES ('lab', now())")
        .catch(() => (refused = true));
      expect(refused, "temperature_c is NOT NULL").to.equal(true);
    } finally {
      await db.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("has MySQL and SQL Server DDL in their own syntax", () => {
    expect(historicalTableDdl("mysql")[0])
      .to.contain("reading_id BIGINT AUTO_INCREMENT PRIMARY KEY")
      .and.to.contain("INDEX readings_reading_time (reading_time)");
    const sqlserver = historicalTableDdl("sqlserver");
    expect(sqlserver[0]).to.match(
      /^IF OBJECT_ID\(N'dbo\.readings', N'U'\) IS NULL CREATE TABLE dbo\.readings/,
    );
    expect(sqlserver[0]).to.contain("reading_time DATETIME2(3) NOT NULL");
  });
});
