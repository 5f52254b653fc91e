import { describe, expect, it } from "bun:test";
import type { BufferMemory } from "../../src/buffer/buffer.ts";
import { SpoolStats } from "../../src/buffer/spool-stats.ts";
import { createBufferWriter } from "../../src/buffer/writer.ts";
import { Acks } from "../../src/queue/acks.ts";
import { RingSet } from "../../src/queue/ring-set.ts";

const enc = (s: string) => new TextEncoder().encode(s);

function memoryMode(lanes = 1) {
  const set = new RingSet(lanes, 2 * lanes, 1_000);
  const memory: BufferMemory = { type: "memory", queue: set.memory, acks: [], stats: new SpoolStats().memory, spoolMaxBytes: 0 };
  return { set, writers: set.rings.map((_, lane) => createBufferWriter(memory, lane)) };
}

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

  it("pushes into its own ring of the set only", () => {
    const { set, writers } = memoryMode(2);
    expect(writers[1]!.push(enc('[{"a":1},{"b":2}]'), [1, 8, 9, 16])).toBe("ok");
    expect(writers[1]!.hasRoom()).toBe(false); // its ring holds 2: full
    expect(writers[0]!.hasRoom()).toBe(true);
    expect([set.rings[0]!.length, set.rings[1]!.length]).toEqual([0, 2]);
    expect(() => createBufferWriter({ type: "memory", queue: set.memory, acks: [], stats: new SpoolStats().memory, spoolMaxBytes: 0 }, 2)).toThrow(
      "the buffer has 2 rings, not 3",
    );
  });

  it("with a deadline, waits for room in a full ring and queues the collection once the consumer frees enough", async () => {
    const { set, writers } = memoryMode();
    const [writer] = writers;
    expect(writer!.push(enc('[{"a":1},{"b":2}]'), [1, 8, 9, 16])).toBe("ok");
    const waiting = writer!.push(enc('[{"c":3}]'), [1, 8], undefined, performance.now() + 60_000);
    expect(waiting).toBeInstanceOf(Promise); // the ring is full: it waits
    let answered: string | null = null;
    void (waiting as Promise<string>).then((p) => (answered = p));
    expect(set.group.waitingForRoom).toBe(1); // asleep until room is freed
    await Bun.sleep(0);
    expect(answered).toBeNull();
    set.drain(1, 1_000); // room for one: the consumer's drain wakes it
    expect(await waiting).toBe("ok");
    expect(new TextDecoder().decode(set.drain(10, 1_000).ndjson)).toBe('{"b":2}\n{"c":3}\n');
  });

  it("answers full once the deadline passes with no room, at once with no deadline, and at once for what could never fit", async () => {
    const { writers } = memoryMode();
    const [writer] = writers;
    expect(writer!.push(enc('[{"a":1},{"b":2}]'), [1, 8, 9, 16])).toBe("ok");
    expect(writer!.push(enc('[{"c":3}]'), [1, 8])).toBe("full");
    expect(await writer!.whenRoom(performance.now())).toBe(false);
    const started = performance.now();
    expect(await writer!.push(enc('[{"c":3}]'), [1, 8], undefined, started + 120)).toBe("full");
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
    const three = enc('[{"a":1},{"b":2},{"c":3}]');
    expect(await memoryMode().writers[0]!.push(three, [1, 8, 9, 16, 17, 24], undefined, performance.now() + 60_000)).toBe("full"); // 3 > 2: never
  });

  it("wakes, to find no room, when the set is closed while it waits", async () => {
    const { set, writers } = memoryMode();
    expect(writers[0]!.push(enc('[{"a":1},{"b":2}]'), [1, 8, 9, 16])).toBe("ok");
    const waiting = writers[0]!.whenRoom(performance.now() + 60_000);
    set.close();
    expect(await waiting).toBe(false);
  });
});
