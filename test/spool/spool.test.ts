import { describe, expect, it, spyOn } from "bun:test";
import { appendFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { encodeFrame } from "../../src/spool/frame.ts";
import { ObjectRecords } from "../../src/spool/object-records.ts";
import { readSegment } from "../../src/spool/read-segment.ts";
import { leftInSpool } from "../../src/spool/recovery.ts";
import { Spool, SpoolFullError } from "../../src/spool/spool.ts";
import { faultyFiles } from "../support/faulty-files.ts";
import { smallSpoolOptions } from "../support/spool-options.ts";
import { tempDir as makeTempDir } from "../support/temp-dir.ts";
import { waitUntil } from "../support/wait.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const tempDir = () => makeTempDir("spool-");
const options = smallSpoolOptions;
const segments = (dir: string) =>
  readdirSync(dir)
    .filter((f) => /\.(seg|open)$/.test(f))
    .sort();

describe("Spool", () => {
  it("acknowledges appends once on disk, and seals a segment when it holds a batch's worth", async () => {
    using dir = tempDir();
    const spool = new Spool(options(dir.path, { segmentMaxPayloads: 3 }));
    await Promise.all([spool.append(enc('{"a":1}\n'), 1), spool.append(enc('{"b":2}\n{"c":3}\n'), 2)]);
    const segment = await spool.nextSealed();
    expect(segment).not.toBeNull();
    const read = await readSegment(segment!.path);
    expect(dec(read.ndjson)).toBe('{"a":1}\n{"b":2}\n{"c":3}\n');
    expect(read.payloads).toBe(3);
    await spool.remove(segment!);
    expect(segments(dir.path)).toEqual([]);
    expect(spool.bytes).toBe(0);
  });

  it("seals a segment BATCH_MAX_WAIT_MS after it opened, even if it is small", async () => {
    using dir = tempDir();
    const spool = new Spool(options(dir.path, { segmentMaxAgeMs: 20 }));
    await spool.append(enc('{"a":1}\n'), 1);
    const segment = await spool.nextSealed();
    expect((await readSegment(segment!.path)).payloads).toBe(1);
  });

  it("refuses appends past SPOOL_MAX_BYTES with SpoolFullError", async () => {
    using dir = tempDir();
    const spool = new Spool(options(dir.path, { maxBytes: 40 }));
    await spool.append(enc('{"a":"0123456789"}\n'), 1);
    await expect(spool.append(enc('{"b":"0123456789"}\n'), 1)).rejects.toBeInstanceOf(SpoolFullError);
  });

  it("hands over what an earlier process left, open segments included, and keeps its instance id", async () => {
    using dir = tempDir();
    const first = new Spool(options(dir.path));
    await first.append(enc('{"left":1}\n'), 1); // stays in an open segment: the process "dies" here
    expect(segments(dir.path)[0]).toEndWith(".open");
    const second = new Spool(options(dir.path));
    expect(second.instanceId).toBe(first.instanceId);
    expect(segments(dir.path)[0]).toEndWith(".seg");
    const segment = await second.nextSealed();
    expect(dec((await readSegment(segment!.path)).ndjson)).toBe('{"left":1}\n');
    await second.append(enc('{"new":1}\n'), 1);
    await second.sealNow();
    const next = await second.nextSealed();
    expect(next!.seq).toBeGreaterThan(segment!.seq);
  });

  it("drops a torn tail left by a crash mid-write, keeping the whole frames before it", async () => {
    using dir = tempDir();
    const first = new Spool(options(dir.path));
    await first.append(enc('{"kept":1}\n'), 1);
    appendFileSync(join(dir.path, segments(dir.path)[0]!), encodeFrame(enc('{"torn":1}\n'), 1).subarray(0, 9));
    const second = new Spool(options(dir.path));
    const read = await readSegment((await second.nextSealed())!.path);
    expect(dec(read.ndjson)).toBe('{"kept":1}\n');
    expect(read.badTailBytes).toBe(9);
  });

  it("ends the consumer's wait with null once closed and empty", async () => {
    using dir = tempDir();
    const spool = new Spool(options(dir.path));
    const waiting = spool.nextSealed();
    await spool.append(enc('{"a":1}\n'), 1);
    await spool.close();
    expect(await waiting).not.toBeNull();
    expect(await spool.nextSealed()).toBeNull();
    await expect(spool.append(enc("{}\n"), 1)).rejects.toThrow("closed");
  });

  it("finishes, before close() resolves, a record an earlier process left whose segments are all gone: the spool is left empty", async () => {
    using dir = tempDir();
    // An earlier process sealed an object of segments 4 and 5, and they are gone.
    const earlier = new ObjectRecords(dir.path);
    const record = earlier.open("t/4", 4);
    await earlier.sealing(record, [4, 5]);
    expect(leftInSpool(dir.path)).toEqual([`${record.id}.object`]);
    // The record's finishing is held until the next turn of the event loop: a close() that did
    // not wait for it resolves first, as it needs only microtasks when no segment is open.
    const events: string[] = [];
    const finish = ObjectRecords.prototype.finished;
    const finished = spyOn(ObjectRecords.prototype, "finished").mockImplementation(async function (this: ObjectRecords, r) {
      await new Promise((resolve) => setImmediate(resolve));
      await finish.call(this, r);
      events.push("record finished");
    });
    try {
      const spool = new Spool(options(dir.path));
      expect(finished).toHaveBeenCalledTimes(1);
      await spool.close();
      events.push("closed");
      expect(events).toEqual(["record finished", "closed"]);
      expect(leftInSpool(dir.path)).toEqual([]);
      expect(await spool.nextSealed()).toBeNull();
    } finally {
      finished.mockRestore();
    }
  });

  it("answers a failed write with an error and carries on in a new segment", async () => {
    using dir = tempDir();
    const files = faultyFiles();
    const spool = new Spool(options(dir.path, { createFile: files.createFile }));
    await spool.append(enc('{"a":1}\n'), 1);
    files.failWrites(Object.assign(new Error("no space left on device"), { code: "ENOSPC" }));
    await expect(spool.append(enc('{"b":2}\n'), 1)).rejects.toThrow("no space left on device");
    await waitUntil(() => segments(dir.path).length === 1 && segments(dir.path)[0]!.endsWith(".seg"), "the broken segment to be sealed");
    files.heal();
    await spool.append(enc('{"c":3}\n'), 1);
    await spool.sealNow();
    const texts = [];
    for (let n = 0; n < 2; n++) texts.push(dec((await readSegment((await spool.nextSealed())!.path)).ndjson));
    expect(texts).toEqual(['{"a":1}\n', '{"c":3}\n']);
    expect(spool.segments).toBe(2); // taken, not yet removed: still on disk
  });

  it("treats a short write, as a full disk can give without an error, as a failed append", async () => {
    using dir = tempDir();
    const files = faultyFiles();
    const spool = new Spool(options(dir.path, { createFile: files.createFile }));
    await spool.append(enc('{"a":1}\n'), 1);
    files.shortWrites(5);
    await expect(spool.append(enc('{"b":2}\n'), 1)).rejects.toThrow("short write");
    await waitUntil(() => segments(dir.path)[0]!.endsWith(".seg"), "the segment to be sealed");
    const read = await readSegment((await spool.nextSealed())!.path);
    expect(dec(read.ndjson)).toBe('{"a":1}\n');
    expect(read.badTailBytes).toBe(5);
  });
});
