/**
 * The S3 reads and writes the anomaly functions share, over an injected client. Objects ending in `.gz` are
 * gunzipped on read (Spark and Athena UNLOAD may compress). Conditional writes (If-Match / If-None-Match)
 * make the scoring watermark a compare-and-swap.
 */
import { gunzipSync } from "zlib";
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  CopyObjectCommand,
  DeleteObjectsCommand,
  S3Client,
} from "@aws-sdk/client-s3";

/** Bucket and key of an `s3://bucket/key` URI. */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.*)$/.exec(uri);
  if (!match) throw new Error(`"${uri}" is not an s3://bucket/key URI`);
  return { bucket: match[1]!, key: match[2]! };
}

export const s3Uri = (bucket: string, key: string): string => `s3://${bucket}/${key}`;

/** Whether an SDK error means the object (or bucket) does not exist. */
export function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === "NoSuchKey" || e?.name === "NotFound" || e?.$metadata?.httpStatusCode === 404;
}

/** Whether an SDK error is S3 refusing a conditional write (someone else wrote the object first). */
export function isPreconditionFailed(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return (
    e?.name === "PreconditionFailed" ||
    e?.$metadata?.httpStatusCode === 412 ||
    e?.name === "ConditionalRequestConflict"
  );
}

/** An object's text and ETag; `undefined` when it does not exist. */
export async function readText(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<{ text: string; etag?: string } | undefined> {
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (!response.Body) return { text: "", etag: response.ETag };
    const bytes = await response.Body.transformToByteArray();
    const buffer = key.endsWith(".gz") ? gunzipSync(bytes) : Buffer.from(bytes);
    return { text: buffer.toString("utf8"), etag: response.ETag };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** The first `bytes` bytes of an object as text (a ranged GET); `undefined` when it does not exist. */
export async function readHead(
  s3: S3Client,
  bucket: string,
  key: string,
  bytes: number,
): Promise<string | undefined> {
  if (key.endsWith(".gz")) return (await readText(s3, bucket, key))?.text.slice(0, bytes);
  try {
    const response = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=0-${bytes - 1}` }),
    );
    return response.Body ? Buffer.from(await response.Body.transformToByteArray()).toString("utf8") : "";
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** A JSON object and its ETag; `undefined` when it does not exist. */
export async function readJson<T>(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<{ value: T; etag?: string } | undefined> {
  const found = await readText(s3, bucket, key);
  if (!found) return undefined;
  try {
    return { value: JSON.parse(found.text) as T, etag: found.etag };
  } catch (err) {
    throw new Error(`s3://${bucket}/${key} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}

export interface WriteOptions {
  readonly contentType?: string;
  /** Write only if the object still has this ETag. */
  readonly ifMatch?: string;
  /** Write only if the object does not exist yet. */
  readonly ifNoneMatch?: boolean;
}

/** Writes text and returns the new ETag. Encryption is the bucket's default (SSE-KMS with the lake key). */
export async function writeText(
  s3: S3Client,
  bucket: string,
  key: string,
  body: string,
  options: WriteOptions = {},
): Promise<string | undefined> {
  const response = await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: body,
      ContentType: options.contentType ?? "text/plain; charset=utf-8",
      ...(options.ifMatch ? { IfMatch: options.ifMatch } : {}),
      ...(options.ifNoneMatch ? { IfNoneMatch: "*" } : {}),
    }),
  );
  return response.ETag;
}

export async function writeJson(
  s3: S3Client,
  bucket: string,
  key: string,
  value: unknown,
  options: WriteOptions = {},
): Promise<string | undefined> {
  return writeText(s3, bucket, key, `${JSON.stringify(value, null, 2)}\n`, {
    ...options,
    contentType: "application/json",
  });
}

export async function copyObject(
  s3: S3Client,
  bucket: string,
  fromKey: string,
  toKey: string,
): Promise<void> {
  await s3.send(
    new CopyObjectCommand({
      Bucket: bucket,
      Key: toKey,
      CopySource: `${bucket}/${encodeURIComponent(fromKey).replace(/%2F/g, "/")}`,
    }),
  );
}

export interface ListedObject {
  readonly key: string;
  readonly size: number;
  readonly lastModified: number;
}

/** Every object under a prefix (all pages). */
export async function listObjects(s3: S3Client, bucket: string, prefix: string): Promise<ListedObject[]> {
  const objects: ListedObject[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) {
      if (o.Key)
        objects.push({ key: o.Key, size: o.Size ?? 0, lastModified: o.LastModified?.getTime() ?? 0 });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return objects;
}

/**
 * Deletes objects (1000 per request, S3's limit). In the versioned lake buckets this leaves delete markers;
 * the noncurrent versions expire by the bucket's lifecycle.
 * @throws Error naming the first key S3 could not delete
 */
export async function deleteObjects(s3: S3Client, bucket: string, keys: readonly string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 1000) {
    const chunk = keys.slice(i, i + 1000);
    const response = await s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: chunk.map((Key) => ({ Key })), Quiet: true },
      }),
    );
    const failed = response.Errors?.[0];
    if (failed)
      throw new Error(`could not delete s3://${bucket}/${failed.Key}: ${failed.Code} ${failed.Message}`);
  }
}
