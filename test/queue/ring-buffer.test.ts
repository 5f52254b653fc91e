import { describe, expect, it } from "bun:test";
import { RingBuffer } from "../../src/queue/ring-buffer.ts";
import { pushAll } from "../support/queue.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const push = (q: RingBuffer, ...payloads: string[]) => pushAll(q, payloads);
const take = (q: RingBuffer, maxRecords = 1000, maxBytes = 1 << 20) => {
  const batch = q.drain(maxRecords, maxBytes);
  return { text: text(batch.ndjson), records: batch.records };
};

describe("RingBuffer", () => {
  it("hands payloads out as NDJSON in arrival order", () => {
    const q = new RingBuffer(10, 100);
    expect(push(q, '{"a":1}', '{"b":2}')).toBe(true);
    expect(q.length).toBe(2);
    expect(q.bytes).toBe(16);
    expect(take(q)).toEqual({ text: '{"a":1}\n{"b":2}\n', records: 2 });
    expect(q.length).toBe(0);
    expect(q.bytes).toBe(0);
  });

  it("keeps order and bytes intact when records wrap around the end of the byte ring", () => {
    const q = new RingBuffer(4, 23);
    for (let round = 0; round < 50; round++) {
      const a = `{"r":${round}}`;
      const b = `{"s":"${"x".repeat(round % 5)}"}`;
      expect(push(q, a, b)).toBe(true);
      expect(take(q, 1).text).toBe(`${a}\n`);
      if (round % 3 === 0) expect(push(q, "{}")).toBe(true);
      const rest = take(q);
      expect(rest.text).toBe(round % 3 === 0 ? `${b}\n{}\n` : `${b}\n`);
    }
  });

  it("takes a collection all or nothing when it would pass the record capacity", () => {
    const q = new RingBuffer(4, 1000);
    expect(push(q, "{}", "{}", "{}")).toBe(true);
    expect(push(q, "{}", "{}")).toBe(false);
    expect(q.length).toBe(3);
    expect(push(q, "{}")).toBe(true);
    expect(q.length).toBe(4);
  });

  it("takes a collection all or nothing when it would pass the byte capacity, newlines counted", () => {
    const q = new RingBuffer(100, 10);
    expect(push(q, '{"a":1}')).toBe(true); // 8 bytes with its newline
    expect(push(q, "{}")).toBe(false); // 3 more would make 11
    expect(q.bytes).toBe(8);
    expect(q.fits(1, 2)).toBe(true);
    expect(q.fits(1, 3)).toBe(false);
  });

  it("never evicts queued payloads to make room", () => {
    const q = new RingBuffer(2, 100);
    push(q, '{"n":1}', '{"n":2}');
    expect(push(q, '{"n":3}')).toBe(false);
    expect(take(q).text).toBe('{"n":1}\n{"n":2}\n');
  });

  it("drains batches bounded by records and by bytes, but always at least one record", () => {
    const q = new RingBuffer(16, 1000);
    push(q, "{}", "{}", "{}", `{"big":"${"x".repeat(40)}"}`, "{}");
    expect(take(q, 2)).toEqual({ text: "{}\n{}\n", records: 2 });
    expect(take(q, 10, 5).records).toBe(1);
    expect(take(q, 10, 5).records).toBe(1); // the big one, alone, larger than maxBytes
    expect(take(q, 10, 5)).toEqual({ text: "{}\n", records: 1 });
    expect(take(q)).toEqual({ text: "", records: 0 });
  });

  it("copies the spans it is given out of the body, and holds no reference to it", () => {
    const q = new RingBuffer(10, 100);
    const body = enc('{"data":[{"a":1}, {"b":2}]}');
    expect(q.tryPush(body, [9, 16, 18, 25])).toBe(true);
    body.fill(0x20);
    expect(take(q).text).toBe('{"a":1}\n{"b":2}\n');
  });

  it("preallocates its byte ring and a power-of-two ring of lengths", () => {
    const q = new RingBuffer(5, 100) as unknown as { data: Uint8Array; lengths: Uint32Array };
    expect(q.data.length).toBe(100);
    expect(q.lengths.length).toBe(8);
  });

  it("wakes a waiter only once its threshold of records or bytes is reached", async () => {
    const q = new RingBuffer(100, 1000);
    let woke = false;
    const waiting = q.waitFor(3, 100).then(() => (woke = true));
    push(q, "{}", "{}");
    await Promise.resolve();
    expect(woke).toBe(false);
    push(q, "{}");
    await waiting;
    expect(woke).toBe(true);
    const byBytes = q.waitFor(100, 50);
    push(q, `{"x":"${"y".repeat(60)}"}`);
    await byBytes;
  });

  it("lets wake() release a waiter whatever the queue holds", async () => {
    const q = new RingBuffer(10, 100);
    const waiting = q.waitFor(5, 50);
    q.wake();
    await waiting;
    expect(q.length).toBe(0);
  });

  it("rejects a capacity below one", () => {
    expect(() => new RingBuffer(0, 10)).toThrow("capacity must be at least 1, got 0");
  });
});
