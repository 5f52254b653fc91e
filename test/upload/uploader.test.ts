import { describe, expect, it } from "bun:test";
import { gunzipSync } from "node:zlib";
import { StoreError } from "../../src/store/store.ts";
import { ndjsonFormat } from "../../src/upload/ndjson-format.ts";
import { uploaderSetup as setup } from "../support/uploader.ts";
import { waitUntil } from "../support/wait.ts";

describe("Uploader", () => {
  it("writes a batch as soon as it holds BATCH_MAX_PAYLOADS payloads", async () => {
    const t = setup();
    t.uploader.start();
    t.push('{"a":1}', '{"a":2}', '{"a":3}');
    await t.uploader.whenIdle();
    expect(t.store.objects.size).toBe(1);
    const [key, obj] = [...t.store.objects][0]!;
    expect(key).toEndWith(".ndjson");
    expect(new TextDecoder().decode(obj.body)).toBe('{"a":1}\n{"a":2}\n{"a":3}\n');
    await t.close();
  });

  it("writes a batch once it holds BATCH_MAX_BYTES", async () => {
    const t = setup({ maxPayloads: 100, maxBytes: 16 });
    t.uploader.start();
    t.push('{"a":1}', '{"b":2}');
    await t.uploader.whenIdle();
    expect(t.store.objects.size).toBe(1);
    expect(t.lines()).toEqual(['{"a":1}', '{"b":2}']);
    await t.close();
  });

  it("writes a partial batch when BATCH_MAX_WAIT_MS passes", async () => {
    const t = setup({ maxPayloads: 100, maxWaitMs: 20 });
    t.uploader.start();
    t.push('{"only":1}');
    await waitUntil(() => t.store.objects.size === 1, "the partial batch to be written");
    expect(t.lines()).toEqual(['{"only":1}']);
    await t.close();
  });

  it("writes a partial batch at once after flush(), without waiting for BATCH_MAX_WAIT_MS", async () => {
    const t = setup({ maxPayloads: 100 }); // and BATCH_MAX_WAIT_MS a minute
    const waitFor = t.queue.waitFor.bind(t.queue);
    const waits: number[] = [];
    t.queue.waitFor = (payloads, bytes, timeoutMs) => {
      waits.push(payloads);
      return waitFor(payloads, bytes, timeoutMs);
    };
    t.uploader.start();
    t.push('{"a":1}', '{"a":2}');
    await waitUntil(() => waits.includes(100), "a loop to wait for the batch to fill");
    // Waiting, it has taken nothing out of the ring, and nothing is written.
    expect(t.queue.length).toBe(2);
    expect(t.store.objects.size).toBe(0);
    t.reader.flush();
    await waitUntil(() => t.store.objects.size === 1, "the partial batch to be written", { timeoutMs: 5_000 });
    expect(t.lines()).toEqual(['{"a":1}', '{"a":2}']);
    await t.close();
  });

  it("ends its loops once the reader is closed and everything it held is written", async () => {
    const t = setup({ maxPayloads: 100 });
    t.uploader.start();
    t.push('{"a":1}', '{"a":2}');
    await t.close();
    expect(t.lines()).toEqual(['{"a":1}', '{"a":2}']);
    expect(t.queue.length).toBe(0);
  });

  it("retries a failing put under the same key until it succeeds, counting errors and retries", async () => {
    const t = setup();
    t.store.failNext(3);
    t.uploader.start();
    t.push('{"a":1}', '{"a":2}', '{"a":3}');
    await t.uploader.whenIdle();
    expect(t.store.attempts).toBe(4);
    expect(new Set(t.store.attemptedKeys).size).toBe(1); // a retry overwrites, never duplicates
    expect(t.store.objects.size).toBe(1);
    expect(t.metrics.uploadErrors.get({ error_type: "server_error" })).toBe(3);
    expect(t.metrics.uploadRetries.get()).toBe(3);
    expect(t.metrics.payloadsWritten.get()).toBe(3);
    expect(t.health.healthy).toBe(true);
    await t.close();
  });

  it("keeps retrying a non-retryable failure instead of dropping, and marks the store unhealthy", async () => {
    const t = setup({ retry: { baseMs: 1, maxMs: 1 } });
    t.store.failNext(1_000_000, new StoreError("access_denied", false, "AccessDenied (HTTP 403)"));
    t.uploader.start();
    t.push('{"a":1}', '{"a":2}', '{"a":3}');
    await waitUntil(() => t.store.attempts >= 3, "a third attempt");
    expect(t.health.healthy).toBe(false);
    expect(t.queue.length + t.uploader.inFlightPayloads).toBe(3);
    t.store.recover();
    await t.uploader.whenIdle();
    expect(t.lines()).toHaveLength(3);
    expect(t.health.healthy).toBe(true);
    const errors = t.logs.map((l) => JSON.parse(l)).filter((l) => l.level === "error");
    expect(errors[0]).toMatchObject({ msg: "upload failed; retrying", error_type: "access_denied", retryable: false });
    expect(errors.length).toBe(1); // repeated failures are rate-limited
    await t.close();
  });

  it("compresses batches with the configured codec and level", async () => {
    const t = setup({ format: ndjsonFormat("gzip", 9) });
    t.uploader.start();
    t.push('{"a":1}', '{"a":2}', '{"a":3}');
    await t.uploader.whenIdle();
    const [key, obj] = [...t.store.objects][0]!;
    expect(key).toEndWith(".ndjson.gz");
    expect(new TextDecoder().decode(gunzipSync(obj!.body))).toBe('{"a":1}\n{"a":2}\n{"a":3}\n');
    expect(obj!.body[8]).toBe(2); // gzip's XFL byte: 2 means the slowest, best compression (level 9)
    await t.close();
  });

  it("writes one object per payload in seed mode", async () => {
    const t = setup({ maxPayloads: 1, loops: 4 });
    t.uploader.start();
    t.push('{"a":1}', '{"a":2}', '{"a":3}', '{"a":4}', '{"a":5}');
    await t.uploader.whenIdle();
    expect(t.store.objects.size).toBe(5);
    for (const [key, obj] of t.store.objects) {
      expect(key).toEndWith(".json");
      expect(new TextDecoder().decode(obj.body)).toMatch(/^\{"a":\d\}$/);
    }
    await t.close();
  });
});
