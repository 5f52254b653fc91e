// Objects made of several spool segments (disk mode), across a crash at each step of writing one:
// a real spool directory, its records, and an in-memory store that enforces S3's multipart rules.
// A crash is the writer stopped where it stands and a new spool opened on the same directory, as
// the next process would.
import { describe, expect, it } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { zstdDecompressSync } from "node:zlib";
import { SpoolReader } from "../../src/buffer/spool-reader.ts";
import { leftInSpool } from "../../src/spool/recovery.ts";
import { Spool } from "../../src/spool/spool.ts";
import type { CompletedPart } from "../../src/store/store.ts";
import { Uploader } from "../../src/upload/uploader.ts";
import { MemoryStore } from "../support/memory-store.ts";
import { smallSpoolOptions } from "../support/spool-options.ts";
import { tempDir } from "../support/temp-dir.ts";
import { type TestUploadOptions, uploadDeps, uploadOptions } from "../support/uploader.ts";
import { waitUntil } from "../support/wait.ts";

const PART = 4096;
const enc = new TextEncoder();
const dec = new TextDecoder();

/** Six sealed segments of 30 payloads each, with incompressible bytes: about two per part. */
async function fillSpool(dir: string, prefix: string): Promise<{ spool: Spool; ids: string[] }> {
  const spool = new Spool(smallSpoolOptions(dir));
  const ids: string[] = [];
  for (let s = 0; s < 6; s++) {
    const lines = Array.from({ length: 30 }, (_, i) => {
      ids.push(`${prefix}-${s}-${i}`);
      return `{"id":"${prefix}-${s}-${i}","noise":"${crypto.randomUUID()}${crypto.randomUUID()}"}\n`;
    });
    await spool.append(enc.encode(lines.join("")), lines.length);
    await spool.sealNow();
  }
  return { spool, ids };
}

function uploader(spool: Spool, store: MemoryStore, maxAgeMs = 60_000, more: TestUploadOptions = {}) {
  const deps = uploadDeps({ store, journal: spool.records });
  const options = uploadOptions({ batchMaxBytes: 1 << 16, objectMaxBytes: 1 << 20, maxAgeMs, partBytes: PART, compression: "zstd", ...more });
  return new Uploader(options, { ...deps, reader: new SpoolReader(spool, deps.log) });
}

const files = (dir: string, suffix: string) => readdirSync(dir).filter((f) => f.endsWith(suffix));
const record = (dir: string) => {
  const [file] = [...files(dir, ".object"), ...files(dir, ".written")];
  return file
    ? (JSON.parse(readFileSync(join(dir, file), "utf8")) as {
        base: string;
        upload: { key: string; uploadId: string } | null;
        segments: number[] | null;
      })
    : null;
};
const idsIn = (store: MemoryStore) =>
  [...store.objects.values()].flatMap((o) =>
    dec
      .decode(zstdDecompressSync(o.body))
      .split("\n")
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { id: string }).id),
  );

/**
 * The next process: reads the spool the crashed one left, to the end. It makes every segment an
 * object of its own (OBJECT_MAX_AGE_MS=0) unless an earlier process's record groups them.
 */
async function restart(dir: string, store: MemoryStore, more: TestUploadOptions = {}) {
  const spool = new Spool(smallSpoolOptions(dir));
  const next = uploader(spool, store, 0, more);
  next.start();
  await spool.close();
  await next.done();
  return spool;
}

