/**
 * Where run files go and come from: a local directory or an S3 prefix, behind one small interface, so a
 * shard on a laptop and a shard on Fargate write summaries, labels and saved certificates the same way and
 * `fleet:report` reads either. The S3 client is injected (tests pass one mocked with aws-sdk-client-mock); the
 * bucket's default encryption (SSE-KMS in the fleet runner's bucket) applies to every object written.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";

export interface ObjectStore {
  /** The location, for messages: a directory path or `s3://bucket/prefix/`. */
  readonly location: string;
  /** Keys under the store (relative, `/`-separated), optionally under a sub-prefix, sorted. */
  list(prefix?: string): Promise<string[]>;
  /** The object's text, or `undefined` when there is none. */
  read(key: string): Promise<string | undefined>;
  write(key: string, body: string, contentType?: string): Promise<void>;
  /** A store for a sub-folder. */
  child(prefix: string): ObjectStore;
}

/** Opens `dir` or `s3://bucket/prefix`. @param s3 the client for S3 locations @default - a new S3Client */
export function openStore(location: string, s3?: S3Client): ObjectStore {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(location);
  if (!match) return new DirectoryStore(location);
  const prefix =
    match[2] === "" || (match[2] as string).endsWith("/") ? (match[2] as string) : `${match[2]}/`;
  return new S3Store(s3 ?? new S3Client({}), match[1] as string, prefix);
}

class DirectoryStore implements ObjectStore {
  constructor(readonly location: string) {}

  async list(prefix = ""): Promise<string[]> {
    const root = join(this.location, prefix);
    const keys: string[] = [];
    const walk = (dir: string): void => {
      let entries: string[];
      try {
        entries = readdirSync(dir);
      } catch {
        return;
      }
      for (const entry of entries) {
        const full = join(dir, entry);
        if (statSync(full).isDirectory()) walk(full);
        else keys.push(relative(this.location, full).split(sep).join("/"));
      }
    };
    walk(root);
    return keys.sort();
  }

  async read(key: string): Promise<string | undefined> {
    try {
      return readFileSync(join(this.location, key), "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }

  async write(key: string, body: string): Promise<void> {
    const file = join(this.location, key);
    mkdirSync(dirname(file), { recursive: true });
    // Saved certificates hold private keys: readable by the owner only, like a fleet file.
    writeFileSync(file, body, { mode: 0o600 });
  }

  child(prefix: string): ObjectStore {
    return new DirectoryStore(join(this.location, prefix));
  }
}

class S3Store implements ObjectStore {
  readonly location: string;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
  ) {
    this.location = `s3://${bucket}/${prefix}`;
  }

  async list(prefix = ""): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: `${this.prefix}${prefix}`,
          ContinuationToken: token,
        }),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key) keys.push(object.Key.slice(this.prefix.length));
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }

  async read(key: string): Promise<string | undefined> {
    try {
      const object = await this.s3.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: `${this.prefix}${key}` }),
      );
      return await object.Body?.transformToString("utf8");
    } catch (err) {
      if ((err as { name?: string }).name === "NoSuchKey") return undefined;
      throw err;
    }
  }

  async write(key: string, body: string, contentType = "application/json"): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: `${this.prefix}${key}`,
        Body: body,
        ContentType: contentType,
      }),
    );
  }

  child(prefix: string): ObjectStore {
    const sub = prefix.endsWith("/") ? prefix : `${prefix}/`;
    return new S3Store(this.s3, this.bucket, `${this.prefix}${sub}`);
  }
}
