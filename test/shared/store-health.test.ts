import { describe, expect, it } from "bun:test";
import { StoreHealth } from "../../src/shared/store-health.ts";

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

  it("is read on the HTTP thread as the upload side writes it", () => {
    let now = 0;
    const upload = new StoreHealth(1_000, () => now);
    const http = new StoreHealth(1_000, () => now, upload.memory);
    upload.failure(true);
    now = 999;
    expect(http.healthy).toBe(true);
    now = 1_000;
    expect(http.healthy).toBe(false);
    upload.success();
    expect(http.healthy).toBe(true);
    upload.failure(false);
    expect(http.healthy).toBe(false);
  });

  it("keeps the last failure's type and time for the status page, through a success", () => {
    let now = 5;
    const upload = new StoreHealth(1_000, () => now);
    const http = new StoreHealth(1_000, () => now, upload.memory);
    expect(http.lastError).toBeNull();
    upload.failure(true, 3);
    now = 9;
    upload.failure(true, 0);
    upload.success();
    expect(http.lastError).toEqual({ type: 0, at: 9 });
  });
});
