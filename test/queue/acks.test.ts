import { describe, expect, it } from "bun:test";
import { AckFailed, Acks } from "../../src/queue/acks.ts";

/** A collection of `payloads` pushed after `before` payloads: what wait() gets from the ring's push. */
const settled = (p: Promise<void>) =>
  p.then(
    () => "ok" as const,
    (e) => (e instanceof AckFailed ? ("failed" as const) : Promise.reject(e)),
  );

describe("Acks", () => {
  it("answers each collection once the writer is done with all of its payloads, in order", async () => {
    const writer = new Acks();
    const reader = new Acks(writer.memory);
    const first = settled(reader.wait(3, 3));
    const second = settled(reader.wait(2, 5));
    const answered: string[] = [];
    void first.then((r) => answered.push(`first ${r}`));
    void second.then((r) => answered.push(`second ${r}`));
    writer.publish(2); // part of the first collection only
    reader.check();
    await Bun.sleep(0);
    expect(answered).toEqual([]);
    writer.publish(3);
    reader.check();
    expect(await first).toBe("ok");
    expect(await second).toBe("ok");
    expect(answered).toEqual(["first ok", "second ok"]);
  });

  it("fails exactly the collections that overlap a failed write", async () => {
    const writer = new Acks();
    const reader = new Acks(writer.memory);
    const a = settled(reader.wait(2, 2)); // payloads 0-1
    const b = settled(reader.wait(2, 4)); // payloads 2-3
    const c = settled(reader.wait(2, 6)); // payloads 4-5
    const d = settled(reader.wait(1, 7)); // record 6
    writer.publish(2); // a written
    writer.publish(3, true); // payloads 2-4 failed: b and c
    writer.publish(2); // payloads 5-6 written
    reader.check();
    expect([await a, await b, await c, await d]).toEqual(["ok", "failed", "failed", "ok"]);
  });

  it("wakes a waiting reader without any request coming in (an idle HTTP loop)", async () => {
    const writer = new Acks();
    const reader = new Acks(writer.memory);
    const waiting = settled(reader.wait(1, 1));
    setTimeout(() => writer.publish(1), 20); // no reader.check() from here on
    expect(await waiting).toBe("ok");
  });

  it("keeps counting right where the wrapping 32-bit count passes 2^31", async () => {
    const writer = new Acks();
    const reader = new Acks(writer.memory);
    const big = 2 ** 31 - 1;
    writer.publish(big);
    const across = settled(reader.wait(4, (big + 4) | 0)); // the end wraps negative
    writer.publish(4);
    reader.check();
    expect(await across).toBe("ok");
  });

  it("answers collections it can no longer tell about as not stored, and recovers after", async () => {
    const writer = new Acks();
    const reader = new Acks(writer.memory);
    const old = settled(reader.wait(1, 1));
    for (let i = 0; i < 300; i++) writer.publish(1, true); // more failed ranges than the log keeps
    const later = settled(reader.wait(1, 301)); // record 300, written
    writer.publish(1);
    reader.check();
    expect(await old).toBe("failed");
    expect(await later).toBe("ok");
  });
});
