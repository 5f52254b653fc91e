// PARTITION_BY on the upload side: one open object per partition, the overflow past
// PARTITION_MAX_ACTIVE, memory bounded whatever the number of values, and a spool segment's
// shares written under keys that name them (written again after a crash, never twice).
import { describe, expect, it } from "bun:test";
import type { BatchReader, ReadBatch } from "../../src/buffer/buffer.ts";
import { createLogger } from "../../src/log.ts";
import { createMetrics } from "../../src/metrics.ts";
import { StoreHealth } from "../../src/shared/store-health.ts";
import { createKeyNamer } from "../../src/upload/object-key.ts";
import { Uploader, type UploaderOptions } from "../../src/upload/uploader.ts";
import { MemoryStore } from "../support/memory-store.ts";
import { type SetupOptions, uploaderSetup } from "../support/uploader.ts";

const partitioned = (maxActive: number, o: Partial<SetupOptions> = {}) =>
  uploaderSetup({
    partitionBy: "event",
    partitions: { maxActive, overflow: "event=__other__", bufferBytes: 8 << 20 },
    maxAgeMs: 60_000,
    maxPayloads: 1000,
    maxWaitMs: 5,
    ...o,
  });

/** Payload lines by the partition level of their object's key. */
function byPartition(store: MemoryStore): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [key, { body }] of store.objects) {
    const partition = key.split("/")[1]!;
    out[partition] = [...(out[partition] ?? []), ...new TextDecoder().decode(body).split("\n").filter(Boolean)].sort();
  }
  return out;
}

describe("Uploader with PARTITION_BY", () => {
  it("writes each partition's payloads to objects under its own key level", async () => {
    const t = partitioned(10);
    t.uploader.start();
    t.push('{"event":"boot","i":1}', '{"i":2}', '{"event":"a/b","i":3}', '{"event":"boot","i":4}', '{"event":null,"i":5}');
    await t.close();
    expect(byPartition(t.store)).toEqual({
      "event=boot": ['{"event":"boot","i":1}', '{"event":"boot","i":4}'],
      "event=__missing__": ['{"event":null,"i":5}', '{"i":2}'],
      "event=a%2Fb": ['{"event":"a/b","i":3}'],
    });
    for (const key of t.store.objects.keys()) expect(key).toMatch(/^t\/event=[^/]+\/dt=\d{4}-\d\d-\d\d\/hr=\d\d\/\d+-inst-\d+\.(ndjson|json)$/);
    expect(t.metrics.payloadsWritten.get()).toBe(5);
    expect(t.metrics.activePartitions.get()).toBe(0); // all complete
  });

  it("sends further values to the overflow partition once PARTITION_MAX_ACTIVE are open, counting them", async () => {
    const t = partitioned(2);
    t.uploader.start();
    t.push('{"event":"a"}', '{"event":"b"}', '{"event":"c"}', '{"event":"a"}', '{"event":"d"}');
    await t.uploader.whenIdle();
    expect(t.metrics.activePartitions.get()).toBe(2);
    await t.close();
    expect(byPartition(t.store)).toEqual({
      "event=a": ['{"event":"a"}', '{"event":"a"}'],
      "event=b": ['{"event":"b"}'],
      "event=__other__": ['{"event":"c"}', '{"event":"d"}'],
    });
    expect(t.metrics.partitionOverflow.get()).toBe(2);
    expect(t.logs.filter((l) => l.includes("overflow partition"))).toHaveLength(1); // once an interval
  });

  it("gives a partition its own object again once its object completed and made room", async () => {
    const t = partitioned(1, { maxAgeMs: 0 }); // every batch completes its objects
    t.uploader.start();
    t.push('{"event":"a"}');
    await t.uploader.whenIdle();
    t.push('{"event":"b"}');
    await t.close();
    expect(Object.keys(byPartition(t.store)).sort()).toEqual(["event=a", "event=b"]);
    expect(t.metrics.partitionOverflow.get()).toBe(0);
  });

  it("keeps memory bounded with many values: past PARTITION_BUFFER_BYTES of frames, the fullest object is completed", async () => {
    // 1 KiB of frames across all open objects, 256-byte stages, 200 values: at most 1 KiB of
    // frames plus a stage per value, plus what one batch brings.
    const bufferBytes = 1024;
    const t = partitioned(1000, {
      loops: 1,
      partBytes: 1024,
      maxPayloads: 50,
      objectMaxBytes: 1 << 30,
      stageBytes: 256,
      partitions: { maxActive: 1000, overflow: "event=__other__", bufferBytes },
    });
    t.uploader.start();
    const sent: string[] = [];
    let peak = 0;
    for (let round = 0; round < 40; round++) {
      const batch = Array.from({ length: 50 }, (_, i) => `{"event":"v${(round * 50 + i) % 200}","pad":"${"x".repeat(100)}","n":${round * 50 + i}}`);
      sent.push(...batch);
      t.push(...batch);
      await t.uploader.whenIdle();
      peak = Math.max(peak, t.metrics.openObjectBytes.get());
    }
    await t.close();
    const batchBytes = sent.slice(0, 50).join("\n").length + 50;
    expect(peak).toBeGreaterThan(bufferBytes); // the stages are counted
    expect(peak).toBeLessThanOrEqual(bufferBytes + 200 * 256 + batchBytes);
    expect(t.metrics.objectsWritten.get()).toBeGreaterThan(200); // objects were completed to make room, not only at close
    expect(Object.values(byPartition(t.store)).flat().sort()).toEqual(sent.sort());
  });
});

