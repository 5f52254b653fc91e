// The upload loops and the S3 store together against s3rver: objects hold exactly the payloads
// queued, compressed or not.
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { RingReader } from "../../src/buffer/ring-reader.ts";
import { RingSet } from "../../src/queue/ring-set.ts";
import { createAwsSdkStore } from "../../src/store/aws-sdk-store.ts";
import { createBunS3Store } from "../../src/store/bun-s3-store.ts";
import { Uploader } from "../../src/upload/uploader.ts";
import { ids, payload } from "../support/collections.ts";
import { pushAll } from "../support/queue.ts";
import { S3_CREDENTIALS, startS3 } from "../support/s3.ts";
import { uploadDeps, uploadOptions } from "../support/uploader.ts";

// A real S3 server: more than bun's 5 s default; every wait has its own deadline.
setDefaultTimeout(60_000);
for (const [k, v] of Object.entries(S3_CREDENTIALS)) process.env[k] = v;

async function roundTrip(compression: "zstd" | "gzip" | "none", maxPayloads: number, client: "bun" | "aws-sdk" = "bun") {
  await using s3 = await startS3();
  const queue = new RingSet(1, 10_000, 1 << 24);
  const options = { bucket: s3.bucket, region: "us-east-1", endpoint: s3.endpoint, forcePathStyle: true, requestTimeoutMs: 5_000, maxSockets: 4 };
  const store = client === "bun" ? createBunS3Store(options) : createAwsSdkStore(options);
  const reader = new RingReader(queue, { maxPayloads, maxBytes: 1 << 20, maxWaitMs: 10 });
  const uploader = new Uploader(uploadOptions({ loops: 4, compression, retry: { baseMs: 10, maxMs: 100 } }), {
    ...uploadDeps({ store }),
    reader,
  });
  uploader.start();
  const sent = ids(`rt-${compression}`, 1_000).map((id) => JSON.stringify(payload(id)));
  for (let i = 0; i < sent.length; i += 10) {
    expect(pushAll(queue, sent.slice(i, i + 10))).toBe(true);
  }
  reader.close();
  await uploader.done();
  const objects = await s3.objects();
  return { sent, objects, lines: objects.flatMap((o) => o.lines) };
}

describe("upload loops into s3rver", () => {
  it("writes zstd NDJSON objects holding exactly the payloads queued", async () => {
    const { sent, objects, lines } = await roundTrip("zstd", 300);
    expect(objects.every((o) => o.key.endsWith(".ndjson.zst") && o.contentEncoding === "zstd")).toBe(true);
    expect(objects.length).toBeGreaterThanOrEqual(4);
    expect(lines.sort()).toEqual([...sent].sort());
  });

  it("writes the same through the AWS SDK client", async () => {
    const { sent, lines } = await roundTrip("zstd", 300, "aws-sdk");
    expect(lines.sort()).toEqual([...sent].sort());
  });

  it("writes gzip NDJSON objects holding exactly the payloads queued", async () => {
    const { sent, objects, lines } = await roundTrip("gzip", 300);
    expect(objects.every((o) => o.key.endsWith(".ndjson.gz") && o.contentEncoding === "gzip")).toBe(true);
    expect(objects.length).toBeGreaterThanOrEqual(4);
    expect(lines.sort()).toEqual([...sent].sort());
  });

  it("writes uncompressed NDJSON objects holding exactly the payloads queued", async () => {
    const { sent, objects, lines } = await roundTrip("none", 300);
    expect(objects.every((o) => o.key.endsWith(".ndjson") && o.contentEncoding === undefined)).toBe(true);
    expect(lines.sort()).toEqual([...sent].sort());
  });
});
