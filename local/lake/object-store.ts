/**
 * The local lake on disk: one directory per bucket of the cloud lake (`LAKE_ZONES` roles), object keys as
 * relative paths, so `raw/telemetry/room_id=lab/dt=2025-01-06/...parquet` is the same key the cloud writes.
 * Objects are written atomically (temporary file, fsync, rename) and their "last modified" time is the
 * backend's simulated clock, so time-based decisions (the ETL planner's "new files since the last import")
 * behave as they would in the cloud at that speed. ETags are the MD5 of the content, as S3 gives for a
 * single-part upload.
 */
import { createHash, randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { BUCKET_ROLES, BucketRole, LAKE_ZONES, LakeZone } from "../../components/lake/layout";

/** An object's metadata, as S3's ListObjectsV2 and HeadObject give it. */
export interface StoredObjectInfo {
  readonly key: string;
  readonly size: number;
  readonly lastModified: Date;
}

/** An S3-style error: the `name` and HTTP status the AWS SDK would raise. */
export class ObjectStoreError extends Error {
  readonly $metadata: { readonly httpStatusCode: number };
  constructor(
    name: "NoSuchKey" | "NoSuchBucket" | "PreconditionFailed" | "InvalidObjectKey",
    message: string,
    status: number,
  ) {
    super(message);
    this.name = name;
    this.$metadata = { httpStatusCode: status };
  }
}

/** Conditions of a write, as S3's conditional PutObject takes them. */
export interface PutConditions {
  /** Write only if the object's current ETag is this one. */
  readonly ifMatch?: string;
  /** `*`: write only if the object does not exist. */
  readonly ifNoneMatch?: string;
}

export class LocalObjectStore {
  /** Bucket name of each role: `<deployment>-<role>`, like an S3 bucket name. */
  readonly bucketNames: Readonly<Record<BucketRole, string>>;
  private readonly roleOf = new Map<string, BucketRole>();

  /**
   * @param root directory holding one folder per bucket role
   * @param now simulated clock for object times
   */
  constructor(
    readonly root: string,
    deployment: string,
    private readonly now: () => number,
  ) {
    const names = {} as Record<BucketRole, string>;
    for (const role of BUCKET_ROLES) {
      names[role] = `${deployment}-${role}`;
      this.roleOf.set(names[role], role);
      fs.mkdirSync(path.join(root, role), { recursive: true });
    }
    this.bucketNames = names;
  }

  /** The role of a bucket name; throws NoSuchBucket for a name the local lake does not have. */
  role(bucket: string): BucketRole {
    const role = this.roleOf.get(bucket);
    if (!role)
      throw new ObjectStoreError(
        "NoSuchBucket",
        `the local lake has no bucket ${bucket} (it has ${[...this.roleOf.keys()].join(", ")})`,
        404,
      );
    return role;
  }

  /** Absolute path of an object. Keys may not climb out of their bucket. */
  pathOf(bucket: string, key: string): string {
    const base = path.join(this.root, this.role(bucket));
    const full = path.resolve(base, key);
    if (key === "" || !full.startsWith(`${base}${path.sep}`))
      throw new ObjectStoreError(
        "InvalidObjectKey",
        `object key "${key}" is not a key inside ${bucket}`,
        400,
      );
    return full;
  }

  /** Absolute path of a zone's prefix (a directory). */
  zonePath(zone: LakeZone): string {
    const { bucket, prefix } = LAKE_ZONES[zone];
    return path.join(this.root, bucket, prefix);
  }

  /** `s3://<bucket>/<key>` of a zone's prefix (or of a key under it). */
  zoneUri(zone: LakeZone, rest = ""): string {
    const { bucket, prefix } = LAKE_ZONES[zone];
    return `s3://${this.bucketNames[bucket]}/${prefix}${rest}`;
  }

  /** Maps an `s3://bucket/key` URI of the local lake to a path (a prefix URI gives a directory path). */
  pathOfUri(uri: string): string {
    const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri);
    if (!match) throw new Error(`"${uri}" is not an s3://bucket/key URI`);
    const base = path.join(this.root, this.role(match[1]!));
    return match[2] === ""
      ? `${base}${path.sep}`
      : `${this.pathOf(match[1]!, match[2]!)}${match[2]!.endsWith("/") ? path.sep : ""}`;
  }

  etag(bucket: string, key: string): string | undefined {
    const file = this.pathOf(bucket, key);
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) return undefined;
    return etagOf(fs.readFileSync(file));
  }

  /** Writes an object atomically; returns its ETag. */
  put(bucket: string, key: string, body: Uint8Array | string, conditions: PutConditions = {}): string {
    const file = this.pathOf(bucket, key);
    const current = this.etag(bucket, key);
    if (conditions.ifNoneMatch === "*" && current !== undefined) {
      throw new ObjectStoreError(
        "PreconditionFailed",
        `s3://${bucket}/${key} exists (If-None-Match: *)`,
        412,
      );
    }
    if (conditions.ifMatch !== undefined && current !== conditions.ifMatch) {
      throw new ObjectStoreError(
        "PreconditionFailed",
        `s3://${bucket}/${key} has ETag ${current ?? "(none)"}, not ${conditions.ifMatch}`,
        412,
      );
    }
    const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : Buffer.from(body);
    writeFileDurably(file, bytes);
    this.stamp(file);
    return etagOf(bytes);
  }

  /** An object's bytes and ETag. */
  get(bucket: string, key: string): { body: Buffer; etag: string; lastModified: Date } {
    const file = this.pathOf(bucket, key);
    if (!fs.existsSync(file) || !fs.statSync(file).isFile())
      throw new ObjectStoreError("NoSuchKey", `s3://${bucket}/${key} does not exist`, 404);
    const body = fs.readFileSync(file);
    return { body, etag: etagOf(body), lastModified: fs.statSync(file).mtime };
  }

  copy(bucket: string, fromKey: string, toBucket: string, toKey: string): string {
    return this.put(toBucket, toKey, this.get(bucket, fromKey).body);
  }

  delete(bucket: string, key: string): void {
    fs.rmSync(this.pathOf(bucket, key), { force: true });
  }

  /** Every object under a prefix, in key order (S3 lists in UTF-8 binary order). Staging files are hidden. */
  list(bucket: string, prefix = ""): StoredObjectInfo[] {
    const base = path.join(this.root, this.role(bucket));
    // Walk only the folder the prefix names, then filter by the rest of the prefix.
    const folder = prefix.includes("/") ? prefix.slice(0, prefix.lastIndexOf("/") + 1) : "";
    const found: StoredObjectInfo[] = [];
    const walk = (dir: string, keyPrefix: string): void => {
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        if (entry.name.startsWith(".tmp-")) continue;
        const key = `${keyPrefix}${entry.name}`;
        if (entry.isDirectory()) walk(path.join(dir, entry.name), `${key}/`);
        else if (key.startsWith(prefix)) {
          const stat = fs.statSync(path.join(dir, entry.name));
          found.push({ key, size: stat.size, lastModified: stat.mtime });
        }
      }
    };
    walk(path.join(base, folder), folder);
    return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Sets a file's modification time to the simulated clock (files written by DuckDB directly, too). */
  stamp(file: string): void {
    const at = new Date(this.now());
    fs.utimesSync(file, at, at);
  }

  /** Stamps every file under a directory (after DuckDB wrote a partitioned output there). */
  stampTree(dir: string): void {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
      if (entry.isFile()) this.stamp(path.join(entry.parentPath, entry.name));
    }
  }
}

/** S3's ETag of a single-part object: the quoted MD5 of its bytes. */
export function etagOf(bytes: Uint8Array): string {
  return `"${createHash("md5").update(bytes).digest("hex")}"`;
}

/** Writes a file so that after a crash it is either absent, the old version, or complete: temp + fsync + rename. */
export function writeFileDurably(file: string, bytes: Uint8Array, mode = 0o644): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temp = path.join(path.dirname(file), `.tmp-${randomUUID()}`);
  const fd = fs.openSync(temp, "w", mode);
  try {
    fs.writeSync(fd, bytes);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, file);
  fsyncDirectory(path.dirname(file));
}

/** Makes a directory entry (a created or renamed file) durable. */
export function fsyncDirectory(dir: string): void {
  const fd = fs.openSync(dir, "r");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
