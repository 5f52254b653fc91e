import { describe, expect, it } from "bun:test";
import { loadConfig } from "../../src/config.ts";
import { BODY_BYTES_PER_COLLECTION, createGarbagePacer, DISK_FULL_EVERY, garbagePacing } from "../../src/http/garbage.ts";

function counted(pacing: { everyBytes: number; fullEvery: number }) {
  const seen = { young: 0, full: 0 };
  const after = createGarbagePacer(pacing, { young: () => seen.young++, full: () => seen.full++ });
  return { after, seen };
}

describe("createGarbagePacer", () => {
  it("collects once per so many bytes of request bodies", () => {
    const { after, seen } = counted({ everyBytes: 1000, fullEvery: 0 });
    for (let i = 0; i < 25; i++) after(100);
    expect(seen).toEqual({ young: 2, full: 0 });
    after(600);
    expect(seen).toEqual({ young: 3, full: 0 });
  });

  it("makes every fullEvery-th collection a full one", () => {
    const { after, seen } = counted({ everyBytes: 10, fullEvery: 4 });
    for (let i = 0; i < 12; i++) after(10);
    expect(seen).toEqual({ young: 9, full: 3 });
  });
});

describe("garbagePacing", () => {
  it("splits the process's bound among the HTTP threads", () => {
    expect(garbagePacing(loadConfig({ HTTP_THREADS: "1" })).everyBytes).toBe(BODY_BYTES_PER_COLLECTION);
    expect(garbagePacing(loadConfig({ HTTP_THREADS: "4" })).everyBytes).toBe(BODY_BYTES_PER_COLLECTION / 4);
  });

  it("adds full collections in disk mode only", () => {
    expect(garbagePacing(loadConfig({})).fullEvery).toBe(0);
    expect(garbagePacing(loadConfig({ DURABILITY: "disk" })).fullEvery).toBe(DISK_FULL_EVERY);
  });
});
