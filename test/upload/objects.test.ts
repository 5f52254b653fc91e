import { describe, expect, it } from "bun:test";
import { zstdDecompressSync } from "node:zlib";
import type { ReadBatch } from "../../src/buffer/buffer.ts";
import { createLogger } from "../../src/log.ts";
import { createMetrics } from "../../src/metrics.ts";
import { StoreHealth } from "../../src/shared/store-health.ts";
import { StoreError } from "../../src/store/store.ts";
import { type Compression, encodeBatch } from "../../src/upload/encode.ts";
import { createKeyNamer } from "../../src/upload/object-key.ts";
import { type ObjectsOptions, ObjectWriter } from "../../src/upload/objects.ts";
import { MemoryStore } from "../support/memory-store.ts";
import { waitUntil } from "../support/wait.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const PART = 4096;

function setup(options: Partial<ObjectsOptions> = {}) {
  const store = new MemoryStore(PART); // S3's rule, scaled down: parts but the last are at least PART bytes
  const metrics = createMetrics();
  const logs: string[] = [];
  const writer = new ObjectWriter(
    { prefix: "t", maxBytes: 1 << 20, maxAgeMs: 60_000, partBytes: PART, retry: { baseMs: 1, maxMs: 5 }, ...options },
    {
      store,
      keys: createKeyNamer("t", "inst"),
      health: new StoreHealth(60_000),
      metrics,
      log: createLogger("debug", (l) => logs.push(l)),
    },
  );
  let n = 0;
  /** A batch of `count` payloads of about 100 bytes each, with incompressible bytes in them, appended as one frame. */
  const append = async (count: number, compression: Compression = "zstd", read: Partial<ReadBatch> = {}) => {
    // 2^53 + 1: a double would print 9007199254740992.
    const lines = Array.from({ length: count }, () => `{"n":${n++},"big":9007199254740993,"noise":"${crypto.randomUUID()}${crypto.randomUUID()}"}`);
    const batch = { ndjson: enc.encode(lines.map((l) => `${l}\n`).join("")), payloads: count };
    await writer.append({ batch, release: () => {}, ...read }, await encodeBatch(batch, compression));
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
    const t = setup({ maxBytes: 3 * PART });
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
    const t = setup({ partBytes: PART + 1, maxBytes: 3 * PART });
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
    const t = setup({ maxBytes: 3 * PART });
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
    const appended = t.append(3, "zstd", { name, release: () => void released.push(7) });
    await waitUntil(() => t.store.attempts >= 2, "two failed puts");
    expect(released).toEqual([]);
    t.store.recover();
    await appended;
    expect(released).toEqual([7]);
    expect([...t.store.objects.keys()]).toEqual([`t/dt=2026-11-27/hr=03/${name.timeMs}-spoolid-7.ndjson.zst`]);
  });

  it("at the shutdown deadline hands over what is not in an uploaded part, decoded, and the uploads whose parts are in", async () => {
    const t = setup();
    const sent: string[] = [];
    while (t.metrics.partsUploaded.get() === 0) sent.push(...(await t.append(20)));
    t.store.failNext(1_000); // the store is gone: nothing more is written
    const tail = [...(await t.append(20)), ...(await t.append(20))];
    const { batches, uploads } = t.writer.stop();
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
