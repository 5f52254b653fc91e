// PARTITION_BY on the upload side: one open object per partition, the overflow past
// PARTITION_MAX_ACTIVE, and memory bounded whatever the number of values. Spool segments'
// shares across a crash are in spool-objects.test.ts.
import { describe, expect, it } from "bun:test";
import type { MemoryStore } from "../support/memory-store.ts";
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
