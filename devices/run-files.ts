/**
 * The files a run keeps beyond its stdout: certificates obtained by claim (`--credentials`), and the summary
 * and labels under `--out <dir|s3://...>/<run>/`, named by shard so that n shards write n disjoint files that
 * `npm run fleet:report -- --from <out>/<run>` merges.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CredentialSaver, loadCredentials } from "./credential-store";
import type { FleetRunConfig } from "./fleet";
import type { FleetOptions } from "./options";
import { openStore, type ObjectStore } from "./storage";
import type { FleetSummary } from "./summary";
import type { ClientCertificate } from "./transports/transport";

/** The summary file of a shard under `<out>/<run>/`. */
export function summaryKey(shard: FleetOptions["shard"]): string {
  return `shard-${shard.index}-of-${shard.count}.summary.json`;
}

/** The labels file of a shard under `<out>/<run>/`. */
export function labelsKey(shard: FleetOptions["shard"], csv = false): string {
  return `shard-${shard.index}-of-${shard.count}.labels.${csv ? "csv" : "jsonl"}`;
}

export class RunFiles {
  private saver: CredentialSaver | undefined;
  private readonly runStore: ObjectStore | undefined;
  private tempDir: string | undefined;
  private labels: string | undefined;

  constructor(
    private readonly options: FleetOptions,
    private readonly log: (message: string) => void,
    private readonly s3?: S3Client,
  ) {
    this.runStore = options.out === undefined ? undefined : openStore(options.out, s3).child(options.run);
  }

  /**
   * Gives devices without a certificate the one saved in `--credentials` by an earlier run (devices that
   * register by claim), and starts saving this shard's certificates there.
   */
  async withSavedCredentials(config: FleetRunConfig): Promise<FleetRunConfig> {
    if (this.options.credentialsStore === undefined) return config;
    const store = openStore(this.options.credentialsStore, this.s3);
    const saved = await loadCredentials(store);
    const mine = new Map<string, ClientCertificate & { issuedAt: string }>();
    const devices = config.devices.map((device) => {
      const found = saved.get(device.thingName);
      if (!found) return device;
      mine.set(device.thingName, found);
      return device.credentials || !config.provisioning
        ? device
        : {
            ...device,
            credentials: { certificatePem: found.certificatePem, privateKeyPem: found.privateKeyPem },
          };
    });
    this.log(`${mine.size} of ${devices.length} devices have a saved certificate in ${store.location}`);
    this.saver = new CredentialSaver(store, this.options.shard, mine, 60_000, (err) =>
      this.log(`saving certificates to ${store.location} failed (will retry): ${err.message}`),
    );
    return { ...config, devices };
  }

  /** Where the fleet writes labels: `--labels`, else (with `--out` and anomalies) a temporary file to upload. */
  labelsPath(config: FleetRunConfig): string | undefined {
    if (this.options.labelsPath !== undefined) this.labels = this.options.labelsPath;
    else if (this.runStore && config.anomalies.rate > 0) {
      this.tempDir = mkdtempSync(join(tmpdir(), "sensor-fleet-"));
      this.labels = join(this.tempDir, labelsKey(this.options.shard));
    }
    return this.labels;
  }

  certificateObtained(thingName: string, certificate: ClientCertificate): void {
    this.saver?.add(thingName, certificate);
  }

  /**
   * Saves the certificates and writes the summary and labels under `--out`; resolves `false` (after logging
   * why) when something could not be written, so the CLI exits 1 instead of reporting a run nobody can merge.
   */
  async finish(summary: FleetSummary): Promise<boolean> {
    let ok = true;
    try {
      await this.saver?.close();
    } catch (err) {
      this.log((err as Error).message);
      ok = false;
    }
    if (!this.runStore) return ok;
    try {
      if (this.labels !== undefined && existsSync(this.labels)) {
        const key = labelsKey(this.options.shard, this.labels.endsWith(".csv"));
        await this.runStore.write(key, readFileSync(this.labels, "utf8"), "text/plain");
        const where = this.runStore.location;
        summary.anomalies.labelsFile = `${where}${where.endsWith("/") ? "" : "/"}${key}`;
      }
      const key = summaryKey(this.options.shard);
      await this.runStore.write(key, `${JSON.stringify(summary, null, 2)}\n`);
      this.log(`wrote ${key} to ${this.runStore.location}`);
    } catch (err) {
      this.log(`could not write the run files to ${this.runStore.location}: ${(err as Error).message}`);
      ok = false;
    } finally {
      if (this.tempDir) rmSync(this.tempDir, { recursive: true, force: true });
    }
    return ok;
  }
}
