import { describe, expect, it } from "bun:test";
import { Deadlines } from "../../src/http/deadlines.ts";

const timeout = () => new Error("timed out");
const never = () => new Promise<never>(() => {});

describe("Deadlines", () => {
  it("rejects a race once its deadline has passed and a sweep runs, not before", async () => {
    let now = 0;
    const deadlines = new Deadlines(100, timeout, () => now);
    let outcome = "pending";
    deadlines.race(never(), 0).catch((e: Error) => (outcome = e.message));
    now = 99;
    deadlines.sweep();
    await Bun.sleep(0);
    expect(outcome).toBe("pending");
    now = 100;
    deadlines.sweep();
    await Bun.sleep(0);
    expect(outcome).toBe("timed out");
    expect(deadlines.size).toBe(0);
  });

  it("settles as the work does when it wins, and forgets the deadline", async () => {
    const deadlines = new Deadlines(100, timeout, () => 0);
    expect(await deadlines.race(Promise.resolve(7), 0)).toBe(7);
    await expect(deadlines.race(Promise.reject(new Error("bad body")), 0)).rejects.toThrow("bad body");
    expect(deadlines.size).toBe(0);
  });

  it("fires only the expired ones in a sweep, oldest first, and stops at the first still running", async () => {
    let now = 0;
    const deadlines = new Deadlines(100, timeout, () => now);
    const fired: number[] = [];
    for (const started of [0, 10, 20, 30]) deadlines.race(never(), started).catch(() => fired.push(started));
    now = 115;
    deadlines.sweep();
    await Bun.sleep(0);
    expect(fired).toEqual([0, 10]);
    expect(deadlines.size).toBe(2);
  });

  it("rejects at once a race whose deadline passed before it started (a body read after a long wait)", async () => {
    const deadlines = new Deadlines(100, timeout, () => 500);
    await expect(deadlines.race(never(), 0)).rejects.toThrow("timed out");
  });
});
