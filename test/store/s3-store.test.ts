import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { classifyS3Error, createS3Store } from "../../src/store/s3-store.ts";
import { StoreError } from "../../src/store/store.ts";
import { S3_CREDENTIALS, startS3 } from "../support/s3.ts";

// Real processes and a real S3 server: more than bun's 5 s default; every wait has its own deadline.
setDefaultTimeout(60_000);

for (const [k, v] of Object.entries(S3_CREDENTIALS)) process.env[k] = v;

const storeFor = (endpoint: string, bucket: string) =>
  createS3Store({ bucket, region: "us-east-1", endpoint, forcePathStyle: true, requestTimeoutMs: 5_000, maxSockets: 4 });

describe("S3 store against s3rver", () => {
  it("puts an object with its content type and encoding", async () => {
    await using s3 = await startS3();
    const store = storeFor(s3.endpoint, s3.bucket);
    await store.put("events/a.ndjson", new TextEncoder().encode('{"a":1}\n'), { contentType: "application/x-ndjson" });
    const [obj] = await s3.objects();
    expect(obj).toMatchObject({ key: "events/a.ndjson", contentType: "application/x-ndjson", lines: ['{"a":1}'] });
  });

  it("reports a missing bucket as non-retryable no_such_bucket", async () => {
    await using s3 = await startS3();
    const err = await storeFor(s3.endpoint, "no-such-bucket").put("k", new Uint8Array(1), { contentType: "x" }).catch((e) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect(err).toMatchObject({ type: "no_such_bucket", retryable: false });
  });

  it("reports a store that does not answer as a retryable network error", async () => {
    await using s3 = await startS3();
    const endpoint = s3.endpoint;
    await s3.stop();
    const err = await storeFor(endpoint, s3.bucket).put("k", new Uint8Array(1), { contentType: "x" }).catch((e) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect(err.retryable).toBe(true);
  });
});

describe("classifyS3Error", () => {
  const sdkError = (name: string, status?: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
  it.each([
    ["SlowDown", 503, "throttled", true],
    ["ThrottlingException", 400, "throttled", true],
    ["InternalError", 500, "transient", true],
    ["ServiceUnavailable", 503, "throttled", true],
    ["BadGateway", 502, "server_error", true],
    ["RequestTimeout", 400, "transient", true],
    ["ExpiredToken", 400, "transient", true],
    ["TimeoutError", undefined, "timeout", true],
    ["AccessDenied", 403, "access_denied", false],
    ["NoSuchBucket", 404, "no_such_bucket", false],
    ["InvalidArgument", 400, "client_error", false],
  ] as const)("classifies %s (%p) as %s, retryable %p", (name, status, type, retryable) => {
    expect(classifyS3Error(sdkError(name, status))).toMatchObject({ type, retryable });
  });

  it("treats an error without any HTTP answer as a retryable network error", () => {
    expect(classifyS3Error(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }))).toMatchObject({ type: "network", retryable: true });
  });
});
