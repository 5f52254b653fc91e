// The objects being built from spool segments (disk mode), recorded in SPOOL_DIR so that a crash
// neither loses a payload nor writes one twice. Every such object, one of a single segment
// included, has a record file `{first segment}-{random}.object`, replaced atomically:
//   1. when its multipart upload is created: the upload, so that the next start can abort it;
//   2. before its final PUT or Complete: exactly the segments it holds (sealing);
//   3. once it is written: completed (a rename to `.written`, which needs no free space), before
//      any of its segments is removed. The record goes once they are gone.
// A full disk must not stop segments from leaving: a reserve file of RESERVE_BYTES is given up
// when a record cannot be written for want of space, and made again once there is room.
// The next start reads the records (recover): completed, the segments left are removed; sealing,
// exactly those segments are written again under the same key, which overwrites the object if it
// was written; only started, the segments flow into new objects like any others. With
// PARTITION_BY an object holds one partition's share of each of its segments: its record names
// the partition, a completed one marks those shares written (skipped when the segment is read
// again), a sealing one has exactly those shares written again. Every upload a
// record names that did not become the object is aborted, and the record is deleted once none is left.
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import { syncDir, writeDurably } from "./directory.ts";

/** A multipart upload in the store. */
export interface UploadRef {
  key: string;
  uploadId: string;
}

/** One object's record. Opaque outside this module: pass it back to the journal's methods. */
export interface ObjectRecord {
  readonly id: string;
  /** The object's key without its extension (fixed by its first segment). */
  readonly base: string;
  /** PARTITION_BY: the partition whose share of each segment the object holds; "" for whole segments. */
  readonly partition: string;
  /** The multipart upload that is to become the object. */
  upload: UploadRef | null;
  /** Uploads that will never be the object: to abort. */
  stale: UploadRef[];
  /** Set before the final PUT or Complete: the sequence numbers of exactly the segments it holds. */
  segments: number[] | null;
  completed: boolean;
  /** Whether the record is on disk. */
  saved: boolean;
}

/** An object an earlier process was completing: written again from exactly its segments, under its base key. */
export interface RecoveredObject {
  record: ObjectRecord;
  /** How many of its segments there are: the object is complete once all are in. */
  batches: number;
}

/** What the records of an earlier process ask of the next start. */
export interface RecoveredObjects {
  /** Shares of segments whose object is written, never to upload again: the partitions of each, "" for the whole segment. */
  written: Map<number, Set<string>>;
  /** Objects to write again from exactly these segments, under their base key. */
  rewrite: { record: ObjectRecord; segments: number[] }[];
}

const RECORD = /^(\d{12}-[0-9a-f]{8})\.(object|written)$/;
const fileOf = (dir: string, record: ObjectRecord) => join(dir, `${record.id}.${record.completed ? "written" : "object"}`);
/** Room kept for records on a disk that segments filled: a record is a few KiB at most. */
const RESERVE_BYTES = 64 * 1024;
const RESERVE = "object-records.reserve";
const outOfSpace = (err: unknown) => ["ENOSPC", "EDQUOT"].includes((err as NodeJS.ErrnoException).code ?? "");

/**
 * @example
 * const records = new ObjectRecords(dir);
 * const record = records.open("events/dt=2026-11-27/hr=03/1795748000000-3f2a9c1d00e1b2c4-7", 7);
 * await records.started(record, { key, uploadId });
 * await records.sealing(record, [7, 8, 9]);   // then Complete
 * await records.completed(record);            // then remove segments 7, 8, 9
 * await records.finished(record);
 */
export class ObjectRecords {
  /** Records on disk, or about to be. */
  private readonly live = new Set<ObjectRecord>();
  private readonly writes = new Map<ObjectRecord, Promise<void>>();
  private readonly roomListeners: (() => void)[] = [];

  constructor(private readonly dir: string) {
    this.reserve();
  }

  /** Makes the reserve file, if there is room for it. */
  private reserve(): void {
    try {
      writeFileSync(join(this.dir, RESERVE), new Uint8Array(RESERVE_BYTES), { flag: "wx" });
    } catch {
      // there already, or no room yet
    }
  }

  /**
   * Reads what an earlier process recorded (start-up, before the segments are queued). Writes
   * nothing: the spool removes the `written` segments, then calls settle().
   */
  recover(): RecoveredObjects {
    const written = new Map<number, Set<string>>();
    const rewrite: RecoveredObjects["rewrite"] = [];
    for (const file of readdirSync(this.dir)) {
      if (file.endsWith(".tmp")) unlinkSync(join(this.dir, file)); // torn before its rename: it never took effect
      const m = RECORD.exec(file);
      if (!m) continue;
      const saved: Omit<ObjectRecord, "id" | "saved" | "completed" | "partition"> & { partition?: string } = JSON.parse(
        readFileSync(join(this.dir, file), "utf8"),
      );
      const record: ObjectRecord = { ...saved, partition: saved.partition ?? "", id: m[1]!, completed: m[2] === "written", saved: true };
      if (!record.completed && record.upload) {
        // Not the object: it is written again from its segments, or they go into new objects.
        record.stale.push(record.upload);
        record.upload = null;
      }
      this.live.add(record);
      if (record.completed) {
        for (const seq of record.segments ?? []) written.set(seq, (written.get(seq) ?? new Set()).add(record.partition));
      } else if (record.segments?.length) rewrite.push({ record, segments: record.segments });
    }
    return { written, rewrite };
  }

