// The historical database's port requires the generated password: node-postgres (what the JDBC import uses)
// gets in with it, and a wrong password or another user gets PostgreSQL's refusal (28P01), before PGlite sees
// a byte.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { Client } from "pg";
import { HistoricalDatabase } from "../../../local/sources/historical-db";
import { freshDataDir } from "./helpers";

describe("historical database authentication", function () {
  this.timeout(60_000);
  let dataDir: string;
  let db: HistoricalDatabase;
  let port: number;
  const credentials = { username: "glue_reader", password: "a-generated-password-of-some-length" };

  before(async function () {
    dataDir = await freshDataDir("pg-auth-");
    db = await HistoricalDatabase.open(path.join(dataDir, "pglite"));
    port = await db.serve(credentials);
  });
  after(async function () {
    await db?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const attempt = async (user: string, password: string): Promise<string> => {
    const client = new Client({ host: "127.0.0.1", port, user, password, database: "postgres" });
    try {
      await client.connect();
      const result = await client.query<{ n: number }>("SELECT 41 + 1 AS n");
      return `ok ${result.rows[0]!.n}`;
    } catch (err) {
      return `refused ${(err as { code?: string }).code}: ${(err as Error).message}`;
    } finally {
      await client.end().catch(() => undefined);
    }
  };

  it("lets the configured user in with the password, over SCRAM-SHA-256", async function () {
    expect(await attempt("glue_reader", credentials.password)).to.equal("ok 42");
  });

  it("refuses a wrong password and another user with 28P01", async function () {
    expect(await attempt("glue_reader", "wrong")).to.equal(
      'refused 28P01: password authentication failed for user "glue_reader"',
    );
    expect(await attempt("postgres", credentials.password)).to.equal(
      'refused 28P01: password authentication failed for user "postgres"',
    );
    expect(db.authStats).to.deep.equal({ authenticated: 1, refused: 2 });
  });
});
