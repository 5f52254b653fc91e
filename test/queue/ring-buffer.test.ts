import { describe, expect, it } from "bun:test";
import { RingBuffer } from "../../src/queue/ring-buffer.ts";

const bytes = (n: number) => new Uint8Array(n);
const ring = (capacity: number, capacityBytes: number) => new RingBuffer<Uint8Array>(capacity, capacityBytes, (p) => p.length);

describe("RingBuffer", () => {
  it("hands items out in arrival order, across the wrap of the ring", () => {
    const q = new RingBuffer<number>(3, 100, () => 1);
    for (let round = 0; round < 5; round++) {
      expect(q.tryPushAll([round * 3, round * 3 + 1], 2)).toBe(true);
      expect(q.drain(10, 100)).toEqual([round * 3, round * 3 + 1]);
    }
    expect(q.length).toBe(0);
  });

  it("takes a collection all or nothing when it would pass the item capacity", () => {
    const q = ring(4, 1000);
    expect(q.tryPushAll([bytes(1), bytes(1), bytes(1)], 3)).toBe(true);
    expect(q.tryPushAll([bytes(1), bytes(1)], 2)).toBe(false);
    expect(q.length).toBe(3);
    expect(q.tryPushAll([bytes(1)], 1)).toBe(true);
    expect(q.length).toBe(4);
  });

  it("takes a collection all or nothing when it would pass the byte capacity", () => {
    const q = ring(100, 10);
    expect(q.tryPushAll([bytes(6)], 6)).toBe(true);
    expect(q.tryPushAll([bytes(2), bytes(3)], 5)).toBe(false);
    expect(q.bytes).toBe(6);
    expect(q.fits(1, 4)).toBe(true);
    expect(q.fits(1, 5)).toBe(false);
  });

  it("never evicts queued items to make room", () => {
    const q = new RingBuffer<number>(2, 100, () => 1);
    q.tryPushAll([1, 2], 2);
    expect(q.tryPushAll([3], 1)).toBe(false);
    expect(q.drain(10, 100)).toEqual([1, 2]);
  });

  it("drains batches bounded by records and by bytes, but always at least one item", () => {
    const q = ring(16, 1000);
    q.tryPushAll([bytes(5), bytes(5), bytes(5), bytes(50), bytes(1)], 66);
    expect(q.drain(2, 1000).map((p) => p.length)).toEqual([5, 5]);
    expect(q.drain(10, 20).map((p) => p.length)).toEqual([5]);
    expect(q.drain(10, 20).map((p) => p.length)).toEqual([50]);
    expect(q.bytes).toBe(1);
    expect(q.drain(10, 20).map((p) => p.length)).toEqual([1]);
    expect(q.drain(10, 20)).toEqual([]);
    expect(q.bytes).toBe(0);
  });

  it("clears the slots it hands out so drained payloads can be collected", () => {
    const q = new RingBuffer<object>(2, 100, () => 1);
    q.tryPushAll([{}, {}], 2);
    q.drain(2, 100);
    const slots = (q as unknown as { slots: unknown[] }).slots;
    expect(slots.every((s) => s === undefined)).toBe(true);
  });

  it("preallocates a power-of-two ring at least as large as the capacity", () => {
    const slots = (ring(5, 100) as unknown as { slots: unknown[] }).slots;
    expect(slots.length).toBe(8);
  });

  it("wakes a waiter only once its threshold of records or bytes is reached", async () => {
    const q = ring(100, 1000);
    let woke = false;
    const waiting = q.waitFor(3, 100).then(() => (woke = true));
    q.tryPushAll([bytes(1), bytes(1)], 2);
    await Promise.resolve();
    expect(woke).toBe(false);
    q.tryPushAll([bytes(1)], 1);
    await waiting;
    expect(woke).toBe(true);
    const byBytes = q.waitFor(100, 50);
    q.tryPushAll([bytes(60)], 60);
    await byBytes;
  });

  it("lets wake() release a waiter whatever the queue holds", async () => {
    const q = ring(10, 100);
    const waiting = q.waitFor(5, 50);
    q.wake();
    await waiting;
    expect(q.length).toBe(0);
  });

  it("rejects a capacity below one", () => {
    expect(() => ring(0, 10)).toThrow("capacity must be at least 1, got 0");
  });
});
