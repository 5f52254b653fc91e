// S3 (or any S3-compatible store) through the AWS SDK: S3_CLIENT=aws-sdk, and always on Deno.
// Credentials come from the SDK's default chain (env, shared profile, ECS, web identity, EC2
// instance profile). The SDK's own retries are off: the upload loops own the retry policy, so
// every attempt shows in the metrics.
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { classifyS3Failure } from "./s3-errors.ts";
import type { S3StoreOptions } from "./s3-options.ts";
import type { ObjectStore, StoreError } from "./store.ts";

/** Maps an SDK failure (its `name` is the S3 error code) to a StoreError. */
export function classifySdkError(err: unknown): StoreError {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  return classifyS3Failure(e?.name, e?.$metadata?.httpStatusCode, e?.message ?? String(err), err);
}

export function createAwsSdkStore(options: S3StoreOptions): ObjectStore {
  const client = new S3Client({
    region: options.region,
    endpoint: options.endpoint || undefined,
    forcePathStyle: options.forcePathStyle,
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
  };
}
