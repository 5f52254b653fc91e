// The disk spool: append-only segment files in SPOOL_DIR. In disk mode every collection is
// appended and fsync'd before its 200 (group commit: one fsync covers every collection that
// arrived while the previous one ran). A segment is sealed when it holds a batch's worth or is
// BATCH_MAX_WAIT_MS old, goes into an object (or, with PARTITION_BY, each partition's share of it
// into that partition's object), and is deleted once those objects are written. An object's key
// comes from its first segment's identity (spool id, sequence, creation time), so uploading it
// again after a crash overwrites the same object instead of adding a duplicate. This module keeps
// the sealed segments, their consumer and the spool's size; the open segment is written and
// sealed in segment-writer.ts; the directory's lock and id are in directory.ts, what an earlier
// process left in recovery.ts and what its records ask of this start in resume-objects.ts, the
// on-disk frame format in frame.ts, the records of objects in object-records.ts; with
// PARTITION_BY, where a segment's payloads went is in a `.routes` file beside it (recordRoutes).
import { unlink } from "node:fs/promises";
import { join } from "node:path";
import { openSpoolDirectory, writeDurably } from "./directory.ts";
import { FRAME_HEADER_BYTES } from "./frame.ts";
import { ObjectRecords } from "./object-records.ts";
import { recoverSegments, routesName, type Segment } from "./recovery.ts";
import { resumeObjects } from "./resume-objects.ts";
import { type SegmentFile, SegmentWriter, SpoolWriteError } from "./segment-writer.ts";

export type { Segment } from "./recovery.ts";
export { type SegmentFile, SpoolWriteError } from "./segment-writer.ts";

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
  private readonly writer: SegmentWriter;
  private usedBytes = 0;
  private payloads = 0;
  private taken = 0;
  private closed = false;
  private consumers: (() => void)[] = [];
  /** Records an earlier process left whose segments are all gone, being finished: close() waits for them. */
  private readonly finishing: Promise<void>;

  /** Opens (or creates) the spool directory; segments an earlier process left are sealed and queued. */
  constructor(private readonly options: SpoolOptions) {
    const { dir } = options;
    this.instanceId = openSpoolDirectory(dir).instanceId;
    const { segments, nextSeq } = recoverSegments(dir);
    this.records = new ObjectRecords(dir);
    const { queue, finishing } = resumeObjects(dir, segments, this.records);
    this.finishing = finishing;
    for (const s of queue) {
      this.sealed.push(s);
      this.usedBytes += s.bytes;
      this.payloads += s.payloads;
    }
    this.writer = new SegmentWriter({ ...options, now: options.now ?? Date.now }, nextSeq, {
      sealed: (segment) => {
        this.sealed.push(segment);
        this.changed();
        this.wakeConsumer();
      },
      resized: (bytes, payloads) => {
        this.usedBytes += bytes;
        this.payloads += payloads;
      },
      failed: () => this.records.wantRoom(),
      changed: () => this.changed(),
    });
    this.changed();
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
    return this.sealed.length + (this.writer.isOpen ? 1 : 0) + this.taken;
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
    this.usedBytes += FRAME_HEADER_BYTES + ndjson.length;
    this.payloads += payloads;
    this.changed();
    return this.writer.append(ndjson, payloads);
  }

  /** Seals the open segment now (shutdown), once the frames already appended are on disk. */
  sealNow(): Promise<void> {
    return this.writer.sealNow();
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
      if (this.closed && !this.writer.isOpen && !this.writer.busy) return null;
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
    return this.writer.openRoom;
  }

  /** NDJSON bytes one frame can bring to an empty segment. */
  get segmentRoom(): number {
    return this.writer.segmentRoom;
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
