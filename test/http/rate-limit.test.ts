import { describe, expect, it } from "bun:test";
import { createRateLimiter } from "../../src/http/rate-limit.ts";

describe("rate limiter", () => {
  it("allows a second's worth at once, then asks to wait, then refills", () => {
    let now = 0;
    const limit = createRateLimiter(3, { now: () => now });
    expect([limit.take("k"), limit.take("k"), limit.take("k")]).toEqual([0, 0, 0]);
    expect(limit.take("k")).toBe(1);
    now += 400; // 1.2 requests back
    expect(limit.take("k")).toBe(0);
    expect(limit.take("k")).toBe(1);
    expect(limit.take("other")).toBe(0); // per key
  });

  it("answers how many whole seconds to wait, at least 1", () => {
    const limit = createRateLimiter(1, { now: () => 0 });
    expect(limit.take("k")).toBe(0);
    expect(limit.take("k")).toBe(1);
    let now = 0;
    const slow = createRateLimiter(1, { now: () => now });
    slow.take("k");
    now = 999;
    expect(slow.take("k")).toBe(1); // 1 ms to go still rounds up to a second
    now = 1_000;
    expect(slow.take("k")).toBe(0);
  });

  it("holds a high rate to its burst", () => {
    const limit = createRateLimiter(250_000, { now: () => 5_000 });
    let allowed = 0;
    for (let i = 0; i < 300_000; i++) if (limit.take("k") === 0) allowed++;
    expect(allowed).toBe(250_000);
  });

  it("keeps its memory bounded however many keys arrive, forgetting the buckets nearest to full", () => {
    const limit = createRateLimiter(10, { slots: 1_024, now: () => 0 });
    for (let i = 0; i < 10; i++) expect(limit.take("hot")).toBe(0); // its bucket is empty
    for (let i = 0; i < 100_000; i++) {
      limit.take(`k${i}`); // each of these buckets holds 9 of 10
      // Still tracked, so still empty: a forgotten key would start full and get 0.
      if (i % 500 === 0) expect(limit.take("hot")).toBe(1);
    }
    expect(limit.memory.byteLength).toBe(1_024 * 8);
    expect(limit.take("hot")).toBe(1);
  });

  it("shares one limit between limiters over the same memory", () => {
    const a = createRateLimiter(4, { now: () => 0 });
    const b = createRateLimiter(4, { memory: a.memory, now: () => 0 });
    expect([a.take("k"), b.take("k"), a.take("k"), b.take("k"), a.take("k"), b.take("k")]).toEqual([0, 0, 0, 0, 1, 1]);
  });

  it("allows exactly the burst in total to four threads taking at once", async () => {
    const perSecond = 20_000;
    const shared = createRateLimiter(perSecond);
    const start = new Int32Array(new SharedArrayBuffer(4));
    const workers = Array.from({ length: 4 }, () => new Worker(new URL("../support/rate-taker.ts", import.meta.url).href, { type: "module" }));
    try {
      const answers = workers.map((w) => {
        const messages: (number | string)[] = [];
        const next = () => new Promise<number | string>((resolve) => (w.onmessage = ({ data }) => resolve(data)));
        let pending = next();
        return {
          async take() {
            const m = await pending;
            messages.push(m);
            pending = next();
            return m;
          },
        };
      });
      for (const w of workers) w.postMessage({ memory: shared.memory, perSecond, at: 1_000, takes: 10_000, start });
      for (const a of answers) expect(await a.take()).toBe("ready");
      Atomics.store(start, 0, 1);
      Atomics.notify(start, 0);
      const allowed = (await Promise.all(answers.map((a) => a.take()))) as number[];
      expect(allowed.reduce((s, n) => s + n, 0)).toBe(perSecond); // 40,000 takes, one second's worth allowed
    } finally {
      for (const w of workers) w.terminate();
    }
  });
});
