// Dev's first ETL run, after a first `pulumi up`: the demo database starts empty, the stack's seed function
// creates the readings table and loads history, then the ETL state machine (the ASL the stack deploys, run by
// aws-local-stepfunctions) plans and imports it. Locally the database is PGlite on the Postgres wire
// protocol and the Glue jobs run in DuckDB, as in `npm start`.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { Client } from "pg";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { parsePlatformConfig, PlatformConfig } from "../../../components/config";
import { ETL_STATES } from "../../../components/etl/asl/etl-machine";
import { DUCKDB_COMPAT_MACROS } from "../../../components/etl/transforms";
import { demoHistoryRequest } from "../../../components/sources/demo-history";
import { readStackFile } from "../../../components/stack-files";
import { createSeedHandler } from "../../../functions/history-seed/handler";
import { LocalPipelines } from "../../../local/state-machines";
import { LocalObjectStore } from "../../../local/lake/object-store";
import { HistoricalDatabase } from "../../../local/sources/historical-db";
import { freshDataDir } from "../local/helpers";

const NOW = Date.parse("2026-12-07T07:10:00Z");
const SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:rds!db-0b8e-AbCdEf";
/** 4 sensors x 1 day x 8,640 readings a day (every 10 seconds). */
const SEEDED = 4 * 1 * 8640;

/** A freshly deployed dev stack, locally: an empty database served on the wire, and the pipelines. */
async function freshDeployment(prefix: string) {
  const config: PlatformConfig = parsePlatformConfig(readStackFile("dev"));
  const dataDir = await freshDataDir(prefix);
  const database = await HistoricalDatabase.open(path.join(dataDir, "pglite"));
  // The database's credentials: what RDS keeps in its managed secret, and the JDBC connection uses.
  const credentials = { username: "historian_admin", password: "demo-database-password" };
  const port = await database.serve(credentials);
  const duckdb = await DuckDBInstance.create(":memory:");
  const setup = await duckdb.connect();
  for (const macro of DUCKDB_COMPAT_MACROS) await setup.run(macro);
  setup.closeSync();
  const store = new LocalObjectStore(path.join(dataDir, "lake"), config.deployment, () => NOW);
  const pipelines = await LocalPipelines.create({
    config,
    store,
    duckdb,
    dataDir,
    speed: 100_000,
    now: () => NOW,
    jdbc: { host: "127.0.0.1", port, ...credentials },
    log: () => undefined,
  });
  // The seed function as the stack invokes it, with the credentials RDS keeps in Secrets Manager; it reaches
  // the database over the wire (the local socket speaks no TLS, so the verified-TLS setting is left out).
  const secretsClient = new SecretsManagerClient({ region: "eu-west-1" });
  const secrets = mockClient(secretsClient);
  secrets
    .on(GetSecretValueCommand, { SecretId: SECRET_ARN })
    .resolves({ SecretString: JSON.stringify(credentials) });
  const seed = createSeedHandler(
    { host: "127.0.0.1", port, database: config.database.name, secretArn: SECRET_ARN },
    {
      secrets: secretsClient,
      connect: async ({ ssl: _verifiedTls, ...settings }) => {
        const client = new Client(settings);
        await client.connect();
        return client;
      },
      now: () => NOW,
    },
  );
  const runEtl = (input: Record<string, boolean> = {}) =>
    pipelines.sfn.run(pipelines.arns.etl, { startTraining: false, ...input });
  const close = async () => {
    secrets.restore();
    pipelines.close();
    duckdb.closeSync();
    await database.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  const sql = async (text: string) => {
    const client = new Client({
      host: "127.0.0.1",
      port,
      user: credentials.username,
      password: credentials.password,
      database: config.database.name,
    });
    await client.connect();
    await client.query(text).finally(() => client.end());
  };
  return { config, database, pipelines, seed: () => seed(demoHistoryRequest(config)), runEtl, sql, close };
}

type Deployment = Awaited<ReturnType<typeof freshDeployment>>;

describe("dev's first ETL run", function () {
  this.timeout(120_000);
  let dev: Deployment;
  before(async function () {
    dev = await freshDeployment("etl-first-run-");
  });
  after(() => dev.close());

  it("succeeds against the demo database as deployed: the seed loads history, the planner plans the JDBC import, which reads it", async function () {
    expect(await dev.seed()).to.deep.equal({ table: "public.readings", rowsBefore: 0, inserted: SEEDED });
    expect((await dev.seed()).inserted, "a second invocation").to.equal(0);
    const run = await dev.runEtl();
    expect(run.status, `${run.error}: ${run.cause}`).to.equal("SUCCEEDED");
    expect(run.states).to.include.members([ETL_STATES.jdbcImport, ETL_STATES.jdbcDone, ETL_STATES.curate]);
    const output = run.output as { plan: { reasons: { jdbcImport: string } } };
    expect(output.plan.reasons.jdbcImport).to.equal("never imported");
    const [jdbcRun] = dev.pipelines.glue.recentRuns().filter((r) => r.JobName.endsWith("-jdbc-import"));
    expect(jdbcRun).to.deep.include({ JobRunState: "SUCCEEDED" });
    expect(jdbcRun!.Rows?.historical_jdbc).to.equal(SEEDED);
    expect(dev.pipelines.sns.published).to.deep.equal([]);
  });

  it("reports a source table that is not there as a notified configuration error; the planner then refuses until it exists", async function () {
    await dev.sql("DROP TABLE public.readings");
    const failed = await dev.runEtl({ forceJdbcImport: true });
    expect(failed.status).to.equal("FAILED");
    const [notice] = dev.pipelines.sns.published;
    expect(notice!.subject).to.equal("ETL failed: sensors-dev");
    expect(notice!.message).to.contain(
      "HistoricalSourceMissing: the historical postgres database that Glue connection sensors-dev-historical-db reaches has no table public.readings. Create it with the DDL of components/sources/historical-schema.ts",
    );

    const refused = await dev.runEtl();
    expect(refused.status).to.equal("FAILED");
    expect(refused.error).to.equal("HistoricalSourceMissing");
    expect(refused.states).to.not.include(ETL_STATES.jdbcImport);
    expect(dev.pipelines.sns.published).to.have.length(2);
    expect(dev.pipelines.sns.published[1]!.message).to.contain(
      'the ETL tries the import again from 2026-12-08T07:10:00.000Z, or now when started with {"forceJdbcImport": true}',
    );

    // Once the table exists again, a forced run imports it.
    expect((await dev.seed()).inserted).to.equal(SEEDED);
    const forced = await dev.runEtl({ forceJdbcImport: true });
    expect(forced.status, `${forced.error}: ${forced.cause}`).to.equal("SUCCEEDED");
  });
});
