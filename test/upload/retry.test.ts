import { describe, expect, it } from "bun:test";
import { StoreError } from "../../src/store/store.ts";
import { backoffMs, Retrier } from "../../src/upload/retry.ts";
import { uploadDeps } from "../support/uploader.ts";

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

describe("Retrier.store", () => {
  it("tells onStoreCall of every attempt, retries included (the upload side's garbage pacing counts them)", async () => {
    let calls = 0;
    let attempts = 0;
    const retrier = new Retrier({ baseMs: 1, maxMs: 2 }, uploadDeps({ onStoreCall: () => calls++ }));
    const got = await retrier.store("put", 1, async () => {
      if (++attempts < 3) throw new StoreError("throttled", true, "SlowDown");
      return "etag";
    });
    expect(got).toBe("etag");
    expect(attempts).toBe(3);
    expect(calls).toBe(3);
    await retrier.journal(async () => {});
    expect(calls).toBe(3); // journal writes are not store calls
  });
});
