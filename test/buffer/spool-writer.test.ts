import { describe, expect, it } from "bun:test";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SpoolWriter } from "../../src/buffer/spool-writer.ts";
import { createLogger } from "../../src/log.ts";
import { AckFailed, Acks } from "../../src/queue/acks.ts";
import { RingSet } from "../../src/queue/ring-set.ts";
import { readSegment } from "../../src/spool/read-segment.ts";
import { Spool } from "../../src/spool/spool.ts";
import { faultyFiles } from "../support/faulty-files.ts";
import { arrayBody } from "../support/queue.ts";

const dec = (b: Uint8Array) => new TextDecoder().decode(b);

function setup(segmentMaxBytes = 1 << 16) {
  const dir = mkdtempSync(join(tmpdir(), "spool-writer-"));
  const files = faultyFiles();
  const spool = new Spool({
    dir,
    maxBytes: 1 << 24,
    segmentMaxBytes,
    segmentMaxPayloads: 100_000,
    segmentMaxAgeMs: 60_000,
    createFile: files.createFile,
  });
  const queue = new RingSet(1, 10_000, 1 << 20);
  const writerAcks = new Acks();
  const httpAcks = new Acks(writerAcks.memory); // the HTTP thread's view
  const logs: string[] = [];
  const writer = new SpoolWriter(
    queue,
    spool,
    [writerAcks],
    createLogger("debug", (l) => logs.push(l)),
    { maxBytes: 1 << 20, maxPayloads: 100_000 },
  );
  /** What the HTTP thread does with a collection in disk mode: push, then wait for the fsync. */
  const admit = (...payloads: string[]) => {
    const { body, spans } = arrayBody(payloads);
    const end = queue.rings[0]!.push(body, spans);
    expect(end).not.toBe(-1);
    return httpAcks.wait(payloads.length, end);
  };
  const sealed = async () => {
    const texts: string[] = [];
    for (let s = await spool.nextSealed(); s; s = spool.sealedWaiting > 0 ? await spool.nextSealed() : null)
      texts.push(dec((await readSegment(s.path)).ndjson));
    return texts;
  };
  return { dir, files, spool, queue, writer, admit, sealed, logs, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}

describe("SpoolWriter", () => {
  it("acknowledges collections only once they are in the spool and fsync'd", async () => {
    using t = setup();
    t.writer.start();
    await Promise.all([t.admit('{"a":1}', '{"b":2}'), t.admit('{"c":3}')]);
    await t.writer.close();
    await t.spool.sealNow();
    expect((await t.sealed()).join("")).toBe('{"a":1}\n{"b":2}\n{"c":3}\n');
    expect(t.queue.length).toBe(0);
  });

  it("keeps every segment file within its size, sealing before a collection that would not fit", async () => {
    using t = setup(1_000);
    t.writer.start();
    const all: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) all.push(t.admit(`{"i":${i},"pad":"${"x".repeat(i % 40)}"}`));
    await Promise.all(all);
    await t.writer.close();
    await t.spool.sealNow();
    const files = readdirSync(t.dir).filter((f) => f.endsWith(".seg"));
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) expect(statSync(join(t.dir, f)).size).toBeLessThanOrEqual(1_000);
    const lines = (await t.sealed()).join("").split("\n").filter(Boolean);
    expect(lines.map((l) => JSON.parse(l).i)).toEqual([...Array(200).keys()]);
  });

  it("answers the collections of a failed write as not stored, and goes on with the next", async () => {
    using t = setup();
    t.writer.start();
    await t.admit('{"a":1}');
    t.files.failWrites(Object.assign(new Error("no space left on device"), { code: "ENOSPC" }));
    await expect(t.admit('{"b":2}')).rejects.toBeInstanceOf(AckFailed);
    t.files.heal();
    expect(t.logs.some((l) => l.includes("writing to the spool failed"))).toBe(true);
    await t.admit('{"c":3}');
    await t.writer.close();
    await t.spool.sealNow();
    expect((await t.sealed()).join("")).toBe('{"a":1}\n{"c":3}\n');
  });
});
