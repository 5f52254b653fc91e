import { describe, expect, it } from "bun:test";
import { zstdDecompressSync } from "node:zlib";
import type { ReadBatch } from "../../src/buffer/buffer.ts";
import { StoreError } from "../../src/store/store.ts";
import type { ObjectFormat } from "../../src/upload/format.ts";
import { type Compression, ndjsonFormat } from "../../src/upload/ndjson-format.ts";
import { ObjectWriter } from "../../src/upload/object-writer.ts";
import type { WriterOptions } from "../../src/upload/upload-options.ts";
import { MemoryStore } from "../support/memory-store.ts";
import { uploadDeps, uploadOptions } from "../support/uploader.ts";
import { waitUntil } from "../support/wait.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const PART = 4096;

function setup(options: Partial<WriterOptions> = {}) {
  const store = new MemoryStore(PART); // S3's rule, scaled down: parts but the last are at least PART bytes
  const { logs, ...deps } = uploadDeps({ store });
  const { metrics } = deps;
  const writer = new ObjectWriter(uploadOptions({ loops: 1, objectMaxBytes: 1 << 20, maxAgeMs: 60_000, partBytes: PART, ...options }), deps);
  let n = 0;
  /** A batch of `count` payloads of about 100 bytes each, with incompressible bytes in them, appended as one frame. */
  const append = async (count: number, compression: Compression | ObjectFormat = "zstd", read: Partial<ReadBatch> = {}) => {
    // 2^53 + 1: a double would print 9007199254740992.
    const lines = Array.from({ length: count }, () => `{"n":${n++},"big":9007199254740993,"noise":"${crypto.randomUUID()}${crypto.randomUUID()}"}`);
    const batch = { ndjson: enc.encode(lines.map((l) => `${l}\n`).join("")), payloads: count };
    const format = typeof compression === "string" ? ndjsonFormat(compression) : compression;
    await writer.append({ batch, release: () => {}, ...read }, await format.encode(batch));
    return lines;
  };
  const body = (key: string) => {
    const o = store.objects.get(key)!;
    return dec.decode(key.endsWith(".zst") ? zstdDecompressSync(o.body) : o.body);
  };
  return { store, metrics, writer, append, body, logs };
}

