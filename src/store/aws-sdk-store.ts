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

export function createAwsSdkStore(o: S3StoreOptions): ObjectStore {
  const client = new S3Client({
    region: o.region,
    endpoint: o.endpoint || undefined,
    forcePathStyle: o.forcePathStyle,
    maxAttempts: 1,
    // CRC32 checksums by default (SDK >= 3.729) are rejected by many S3-compatible stores.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    requestHandler: {
      connectionTimeout: Math.min(o.requestTimeoutMs, 5_000),
      requestTimeout: o.requestTimeoutMs,
      httpAgent: { keepAlive: true, maxSockets: o.maxSockets },
      httpsAgent: { keepAlive: true, maxSockets: o.maxSockets },
    },
  });
  return {
    location: `s3://${o.bucket}`,
    async put(key, body, options) {
      try {
        await client.send(
          new PutObjectCommand({
            Bucket: o.bucket,
            Key: key,
            Body: body,
            ContentLength: body.length,
            ContentType: options.contentType,
            ContentEncoding: options.contentEncoding,
          }),
          { abortSignal: AbortSignal.timeout(o.requestTimeoutMs) },
        );
      } catch (err) {
        throw classifySdkError(err);
      }
    },
  };
}
