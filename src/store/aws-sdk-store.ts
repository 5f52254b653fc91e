// S3 (or any S3-compatible store) through the AWS SDK: S3_CLIENT=aws-sdk, and always on Deno.
// Credentials come from the SDK's default chain (env, shared profile, ECS, web identity, EC2
// instance profile). The SDK's own retries are off: the upload loops own the retry policy, so
// every attempt shows in the metrics. Its multipart calls serve Bun's client too (bun-s3-store.ts).
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { classifyS3Failure } from "./s3-errors.ts";
import type { S3StoreOptions } from "./s3-options.ts";
import type { MultipartUploads, ObjectStore, StoreError } from "./store.ts";

/** Maps an SDK failure (its `name` is the S3 error code) to a StoreError. */
export function classifySdkError(err: unknown): StoreError {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  return classifyS3Failure(e?.name, e?.$metadata?.httpStatusCode, e?.message ?? String(err), err);
}

/** The SDK client for these options: no SDK retries, no default checksums, the request timeout. */
export function createSdkClient(options: S3StoreOptions, credentials?: S3ClientConfig["credentials"]): S3Client {
  return new S3Client({
    region: options.region,
    endpoint: options.endpoint || undefined,
    forcePathStyle: options.forcePathStyle,
    credentials,
    maxAttempts: 1,
    // CRC32 checksums by default (SDK >= 3.729) are rejected by many S3-compatible stores.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    requestHandler: {
      connectionTimeout: Math.min(options.requestTimeoutMs, 5_000),
      requestTimeout: options.requestTimeoutMs,
      httpAgent: { keepAlive: true, maxSockets: options.maxSockets },
      httpsAgent: { keepAlive: true, maxSockets: options.maxSockets },
    },
  });
}

/** S3's multipart calls through an SDK client; each failure becomes a StoreError. */
export function sdkMultipart(client: S3Client, options: S3StoreOptions): MultipartUploads {
  const Bucket = options.bucket;
  const timeout = () => ({ abortSignal: AbortSignal.timeout(options.requestTimeoutMs) });
  const call = async <T>(request: Promise<T>): Promise<T> => {
    try {
      return await request;
    } catch (err) {
      throw classifySdkError(err);
    }
  };
  return {
    async create(Key, object) {
      const out = await call(
        client.send(
          new CreateMultipartUploadCommand({ Bucket, Key, ContentType: object.contentType, ContentEncoding: object.contentEncoding }),
          timeout(),
        ),
      );
      if (!out.UploadId) throw classifySdkError(Object.assign(new Error("CreateMultipartUpload answered no UploadId"), { name: "InternalError" }));
      return out.UploadId;
    },
    async uploadPart(Key, UploadId, PartNumber, Body) {
      const out = await call(client.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber, Body, ContentLength: Body.length }), timeout()));
      if (!out.ETag) throw classifySdkError(Object.assign(new Error("UploadPart answered no ETag"), { name: "InternalError" }));
      return out.ETag;
    },
    async complete(Key, UploadId, parts) {
      const Parts = [...parts].sort((a, b) => a.partNumber - b.partNumber).map((p) => ({ PartNumber: p.partNumber, ETag: p.etag }));
      await call(client.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts } }), timeout()));
    },
    async abort(Key, UploadId) {
      try {
        await call(client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId }), timeout()));
      } catch (err) {
        if ((err as StoreError).type !== "no_such_upload") throw err;
      }
    },
  };
}

export function createAwsSdkStore(options: S3StoreOptions): ObjectStore {
  const client = createSdkClient(options);
  return {
    location: `s3://${options.bucket}`,
    async put(key, body, object) {
      try {
        await client.send(
          new PutObjectCommand({
            Bucket: options.bucket,
            Key: key,
            Body: body,
            ContentLength: body.length,
            ContentType: object.contentType,
            ContentEncoding: object.contentEncoding,
          }),
          { abortSignal: AbortSignal.timeout(options.requestTimeoutMs) },
        );
      } catch (err) {
        throw classifySdkError(err);
      }
    },
    multipart: sdkMultipart(client, options),
  };
}
