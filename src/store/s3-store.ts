// S3 (or any S3-compatible store) through the AWS SDK, with credentials from its default chain
// (env, shared profile, ECS, web identity, EC2 instance profile). The SDK's own retries are off:
// the upload loops own the retry policy, so every attempt shows in the metrics.
import { PutObjectCommand, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { StoreError, type ObjectStore } from "./store.ts";

export interface S3StoreOptions {
  bucket: string;
  region: string;
  endpoint?: string;
  forcePathStyle: boolean;
  requestTimeoutMs: number;
  maxSockets: number;
}

const THROTTLING = new Set(["SlowDown", "Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded"]);
const RETRYABLE_CODES = new Set(["RequestTimeout", "RequestTimeTooSkewed", "ExpiredToken", "TokenRefreshRequired", "InternalError"]);

/** Maps an SDK failure to a metric label and whether trying again can help. */
export function classifyS3Error(err: unknown): StoreError {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = e?.name ?? "Error";
  const status = e?.$metadata?.httpStatusCode;
  const msg = `${name}${status ? ` (HTTP ${status})` : ""}: ${e?.message ?? String(err)}`;
  if (THROTTLING.has(name) || status === 429 || status === 503) return new StoreError("throttled", true, msg, { cause: err });
  if (name === "TimeoutError" || name === "AbortError") return new StoreError("timeout", true, msg, { cause: err });
  if (RETRYABLE_CODES.has(name) || status === 408) return new StoreError("transient", true, msg, { cause: err });
  if (status !== undefined && status >= 500) return new StoreError("server_error", true, msg, { cause: err });
  if (name === "NoSuchBucket") return new StoreError("no_such_bucket", false, msg, { cause: err });
  if (name === "AccessDenied" || status === 403) return new StoreError("access_denied", false, msg, { cause: err });
  if (err instanceof S3ServiceException || (status !== undefined && status >= 400)) {
    return new StoreError("client_error", false, msg, { cause: err });
  }
  // No HTTP answer at all: refused, reset, DNS, credentials not resolvable yet.
  return new StoreError("network", true, msg, { cause: err });
}

export function createS3Store(o: S3StoreOptions): ObjectStore {
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
        throw classifyS3Error(err);
      }
    },
  };
}
