/**
 * An `S3Client` over the local lake: the commands the platform's handlers send (GetObject, PutObject with
 * If-Match / If-None-Match, CopyObject, ListObjectsV2, HeadObject, DeleteObject), with S3's semantics and
 * error names (`NoSuchKey`, `PreconditionFailed`).
 */
import {
  CopyObjectCommandInput,
  DeleteObjectCommandInput,
  DeleteObjectsCommandInput,
  GetObjectCommandInput,
  HeadObjectCommandInput,
  ListObjectsV2CommandInput,
  PutObjectCommandInput,
  S3Client,
} from "@aws-sdk/client-s3";
import { LocalObjectStore } from "../lake/object-store";
import { LOCAL_CLIENT_CONFIG, serveLocally } from "./serve-locally";

/** Objects per ListObjectsV2 page, as S3 (1000 unless MaxKeys says fewer). */
const PAGE_SIZE = 1000;

async function bodyBytes(body: PutObjectCommandInput["Body"]): Promise<Buffer> {
  if (body === undefined) return Buffer.alloc(0);
  if (typeof body === "string") return Buffer.from(body, "utf8");
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (typeof (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === "function") {
    const chunks: Buffer[] = [];
    for await (const chunk of body as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
    return Buffer.concat(chunks);
  }
  throw new Error("the local S3 accepts string, Uint8Array and stream bodies");
}

/** A payload stream with the SDK's `transformTo*` helpers, as GetObject returns it. */
function sdkBody(bytes: Buffer) {
  return {
    transformToByteArray: async () => new Uint8Array(bytes),
    transformToString: async (encoding: BufferEncoding = "utf8") => bytes.toString(encoding),
    async *[Symbol.asyncIterator]() {
      yield new Uint8Array(bytes);
    },
  };
}

/** The bytes an HTTP `Range: bytes=a-b` header asks for (S3 supports single ranges). */
function byteRange(body: Buffer, range: string): Buffer {
  const match = /^bytes=(\d*)-(\d*)$/.exec(range);
  if (!match || (match[1] === "" && match[2] === ""))
    throw new Error(`the local S3 supports single byte ranges (bytes=a-b), got ${range}`);
  if (match[1] === "") return body.subarray(Math.max(0, body.length - Number(match[2])));
  return body.subarray(Number(match[1]), match[2] === "" ? body.length : Number(match[2]) + 1);
}

/** An S3 client whose buckets are the local lake's folders. */
export function createLocalS3Client(store: LocalObjectStore): S3Client {
  return serveLocally(new S3Client(LOCAL_CLIENT_CONFIG), "S3", {
    GetObjectCommand: (input: GetObjectCommandInput) => {
      const object = store.get(input.Bucket!, input.Key!);
      const body = input.Range ? byteRange(object.body, input.Range) : object.body;
      return {
        Body: sdkBody(body),
        ETag: object.etag,
        ContentLength: body.length,
        LastModified: object.lastModified,
      };
    },
    HeadObjectCommand: (input: HeadObjectCommandInput) => {
      const object = store.get(input.Bucket!, input.Key!);
      return { ETag: object.etag, ContentLength: object.body.length, LastModified: object.lastModified };
    },
    PutObjectCommand: async (input: PutObjectCommandInput) => {
      const etag = store.put(input.Bucket!, input.Key!, await bodyBytes(input.Body), {
        ifMatch: input.IfMatch,
        ifNoneMatch: input.IfNoneMatch,
      });
      return { ETag: etag };
    },
    CopyObjectCommand: (input: CopyObjectCommandInput) => {
      const source = decodeURIComponent(input.CopySource!.replace(/^\//, ""));
      const slash = source.indexOf("/");
      const etag = store.copy(source.slice(0, slash), source.slice(slash + 1), input.Bucket!, input.Key!);
      return { CopyObjectResult: { ETag: etag, LastModified: new Date() } };
    },
    DeleteObjectCommand: (input: DeleteObjectCommandInput) => {
      store.delete(input.Bucket!, input.Key!);
      return {};
    },
    DeleteObjectsCommand: (input: DeleteObjectsCommandInput) => {
      const objects = input.Delete?.Objects ?? [];
      for (const o of objects) store.delete(input.Bucket!, o.Key!);
      return { Deleted: input.Delete?.Quiet ? [] : objects.map((o) => ({ Key: o.Key })), Errors: [] };
    },
    ListObjectsV2Command: (input: ListObjectsV2CommandInput) => {
      const all = store.list(input.Bucket!, input.Prefix ?? "");
      const start = input.ContinuationToken ? Number(input.ContinuationToken) : 0;
      const size = Math.min(PAGE_SIZE, input.MaxKeys ?? PAGE_SIZE);
      const page = all.slice(start, start + size);
      const more = start + size < all.length;
      return {
        Contents: page.map((o) => ({
          Key: o.key,
          Size: o.size,
          LastModified: o.lastModified,
          ETag: undefined,
        })),
        KeyCount: page.length,
        IsTruncated: more,
        NextContinuationToken: more ? String(start + size) : undefined,
        Prefix: input.Prefix,
      };
    },
  });
}
