// The records of objects built from spool segments, against a real directory: what each step
// leaves on disk, what the next start reads back from it, and what a failed write does.
import { describe, expect, it } from "bun:test";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type ObjectRecord, ObjectRecords } from "../../src/spool/object-records.ts";
import { tempDir as makeTempDir } from "../support/temp-dir.ts";
import { canMountTmpfs, noTmpfs } from "../support/tmpfs.ts";

const tempDir = () => makeTempDir("object-records-");
const RESERVE = "object-records.reserve";
const upload = (n: number) => ({ key: `t/obj-${n}.ndjson.zst`, uploadId: `upload-${n}` });
/** The record files in `dir`, the reserve and anything else left out. */
const recordFiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => /\.(object|written)$/.test(f))
    .sort();
const saved = (dir: string, record: ObjectRecord) =>
  JSON.parse(readFileSync(join(dir, `${record.id}.${record.completed ? "written" : "object"}`), "utf8"));

describe("ObjectRecords", () => {
  it("names a record after its first segment, and writes nothing until it is needed on disk", () => {
    using dir = tempDir();
    const records = new ObjectRecords(dir.path);
    const record = records.open("t/dt=2026-11-27/base-7", 7);
    expect(record.id).toMatch(/^000000000007-[0-9a-f]{8}$/);
    expect(record).toMatchObject({
      base: "t/dt=2026-11-27/base-7",
      partition: "",
      upload: null,
      stale: [],
      segments: null,
      completed: false,
      saved: false,
    });
    expect(records.open("b", 7).id).not.toBe(record.id); // two objects may start at the same segment
    expect(recordFiles(dir.path)).toEqual([]);
  });

  it("keeps a reserve file of 64 KiB, made once", () => {
    using dir = tempDir();
    new ObjectRecords(dir.path);
    expect(statSync(join(dir.path, RESERVE)).size).toBe(64 * 1024);
    writeFileSync(join(dir.path, RESERVE), "mine");
    new ObjectRecords(dir.path); // a second start leaves it as it is
    expect(readFileSync(join(dir.path, RESERVE), "utf8")).toBe("mine");
  });

  it("records the upload when started, the segments when sealing, renames the record when completed, and removes it when finished", async () => {
    using dir = tempDir();
    const records = new ObjectRecords(dir.path);
    const record = records.open("t/base-7", 7);
    await records.started(record, upload(1));
    expect(recordFiles(dir.path)).toEqual([`${record.id}.object`]);
    expect(saved(dir.path, record)).toEqual({ base: "t/base-7", upload: upload(1), stale: [], segments: null });
    await records.sealing(record, [7, 8, 9]);
    expect(saved(dir.path, record)).toEqual({ base: "t/base-7", upload: upload(1), stale: [], segments: [7, 8, 9] });
    await records.completed(record);
    expect(recordFiles(dir.path)).toEqual([`${record.id}.written`]);
    expect(saved(dir.path, record).segments).toEqual([7, 8, 9]);
    await records.finished(record);
    expect(recordFiles(dir.path)).toEqual([]);
    expect(readdirSync(dir.path).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("names the partition in the record of an object of segments' shares", async () => {
    using dir = tempDir();
    const records = new ObjectRecords(dir.path);
    const record = records.open("t/event=a/base-3", 3, "event=a");
    await records.sealing(record, [3, 4]);
    expect(saved(dir.path, record)).toEqual({ base: "t/event=a/base-3", upload: null, stale: [], segments: [3, 4], partition: "event=a" });
  });

  it("writes a record's states one after the other, the last asked for last, even when not awaited one by one", async () => {
    using dir = tempDir();
    const records = new ObjectRecords(dir.path);
    const record = records.open("t/base-1", 1);
    await Promise.all([records.started(record, upload(1)), records.sealing(record, [1, 2])]);
    expect(saved(dir.path, record)).toEqual({ base: "t/base-1", upload: upload(1), stale: [], segments: [1, 2] });
    const sealing = records.sealing(record, [1, 2, 3]);
    await records.completed(record); // after the write under way
    await sealing;
    expect(recordFiles(dir.path)).toEqual([`${record.id}.written`]);
    expect(saved(dir.path, record).segments).toEqual([1, 2, 3]);
  });

  it("completes and finishes an object whose record never reached the disk without writing one", async () => {
    using dir = tempDir();
    const records = new ObjectRecords(dir.path);
    const record = records.open("t/base-1", 1);
    await records.completed(record);
    await records.finished(record);
    expect(recordFiles(dir.path)).toEqual([]);
  });

  describe("after a restart", () => {
    /** Records as an earlier process left them: one written, one sealing, one only started, one of a share written; and a torn write. */
    async function leftByAnEarlierProcess(dir: string) {
      const earlier = new ObjectRecords(dir);
      const written = earlier.open("t/base-1", 1);
      await earlier.sealing(written, [1, 2]);
      await earlier.completed(written);
      const sealing = earlier.open("t/base-3", 3);
      await earlier.started(sealing, upload(3));
      await earlier.sealing(sealing, [3, 4]);
      const started = earlier.open("t/base-5", 5);
      await earlier.started(started, upload(5));
      const share = earlier.open("t/event=a/base-2", 2, "event=a");
      await earlier.sealing(share, [2]);
      await earlier.completed(share);
      writeFileSync(join(dir, `${sealing.id}.object.tmp`), '{"torn'); // killed before its rename
      writeFileSync(join(dir, "000000000009-1795748000000.seg"), ""); // not a record: left alone
      return { written, sealing, started, share };
    }

    it("reads the segments of written objects and shares, the objects to write again, and the uploads to abort", async () => {
      using dir = tempDir();
      const left = await leftByAnEarlierProcess(dir.path);
      const records = new ObjectRecords(dir.path);
      const { written, rewrite } = records.recover();
      expect(written).toEqual(
        new Map([
          [1, new Set([""])],
          [2, new Set(["", "event=a"])],
        ]),
      );
      // The sealing object is written again from exactly its segments, under its base key; the
      // upload it had will never be the object: it is to abort.
      expect(rewrite).toHaveLength(1);
      expect(rewrite[0]!.segments).toEqual([3, 4]);
      expect(rewrite[0]!.record).toMatchObject({
        id: left.sealing.id,
        base: "t/base-3",
        upload: null,
        stale: [upload(3)],
        saved: true,
        completed: false,
      });
      expect(readdirSync(dir.path).filter((f) => f.endsWith(".tmp"))).toEqual([]);
      expect(readdirSync(dir.path)).toContain("000000000009-1795748000000.seg");
    });

    it("settles: removes the records that hold no segment and name no upload, keeps those with an upload to abort and those to write again", async () => {
      using dir = tempDir();
      const left = await leftByAnEarlierProcess(dir.path);
      const records = new ObjectRecords(dir.path);
      records.recover();
      records.settle();
      expect(recordFiles(dir.path)).toEqual([`${left.sealing.id}.object`, `${left.started.id}.object`].sort());
      const stale = records.stale.map(({ record, upload }) => `${record.id} ${upload.uploadId}`).sort(); // in the directory's order
      expect(stale).toEqual([`${left.sealing.id} upload-3`, `${left.started.id} upload-5`].sort());
    });

    it("removes a record once its last upload to abort is aborted and it holds no segment", async () => {
      using dir = tempDir();
      const left = await leftByAnEarlierProcess(dir.path);
      const records = new ObjectRecords(dir.path);
      records.recover();
      records.settle();
      const [started] = records.stale.filter(({ record }) => record.id === left.started.id);
      await records.aborted(started!.record, started!.upload);
      expect(recordFiles(dir.path)).toEqual([`${left.sealing.id}.object`]);
      // The one to write again keeps its record until it is finished, whatever is aborted.
      const [sealing] = records.stale;
      await records.aborted(sealing!.record, sealing!.upload);
      expect(saved(dir.path, sealing!.record)).toMatchObject({ stale: [], segments: [3, 4] });
      expect(records.stale).toEqual([]);
    });

    it("finishes a record with an upload still to abort by keeping it, holding no segment", async () => {
      using dir = tempDir();
      const left = await leftByAnEarlierProcess(dir.path);
      const records = new ObjectRecords(dir.path);
      const { rewrite } = records.recover();
      records.settle();
      await records.finished(rewrite[0]!.record); // its segments written again and removed, its old upload not yet aborted
      expect(saved(dir.path, rewrite[0]!.record)).toEqual({ base: "t/base-3", upload: null, stale: [upload(3)], segments: [] });
      expect(recordFiles(dir.path)).toEqual([`${left.sealing.id}.object`, `${left.started.id}.object`].sort());
    });
  });

  describe("when a write fails", () => {
    it("rejects the step, and writes the record again on the next try once the cause is gone", async () => {
      using dir = tempDir();
      const records = new ObjectRecords(dir.path);
      const record = records.open("t/base-1", 1);
      mkdirSync(join(dir.path, `${record.id}.object.tmp`)); // the record's tmp file cannot be opened for writing
      await expect(records.started(record, upload(1))).rejects.toMatchObject({ code: "EISDIR" });
      expect(recordFiles(dir.path)).toEqual([]);
      rmSync(join(dir.path, `${record.id}.object.tmp`), { recursive: true });
      await records.sealing(record, [1]);
      expect(saved(dir.path, record)).toEqual({ base: "t/base-1", upload: upload(1), stale: [], segments: [1] });
      await records.completed(record);
      await records.finished(record);
      expect(recordFiles(dir.path)).toEqual([]);
    });

    it("removes a record when its object is finished, even when its last write failed", async () => {
      using dir = tempDir();
      const records = new ObjectRecords(dir.path);
      const record = records.open("t/base-1", 1);
      await records.sealing(record, [1]);
      mkdirSync(join(dir.path, `${record.id}.object.tmp`));
      await expect(records.sealing(record, [1])).rejects.toMatchObject({ code: "EISDIR" });
      await records.finished(record);
      expect(recordFiles(dir.path)).toEqual([]);
    });

    it("tells the listeners when the spool wants room", () => {
      using dir = tempDir();
      const records = new ObjectRecords(dir.path);
      let told = 0;
      records.onRoomWanted(() => told++);
      records.onRoomWanted(() => told++);
      records.wantRoom();
      expect(told).toBe(2);
    });

    // A real full disk needs a small tmpfs, which needs mount(8) rights.
    it.skipIf(!canMountTmpfs)(
      `gives up its reserve to write a record on a full disk, fails the next one, and makes the reserve again once there is room${noTmpfs}`,
      async () => {
        using dir = tempDir();
        expect(Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", dir.path]).exitCode).toBe(0);
        try {
          const records = new ObjectRecords(dir.path);
          expect(readdirSync(dir.path)).toContain(RESERVE);
          // Fill what the reserve left, block by block, until the disk refuses.
          const filler = join(dir.path, "filler");
          for (let n = 0; ; n++) {
            try {
              writeFileSync(filler + n, new Uint8Array(4096));
            } catch (err) {
              expect((err as NodeJS.ErrnoException).code).toBe("ENOSPC");
              rmSync(filler + n, { force: true });
              break;
            }
          }
          const first = records.open("t/base-1", 1);
          await records.sealing(first, [1]); // the reserve goes so that this record can be written
          expect(readdirSync(dir.path)).not.toContain(RESERVE);
          expect(saved(dir.path, first).segments).toEqual([1]);
          // The record was saved with space the reserve freed; the disk is full again.
          for (let n = 0; ; n++) {
            try {
              writeFileSync(`${filler}-again-${n}`, new Uint8Array(4096));
            } catch {
              rmSync(`${filler}-again-${n}`, { force: true });
              break;
            }
          }
          const second = records.open("t/base-2", 2);
          await expect(records.sealing(second, [2])).rejects.toMatchObject({ code: "ENOENT" }); // no reserve left to give up: the caller retries
          // Segments leave (here: the filler), and a finished record makes the reserve again.
          for (const f of readdirSync(dir.path).filter((name) => name.startsWith("filler"))) rmSync(join(dir.path, f));
          await records.completed(first);
          await records.finished(first);
          expect(statSync(join(dir.path, RESERVE)).size).toBe(64 * 1024);
          await records.sealing(second, [2]);
          expect(saved(dir.path, second).segments).toEqual([2]);
        } finally {
          Bun.spawnSync(["umount", "-l", dir.path]);
        }
      },
    );
  });
});
