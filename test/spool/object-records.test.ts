// The records of objects built from spool segments, against a real directory: what a failed write does.
import { describe, expect, it } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ObjectRecord, ObjectRecords } from "../../src/spool/object-records.ts";
import { tempDir as makeTempDir } from "../support/temp-dir.ts";

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

/** Whether this machine lets the tests mount a tmpfs (the full-disk cases). */
const canMountTmpfs = (() => {
  const dir = mkdtempSync(join(tmpdir(), "mount-probe-"));
  try {
    if (Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir]).exitCode !== 0) return false;
    Bun.spawnSync(["umount", dir]);
    return true;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
})();

describe("ObjectRecords", () => {
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
      `gives up its reserve to write a record on a full disk, fails the next one, and makes the reserve again once there is room${canMountTmpfs ? "" : " (skipped: this machine does not let the tests mount a tmpfs)"}`,
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
