import { describe, expect, it } from "bun:test";
import { RingBuffer } from "../../src/queue/ring-buffer.ts";
import { pushAll } from "../support/queue.ts";
import { waitUntil } from "../support/wait.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const push = (q: RingBuffer, ...payloads: string[]) => pushAll(q, payloads);
const take = (q: RingBuffer, maxPayloads = 1000, maxBytes = 1 << 20) => {
  const batch = q.drain(maxPayloads, maxBytes);
  return { text: text(batch.ndjson), payloads: batch.payloads };
};

describe("RingBuffer", () => {
  it("hands payloads out as NDJSON in arrival order", () => {
    const q = new RingBuffer(10, 100);
    expect(push(q, '{"a":1}', '{"b":2}')).toBe(true);
    expect(q.length).toBe(2);
    expect(q.bytes).toBe(16);
    expect(take(q)).toEqual({ text: '{"a":1}\n{"b":2}\n', payloads: 2 });
    expect(q.length).toBe(0);
    expect(q.bytes).toBe(0);
  });

  it("puts a prefix in front of each payload when given one (PARTITION_BY=version), counted in its bytes and wrapped like them", () => {
    const q = new RingBuffer(4, 40);
    const body = enc('{"data":[{"a":1},{"b":2}]}');
    const prefix = enc("version=1\x1e");
    for (let round = 0; round < 20; round++) {
      expect(q.push(body, [9, 16, 17, 24], prefix)).not.toBe(-1);
      expect(q.bytes).toBe(2 * (10 + 7 + 1));
      expect(take(q)).toEqual({ text: 'version=1\x1e{"a":1}\nversion=1\x1e{"b":2}\n', payloads: 2 });
    }
    expect(q.push(body, [9, 16, 17, 24, 9, 16, 17, 24, 9, 16], prefix)).toBe(-1); // 90 bytes with the prefixes: over 40
  });

  it("keeps order and bytes intact when payloads wrap around the end of the byte ring", () => {
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

  it("drains batches bounded by payloads and by bytes, but always at least one record", () => {
    const q = new RingBuffer(16, 1000);
    push(q, "{}", "{}", "{}", `{"big":"${"x".repeat(40)}"}`, "{}");
    expect(take(q, 2)).toEqual({ text: "{}\n{}\n", payloads: 2 });
    expect(take(q, 10, 5).payloads).toBe(1);
    expect(take(q, 10, 5).payloads).toBe(1); // the big one, alone, larger than maxBytes
    expect(take(q, 10, 5)).toEqual({ text: "{}\n", payloads: 1 });
    expect(take(q)).toEqual({ text: "", payloads: 0 });
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

  it("wakes a waiter only once its threshold of payloads or bytes is reached", async () => {
    const q = new RingBuffer(100, 1000);
    // The control words the waiter and the producer share (ring-group.ts): the threshold it
    // waits for, and the futex word it sleeps on.
    const control = new Int32Array(q.memory.group);
    const WANT_PAYLOADS = 2;
    const WAKE = 4;
    let woke = false;
    const waiting = q.waitFor(3, 100).then(() => (woke = true));
    const futex = Atomics.load(control, WAKE);
    push(q, "{}", "{}");
    expect(Atomics.load(control, WAKE)).toBe(futex); // below the threshold: the producer leaves the waiter asleep
    // Woken anyway, as the producer wakes it, the waiter looks again, finds 2 of 3 and sleeps
    // again: it arms its threshold anew, in the same turn as it decides to wait.
    Atomics.store(control, WANT_PAYLOADS, 0);
    Atomics.add(control, WAKE, 1);
    expect(Atomics.notify(control, WAKE)).toBe(1); // it was asleep on this word
    await waitUntil(() => Atomics.load(control, WANT_PAYLOADS) === 3, "the waiter to wait again", { timeoutMs: 2_000, intervalMs: 1 });
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

  it("counts every record ever pushed, for disk mode's acknowledgements, and answers -1 when full", () => {
    const q = new RingBuffer(4, 100);
    const body = enc('[{"a":1},{"b":2}]');
    expect(q.push(body, [1, 8, 9, 16])).toBe(2);
    expect(q.push(body, [1, 8])).toBe(3);
    expect(q.push(body, [1, 8, 9, 16])).toBe(-1);
    take(q);
    expect(q.pushed).toBe(3);
  });

  it("copies a compact array in one go and a spaced one payload by payload, to the same NDJSON", () => {
    const compact = new RingBuffer(10, 40);
    const spaced = new RingBuffer(10, 40);
    for (let round = 0; round < 20; round++) {
      // Both wrap around the end of the 40-byte ring at different rounds.
      expect(compact.tryPush(enc('[{"a":1},{"bb":22}]'), [1, 8, 9, 18])).toBe(true);
      expect(spaced.tryPush(enc('[{"a":1}, \n {"bb":22}]'), [1, 8, 12, 21])).toBe(true);
      expect(take(compact)).toEqual({ text: '{"a":1}\n{"bb":22}\n', payloads: 2 });
      expect(take(spaced)).toEqual({ text: '{"a":1}\n{"bb":22}\n', payloads: 2 });
    }
  });

  it("takes no record that would pass maxBytes when strict, and at least one otherwise", () => {
    const q = new RingBuffer(10, 100);
    push(q, `{"big":"${"x".repeat(20)}"}`);
    expect(q.drain(10, 5, undefined, true).payloads).toBe(0);
    expect(q.length).toBe(1);
    expect(q.drain(10, 5).payloads).toBe(1);
  });

  it("lets a wait for a full batch end at its timeout", async () => {
    const q = new RingBuffer(10, 100);
    push(q, "{}");
    const started = performance.now();
    await q.waitFor(5, 100, 30);
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
    expect(q.length).toBe(1);
  });

  it("hands a consumer on this thread every record a producer on another thread pushes, in order and intact", async () => {
    const q = new RingBuffer(64, 256); // small, so the producer keeps wrapping and waiting for room
    const producer = new Worker(new URL("../support/ring-producer.ts", import.meta.url).href, { type: "module" });
    const done = new Promise<void>((resolve) => (producer.onmessage = () => resolve()));
    const collections = 3_000;
    producer.postMessage({ memory: q.memory, collections });
    const seen: number[] = [];
    let finished = false;
    void done.then(() => {
      finished = true;
      q.wake();
    });
    while (!finished || q.length > 0) {
      if (q.length === 0) await q.waitFor(1, 1);
      for (const line of text(q.drain(7, 1 << 20).ndjson).split("\n")) if (line) seen.push(JSON.parse(line).n);
    }
    await producer.terminate();
    expect(seen.length).toBe(collections * 3);
    expect(seen.every((n, i) => n === i)).toBe(true);
    expect(q.pushed).toBe(collections * 3);
  });

  it("refuses every push once closed, keeping what it holds", () => {
    const q = new RingBuffer(10, 100);
    push(q, '{"a":1}');
    q.close();
    expect(push(q, '{"b":2}')).toBe(false);
    expect(take(q)).toEqual({ text: '{"a":1}\n', payloads: 1 });
  });

  it("rejects a capacity below one", () => {
    expect(() => new RingBuffer(0, 10)).toThrow("capacity must be at least 1, got 0");
  });
});
