import { expect } from "chai";
import * as path from "path";
import { PGlite } from "@electric-sql/pglite";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import type { ClientConfig } from "pg";
import {
  DEMO_HISTORY,
  DemoHistoryRequest,
  demoHistoryRequest,
  parseDemoHistoryRequest,
} from "../../../components/sources/demo-history";
import { lambdaBundle } from "../../../components/shared/lambda-bundle";
import { createSeedHandler, seedSettingsFromEnv } from "../../../functions/history-seed/handler";
import { countReadings, requestedHistory, seedHistoricalTable } from "../../../functions/history-seed/seed";
import { freshDataDir } from "../local/helpers";

const SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:rds!db-0b8e-AbCdEf";
const REQUEST: DemoHistoryRequest = {
  deployment: "sensors-dev",
  rooms: ["lab", "office"],
  sensorsPerRoom: 2,
  // Coarser than DEMO_HISTORY (1 day every 10 s), to keep the suite fast: the loader is the same.
  days: 3,
  intervalSeconds: 600,
  seed: DEMO_HISTORY.seed,
};
const NOW = Date.parse("2026-12-07T07:13:00Z");
/** 4 sensors x 3 days x 144 readings a day (every 10 minutes). */
const EXPECTED_ROWS = 4 * 3 * 144;

