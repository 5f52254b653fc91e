import { describe, expect, it } from "bun:test";
import { createRateLimiter } from "../../src/http/rate-limit.ts";

describe("rate limiter", () => {
  it("allows a second's worth at once, then asks to wait, then refills", () => {
    let now = 0;
    const limit = createRateLimiter(3, 100, () => now);
    expect([limit.take("k"), limit.take("k"), limit.take("k")]).toEqual([0, 0, 0]);
    expect(limit.take("k")).toBe(1);
    now += 400; // 1.2 tokens back
    expect(limit.take("k")).toBe(0);
    expect(limit.take("k")).toBe(1);
  });

  it("keeps its memory bounded however many keys arrive, dropping the least recently seen", () => {
    let now = 0;
    const limit = createRateLimiter(1, 1_000, () => now);
    limit.take("hot");
    for (let i = 0; i < 100_000; i++) {
      limit.take(`k${i}`);
      // Still tracked, so its bucket is still empty: a dropped key would start full and get 0.
      if (i % 500 === 0) expect(limit.take("hot")).toBe(1);
    }
    expect(limit.size).toBe(1_000);
    now += 10;
    expect(limit.take("hot")).toBe(1); // still tracked: it was seen recently
  });
});