describe("objects of spool segments across a crash", () => {
  it("crash after the segments are recorded, before Complete answers: the next start writes exactly them again under the same key and aborts the first upload", async () => {
    using dir = tempDir("spool-objects-");
    const store = new MemoryStore(PART);
    const { spool, ids } = await fillSpool(dir.path, "a");
    const complete = store.multipart.complete;
    store.multipart.complete = () => new Promise(() => {}); // never answers: the process dies waiting
    const first = uploader(spool, store);
    first.start();
    await spool.close();
    await waitUntil(() => record(dir.path)?.segments?.length === 6, "the object's segments recorded");
    const { base, upload } = record(dir.path)!;
    expect(upload).not.toBeNull();
    first.stop(); // the crash

    store.multipart.complete = complete;
    await restart(dir.path, store);
    expect([...store.objects.keys()]).toEqual([`${base}.ndjson.zst`]);
    expect(idsIn(store).sort()).toEqual(ids.sort());
    expect(store.calls).toContain(`abort ${upload!.key}`);
    expect(store.uploads.has(upload!.uploadId)).toBe(false);
    expect(leftInSpool(dir.path)).toEqual([]);
  });

  it("crash after Complete succeeded, before the segments are removed: the same object is written again, not a second one", async () => {
    using dir = tempDir("spool-objects-");
    const store = new MemoryStore(PART);
    const { spool, ids } = await fillSpool(dir.path, "b");
    const first = uploader(spool, store);
    const complete = store.multipart.complete;
    store.multipart.complete = async (key: string, uploadId: string, parts: readonly CompletedPart[]) => {
      await complete(key, uploadId, parts);
      first.stop(); // the crash: the object is in the store, its answer never acted on
    };
    first.start();
    await spool.close();
    await waitUntil(() => store.objects.size === 1, "the object completed");
    expect(files(dir.path, ".seg")).toHaveLength(6);

    store.multipart.complete = complete;
    await restart(dir.path, store);
    expect(store.objects.size).toBe(1);
    expect(idsIn(store).sort()).toEqual(ids.sort());
    expect(leftInSpool(dir.path)).toEqual([]);
  });

  it("crash with the object open, parts uploaded: the segments go into new objects, and the upload is aborted", async () => {
    using dir = tempDir("spool-objects-");
    const store = new MemoryStore(PART);
    const { spool, ids } = await fillSpool(dir.path, "c");
    const first = uploader(spool, store); // the spool stays open: so does the object, for its minute
    first.start();
    await waitUntil(() => store.calls.some((c) => c.startsWith("part ")) && record(dir.path)?.upload != null, "a part uploaded");
    await waitUntil(() => spool.sealedWaiting === 0, "every segment taken");
    const { upload } = record(dir.path)!;
    first.stop();
    expect(store.objects.size).toBe(0);

    await restart(dir.path, store);
    expect(store.objects.size).toBe(6); // nothing was written: the segments are free to form new objects
    expect(idsIn(store).sort()).toEqual(ids.sort());
    expect(store.calls).toContain(`abort ${upload!.key}`);
    expect(store.uploads.size).toBe(0);
    expect(leftInSpool(dir.path)).toEqual([]);
  });

  it("crash after the completed mark, while the segments are being removed: the next start removes the rest and uploads nothing again", async () => {
    using dir = tempDir("spool-objects-");
    const store = new MemoryStore(PART);
    const { spool, ids } = await fillSpool(dir.path, "d");
    const first = uploader(spool, store);
    const remove = spool.remove.bind(spool);
    let removed = 0;
    spool.remove = async (segment) => {
      if (removed++ === 2) {
        first.stop(); // the crash: two segments gone, four left, the record says the object is written
        return new Promise(() => {});
      }
      return remove(segment);
    };
    first.start();
    await spool.close();
    await waitUntil(() => removed === 3, "two segments removed");
    expect(files(dir.path, ".written")).toHaveLength(1);
    expect(files(dir.path, ".seg")).toHaveLength(4);
    const calls = store.calls.length;

    await restart(dir.path, store);
    expect(store.calls.length).toBe(calls); // nothing written twice, nothing to abort
    expect(idsIn(store).sort()).toEqual(ids.sort());
    expect(leftInSpool(dir.path)).toEqual([]);
  });
  it("crash after two objects of one segment each are written, before either segment is removed: the next start does not write the second one's payloads again inside the first's", async () => {
    using dir = tempDir("spool-objects-");
    const store = new MemoryStore(PART);
    const { spool, ids } = await fillSpool(dir.path, "e");
    const first = uploader(spool, store, 0); // each segment an object of its own
    spool.remove = () => new Promise(() => {}); // the crash comes before any segment is removed
    first.start();
    await spool.close();
    await waitUntil(() => store.objects.size === 2, "two segments' objects written"); // the two loops then wait on their removal
    first.stop();

    const spool2 = new Spool(smallSpoolOptions(dir.path));
    const next = uploader(spool2, store, 60_000); // objects of several segments now
    next.start();
    await spool2.close();
    await next.done();
    const landed = idsIn(store);
    expect(landed.length).toBe(new Set(landed).size);
    expect(landed.sort()).toEqual(ids.sort());
    expect(leftInSpool(dir.path)).toEqual([]);
  });
});

