import { describe, expect, it } from "bun:test";
import { loadConfig } from "../../src/config.ts";
import { BODY_BYTES_PER_COLLECTION, DISK_FULL_EVERY, garbagePacing } from "../../src/http/garbage.ts";

describe("garbagePacing", () => {
  it("splits the process's bound among the HTTP threads", () => {
    expect(garbagePacing(loadConfig({ HTTP_THREADS: "1" })).every).toBe(BODY_BYTES_PER_COLLECTION);
    expect(garbagePacing(loadConfig({ HTTP_THREADS: "4" })).every).toBe(BODY_BYTES_PER_COLLECTION / 4);
  });

  it("adds full collections in disk mode only", () => {
    expect(garbagePacing(loadConfig({})).fullEvery).toBe(0);
    expect(garbagePacing(loadConfig({ DURABILITY: "disk" })).fullEvery).toBe(DISK_FULL_EVERY);
  });
});
