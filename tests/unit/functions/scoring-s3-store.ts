/**
 * An in-memory S3 behind aws-sdk-client-mock for the anomaly function tests: GetObject, PutObject (with
 * S3's conditional-write semantics: If-Match / If-None-Match answer 412), CopyObject and ListObjectsV2.
 * Shared by the scoring and retraining tests.
 */
import { createHash } from "crypto";
import { Readable } from "stream";
import { mockClient } from "aws-sdk-client-mock";
import {
  CopyObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { sdkStreamMixin } from "@smithy/core/serde";

export interface StoredObject {
  readonly body: Buffer;
  readonly etag: string;
  readonly lastModified: Date;
}

function awsError(name: string, status: number): Error {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
}

export class S3Store {
  readonly objects = new Map<string, StoredObject>();
  readonly client = new S3Client({ region: "eu-west-1" });
  readonly mock = mockClient(this.client);
  private clock = Date.UTC(2024, 0, 1);

  constructor() {
    this.mock.on(GetObjectCommand).callsFake((input: { Bucket: string; Key: string }) => {
      const object = this.objects.get(`${input.Bucket}/${input.Key}`);
      if (!object) throw awsError("NoSuchKey", 404);
      return { Body: sdkStreamMixin(Readable.from([object.body])), ETag: object.etag };
    });
    this.mock
      .on(PutObjectCommand)
      .callsFake(
        (input: {
          Bucket: string;
          Key: string;
          Body: string | Uint8Array;
          IfMatch?: string;
          IfNoneMatch?: string;
        }) => {
          const id = `${input.Bucket}/${input.Key}`;
          const existing = this.objects.get(id);
          if (input.IfNoneMatch === "*" && existing) throw awsError("PreconditionFailed", 412);
          if (input.IfMatch !== undefined && existing?.etag !== input.IfMatch)
            throw awsError("PreconditionFailed", 412);
          return { ETag: this.put(input.Bucket, input.Key, input.Body) };
        },
      );
    this.mock
      .on(CopyObjectCommand)
      .callsFake((input: { Bucket: string; Key: string; CopySource: string }) => {
        const source = this.objects.get(decodeURIComponent(input.CopySource));
        if (!source) throw awsError("NoSuchKey", 404);
        return { CopyObjectResult: { ETag: this.put(input.Bucket, input.Key, source.body) } };
      });
    this.mock
      .on(DeleteObjectsCommand)
      .callsFake((input: { Bucket: string; Delete: { Objects: { Key: string }[] } }) => {
        for (const { Key } of input.Delete.Objects) this.objects.delete(`${input.Bucket}/${Key}`);
        return { Deleted: input.Delete.Objects };
      });
    this.mock
      .on(ListObjectsV2Command)
      .callsFake((input: { Bucket: string; Prefix?: string; ContinuationToken?: string }) => {
        const keys = [...this.objects.keys()]
          .filter((k) => k.startsWith(`${input.Bucket}/${input.Prefix ?? ""}`))
          .sort()
          .map((k) => k.slice(input.Bucket.length + 1));
        // Two keys per page, so every caller's pagination is exercised.
        const start = input.ContinuationToken ? Number(input.ContinuationToken) : 0;
        const page = keys.slice(start, start + 2);
        const more = start + 2 < keys.length;
        return {
          Contents: page.map((Key) => {
            const o = this.objects.get(`${input.Bucket}/${Key}`)!;
            return { Key, Size: o.body.length, LastModified: o.lastModified };
          }),
          IsTruncated: more,
          NextContinuationToken: more ? String(start + 2) : undefined,
        };
      });
  }

  /** Stores an object directly (test setup); returns its ETag. */
  put(bucket: string, key: string, body: string | Uint8Array): string {
    const buffer = Buffer.from(body);
    const etag = `"${createHash("md5").update(buffer).update(String(this.clock)).digest("hex")}"`;
    this.objects.set(`${bucket}/${key}`, {
      body: buffer,
      etag,
      lastModified: new Date((this.clock += 1000)),
    });
    return etag;
  }

  text(bucket: string, key: string): string | undefined {
    return this.objects.get(`${bucket}/${key}`)?.body.toString("utf8");
  }

  json<T>(bucket: string, key: string): T | undefined {
    const text = this.text(bucket, key);
    return text === undefined ? undefined : (JSON.parse(text) as T);
  }

  keys(bucket: string, prefix = ""): string[] {
    return [...this.objects.keys()]
      .filter((k) => k.startsWith(`${bucket}/${prefix}`))
      .map((k) => k.slice(bucket.length + 1))
      .sort();
  }
}
