import { describe, expect, it } from "bun:test";
import { StoreHealth } from "../../src/shared/store-health.ts";
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

describe("StoreHealth", () => {
  it("turns unhealthy only after retryable failures have lasted the grace period", () => {
    let now = 0;
    const h = new StoreHealth(1_000, () => now);
    h.failure(true);
    now = 999;
    h.failure(true);
    expect(h.healthy).toBe(true);
    now = 1_000;
    expect(h.healthy).toBe(false);
    h.success();
    expect(h.healthy).toBe(true);
  });

  it("turns unhealthy at once on a non-retryable failure, until a success", () => {
    const h = new StoreHealth(60_000, () => 0);
    h.failure(false);
    expect(h.healthy).toBe(false);
    h.success();
    expect(h.healthy).toBe(true);
  });
});
