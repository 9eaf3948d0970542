/**
 * Certificates that devices obtained by claim, kept between runs (`--credentials <dir|s3://...>`). IoT Core's
 * pre-provisioning hook refuses a thing that already has a certificate, so a device that provisioned once must
 * come back with the certificate it got. Each shard writes one file (`shard-<i>-of-<n>.json`, so shards never
 * write the same object) and reads every file at start (so changing the shard count loses nothing); where two
 * files name the same device, the newest certificate wins. Secrets Manager would hold only about 20 device
 * certificates per 64 KB secret, hence a private, KMS-encrypted S3 prefix readable only by the runner's task role.
 */
import type { Shard } from "./shard";
import type { ObjectStore } from "./storage";
import type { ClientCertificate } from "./transports/transport";

export const CREDENTIALS_FORMAT = "sensor-fleet-credentials/1";

interface SavedDevice extends ClientCertificate {
  /** ISO time the certificate was issued (obtained by claim). */
  readonly issuedAt: string;
}

interface CredentialsFile {
  readonly format: typeof CREDENTIALS_FORMAT;
  readonly shard: string;
  readonly devices: Record<string, SavedDevice>;
}

/** The file a shard writes. */
export function credentialsKey(shard: Shard): string {
  return `shard-${shard.index}-of-${shard.count}.json`;
}

/** Every saved certificate in the store, by thing name (newest wins). Files that are not ours are skipped. */
export async function loadCredentials(store: ObjectStore): Promise<Map<string, SavedDevice>> {
  const found = new Map<string, SavedDevice>();
  for (const key of await store.list()) {
    if (!/^shard-\d+-of-\d+\.json$/.test(key)) continue;
    const text = await store.read(key);
    let file: CredentialsFile;
    try {
      file = JSON.parse(text ?? "") as CredentialsFile;
    } catch (err) {
      throw new Error(`${store.location}${key} is not JSON (${(err as Error).message})`, { cause: err });
    }
    if (file.format !== CREDENTIALS_FORMAT) {
      throw new Error(`${store.location}${key} is not a credentials file of format ${CREDENTIALS_FORMAT}`);
    }
    for (const [thingName, saved] of Object.entries(file.devices)) {
      const known = found.get(thingName);
      if (!known || known.issuedAt < saved.issuedAt) found.set(thingName, saved);
    }
  }
  return found;
}

/**
 * Collects this shard's certificates (the ones it was given from the store and the ones its devices obtain) and
 * writes them to its file: every `intervalMs` while new ones arrive (a task that dies keeps what it had saved),
 * and on {@link close}.
 */
export class CredentialSaver {
  private readonly devices: Record<string, SavedDevice> = {};
  private dirty = false;
  private lastError: Error | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly store: ObjectStore,
    private readonly shard: Shard,
    known: ReadonlyMap<string, SavedDevice>,
    intervalMs = 60_000,
    private readonly onError: (err: Error) => void = () => {},
  ) {
    for (const [thingName, saved] of known) this.devices[thingName] = saved;
    this.timer = setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  /** A certificate a device just obtained. */
  add(thingName: string, certificate: ClientCertificate, issuedAt = new Date()): void {
    this.devices[thingName] = { ...certificate, issuedAt: issuedAt.toISOString() };
    this.dirty = true;
  }

  /** Writes the file if anything changed since the last write. */
  flush(): Promise<void> {
    if (!this.dirty) return this.writing;
    this.dirty = false;
    const file: CredentialsFile = {
      format: CREDENTIALS_FORMAT,
      shard: `${this.shard.index}/${this.shard.count}`,
      devices: { ...this.devices },
    };
    this.writing = this.writing
      .then(() => this.store.write(credentialsKey(this.shard), `${JSON.stringify(file)}\n`))
      .then(() => {
        this.lastError = undefined;
      })
      .catch((err: Error) => {
        this.dirty = true;
        this.lastError = err;
        this.onError(err);
      });
    return this.writing;
  }

  /** Stops the timer and writes what is left; rejects when the last write failed (the certificates are lost). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    if (this.lastError) {
      throw new Error(
        `could not save certificates to ${this.store.location}${credentialsKey(this.shard)}: ${this.lastError.message}`,
        { cause: this.lastError },
      );
    }
  }
}
