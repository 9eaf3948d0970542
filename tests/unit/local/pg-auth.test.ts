// The historical database's port requires the generated password: node-postgres (what the JDBC import uses)
// gets in with it, and a wrong password or another user gets PostgreSQL's refusal (28P01), before PGlite sees
// a byte.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { Client } from "pg";
import { spawnSync } from "node:child_process";
import * as os from "node:os";
import { HistoricalDatabase, removeStaleSocketDirs } from "../../../local/sources/historical-db";
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

  it("removes the socket folders of backends that crashed, and only those", function () {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "socket-sweep-"));
    try {
      // A process that has ended: its PID names a crashed backend's folder.
      const gone = spawnSync(process.execPath, ["-e", ""]).pid!;
      const folder = (pid: number, suffix: string, files: string[]) => {
        const dir = path.join(tmp, `pglite-${pid}-${suffix}`);
        fs.mkdirSync(dir);
        for (const file of files) fs.writeFileSync(path.join(dir, file), "");
        return dir;
      };
      const crashed = folder(gone, "Ab12Cd", ["socket"]);
      const running = folder(process.ppid, "Ef34Gh", ["socket"]); // a live process: a backend still serving
      const notOnlySocket = folder(gone, "Ij56Kl", ["socket", "notes.txt"]);
      const otherName = path.join(tmp, `pglite-${gone}`);
      fs.mkdirSync(otherName);
      expect(removeStaleSocketDirs(tmp)).to.deep.equal([crashed]);
      expect([running, notOnlySocket, otherName].every((dir) => fs.existsSync(dir))).to.equal(true);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("names its own socket folder after its process, so a later backend can tell whether it ended", function () {
    const mine = fs.readdirSync(os.tmpdir()).filter((name) => name.startsWith(`pglite-${process.pid}-`));
    expect(mine).to.have.length.at.least(1); // this suite's database, serving
  });
});