describe("shares of spool segments (PARTITION_BY) across a crash", () => {
  const partitioned = (maxActive: number): TestUploadOptions => ({
    partitionBy: "event",
    partitions: { maxActive, overflow: "event=__other__", bufferBytes: 8 << 20 },
    stageBytes: 2048, // compressed a few KiB at a time: objects of several parts
  });

  /** Sealed segments of `events[s]` payloads each (an id, its event, incompressible noise); the event of every id. */
  async function fillSegments(dir: string, prefix: string, events: string[][]) {
    const spool = new Spool(smallSpoolOptions(dir));
    const eventOf = new Map<string, string>();
    for (const [s, segment] of events.entries()) {
      const lines = segment.map((event, i) => {
        const id = `${prefix}-${s}-${i}`;
        eventOf.set(id, event);
        return `{"id":"${id}","event":"${event}","noise":"${crypto.randomUUID()}${crypto.randomUUID()}"}\n`;
      });
      await spool.append(enc.encode(lines.join("")), lines.length);
      await spool.sealNow();
    }
    return { spool, eventOf };
  }

  /** Each id that landed, with the partition levels of the objects holding it (one, if it landed once). */
  const partitionsOf = (store: MemoryStore) => {
    const out = new Map<string, string[]>();
    for (const [key, o] of store.objects) {
      for (const line of dec.decode(zstdDecompressSync(o.body)).split("\n").filter(Boolean)) {
        const id = (JSON.parse(line) as { id: string }).id;
        out.set(id, [...(out.get(id) ?? []), key.split("/")[1]!]);
      }
    }
    return out;
  };

  /** Every id landed once, in `expected(its event)`; nothing is left in the spool. */
  function expectLandedOnce(store: MemoryStore, dir: string, eventOf: Map<string, string>, expected = (event: string) => `event=${event}`) {
    const landed = partitionsOf(store);
    expect(landed.size).toBe(eventOf.size);
    for (const [id, event] of eventOf) expect([id, landed.get(id)]).toEqual([id, [expected(event)]]);
    expect(leftInSpool(dir)).toEqual([]);
  }

  const cycle = (n: number, values: string[]) => Array.from({ length: n }, (_, i) => values[i % values.length]!);
  /** Six segments of 60 payloads, their events taking `values` in turn. */
  const sixSegments = (values: string[]) => Array.from({ length: 6 }, () => cycle(60, values));

  it("crash after every partition's object is recorded, before Complete answers: the next start writes exactly those shares again under the same keys", async () => {
    using dir = tempDir("spool-shares-");
    const store = new MemoryStore(PART);
    const { spool, eventOf } = await fillSegments(dir.path, "a", sixSegments(["x", "y", "z"]));
    const complete = store.multipart.complete;
    store.multipart.complete = () => new Promise(() => {}); // never answers: the process dies waiting
    const first = uploader(spool, store, 60_000, partitioned(10));
    first.start();
    await spool.close();
    const sealed = () =>
      files(dir.path, ".object").map(
        (f) => JSON.parse(readFileSync(join(dir.path, f), "utf8")) as { base: string; partition: string; segments: number[] | null },
      );
    await waitUntil(() => sealed().filter((r) => r.segments?.length === 6).length === 3, "each partition's object recorded with its 6 shares");
    const bases = sealed()
      .map((r) => r.base)
      .sort();
    expect(
      sealed()
        .map((r) => r.partition)
        .sort(),
    ).toEqual(["event=x", "event=y", "event=z"]);
    expect(files(dir.path, ".routes")).toHaveLength(6);
    first.stop(); // the crash

    store.multipart.complete = complete;
    await restart(dir.path, store, partitioned(10));
    expect([...store.objects.keys()].sort()).toEqual(bases.map((b) => `${b}.ndjson.zst`));
    expectLandedOnce(store, dir.path, eventOf);
    expect(store.uploads.size).toBe(0); // the first process's uploads aborted
  });

  it("crash once one partition's object is written and its only segment removed, another's still pending: the written shares are skipped, and the recorded overflow routing is kept", async () => {
    using dir = tempDir("spool-shares-");
    const store = new MemoryStore(1 << 20); // single PUTs
    // Segment 0 is all "a"; segment 1 is "b" and "a". With one partition open at most, "b" goes to
    // the overflow. Read alone after a crash, segment 1 would give "b" its own partition if its
    // routing were decided again.
    const { spool, eventOf } = await fillSegments(dir.path, "b", [cycle(20, ["a"]), cycle(20, ["b", "a"])]);
    const put = store.put.bind(store);
    store.put = (key, body, options) => (key.includes("__other__") ? new Promise(() => {}) : put(key, body, options));
    // One loop: with two, which segment is admitted first is a race, and "a" could be the overflow.
    const first = uploader(spool, store, 60_000, { ...partitioned(1), loops: 1 });
    first.start();
    await spool.close();
    await waitUntil(
      () => files(dir.path, ".seg").length === 1 && files(dir.path, ".written").length === 1,
      "the a object written, segment 0 removed",
    );
    // The a object's record stays, saying its share of segment 1 is written, until segment 1 goes.
    expect([...store.objects.keys()]).toHaveLength(1);
    first.stop(); // the crash

    store.put = put;
    const before = store.calls.filter((c) => c.startsWith("put ")).length;
    await restart(dir.path, store, partitioned(1));
    expect(store.calls.filter((c) => c.startsWith("put ")).length).toBe(before + 1); // the overflow's share only
    expectLandedOnce(store, dir.path, eventOf, (event) => (event === "a" ? "event=a" : "event=__other__"));
  });

  it("crash with the partitions' objects open, parts uploaded: the shares go into new objects, and the uploads are aborted", async () => {
    using dir = tempDir("spool-shares-");
    const store = new MemoryStore(PART);
    const { spool, eventOf } = await fillSegments(dir.path, "c", sixSegments(["x", "y"]));
    const first = uploader(spool, store, 60_000, partitioned(10)); // the spool stays open: so do the objects
    first.start();
    await waitUntil(
      () => store.calls.filter((c) => c.startsWith("part ")).length >= 2 && spool.sealedWaiting === 0,
      "parts uploaded, every segment taken",
    );
    await waitUntil(() => files(dir.path, ".object").length === 2, "both uploads recorded");
    first.stop();
    expect(store.objects.size).toBe(0);

    await restart(dir.path, store, partitioned(10));
    expectLandedOnce(store, dir.path, eventOf);
    expect(store.uploads.size).toBe(0);
  });

  it("crash after Complete, while the segments are being removed: nothing is written again", async () => {
    using dir = tempDir("spool-shares-");
    const store = new MemoryStore(PART);
    const { spool, eventOf } = await fillSegments(dir.path, "d", sixSegments(["x", "y"]));
    const first = uploader(spool, store, 60_000, partitioned(10));
    const remove = spool.remove.bind(spool);
    let removed = 0;
    spool.remove = async (segment) => {
      if (removed++ === 2) {
        first.stop(); // the crash: two segments gone, four left, both objects written
        return new Promise(() => {});
      }
      return remove(segment);
    };
    first.start();
    await spool.close();
    await waitUntil(() => removed === 3, "two segments removed");
    expect(store.objects.size).toBe(2);
    const calls = store.calls.length;

    await restart(dir.path, store, partitioned(10));
    expect(store.calls.length).toBe(calls);
    expectLandedOnce(store, dir.path, eventOf);
  });
});
