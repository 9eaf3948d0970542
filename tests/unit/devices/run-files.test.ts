import { expect } from "chai";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CredentialSaver, credentialsKey, loadCredentials } from "../../../devices/credential-store";
import { openStore } from "../../../devices/storage";
import { S3Store } from "../functions/scoring-s3-store";

const cert = (n: number) => ({
  certificatePem: `-----BEGIN CERTIFICATE-----\n${n}\n-----END CERTIFICATE-----`,
  privateKeyPem: `-----BEGIN PRIVATE KEY-----\n${n}\n-----END PRIVATE KEY-----`,
});

describe("devices: run files", () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), "run-files-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const kind of ["a directory", "an S3 prefix"] as const) {
    it(`keeps certificates obtained by claim between runs in ${kind}, one file per shard, newest first`, async () => {
      const s3 = new S3Store();
      const location = kind === "a directory" ? join(dir, "credentials") : "s3://runner-bucket/credentials/";
      const store = openStore(location, s3.client);
      // First run, two shards: each saves what its devices obtained.
      const one = new CredentialSaver(store, { index: 1, count: 2 }, new Map());
      one.add("sensors-loadtest-lab-001", cert(1), new Date("2025-01-06T08:00:00Z"));
      const two = new CredentialSaver(store, { index: 2, count: 2 }, new Map());
      two.add("sensors-loadtest-lab-002", cert(2), new Date("2025-01-06T08:00:00Z"));
      await Promise.all([one.close(), two.close()]);
      expect(await store.list()).to.deep.equal(["shard-1-of-2.json", "shard-2-of-2.json"]);

      // Second run with three shards: everything is found; a device that re-registered later wins.
      const three = new CredentialSaver(store, { index: 1, count: 3 }, new Map());
      three.add("sensors-loadtest-lab-002", cert(22), new Date("2025-01-07T08:00:00Z"));
      await three.close();
      const found = await loadCredentials(store);
      expect([...found.keys()].sort()).to.deep.equal([
        "sensors-loadtest-lab-001",
        "sensors-loadtest-lab-002",
      ]);
      expect(found.get("sensors-loadtest-lab-002")!.certificatePem).to.equal(cert(22).certificatePem);
      expect(credentialsKey({ index: 1, count: 3 })).to.equal("shard-1-of-3.json");
      if (kind === "a directory") {
        // They hold private keys: owner-only, like a fleet file.
        expect(statSync(join(location, "shard-1-of-3.json")).mode & 0o777).to.equal(0o600);
      }
    });
  }

  it("reports a failed final save instead of losing certificates silently", async () => {
    const failing = {
      location: "s3://nowhere/",
      list: async () => [],
      read: async () => undefined,
      write: async () => {
        throw new Error("AccessDenied");
      },
      child: () => failing,
    };
    const saver = new CredentialSaver(failing, { index: 1, count: 1 }, new Map());
    saver.add("sensors-loadtest-lab-001", cert(1));
    let message = "";
    await saver.close().catch((err: Error) => (message = err.message));
    expect(message).to.equal("could not save certificates to s3://nowhere/shard-1-of-1.json: AccessDenied");
  });
});
