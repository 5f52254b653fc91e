// Both S3 clients against a real S3 API server (s3rver), and the one classification of failures.
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { createAwsSdkStore } from "../../src/store/aws-sdk-store.ts";
import { bunEndpoint, createBunS3Store } from "../../src/store/bun-s3-store.ts";
import { classifyS3Failure } from "../../src/store/s3-errors.ts";
import type { S3StoreOptions } from "../../src/store/s3-options.ts";
import { type ObjectStore, StoreError } from "../../src/store/store.ts";
import { hasMoto, S3_CREDENTIALS, startMoto, startS3 } from "../support/s3.ts";

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

const MiB = 1024 * 1024;
const servers = [
  ["s3rver", startS3, true],
  ["moto", startMoto, hasMoto],
] as const;

for (const [name, create] of clients) {
  for (const [server, start, available] of servers) {
    describe.skipIf(!available)(
      `multipart uploads (${name}) against ${server}${available ? "" : " (skipped: moto_server is not installed; .ci/run installs it)"}`,
      () => {
        const storeFor = (endpoint: string, bucket: string) =>
          create({ bucket, region: "us-east-1", endpoint, forcePathStyle: true, requestTimeoutMs: 10_000, maxSockets: 4 });
        const options = { contentType: "application/x-ndjson", contentEncoding: "zstd" };

        it("makes one object of its parts, in part-number order, with the upload's content type and encoding", async () => {
          await using s3 = await start();
          const { multipart } = storeFor(s3.endpoint, s3.bucket);
          const first = new Uint8Array(5 * MiB).fill(0x61);
          const last = new TextEncoder().encode("tail\n");
          const uploadId = await multipart.create("events/big.ndjson", options);
          if (server === "moto") expect(await s3.openUploads()).toEqual([{ key: "events/big.ndjson", uploadId }]);
          // Uploaded out of order, as concurrent loops may.
          const etag2 = await multipart.uploadPart("events/big.ndjson", uploadId, 2, last);
          const etag1 = await multipart.uploadPart("events/big.ndjson", uploadId, 1, first);
          await multipart.complete("events/big.ndjson", uploadId, [
            { partNumber: 2, etag: etag2 },
            { partNumber: 1, etag: etag1 },
          ]);
          const [obj] = await s3.objects();
          expect(obj!.key).toBe("events/big.ndjson");
          expect(obj!.body.length).toBe(first.length + last.length);
          expect(Buffer.from(obj!.body.subarray(first.length)).toString()).toBe("tail\n");
          expect(obj).toMatchObject({ contentType: "application/x-ndjson", contentEncoding: "zstd" });
          if (server === "moto") expect(await s3.openUploads()).toEqual([]);
        });

        // s3rver implements neither AbortMultipartUpload nor ListMultipartUploads.
        it.skipIf(server === "s3rver")(
          `aborts an upload and its parts; aborting it again is not an error${server === "s3rver" ? " (skipped: s3rver has no AbortMultipartUpload; the moto run covers it)" : ""}`,
          async () => {
            await using s3 = await start();
            const { multipart } = storeFor(s3.endpoint, s3.bucket);
            const uploadId = await multipart.create("k", options);
            await multipart.uploadPart("k", uploadId, 1, new Uint8Array(10));
            await multipart.abort("k", uploadId);
            expect(await s3.openUploads()).toEqual([]);
            await multipart.abort("k", uploadId);
            expect(await s3.keys()).toEqual([]);
          },
        );

        it("reports a part sent to a bucket that does not exist as no_such_bucket, with S3's code", async () => {
          await using s3 = await start();
          const { multipart } = storeFor(s3.endpoint, "no-such-bucket");
          const err = await multipart.uploadPart("k", "some-upload", 1, new Uint8Array(10)).catch((e: unknown) => e);
          expect(err).toMatchObject({ type: "no_such_bucket", retryable: false });
          expect((err as Error).message).toContain("NoSuchBucket");
        });

        if (server === "moto") {
          it("is refused, as S3 refuses it, when a part other than the last is under 5 MiB", async () => {
            await using s3 = await start();
            const { multipart } = storeFor(s3.endpoint, s3.bucket);
            const uploadId = await multipart.create("k", options);
            const parts = [
              { partNumber: 1, etag: await multipart.uploadPart("k", uploadId, 1, new Uint8Array(1024)) },
              { partNumber: 2, etag: await multipart.uploadPart("k", uploadId, 2, new Uint8Array(1024)) },
            ];
            const err = await multipart.complete("k", uploadId, parts).catch((e: unknown) => e);
            expect(err).toBeInstanceOf(StoreError);
            expect(err).toMatchObject({ type: "client_error", retryable: false });
            expect((err as Error).message).toContain("EntityTooSmall");
          });
        }
      },
    );
  }
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
    ["NoSuchUpload", 404, "no_such_upload", false],
    ["InvalidArgument", 400, "client_error", false],
    ["ConnectionRefused", undefined, "network", true],
    [undefined, undefined, "network", true],
  ] as const)("classifies %s (%p) as %s, retryable %p", (code, status, type, retryable) => {
    expect(classifyS3Failure(code, status, "m", null)).toMatchObject({ type, retryable });
  });
});