describe("ObjectWriter", () => {
  it("uploads a part whenever whole frames reach the part size, and completes the object at OBJECT_MAX_BYTES", async () => {
    const t = setup({ objectMaxBytes: 3 * PART });
    const sent: string[] = [];
    while (t.store.objects.size === 0) sent.push(...(await t.append(20)));
    const [key, object] = [...t.store.objects][0]!;
    expect(key).toMatch(/^t\/dt=\d{4}-\d\d-\d\d\/hr=\d\d\/\d+-inst-0\.ndjson\.zst$/);
    expect(object!.parts).toBeGreaterThanOrEqual(3);
    expect(object!.body.length).toBeGreaterThanOrEqual(3 * PART);
    // Concatenated frames decode as one stream, every payload in order, the 64-bit integer's digits intact.
    expect(t.body(key!)).toBe(sent.map((l) => `${l}\n`).join(""));
    expect(t.body(key!)).toContain('"big":9007199254740993');
    expect(t.store.calls.filter((c) => c.startsWith("create"))).toHaveLength(1);
    expect(t.metrics.objectsWritten.get()).toBe(1);
    expect(t.metrics.payloadsWritten.get()).toBe(sent.length);
    expect(t.metrics.partsUploaded.get()).toBe(object!.parts!);
    expect(t.metrics.openObjects.get()).toBe(0);
    expect(t.metrics.openObjectBytes.get()).toBe(0);
  });

  it("takes any part size, not only multiples of four (part buffers are a quarter larger than a part)", async () => {
    const t = setup({ partBytes: PART + 1, objectMaxBytes: 3 * PART });
    const sent: string[] = [];
    while (t.store.objects.size === 0) sent.push(...(await t.append(20)));
    expect(t.body([...t.store.objects.keys()][0]!)).toBe(sent.map((l) => `${l}\n`).join(""));
  });

  it("writes an object that never filled a part with one PUT, OBJECT_MAX_AGE_MS after its first batch", async () => {
    const t = setup({ maxAgeMs: 100 });
    const sent = [...(await t.append(2)), ...(await t.append(3))];
    expect(t.store.objects.size).toBe(0);
    expect(t.metrics.openObjects.get()).toBe(1);
    expect(t.writer.heldPayloads).toBe(5);
    await waitUntil(() => t.store.objects.size === 1, "the object, at its age");
    expect(t.store.calls).toEqual([expect.stringMatching(/^put /)]);
    expect(t.body([...t.store.objects.keys()][0]!)).toBe(sent.map((l) => `${l}\n`).join(""));
    expect(t.writer.heldPayloads).toBe(0);
  });

  it("makes every batch an object of its own with OBJECT_MAX_AGE_MS=0", async () => {
    const t = setup({ maxAgeMs: 0 });
    await t.append(2);
    await t.append(2);
    expect(t.store.objects.size).toBe(2);
  });

  it("completes what is open on close(): the last part may be small", async () => {
    const t = setup();
    const sent: string[] = [];
    while (t.metrics.partsUploaded.get() === 0) sent.push(...(await t.append(20)));
    sent.push(...(await t.append(1)));
    await t.writer.close();
    const [key, object] = [...t.store.objects][0]!;
    expect(object!.parts).toBe(2);
    expect(t.body(key!)).toBe(sent.map((l) => `${l}\n`).join(""));
  });

  it("retries a failed part under its part number, and the object is whole", async () => {
    const t = setup({ objectMaxBytes: 3 * PART });
    const sent: string[] = [];
    while (t.metrics.partsUploaded.get() === 0) sent.push(...(await t.append(20)));
    t.store.failNext(2, new StoreError("throttled", true, "SlowDown")); // part 2, twice
    while (t.store.objects.size === 0) sent.push(...(await t.append(20)));
    const parts = t.store.calls.filter((c) => c.startsWith("part"));
    expect(parts.slice(1, 4)).toEqual([expect.stringMatching(/#2$/), expect.stringMatching(/#2$/), expect.stringMatching(/#2$/)]);
    expect(t.metrics.uploadRetries.get()).toBe(2);
    expect(t.metrics.uploadErrors.get({ error_type: "throttled" })).toBe(2);
    expect(t.body([...t.store.objects.keys()][0]!)).toBe(sent.map((l) => `${l}\n`).join(""));
  });

  it("stores one uncompressed payload alone as its JSON, like the seed", async () => {
    const t = setup({ maxAgeMs: 0 });
    const [line] = await t.append(1, "none");
    const [key, object] = [...t.store.objects][0]!;
    expect(key).toEndWith(".json");
    expect(dec.decode(object!.body)).toBe(line!);
    expect(object!.options.contentType).toBe("application/json");
  });

  it("lets go of a spool segment only once its object is complete", async () => {
    const t = setup({ maxAgeMs: 0 });
    const released: number[] = [];
    t.store.failNext(1_000);
    const name = { timeMs: Date.UTC(2026, 10, 27, 3), instanceId: "spoolid", sequence: 7 };
    const segment = { name, shares: { record: async () => {} } };
    const appended = t.append(3, "zstd", { segment, release: () => void released.push(7) });
    await waitUntil(() => t.store.attempts >= 2, "two failed puts");
    expect(released).toEqual([]);
    t.store.recover();
    await appended;
    expect(released).toEqual([7]);
    expect([...t.store.objects.keys()]).toEqual([`t/dt=2026-11-27/hr=03/${name.timeMs}-spoolid-7.ndjson.zst`]);
  });

  it("close() waits for an object its age completed until its segment is released, though it is written already", async () => {
    const t = setup({ maxAgeMs: 1 });
    const events: string[] = [];
    let releaseNow!: () => void;
    const released = new Promise<void>((resolve) => {
      releaseNow = resolve;
    });
    const name = { timeMs: Date.UTC(2026, 10, 27, 3), instanceId: "spoolid", sequence: 3 };
    let releasing = false;
    const release = () => {
      releasing = true;
      return released.then(() => void events.push("released"));
    };
    void t.append(2, "zstd", { segment: { name, shares: { record: async () => {} } }, release });
    await waitUntil(() => releasing, "the object to be written by its age, and its segment's release to start");
    expect(t.store.objects.size).toBe(1);
    const closing = t.writer.close().then(() => void events.push("closed"));
    await new Promise((resolve) => setTimeout(resolve, 0)); // every microtask close() could have resolved on has run
    expect(events).toEqual([]);
    releaseNow();
    await closing;
    expect(events).toEqual(["released", "closed"]);
  });

  it("at the shutdown deadline hands over what is not in an uploaded part, decoded, and the uploads whose parts are in", async () => {
    const t = setup();
    const sent: string[] = [];
    while (t.metrics.partsUploaded.get() === 0) sent.push(...(await t.append(20)));
    t.store.failNext(1_000); // the store is gone: nothing more is written
    const tail = [...(await t.append(20)), ...(await t.append(20))];
    const { batches, uploads } = await t.writer.stop();
    await t.writer.whenSettled(); // a stopped writer has nothing under way: this must not hang
    expect(uploads).toHaveLength(1);
    expect(uploads[0]!.parts.map((p) => p.partNumber)).toEqual([1]);
    expect(uploads[0]!.payloads + batches.reduce((n, b) => n + b.payloads, 0)).toBe(sent.length + tail.length);
    const saved = batches.map((b) => dec.decode(b.ndjson)).join("");
    expect(saved).toEndWith(tail.map((l) => `${l}\n`).join(""));
    // Completing the upload with the parts in, plus what was handed over, is everything once.
    t.store.recover();
    await t.store.multipart.complete(uploads[0]!.key, uploads[0]!.uploadId, uploads[0]!.parts);
    const all = (t.body(uploads[0]!.key) + saved).split("\n").filter(Boolean);
    expect(all).toEqual([...sent, ...tail]);
  });
});

/**
 * A format with a head, frames that carry metadata, and a tail that indexes them, as Parquet's
 * footer indexes its row groups: `#head\n`, then NDJSON frames, then `#tail <offset>:<length>:<payloads>,...\n`.
 * Its toNdjson takes the frames it is given out of the bytes, as a Parquet reader would.
 */
const indexed: ObjectFormat = {
  extension: ".idx",
  contentType: "text/plain",
  head: enc.encode("#head\n"),
  encode: async (batch) => ({ body: batch.ndjson.slice(), format: indexed, meta: { payloads: batch.payloads } }),
  tail: (frames) => enc.encode(`#tail ${frames.map((f) => `${f.offset}:${f.length}:${f.payloads}`).join(",")}\n`),
  toNdjson: async (body, frames) => enc.encode(frames.map((f) => dec.decode(body.subarray(f.offset, f.offset + f.length))).join("")),
};

/** The frames an indexed object's tail names, read out of the object by their offsets alone. */
function readIndexed(body: Uint8Array): string[] {
  const text = dec.decode(body);
  expect(text.startsWith("#head\n")).toBe(true);
  const tail = text.slice(text.lastIndexOf("#tail ") + 6, -1);
  return tail.split(",").flatMap((entry) => {
    const [offset, length] = entry.split(":").map(Number) as [number, number];
    return dec
      .decode(body.subarray(offset, offset + length))
      .split("\n")
      .filter(Boolean);
  });
}

describe("ObjectWriter with a format that has a head and a tail", () => {
  it("starts each object with the head and ends it with the tail, which locates every frame, in one PUT", async () => {
    const t = setup({ format: indexed });
    const sent = [...(await t.append(2, indexed)), ...(await t.append(3, indexed))];
    await t.writer.close();
    const [key, object] = [...t.store.objects][0]!;
    expect(key).toEndWith(".idx");
    expect(object!.parts).toBeUndefined();
    expect(readIndexed(object!.body)).toEqual(sent);
    expect(t.metrics.bytesWritten.get()).toBe(object!.body.length);
  });

  it("keeps the frames' offsets true across the parts of a multipart upload", async () => {
    const t = setup({ format: indexed, objectMaxBytes: 3 * PART });
    const sent: string[] = [];
    while (t.store.objects.size === 0) sent.push(...(await t.append(20, indexed)));
    const object = [...t.store.objects.values()][0]!;
    expect(object.parts).toBeGreaterThanOrEqual(3);
    expect(readIndexed(object.body)).toEqual(sent);
  });

  it("at the shutdown deadline gives the tail of the frames in uploaded parts, and hands the rest over as NDJSON", async () => {
    const t = setup({ format: indexed });
    const sent: string[] = [];
    while (t.metrics.partsUploaded.get() === 0) sent.push(...(await t.append(20, indexed)));
    t.store.failNext(1_000);
    sent.push(...(await t.append(20, indexed)));
    const { batches, uploads } = await t.writer.stop();
    expect(uploads).toHaveLength(1);
    const [upload] = uploads;
    t.store.recover();
    // What the upload side does with it at the deadline: the tail as one more part, then Complete.
    const etag = await t.store.multipart.uploadPart(upload!.key, upload!.uploadId, 2, upload!.tail);
    await t.store.multipart.complete(upload!.key, upload!.uploadId, [...upload!.parts, { partNumber: 2, etag }]);
    const written = readIndexed(t.store.objects.get(upload!.key)!.body);
    const saved = batches.flatMap((b) => dec.decode(b.ndjson).split("\n").filter(Boolean));
    expect(written.length).toBe(upload!.payloads);
    expect([...written, ...saved]).toEqual(sent);
  });
});
