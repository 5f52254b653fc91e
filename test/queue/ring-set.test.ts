import { describe, expect, it } from "bun:test";
import { RingSet } from "../../src/queue/ring-set.ts";
import { pushAll } from "../support/queue.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const lines = (b: Uint8Array) =>
  text(b)
    .split("\n")
    .filter((l) => l !== "");
const fill = (set: RingSet, lane: number, n: number, tag: string) =>
  pushAll(
    set.rings[lane]!,
    Array.from({ length: n }, (_, i) => `{"${tag}":${i}}`),
  );

describe("RingSet", () => {
  it("splits its capacity evenly between its rings, and counts what every ring holds", () => {
    const set = new RingSet(3, 31, 3_000);
    expect(set.rings.map((r) => [r.capacity, r.capacityBytes])).toEqual([
      [10, 1000],
      [10, 1000],
      [10, 1000],
    ]);
    expect(set.capacity).toBe(30);
    fill(set, 0, 2, "a");
    fill(set, 2, 3, "c");
    expect(set.length).toBe(5);
    expect(set.bytes).toBe(5 * 8);
    expect(fill(set, 1, 11, "b")).toBe(false); // one ring's share, not the set's, bounds a push
  });

  it("drains every ring in proportion to what each holds, and says how many came from each", () => {
    const set = new RingSet(2, 2_000, 1 << 20);
    fill(set, 0, 300, "a");
    fill(set, 1, 100, "b");
    const batch = set.drain(100, 1 << 20);
    expect(batch.payloads).toBe(100);
    expect(batch.taken).toEqual([75, 25]);
    const got = lines(batch.ndjson);
    expect(got.slice(0, 75)).toEqual(Array.from({ length: 75 }, (_, i) => `{"a":${i}}`)); // each ring's oldest, in order
    expect(got.slice(75)).toEqual(Array.from({ length: 25 }, (_, i) => `{"b":${i}}`));
    expect([set.rings[0]!.length, set.rings[1]!.length]).toEqual([225, 75]); // both fill alike still
  });

  it("shares out a byte limit in proportion too, so a ring of large payloads does not crowd out the other", () => {
    const set = new RingSet(2, 2_000, 1 << 20);
    pushAll(
      set.rings[0]!,
      Array.from({ length: 10 }, () => `"${"x".repeat(98)}"`),
    ); // 100 bytes each, newline counted
    fill(set, 1, 100, "b"); // 7 or 8 bytes each
    const batch = set.drain(1_000, 1_000);
    expect(batch.taken[0]).toBeGreaterThan(0);
    expect(batch.taken[1]).toBeGreaterThan(0);
    expect(batch.ndjson.length).toBeLessThanOrEqual(1_000);
  });

  it("gives the room a share leaves unused to the other rings, moves a record larger than any share alone, and a strict drain leaves it", () => {
    const set = new RingSet(2, 100, 10_000);
    pushAll(set.rings[1]!, [`"${"y".repeat(500)}"`]);
    fill(set, 0, 5, "a");
    expect(set.drain(10, 100, undefined, true).taken).toEqual([5, 0]);
    const big = set.drain(10, 100);
    expect(big.taken).toEqual([0, 1]);
    expect(big.ndjson.length).toBe(503);
    expect(set.length).toBe(0);
  });

  it("turns the ring it starts from, so that none is always left out when a batch is full before it is reached", () => {
    const set = new RingSet(2, 100, 10_000);
    fill(set, 0, 10, "a");
    fill(set, 1, 10, "b");
    const firsts = [0, 1, 2, 3].map(() => set.drain(1, 10_000).taken);
    expect(firsts).toEqual([
      [1, 0],
      [0, 1],
      [1, 0],
      [0, 1],
    ]);
  });

  it("refuses pushes into every ring once closed, keeping what they hold", () => {
    const set = new RingSet(2, 100, 10_000);
    fill(set, 1, 2, "b");
    set.close();
    expect(fill(set, 0, 1, "a")).toBe(false);
    expect(fill(set, 1, 1, "b")).toBe(false);
    expect(lines(set.drain(100, 10_000).ndjson)).toEqual(['{"b":0}', '{"b":1}']);
  });

  it("hands one consumer every record that producers on two other threads push into their rings, each ring's in order", async () => {
    const set = new RingSet(2, 128, 512); // small, so both producers keep wrapping and waiting for room
    const collections = 2_000;
    const producers = [0, 1].map(() => new Worker(new URL("../support/ring-producer.ts", import.meta.url).href, { type: "module" }));
    const done = producers.map((p) => new Promise<void>((resolve) => (p.onmessage = () => resolve())));
    producers.forEach((p, lane) => {
      p.postMessage({ memory: set.memory.rings[lane], collections, from: lane * 1_000_000 });
    });
    let finished = false;
    void Promise.all(done).then(() => {
      finished = true;
      set.wake();
    });
    const seen: number[][] = [[], []];
    const taken = [0, 0];
    while (!finished || set.length > 0) {
      if (set.length === 0) await set.waitFor(1, 1);
      const batch = set.drain(9, 1 << 20);
      taken[0]! += batch.taken[0]!;
      taken[1]! += batch.taken[1]!;
      for (const line of lines(batch.ndjson)) {
        const n = JSON.parse(line).n as number;
        seen[n >= 1_000_000 ? 1 : 0]!.push(n);
      }
    }
    await Promise.all(producers.map((p) => p.terminate()));
    for (const lane of [0, 1]) {
      expect(seen[lane]!.length).toBe(collections * 3);
      expect(seen[lane]!.every((n, i) => n === lane * 1_000_000 + i)).toBe(true);
      expect(taken[lane]).toBe(collections * 3);
    }
  });

  it("rejects a set of no rings", () => {
    expect(() => new RingSet(0, 10, 100)).toThrow("a ring set needs at least one ring, got 0");
  });
});
