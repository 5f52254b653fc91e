import { describe, expect, it } from "bun:test";
import { createGarbagePacer, type GarbagePacing } from "../../src/shared/garbage-pacer.ts";

function counted(pacing: GarbagePacing) {
  const seen = { young: 0, full: 0 };
  const after = createGarbagePacer(pacing, { young: () => seen.young++, full: () => seen.full++ });
  return { after, seen };
}

describe("createGarbagePacer", () => {
  it("collects once per so many units of work", () => {
    const { after, seen } = counted({ every: 1000, fullEvery: 0 });
    for (let i = 0; i < 25; i++) after(100);
    expect(seen).toEqual({ young: 2, full: 0 });
    after(600);
    expect(seen).toEqual({ young: 3, full: 0 });
  });

  it("makes every fullEvery-th collection a full one", () => {
    const { after, seen } = counted({ every: 10, fullEvery: 4 });
    for (let i = 0; i < 12; i++) after(10);
    expect(seen).toEqual({ young: 9, full: 3 });
  });

  it("with fullEvery 1, collects only fully (the upload side's store calls)", () => {
    const { after, seen } = counted({ every: 3, fullEvery: 1 });
    for (let i = 0; i < 10; i++) after(1);
    expect(seen).toEqual({ young: 0, full: 3 });
  });
});
