import { describe, expect, it } from "bun:test";
import type { BufferMemory } from "../../src/buffer/buffer.ts";
import { SpoolStats } from "../../src/buffer/spool-stats.ts";
import { createBufferWriter } from "../../src/buffer/writer.ts";
import { Acks } from "../../src/queue/acks.ts";
import { RingSet } from "../../src/queue/ring-set.ts";

const enc = (s: string) => new TextEncoder().encode(s);

function disk(spoolMaxBytes = 1 << 20) {
  const ring = new RingSet(1, 100, 1_000);
  const acks = new Acks();
  const stats = new SpoolStats();
  const memory: BufferMemory = { type: "disk", queue: ring.memory, acks: [acks.memory], stats: stats.memory, spoolMaxBytes };
  return { ring, acks, stats, writer: createBufferWriter(memory) };
}

describe("createBufferWriter", () => {
  it("in disk mode, answers ok once the spool writer says the payloads are fsync'd, and failed when it says they are not", async () => {
    const t = disk();
    const first = t.writer.push(enc('[{"a":1}]'), [1, 8]);
    const second = t.writer.push(enc('[{"b":2}]'), [1, 8]);
    t.acks.publish(1);
    t.acks.publish(1, true);
    t.writer.poll();
    expect(await first).toBe("ok");
    expect(await second).toBe("failed");
  });

  it("in disk mode, counts the spool and what is queued for it against SPOOL_MAX_BYTES", () => {
    const t = disk(87);
    t.stats.publish({ bytes: 60, segments: 1, sealed: 0, payloads: 5 });
    expect(t.writer.hasRoom()).toBe(true);
    expect(t.writer.push(enc(`[{"pad":"${"x".repeat(30)}"}]`), [1, 41])).toBe("full"); // 60 + 12 + 41 > 87
    void t.writer.push(enc('[{"a":1}]'), [1, 8]); // 60 + 12 + 8 fits, and waits for its fsync in the ring
    expect(t.writer.push(enc('[{"a":1}]'), [1, 8])).toBe("full"); // with those 8 queued before it, 88 > 87: it does not
  });
});