describe("a spool segment with PARTITION_BY", () => {
  const name = { timeMs: Date.UTC(2026, 10, 27, 3), instanceId: "spoolid", sequence: 7 };
  const lines = ['{"event":"a","i":0}', '{"event":"b","i":1}', '{"event":"c","i":2}', '{"event":"a","i":3}'];

  /** A reader that gives the one segment once, then ends. */
  function segmentReader(released: { n: number }): BatchReader {
    let given = false;
    return {
      get length() {
        return given ? 0 : 1;
      },
      async next(): Promise<ReadBatch | null> {
        if (given) return null;
        given = true;
        const ndjson = new TextEncoder().encode(lines.map((l) => `${l}\n`).join(""));
        return { batch: { ndjson, payloads: lines.length }, name, release: () => void released.n++ };
      },
    };
  }

  function run(store: MemoryStore, released: { n: number }) {
    const options: UploaderOptions = {
      loops: 1,
      prefix: "t",
      timePartition: "day",
      maxBytes: 1 << 20,
      objectMaxBytes: 1 << 30,
      maxAgeMs: 60_000,
      partBytes: 5 << 20,
      compression: "none",
      compressionLevel: 0,
      retry: { baseMs: 1, maxMs: 5 },
      partitionBy: "event",
      partitions: { maxActive: 2, overflow: "event=__other__", bufferBytes: 8 << 20 },
    };
    const uploader = new Uploader(options, {
      reader: segmentReader(released),
      store,
      keys: createKeyNamer("t", "inst"),
      health: new StoreHealth(60_000),
      metrics: createMetrics(),
      log: createLogger("error", () => {}),
    });
    uploader.start();
    return uploader.done();
  }

  it("writes each share under a key named by the segment and partition, then lets the segment go", async () => {
    const store = new MemoryStore();
    const released = { n: 0 };
    await run(store, released);
    expect([...store.objects.keys()].sort()).toEqual([
      `t/event=__other__/dt=2026-11-27/${name.timeMs}-spoolid-7.ndjson`,
      `t/event=a/dt=2026-11-27/${name.timeMs}-spoolid-7.ndjson`,
      `t/event=b/dt=2026-11-27/${name.timeMs}-spoolid-7.ndjson`,
    ]);
    expect(byPartition(store)["event=a"]).toEqual([lines[0]!, lines[3]!]);
    expect(released.n).toBe(1);
  });

  it("writes the same objects again when the segment is read again after a crash: overwritten, not doubled", async () => {
    const store = new MemoryStore();
    await run(store, { n: 0 });
    const first = new Map([...store.objects].map(([k, v]) => [k, new TextDecoder().decode(v.body)]));
    await run(store, { n: 0 });
    expect(new Map([...store.objects].map(([k, v]) => [k, new TextDecoder().decode(v.body)]))).toEqual(first);
  });
});