describe("demo database seed function", function () {
  this.timeout(60_000);
  let db: PGlite;
  // One database, copied from the initialised one the local backend's tests share (initdb in WebAssembly
  // takes seconds); each test starts without the table.
  before(async function () {
    db = await PGlite.create(path.join(await freshDataDir("seed-"), "pglite"));
  });
  beforeEach(async function () {
    await db.exec("DROP TABLE IF EXISTS public.readings");
  });
  after(async function () {
    await db.close();
  });

  it("creates the readings table and loads the requested days of every sensor, ending at the last full interval", async function () {
    const outcome = await seedHistoricalTable(db, () => requestedHistory(REQUEST, NOW));
    expect(outcome).to.deep.equal({ table: "public.readings", rowsBefore: 0, inserted: EXPECTED_ROWS });
    const range = await db.query<{ devices: number; first: string; last: string; ids: number }>(
      `SELECT count(DISTINCT device_id)::int AS devices, min(reading_time)::text AS first,
              max(reading_time)::text AS last, count(DISTINCT reading_id)::int AS ids FROM public.readings`,
    );
    // Readings are taken every 10 minutes (with the sensor model's jitter) over the 3 days before 07:10.
    const { devices, first, last, ids } = range.rows[0]!;
    expect({ devices, ids }).to.deep.equal({ devices: 4, ids: EXPECTED_ROWS });
    expect(first >= "2026-12-04 07:10:00" && first < "2026-12-04 07:20:00", first).to.equal(true);
    expect(last >= "2026-12-07 07:00:00" && last < "2026-12-07 07:10:00", last).to.equal(true);
    const rooms = await db.query<{ room_id: string; device_id: string }>(
      "SELECT DISTINCT room_id, device_id FROM public.readings ORDER BY device_id",
    );
    expect(rooms.rows.map((r) => `${r.room_id}/${r.device_id}`)).to.deep.equal([
      "lab/sensors-dev-lab-001",
      "lab/sensors-dev-lab-002",
      "office/sensors-dev-office-001",
      "office/sensors-dev-office-002",
    ]);
  });

  it("is what the local backend seeds too: the stack's request, sampled like the run's fleet, for its own sensors", function () {
    const config = { deployment: "sensors-dev", fleet: { rooms: ["lab", "office"], sensorsPerRoom: 2 } };
    const stack = demoHistoryRequest(config);
    expect(stack).to.deep.equal({
      ...REQUEST,
      days: DEMO_HISTORY.days,
      intervalSeconds: DEMO_HISTORY.intervalSeconds,
    });
    // npm start -- --seed 7 --interval 500ms, with a fleet of its own.
    const local = demoHistoryRequest(config, { seed: "7", intervalSeconds: 0.5 });
    expect(local).to.deep.equal({ ...stack, seed: "7", intervalSeconds: 0.5 });
    const own = [{ thingName: "sensors-dev-lab-009", roomId: "lab", index: 9 }];
    const readings = requestedHistory({ ...local, days: 1 / 1440 }, NOW, own);
    expect(new Set(readings.map((r) => r.device_id))).to.deep.equal(new Set(["sensors-dev-lab-009"]));
    // One minute at 500 ms (the model's jitter keeps each reading inside its interval).
    expect(readings.length).to.be.within(119, 121);
  });

  it("is idempotent: a table that holds rows is left alone, and history is not even generated", async function () {
    await seedHistoricalTable(db, () => requestedHistory(REQUEST, NOW));
    let generated = false;
    const again = await seedHistoricalTable(db, () => {
      generated = true;
      return requestedHistory(REQUEST, NOW + 86_400_000);
    });
    expect(again).to.deep.equal({ table: "public.readings", rowsBefore: EXPECTED_ROWS, inserted: 0 });
    expect(generated).to.equal(false);
    expect(await countReadings(db)).to.equal(EXPECTED_ROWS);
  });

  it("leaves nothing behind when loading fails: the transaction rolls back", async function () {
    const broken = () => [{ ...requestedHistory(REQUEST, NOW)[0]!, room_id: null as unknown as string }];
    let error: Error | undefined;
    await seedHistoricalTable(db, broken).catch((err: Error) => (error = err));
    expect(error?.message).to.match(/null value in column "room_id"/);
    const table = await db.query<{ t: string | null }>("SELECT to_regclass('public.readings')::text AS t");
    expect(table.rows[0]!.t).to.equal(null);
  });

  describe("Lambda handler", function () {
    // Mocked per client instance: other suites mock (and restore) the class.
    const client = new SecretsManagerClient({ region: "eu-west-1" });
    const secrets = mockClient(client);
    afterEach(() => secrets.reset());
    const settings = {
      host: "sensors-dev-db.abc.eu-west-1.rds.amazonaws.com",
      port: 5432,
      database: "telemetry",
      secretArn: SECRET_ARN,
    };

    it("reads the RDS-managed credentials, connects with TLS verified, seeds, and closes the connection", async function () {
      secrets
        .on(GetSecretValueCommand, { SecretId: SECRET_ARN })
        .resolves({ SecretString: JSON.stringify({ username: "historian_admin", password: "p@ss" }) });
      const configs: ClientConfig[] = [];
      let closed = 0;
      const handler = createSeedHandler(settings, {
        secrets: client,
        connect: async (config) => {
          configs.push(config);
          return { query: (text, params) => db.query(text, params), end: async () => void closed++ };
        },
        now: () => NOW,
      });
      expect(await handler(REQUEST)).to.deep.equal({
        table: "public.readings",
        rowsBefore: 0,
        inserted: EXPECTED_ROWS,
      });
      expect(configs).to.deep.equal([
        {
          host: settings.host,
          port: 5432,
          database: "telemetry",
          user: "historian_admin",
          password: "p@ss",
          ssl: { rejectUnauthorized: true },
          connectionTimeoutMillis: 10_000,
        },
      ]);
      expect(closed).to.equal(1);
      expect((await handler(REQUEST)).inserted).to.equal(0);
      expect(closed).to.equal(2);
    });

    it("names the secret when it lacks a username or password, and the field of a bad request", async function () {
      secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ password: "x" }) });
      const handler = createSeedHandler(settings, {
        secrets: client,
        connect: () => Promise.reject(new Error("must not connect")),
      });
      let error: Error | undefined;
      await handler(REQUEST).catch((err: Error) => (error = err));
      expect(error?.message).to.equal(
        `secret ${SECRET_ARN} must be JSON with "username" and "password" (as RDS-managed secrets are)`,
      );
      expect(() => parseDemoHistoryRequest({ ...REQUEST, days: 0, rooms: [] })).to.throw(
        "invalid seed request: rooms must be a non-empty list of room IDs (got []); days must be an integer from 1 to 366 (got 0)",
      );
    });

    it("bundles into one CommonJS file with node-postgres inside and the runtime's SDK outside", function () {
      const bundle = lambdaBundle("history-seed");
      expect(bundle.code).to.contain('require("@aws-sdk/client-secrets-manager")');
      expect(bundle.code).to.not.match(/require\("(pg|@pulumi\/[a-z]+)"\)/);
      expect(bundle.code).to.contain("pg_advisory_xact_lock");
      const module = { exports: {} as Record<string, unknown> };
      new Function("module", "exports", "require", bundle.code)(module, module.exports, require);
      expect(typeof module.exports.handler).to.equal("function");
    });

    it("takes its settings from the environment the component sets, naming a missing variable", function () {
      expect(
        seedSettingsFromEnv({
          DB_HOST: "h",
          DB_PORT: "5432",
          DB_NAME: "telemetry",
          DB_SECRET_ARN: SECRET_ARN,
        }),
      ).to.deep.equal({ host: "h", port: 5432, database: "telemetry", secretArn: SECRET_ARN });
      expect(() => seedSettingsFromEnv({ DB_HOST: "h", DB_PORT: "5432", DB_NAME: "telemetry" })).to.throw(
        "environment variable DB_SECRET_ARN is not set; the component that deploys this function sets it",
      );
    });
  });
});
