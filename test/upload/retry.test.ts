import { describe, expect, it } from "bun:test";
import { backoffMs } from "../../src/upload/retry.ts";

const policy = { baseMs: 100, maxMs: 5_000 };

describe("backoffMs", () => {
  it("doubles per attempt with jitter between half and all of the step", () => {
    expect(backoffMs(0, true, policy, () => 0)).toBe(50);
    expect(backoffMs(0, true, policy, () => 1)).toBe(100);
    expect(backoffMs(3, true, policy, () => 1)).toBe(800);
    expect(backoffMs(3, true, policy, () => 0)).toBe(400);
  });

  it("never waits longer than the cap, however many attempts", () => {
    expect(backoffMs(10, true, policy, () => 1)).toBe(5_000);
    expect(backoffMs(10_000, true, policy, () => 1)).toBe(5_000);
  });

  it("retries non-retryable failures slowly, at the cap", () => {
    expect(backoffMs(0, false, policy, () => 0)).toBe(5_000);
  });
});
