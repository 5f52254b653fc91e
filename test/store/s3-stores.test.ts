// Both S3 clients against a real S3 API server (s3rver), and the one classification of failures.
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { createAwsSdkStore } from "../../src/store/aws-sdk-store.ts";
import { bunEndpoint, createBunS3Store } from "../../src/store/bun-s3-store.ts";
import { classifyS3Failure } from "../../src/store/s3-errors.ts";
import type { S3StoreOptions } from "../../src/store/s3-options.ts";
import { type ObjectStore, StoreError } from "../../src/store/store.ts";
import { S3_CREDENTIALS, startS3 } from "../support/s3.ts";

// A real S3 server: more than bun's 5 s default; every wait has its own deadline.
setDefaultTimeout(60_000);
for (const [k, v] of Object.entries(S3_CREDENTIALS)) process.env[k] = v;

const clients: [string, (o: S3StoreOptions) => ObjectStore][] = [
  ["aws-sdk", createAwsSdkStore],
  ["bun", (o) => createBunS3Store(o)],
];

for (const [name, create] of clients) {
  const storeFor = (endpoint: string, bucket: string) =>
    create({ bucket, region: "us-east-1", endpoint, forcePathStyle: true, requestTimeoutMs: 5_000, maxSockets: 4 });

  describe(`S3 store (${name}) against s3rver`, () => {
    it("puts an object with its content type and encoding", async () => {
      await using s3 = await startS3();
      const store = storeFor(s3.endpoint, s3.bucket);
      await store.put("events/a.ndjson", new TextEncoder().encode('{"a":1}\n'), { contentType: "application/x-ndjson", contentEncoding: "identity" });
      const [obj] = await s3.objects();
      expect(obj).toMatchObject({ key: "events/a.ndjson", contentType: "application/x-ndjson", contentEncoding: "identity", lines: ['{"a":1}'] });
    });

    it("reports a missing bucket as non-retryable no_such_bucket", async () => {
      await using s3 = await startS3();
      const err = await storeFor(s3.endpoint, "no-such-bucket")
        .put("k", new Uint8Array(1), { contentType: "x" })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect(err).toMatchObject({ type: "no_such_bucket", retryable: false });
    });

    it("reports a store that does not answer as retryable", async () => {
      await using s3 = await startS3();
      const endpoint = s3.endpoint;
      await s3.stop();
      const err = await storeFor(endpoint, s3.bucket)
        .put("k", new Uint8Array(1), { contentType: "x" })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect((err as StoreError).retryable).toBe(true);
    });
  });
}

describe("Bun client endpoints", () => {
  it("addresses AWS virtual-hosted style, with the bucket in the host", () => {
    expect(bunEndpoint({ bucket: "b", region: "eu-west-1", endpoint: "", forcePathStyle: false })).toEqual({
      endpoint: "https://b.s3.eu-west-1.amazonaws.com",
      virtualHostedStyle: true,
    });
  });

  it("addresses an S3-compatible store path-style when asked, else with the bucket in its host", () => {
    expect(bunEndpoint({ bucket: "b", region: "r", endpoint: "http://minio:9000", forcePathStyle: true })).toEqual({
      endpoint: "http://minio:9000",
      virtualHostedStyle: false,
    });
    expect(bunEndpoint({ bucket: "b", region: "r", endpoint: "https://store.example:9000", forcePathStyle: false })).toEqual({
      endpoint: "https://b.store.example:9000",
      virtualHostedStyle: true,
    });
  });

  it("reports credentials that cannot be found as a retryable error", async () => {
    const store = createBunS3Store(
      { bucket: "b", region: "r", endpoint: "http://127.0.0.1:9", forcePathStyle: true, requestTimeoutMs: 1_000, maxSockets: 1 },
      () => Promise.reject(new Error("Could not load credentials from any providers")),
    );
    expect(await store.put("k", new Uint8Array(1), { contentType: "x" }).catch((e: unknown) => e)).toMatchObject({
      type: "credentials",
      retryable: true,
    });
  });
});

describe("classifyS3Failure", () => {
  it.each([
    ["SlowDown", 503, "throttled", true],
    ["ThrottlingException", 400, "throttled", true],
    ["InternalError", 500, "transient", true],
    ["ServiceUnavailable", 503, "throttled", true],
    ["BadGateway", 502, "server_error", true],
    ["RequestTimeout", 400, "timeout", true],
    ["ExpiredToken", 400, "transient", true],
    ["TimeoutError", undefined, "timeout", true],
    ["Timeout", undefined, "timeout", true],
    ["AccessDenied", 403, "access_denied", false],
    ["SignatureDoesNotMatch", undefined, "access_denied", false],
    ["NoSuchBucket", 404, "no_such_bucket", false],
    ["NoSuchBucket", undefined, "no_such_bucket", false],
    ["InvalidArgument", 400, "client_error", false],
    ["ConnectionRefused", undefined, "network", true],
    [undefined, undefined, "network", true],
  ] as const)("classifies %s (%p) as %s, retryable %p", (code, status, type, retryable) => {
    expect(classifyS3Failure(code, status, "m", null)).toMatchObject({ type, retryable });
  });
});
