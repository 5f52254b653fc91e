import { describe, expect, it } from "bun:test";
import { createGarbagePacer } from "../../src/http/garbage.ts";

describe("createGarbagePacer", () => {
  it("collects once per so many bytes of request bodies", () => {
    let collections = 0;
    const after = createGarbagePacer(1000, () => collections++);
    for (let i = 0; i < 25; i++) after(100);
    expect(collections).toBe(2);
    after(600);
    expect(collections).toBe(3);
  });
});
