// The disk spool: append-only segment files in SPOOL_DIR. In disk mode every collection is
// appended and fsync'd before its 200 (group commit: one fsync covers every collection that
// arrived while the previous one ran). A segment is sealed when it holds a batch's worth or is
// BATCH_MAX_WAIT_MS old, goes into an object (or, with PARTITION_BY, each partition's share of it
// into that partition's object), and is deleted once those objects are written. An object's key
// comes from its first segment's identity (spool id, sequence, creation time), so uploading it
// again after a crash overwrites the same object instead of adding a duplicate. The directory's
// lock and id are in directory.ts, what an earlier process left in recovery.ts, the on-disk frame
// format in frame.ts, the records of objects in object-records.ts; with PARTITION_BY, where a
// segment's payloads went is in a `.routes` file beside it (recordRoutes).
import { unlinkSync } from "node:fs";
import { open as openFile, rename, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { openSpoolDirectory, syncDir, writeDurably } from "./directory.ts";
import { FRAME_HEADER_BYTES, frameHeader } from "./frame.ts";
import { ObjectRecords } from "./object-records.ts";
import { recoverSegments, routesName, type Segment, segmentName } from "./recovery.ts";

export type { Segment } from "./recovery.ts";

/** The open segment's file: what the spool writes through, so tests can make writes fail. */
export interface SegmentFile {
  writev(buffers: Uint8Array[]): Promise<{ bytesWritten: number }>;
  datasync(): Promise<void>;
  close(): Promise<void>;
}

export interface SpoolOptions {
  dir: string;
  maxBytes: number;
  /** A segment is sealed once its file reaches this many bytes (frame headers included) or payloads... */
  segmentMaxBytes: number;
  segmentMaxPayloads: number;
  /** ...or this long after its first record. */
  segmentMaxAgeMs: number;
  /** @default Date.now */
  now?: () => number;
  /** Told the spool's size whenever it changes (published for the HTTP thread and /metrics). @default none */
  onChange?: (size: SpoolSize) => void;
  /** Creates a new segment file. @default node:fs, exclusive create */
  createFile?: (path: string) => Promise<SegmentFile>;
}

export interface SpoolSize {
  bytes: number;
  /** Segments on disk whose object is not written yet. */
  segments: number;
  /** Of those, sealed ones no upload loop has taken yet. */
  sealed: number;
  /** Payloads in those segments (and in frames waiting for their fsync). */
  payloads: number;
}

export class SpoolFullError extends Error {
  override name = "SpoolFullError";
}
export class SpoolWriteError extends Error {
  override name = "SpoolWriteError";
}

interface Pending {
  /** Each frame as two parts: its header, then its NDJSON. */
  frames: Uint8Array[];
  bytes: number;
  payloads: number;
  waiters: { resolve: () => void; reject: (err: Error) => void }[];
}

interface OpenSegment extends Segment {
  file: SegmentFile;
  timer: ReturnType<typeof setTimeout>;
}

const createForAppend = (path: string): Promise<SegmentFile> => openFile(path, "wx");
const emptyPending = (): Pending => ({ frames: [], bytes: 0, payloads: 0, waiters: [] });

/**
 * The segments of one spool directory, oldest first: appends to the open one, with group commit;
 * seals it by size, payload count or age; hands sealed ones to upload loops; removes each once
 * its object is written.
 *
 * @example
 * const spool = new Spool({ dir: "./spool", maxBytes: 1 << 30, segmentMaxBytes: 2 << 20, segmentMaxPayloads: 20_000, segmentMaxAgeMs: 3_000 });
 * await spool.append(ndjson, payloads); // on disk and fsync'd
 */
export class Spool {
  /** Persisted: names the objects of this spool's segments, across restarts. */
  readonly instanceId: string;
  /** The objects being built from its segments. */
  readonly records: ObjectRecords;
  private readonly sealed: Segment[] = [];
  private current: OpenSegment | null = null;
  private pending = emptyPending();
  private flushing: Promise<void> | null = null;
  private sealRequested = false;
  private nextSeq = 0;
  private usedBytes = 0;
  private payloads = 0;
  private taken = 0;
  private closed = false;
  private consumers: (() => void)[] = [];
  private readonly now: () => number;
  /** Records an earlier process left whose segments are all gone, being finished: close() waits for them. */
  private finishing: Promise<void> = Promise.resolve();

  /** Opens (or creates) the spool directory; segments an earlier process left are sealed and queued. */
  constructor(private readonly options: SpoolOptions) {
    this.now = options.now ?? Date.now;
    this.instanceId = openSpoolDirectory(options.dir).instanceId;
    const { segments, nextSeq } = recoverSegments(options.dir);
    this.nextSeq = nextSeq;
    this.records = new ObjectRecords(options.dir);
    for (const s of this.recoverObjects(segments)) {
      this.sealed.push(s);
      this.usedBytes += s.bytes;
      this.payloads += s.payloads;
    }
    this.changed();
  }

  /**
   * Applies what an earlier process recorded of its objects: segments of a written object are
   * removed (with PARTITION_BY, once every share of them is written; else the written shares are
   * marked, to be skipped); those of an object it was completing come first, marked with that
   * object, to be written again exactly; the rest follow, oldest first.
   */
  private recoverObjects(segments: Segment[]): Segment[] {
    const { written, rewrite } = this.records.recover();
    const left = new Map(segments.map((s) => [s.seq, s]));
    for (const [seq, partitions] of written) {
      const segment = left.get(seq);
      if (!segment) continue;
      if (partitions.has("") || segment.routes?.every((p) => partitions.has(p))) {
        unlinkSync(segment.path);
        if (segment.routes) unlinkSync(join(this.options.dir, routesName(seq)));
        left.delete(seq);
      } else {
        segment.shares = { written: partitions, objects: new Map() };
      }
    }
    syncDir(this.options.dir);
    this.records.settle();
    const first = new Set<Segment>();
    const finishing: Promise<void>[] = [];
    for (const { record, segments } of rewrite) {
      const held = segments.flatMap((seq) => left.get(seq) ?? []);
      const object = { record, batches: held.length };
      for (const s of held) {
        if (record.partition) {
          s.shares ??= { written: new Set(), objects: new Map() };
          s.shares.objects.set(record.partition, object);
        } else {
          s.object = object;
        }
        first.add(s);
      }
      if (held.length === 0) finishing.push(this.records.finished(record));
    }
    // A record that cannot be removed now stays: the next start finds it without segments again.
    this.finishing = Promise.allSettled(finishing).then(() => {});
    return [...first, ...[...left.values()].filter((s) => !first.has(s))];
  }

  private changed(): void {
    this.options.onChange?.({ bytes: this.usedBytes, segments: this.segments, sealed: this.sealed.length, payloads: this.payloads });
  }

  /** Bytes of every segment on disk, plus frames waiting for their fsync. */
  get bytes(): number {
    return this.usedBytes;
  }

  /** Segments on disk whose object is not written yet: the open one, sealed ones, ones being uploaded. */
  get segments(): number {
    return this.sealed.length + (this.current ? 1 : 0) + this.taken;
  }

  /** Sealed segments no upload loop has taken yet. */
  get sealedWaiting(): number {
    return this.sealed.length;
  }

  /** Whether a collection of `ndjsonBytes` would fit under SPOOL_MAX_BYTES now. */
  fits(ndjsonBytes: number): boolean {
    return this.usedBytes + ndjsonBytes + FRAME_HEADER_BYTES <= this.options.maxBytes;
  }

  /**
   * Resolves once the payloads are on disk and fsync'd; rejects with SpoolFullError or
   * SpoolWriteError. `ndjson` is written as it is, not copied: leave it unchanged until this
   * settles. With `enforceLimit` false the caller has checked SPOOL_MAX_BYTES already (disk mode
   * checks it before a collection is queued).
   */
  append(ndjson: Uint8Array, payloads: number, enforceLimit = true): Promise<void> {
    if (this.closed) return Promise.reject(new SpoolWriteError("the spool is closed"));
    if (enforceLimit && !this.fits(ndjson.length)) {
      return Promise.reject(new SpoolFullError(`the spool holds ${this.usedBytes} bytes of SPOOL_MAX_BYTES ${this.options.maxBytes}`));
    }
    const frameBytes = FRAME_HEADER_BYTES + ndjson.length;
    this.usedBytes += frameBytes;
    this.payloads += payloads;
    this.changed();
    const p = this.pending;
    p.frames.push(frameHeader(ndjson, payloads), ndjson);
    p.bytes += frameBytes;
    p.payloads += payloads;
    const done = new Promise<void>((resolve, reject) => p.waiters.push({ resolve, reject }));
    this.flushing ??= this.flushLoop();
    return done;
  }

  private async flushLoop(): Promise<void> {
    while (this.pending.frames.length > 0 || this.sealRequested) {
      const group = this.pending;
      this.pending = emptyPending();
      if (group.frames.length > 0) {
        try {
          const segment = this.current ?? (await this.openSegment());
          // A full disk can end a write short without an error: that is a failure too, and the
          // frame it tore is dropped by the reader's checksum.
          const { bytesWritten } = await segment.file.writev(group.frames);
          if (bytesWritten !== group.bytes) throw new Error(`short write: ${bytesWritten} of ${group.bytes} bytes (disk full?)`);
          await segment.file.datasync();
          segment.bytes += group.bytes;
          segment.payloads += group.payloads;
          for (const w of group.waiters) w.resolve();
          if (this.openSegmentRoom === 0 || segment.payloads >= this.options.segmentMaxPayloads) this.sealRequested = true;
        } catch (err) {
          // After a failed write or fsync the file's tail is unknown: seal it as it is (the reader's
          // checksums drop a torn tail) and start a new segment for the next collections.
          const error = new SpoolWriteError(`writing the spool failed: ${(err as Error).message}`, { cause: err });
          this.records.wantRoom();
          for (const w of group.waiters) w.reject(error);
          this.usedBytes -= group.bytes;
          this.payloads -= group.payloads;
          this.changed();
          await this.sealCurrent().catch(() => {});
          continue;
        }
      }
      if (this.sealRequested) {
        this.sealRequested = false;
        await this.sealCurrent().catch(() => {});
      }
    }
    this.flushing = null;
  }

  private async openSegment(): Promise<OpenSegment> {
    const seq = this.nextSeq++;
    const createdMs = this.now();
    const path = join(this.options.dir, segmentName(seq, createdMs, "open"));
    const file = await (this.options.createFile ?? createForAppend)(path);
    syncDir(this.options.dir); // the new file's name must survive a power loss as well as its data
    const timer = setTimeout(() => this.requestSeal(), this.options.segmentMaxAgeMs);
    timer.unref?.();
    this.current = { seq, createdMs, path, bytes: 0, file, payloads: 0, timer };
    this.changed();
    return this.current;
  }

  private requestSeal(): void {
    if (!this.current) return;
    this.sealRequested = true;
    this.flushing ??= this.flushLoop();
  }

  private async sealCurrent(): Promise<void> {
    const segment = this.current;
    if (!segment) return;
    this.current = null;
    clearTimeout(segment.timer);
    await segment.file.close().catch(() => {});
    const { size } = await stat(segment.path);
    this.usedBytes += size - segment.bytes; // a failed write may have left part of a frame
    if (size === 0) {
      await unlink(segment.path).catch(() => {});
      this.changed();
      return;
    }
    const path = join(this.options.dir, segmentName(segment.seq, segment.createdMs, "seg"));
    await rename(segment.path, path);
    syncDir(this.options.dir);
    this.sealed.push({ seq: segment.seq, createdMs: segment.createdMs, path, bytes: size, payloads: segment.payloads });
    this.changed();
    this.wakeConsumer();
  }

  /** Seals the open segment now (shutdown), once the frames already appended are on disk. */
  async sealNow(): Promise<void> {
    this.requestSeal();
    while (this.flushing) await this.flushing;
  }

  /** No more appends; the consumer gets null once every sealed segment is taken. Resolves once the records left without segments are finished. */
  async close(): Promise<void> {
    this.closed = true;
    await this.sealNow();
    await this.finishing;
    this.wakeConsumer();
  }

  /** The oldest sealed segment, waiting for one; null once closed and empty. */
  async nextSealed(): Promise<Segment | null> {
    for (;;) {
      const s = this.sealed.shift();
      if (s) {
        this.taken++;
        this.changed();
        return s;
      }
      if (this.closed && !this.current && !this.flushing) return null;
      await new Promise<void>((resolve) => this.consumers.push(resolve));
    }
  }

  private wakeConsumer(): void {
    for (const c of this.consumers.splice(0)) c();
  }

  /**
   * NDJSON bytes one more frame can bring to the open segment before it is full (a whole
   * segment's when none is open): so segment files stay within segmentMaxBytes, and fit the
   * upload loops' reusable buffers.
   */
  get openSegmentRoom(): number {
    return Math.max(0, this.segmentRoom - (this.current?.bytes ?? 0));
  }

  /** NDJSON bytes one frame can bring to an empty segment. */
  get segmentRoom(): number {
    return this.options.segmentMaxBytes - FRAME_HEADER_BYTES;
  }

  /**
   * PARTITION_BY: records the partitions the segment's payloads go to, before any goes into an
   * object, so that a replay after a crash routes them the same way (PARTITION_MAX_ACTIVE's
   * overflow depends on what was open then). Written whole or not at all, and fsync'd.
   */
  async recordRoutes(segment: Segment, routes: readonly string[]): Promise<void> {
    await writeDurably(join(this.options.dir, routesName(segment.seq)), JSON.stringify(routes));
    segment.routes = [...routes];
  }

  /** The segment's objects are written: free its disk space. Its routes go after it: without it they route nothing. */
  async remove(segment: Segment): Promise<void> {
    const gone = (err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOENT") throw err;
    };
    await unlink(segment.path).catch(gone);
    if (segment.routes) await unlink(join(this.options.dir, routesName(segment.seq))).catch(gone);
    this.usedBytes -= segment.bytes;
    this.payloads -= segment.payloads;
    this.taken--;
    this.changed();
  }
}