  /** After the spool removed the `written` segments: records that hold no segment now are kept only for their uploads to abort. */
  settle(): void {
    for (const record of this.live) {
      if (!record.completed && record.segments?.length) continue; // to be written again
      record.segments = [];
      if (record.stale.length === 0) {
        unlinkSync(fileOf(this.dir, record));
        this.live.delete(record);
      }
    }
    syncDir(this.dir);
  }

  /** A new object's record, in memory until it is needed on disk; `partition` for an object of segments' shares. */
  open(base: string, firstSegment: number, partition = ""): ObjectRecord {
    const id = `${String(firstSegment).padStart(12, "0")}-${randomBytes(4).toString("hex")}`;
    return { id, base, partition, upload: null, stale: [], segments: null, completed: false, saved: false };
  }

  /** The object's multipart upload was created. */
  started(record: ObjectRecord, upload: UploadRef): Promise<void> {
    record.upload = upload;
    return this.save(record);
  }

  /** The object will be these segments: call before the final PUT or Complete. */
  sealing(record: ObjectRecord, segments: readonly number[]): Promise<void> {
    record.segments = [...segments];
    return this.save(record);
  }

  /** The object is written: call before removing any of its segments. */
  async completed(record: ObjectRecord): Promise<void> {
    if (!record.saved) return;
    await this.writes.get(record);
    const from = fileOf(this.dir, record);
    record.completed = true;
    await rename(from, fileOf(this.dir, record));
    syncDir(this.dir);
  }

  /** The object's segments are removed: the record goes, unless uploads are left to abort. */
  async finished(record: ObjectRecord): Promise<void> {
    record.segments = [];
    await this.saveOrDelete(record);
    this.reserve();
  }

  /** Tells `listener` when the spool runs out of disk: objects holding segments should be completed, so those can go. */
  onRoomWanted(listener: () => void): void {
    this.roomListeners.push(listener);
  }

  /** The spool could not write for want of space. */
  wantRoom(): void {
    for (const listener of this.roomListeners) listener();
  }

  /** Uploads that earlier processes left and that will never be objects. */
  get stale(): { record: ObjectRecord; upload: UploadRef }[] {
    return [...this.live].flatMap((record) => record.stale.map((upload) => ({ record, upload })));
  }

  /** An upload of `stale` is aborted. */
  async aborted(record: ObjectRecord, upload: UploadRef): Promise<void> {
    record.stale = record.stale.filter((u) => u.uploadId !== upload.uploadId);
    await this.saveOrDelete(record);
  }

  /** A record goes once it holds no segment (its object is finished) and names no upload to abort. */
  private saveOrDelete(record: ObjectRecord): Promise<void> {
    return record.stale.length === 0 && record.segments?.length === 0 ? this.delete(record) : this.save(record);
  }

  /**
   * Writes the record's current state, after any write of it already under way, whether that one
   * succeeded or not: a failed write is its caller's to retry, and must not fail the ones after it.
   */
  private save(record: ObjectRecord): Promise<void> {
    const next = (this.writes.get(record) ?? Promise.resolve()).catch(() => {}).then(() => this.write(record));
    this.writes.set(record, next);
    return next;
  }

  private async write(record: ObjectRecord): Promise<void> {
    try {
      await this.writeFile(record);
    } catch (err) {
      if (!outOfSpace(err)) throw err;
      unlinkSync(join(this.dir, RESERVE)); // throws ENOENT once the reserve is spent: the caller retries
      await this.writeFile(record);
    }
  }

  private async writeFile(record: ObjectRecord): Promise<void> {
    const { upload, stale, segments, base, partition } = record;
    await writeDurably(fileOf(this.dir, record), JSON.stringify({ base, upload, stale, segments, ...(partition && { partition }) }));
    record.saved = true;
    this.live.add(record);
  }

  private async delete(record: ObjectRecord): Promise<void> {
    await this.writes.get(record)?.catch(() => {}); // the file goes whatever that write did
    this.writes.delete(record);
    this.live.delete(record);
    if (!record.saved) return;
    await unlink(fileOf(this.dir, record)).catch((err) => {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    });
    syncDir(this.dir);
    record.saved = false;
  }
}
